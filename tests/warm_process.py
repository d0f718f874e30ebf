"""A process that has imported the heavy libraries once and forks a fresh copy for each command.

Started by :mod:`cli_runner`, one per test worker. It reads one JSON request per line on its
standard input (``{"id", "program", "args", "env", "cwd", "stdout", "stderr"}``), forks, answers
``{"id", "pid"}`` at once and ``{"id", "returncode"}`` when the fork has exited; several forks
may run at a time. The fork runs the installed console script's entry function as the script
would: its own process (and process group), the request's argv, environment and working
directory, output to the request's files, and the interpreter's normal exit (``atexit``,
threads joined, streams flushed). It only skips the imports of torch, Lightning and scikit-learn
(about ten seconds for each command on 2 cores) and the loading of the boosting kernels
(:mod:`compiled_kernels`).

The parent never runs a torch operation or starts a thread (the kernels' tiny fits run in numba's
compiled code and numpy), so each fork starts clean.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
from importlib.metadata import entry_points

import lightning  # noqa: F401
import sklearn.ensemble  # noqa: F401
import torch  # noqa: F401
from compiled_kernels import compile_kernels

import vae_study.analysis.visualize
import vae_study.lifecycle
import vae_study.rerun
import vae_study.rescore
import vae_study.status
import vae_study.train  # noqa: F401
from vae_study.config import compose_config

compose_config(["experiment=demo"])  # Hydra's and OmegaConf's parsers, built once
compile_kernels()
SCRIPTS = {e.name: e for e in entry_points(group="console_scripts") if e.value.startswith("vae_")}


def _become(request: dict) -> None:
    """In the fork: take the request's files, environment and directory as a new process would."""
    os.setpgid(0, 0)
    for stream, flags, number in (
        (os.devnull, os.O_RDONLY, 0),
        (request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 1),
        (request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 2),
    ):
        descriptor = os.open(stream, flags, 0o644)
        os.dup2(descriptor, number)
        os.close(descriptor)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    extra = [entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    sys.path[1:1] = extra  # where the interpreter's start would have put them
    sys.argv = [request["program"], *request["args"]]


def _answer(**fields: object) -> None:
    os.write(1, (json.dumps(fields) + "\n").encode())


def serve() -> dict:
    """Answer requests until stdin closes; in a fork, return the request it is to run."""
    children: dict[int, int] = {}  # pid -> request id
    pending = b""
    while True:
        readable, _, _ = select.select([0], [], [], 0.05 if children else None)
        if readable:
            chunk = os.read(0, 65536)
            if not chunk:
                sys.exit(0)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    _become(request)
                    return request
                children[pid] = request["id"]
                _answer(id=request["id"], pid=pid)
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            _answer(id=children.pop(pid), returncode=os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C in pytest stops the client, not us
    request = serve()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(SCRIPTS[request["program"]].load()())
