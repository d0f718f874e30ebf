"""Running the real console scripts on tiny settings (shared by the CLI tests).

A call runs an installed console script (``vae-study``, ``vae-study-status``, ...) in a process of
its own and returns its exit code and output, as :func:`subprocess.run` would. By default the
process is a fork of this worker's warm process (:mod:`warm_process`), which has imported torch,
Lightning and scikit-learn once; ``fresh=True`` starts the script itself, for a test about what
a start imports.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONSOLE_SCRIPT = Path(sys.executable).parent / "vae-study"
# A few conv steps on procedural dSprites, one torch thread, no metrics unless a test asks.
TINY = [
    "experiment=demo", "train.steps=20", "train.threads=1", "metrics=none",
    "trainer.log_every_n_steps=5",
]  # fmt: skip
QUIET = {"WANDB_MODE": "disabled", "HYDRA_FULL_ERROR": "0"}


class WarmChild:
    """A command running in a fork of the warm process; the parts of :class:`subprocess.Popen`
    the tests use."""

    def __init__(self, warm: _WarmProcess, number: int, args: list[str], folder: Path) -> None:
        self.warm, self.number, self.args, self.folder = warm, number, args, folder
        self.pid: int = warm.answer(number, "pid", timeout=60)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.warm.answer(self.number, "returncode", timeout=0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self.warm.answer(self.number, "returncode", timeout=timeout)
            if self.returncode is None:
                raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        self.wait(timeout)
        return self.output("stdout"), self.output("stderr")

    def output(self, stream: str) -> str:
        return (self.folder / stream).read_text()


class _WarmProcess:
    """The worker's one warm process, started on first use and stopped with the worker."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.answers: dict[int, dict] = {}
        self.count = 0
        self.folder = Path(tempfile.mkdtemp(prefix="warm-"))

    def start(self, program: str, args: list[str], env: dict, cwd: Path) -> WarmChild:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("warm_process.py"))],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True,
            )  # fmt: skip
        self.count += 1
        folder = self.folder / str(self.count)
        folder.mkdir()
        request = {"id": self.count, "program": program, "args": args, "env": env,
                   "cwd": str(cwd), "stdout": str(folder / "stdout"),
                   "stderr": str(folder / "stderr")}  # fmt: skip
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        self.process.stdin.flush()
        return WarmChild(self, self.count, [program, *args], folder)

    def answer(self, number: int, key: str, timeout: float | None):
        """The warm process's ``key`` for request ``number``; None if not there by ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while key not in self.answers.get(number, {}):
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            if not ready:
                return None
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the warm process died; run with fresh=True to see why")
            fields = json.loads(line)
            self.answers.setdefault(fields.pop("id"), {}).update(fields)
        return self.answers[number][key]

    def stop(self) -> None:
        for fields in self.answers.values():
            if "returncode" not in fields and "pid" in fields:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(fields["pid"], signal.SIGKILL)
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


_WARM = _WarmProcess()
atexit.register(_WARM.stop)


def start_script(
    program: str,
    *args: str,
    env: dict[str, str | None] | None = None,
    cwd: Path | None = None,
) -> WarmChild:
    """Start the console script ``program`` with ``args`` in a fork of the warm process; W&B off
    unless ``env`` says otherwise. ``env`` adds to this process's environment; a value ``None``
    removes the variable."""
    merged = {**os.environ, **QUIET, **(env or {})}
    environment = {key: value for key, value in merged.items() if value is not None}
    return _WARM.start(program, list(args), environment, Path.cwd() if cwd is None else cwd)


def run_script(
    program: str,
    *args: str,
    env: dict[str, str | None] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
    fresh: bool = False,
) -> subprocess.CompletedProcess:
    """Run the console script ``program`` to its end (as :func:`start_script`); ``fresh=True``
    starts the installed script itself instead of a fork."""
    if fresh:
        merged = {**os.environ, **QUIET, **(env or {})}
        executable = Path(sys.executable).parent / program
        return subprocess.run(
            [str(executable), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
            env={key: value for key, value in merged.items() if value is not None},
        )  # fmt: skip
    child = start_script(program, *args, env=env, cwd=cwd)
    try:
        out, err = child.communicate(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        raise
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def run_cli(*overrides: str, results: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """``vae-study`` with ``overrides`` and its results under ``results``."""
    return run_script("vae-study", *overrides, f"paths.results={results}", timeout=timeout)
