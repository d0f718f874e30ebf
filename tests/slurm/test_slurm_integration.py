"""Sweeps through the submitit launcher onto a real Slurm: records, status, cancel and relaunch.

Needs a Slurm cluster with accounting (submitit learns a job's end from ``sacct``; without
accounting it never sees a cancelled job end). ``scripts/slurm/start.sh`` starts one on this
machine; ``make test-slurm`` starts it, runs ``pytest -m slurm`` and stops it. The cluster is
found through ``SLURM_CONF``, else ``<VAE_STUDY_SLURM_DIR or /tmp/vae-study-slurm>/slurm.conf``;
the partition is ``VAE_STUDY_SLURM_PARTITION``, else the cluster's default one. Without a cluster
the tests skip, unless ``VAE_STUDY_SLURM_REQUIRED=1`` (CI), which makes that a failure.

Jobs run on the cluster's nodes with this venv's python and write under pytest's ``tmp_path``,
so both must be visible there (true on the local single-node cluster). Every wait is bounded,
and every job a test submitted is cancelled at its end, by the test's own job name.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from vae_study.results import RunRecord

pytestmark = pytest.mark.slurm

CONSOLE_SCRIPT = Path(sys.executable).parent / "vae-study"
STATE_DIR = Path(os.environ.get("VAE_STUDY_SLURM_DIR", "/tmp/vae-study-slurm"))
REQUIRED = os.environ.get("VAE_STUDY_SLURM_REQUIRED") == "1"
STEPS = 30
# Fast metrics only: the quick set's dci and downstream_* take about a minute on 2 cores.
FAST_METRICS = ["beta_vae", "factor_vae", "mig", "modularity", "sap", "unsupervised"]


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (VAE_STUDY_SLURM_REQUIRED=1: a cluster is required)")
    pytest.skip(f"{reason}; start one with scripts/slurm/start.sh (or run make test-slurm)")


def _run(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def slurm() -> tuple[dict[str, str], str]:
    """The environment that reaches the cluster (``SLURM_CONF``), and the partition to use."""
    if shutil.which("sinfo") is None:
        _unavailable("no Slurm: sinfo is not on PATH")
    env = {**os.environ, "WANDB_MODE": "disabled", "HYDRA_FULL_ERROR": "1"}
    if "SLURM_CONF" not in env and (STATE_DIR / "slurm.conf").is_file():
        env["SLURM_CONF"] = str(STATE_DIR / "slurm.conf")
    try:
        sinfo = _run(["sinfo", "-h", "-o", "%P %a"], env, timeout=20)
        sacct = _run(["sacct", "-n", "-X", "-S", "now"], env, timeout=20)
    except subprocess.TimeoutExpired as error:
        _unavailable(f"the Slurm cluster does not answer: {error}")
    if sinfo.returncode != 0:
        _unavailable(f"the Slurm cluster does not answer: sinfo: {sinfo.stderr.strip()[-300:]}")
    if sacct.returncode != 0:
        _unavailable(f"Slurm accounting does not answer: sacct: {sacct.stderr.strip()[-300:]}")
    partitions = [line.split()[0] for line in sinfo.stdout.splitlines() if line.strip()]
    partition = os.environ.get("VAE_STUDY_SLURM_PARTITION") or next(
        (p.rstrip("*") for p in partitions if p.endswith("*")), None
    )
    if partition is None:
        _unavailable(f"no default partition in {partitions}: set VAE_STUDY_SLURM_PARTITION")
    return env, partition


@pytest.fixture
def job_name(slurm) -> Iterator[str]:
    """A Slurm job name for this test's jobs; whatever still runs under it is cancelled after."""
    env, _ = slurm
    name = f"vae-study-test-{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(["scancel", f"--name={name}"], env=env, capture_output=True, timeout=30)


def sweep_overrides(partition: str, results: Path, name: str, seeds: str) -> list[str]:
    return [
        "study=mini", "hydra/launcher=slurm", f"hydra.launcher.partition={partition}",
        f"hydra.launcher.name={name}", "hydra.launcher.gpus_per_node=0",
        "hydra.launcher.cpus_per_task=1", "hydra.launcher.mem_gb=1",
        "hydra.launcher.timeout_min=10", "model=beta_vae", "model.strength=0", f"seed={seeds}",
        f"train.steps={STEPS}", "train.threads=1", "arch=mlp", "arch.hidden=[32]",
        "logger=none", "trainer.enable_progress_bar=false", f"paths.results={results}",
    ]  # fmt: skip


def status_counts(overrides: list[str], env: dict[str, str]) -> dict[str, int]:
    """``vae-study-status`` with the sweep's overrides: planned and per-state counts."""
    result = _run([sys.executable, "-m", "vae_study.status", *overrides], env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    counts = {k: int(v) for k, v in re.findall(r"(\w+): (\d+)", result.stdout)}
    planned = re.search(r"planned: (\d+) runs", result.stdout)
    assert planned, result.stdout
    counts["planned"] = int(planned.group(1))
    return counts


def study_records(results: Path) -> list[RunRecord]:
    return [RunRecord.read(p) for p in sorted(results.glob("mini/runs/*/record.json"))]


def launch(overrides: list[str], env: dict[str, str], timeout: float) -> tuple[int, str, float]:
    """``vae-study -m`` to the end (bounded): exit status, output, wall seconds."""
    started = time.monotonic()
    try:
        result = _run([str(CONSOLE_SCRIPT), "-m", *overrides], env, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        out = (error.stdout or b"").decode(errors="replace")[-3000:]
        pytest.fail(f"the sweep did not end within {timeout}s; its output:\n{out}")
    return result.returncode, result.stdout + result.stderr, time.monotonic() - started


def array_job_ids(results: Path) -> set[str]:
    """The Slurm array job ids of the sweeps under ``results`` (submitit's folder names)."""
    return {p.name.split("_")[0] for p in results.glob("mini/.submitit/*_*") if p.is_dir()}


ACTIVE_STATES = {"PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED"}


def sacct_tasks(job_id: str, env: dict[str, str]) -> dict[str, dict[str, str]]:
    fields = ["JobID", "State", "Submit", "Start", "End"]
    result = _run(
        ["sacct", "-n", "-X", "-P", "-j", job_id, "-o", ",".join(fields)], env, timeout=30
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line]
    rows = [dict(zip(fields, line.split("|"), strict=True)) for line in lines]
    return {row["JobID"]: row for row in rows}


def test_a_study_runs_on_slurm_and_every_record_is_done(slurm, job_name, tmp_path):
    env, partition = slurm
    overrides = [
        *sweep_overrides(partition, tmp_path, job_name, "0,1,2"),
        "metrics=quick", f"metrics.names=[{','.join(FAST_METRICS)}]",
    ]  # fmt: skip
    code, output, wall = launch(overrides, env, timeout=240)
    assert code == 0, output[-4000:]

    records = study_records(tmp_path)
    assert len(records) == 3, output[-4000:]
    assert sorted(r.config["seed"] for r in records) == [0, 1, 2]
    for record in records:
        assert record.status == "done" and record.error is None, record.error
        assert record.train["steps"] == STEPS and record.train["seconds"] > 0
        assert record.config["arch"]["name"] == "mlp"
        scored = {key.split(".")[0] for key in record.metrics}
        assert set(FAST_METRICS) <= scored, sorted(record.metrics)

    counts = status_counts(overrides, env)
    assert counts["planned"] == 3 and counts["done"] == 3 and counts["missing"] == 0, counts

    # launcher overhead: submit-to-start latency of each array task, and the sweep's wall time
    # beyond the runs' own training time
    [job_id] = array_job_ids(tmp_path)

    # submitit collects a task's result as soon as the task has written it, before the task's
    # process has exited, so slurm's accounting can still say RUNNING for a moment
    def finished_tasks() -> dict[str, dict[str, str]] | None:
        tasks = sacct_tasks(job_id, env)
        return tasks if not {t["State"] for t in tasks.values()} & ACTIVE_STATES else None

    tasks = _wait("the end of every array task in sacct", 60, finished_tasks, interval=1.0)
    assert sorted(tasks) == [f"{job_id}_{i}" for i in range(3)], tasks
    assert {t["State"] for t in tasks.values()} == {"COMPLETED"}, tasks

    def seconds(task: dict[str, str], start: str, end: str) -> float:
        delta = datetime.fromisoformat(task[end]) - datetime.fromisoformat(task[start])
        return delta.total_seconds()

    latency = [seconds(t, "Submit", "Start") for t in tasks.values()]
    elapsed = [seconds(t, "Start", "End") for t in tasks.values()]
    trained = sum(r.train["seconds"] for r in records)
    print(
        f"\nslurm sweep: wall {wall:.1f}s for 3 runs, training {trained:.1f}s in all, "
        f"overhead {(wall - trained) / 3:.1f}s per run; per task submit->start {latency} s, "
        f"start->end {elapsed} s (sacct, 1 s resolution)"
    )


def _squeue(name: str, env: dict[str, str]) -> list[tuple[str, str]]:
    """(array task id ``<job>_<task>``, state) of the jobs called ``name``, one per task."""
    result = _run(["squeue", "-h", "-r", f"--name={name}", "-o", "%i %T"], env, timeout=30)
    assert result.returncode == 0, result.stderr
    return [tuple(line.split()) for line in result.stdout.splitlines() if line.strip()]


def _wait(what: str, seconds: float, check, interval: float = 0.25):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(interval)
    pytest.fail(f"{what} did not happen within {seconds}s")


def test_a_cancelled_task_is_reported_and_a_relaunch_completes_the_study(slurm, job_name, tmp_path):
    env, partition = slurm
    overrides = [*sweep_overrides(partition, tmp_path, job_name, "3,4,5"), "metrics=none"]
    log_path = tmp_path / "launcher.log"
    with log_path.open("w") as log:
        launcher = subprocess.Popen(
            [str(CONSOLE_SCRIPT), "-m", *overrides], env=env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        # the last task, once it runs: the launcher waits on tasks in order, so it has seen
        # the other two end by the time it reports this one, and none is left running
        def last_task_running() -> str | None:
            assert launcher.poll() is None, log_path.read_text()[-4000:]
            running = [t for t, state in _squeue(job_name, env) if state == "RUNNING"]
            return next((t for t in running if t.endswith("_2")), None)

        task = _wait("task 2 of the sweep running in squeue", 150, last_task_running)
        job_id = task.split("_")[0]
        cancel = _run(["scancel", task], env, timeout=30)
        assert cancel.returncode == 0, cancel.stderr

        try:
            code = launcher.wait(timeout=150)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the launcher did not end within 150s of scancel {task}")
        output = log_path.read_text()
        assert code != 0, output[-4000:]
        assert task in output and "CANCELLED" in output, output[-4000:]
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGTERM)
            launcher.wait(timeout=30)

    assert sacct_tasks(job_id, env)[task]["State"].startswith("CANCELLED")
    _wait("the sweep's jobs leaving the queue", 60, lambda: not _squeue(job_name, env), 0.5)
    counts = status_counts(overrides, env)
    assert counts["planned"] == 3 and counts["done"] == 2, counts
    assert counts["missing"] + counts["interrupted"] + counts["failed"] == 1, counts

    code, output, _ = launch(overrides, env, timeout=240)
    assert code == 0, output[-4000:]
    records = study_records(tmp_path)
    assert len(records) == 3 and {r.status for r in records} == {"done"}, records
    assert sorted(r.config["seed"] for r in records) == [3, 4, 5]
    assert all(r.train["steps"] == STEPS for r in records)
    counts = status_counts(overrides, env)
    assert counts["done"] == 3 and counts["missing"] == 0, counts
    # the relaunch skipped the two runs that were done (their records kept) and ran the third
    logs = "".join(p.read_text() for p in tmp_path.glob("mini/.submitit/*/*_log.*"))
    assert logs.count("is done already") == 2, logs[-4000:]
