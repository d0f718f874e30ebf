"""Fault injection: runs killed, terminated, corrupted, starved of disk or write access, and fed
bad input, each checked against the guarantee the README's fault section states.

Wherever a run survives, its final record (``train`` and ``metrics``, all but wall times),
weights and training curve are compared with those of an uninterrupted run of the same config.
Marked ``faults`` (``make test-faults``, run by CI); the disk and read-only cases mount a tmpfs
and need root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from cli_runner import WarmChild, run_script, start_script

from vae_study.analysis.collect import collect
from vae_study.results import RunRecord

pytestmark = pytest.mark.faults

STEPS, CHECKPOINT_EVERY, LOG_EVERY = 300, 60, 5
RUN = [
    "experiment=demo", "arch=mlp", "arch.hidden=[64]", f"train.steps={STEPS}",
    f"train.checkpoint_every={CHECKPOINT_EVERY}", "train.threads=1", "metrics=quick",
    "metrics.names=[mig,modularity,sap]", "metrics.n_jobs=1",
    f"trainer.log_every_n_steps={LOG_EVERY}", "trainer.enable_progress_bar=false",
]  # fmt: skip
PACK = ["-m", *RUN, "seed=0,1", "pack.size=2"]
ROWS = STEPS // LOG_EVERY


def launch(args: list[str], results: Path) -> WarmChild:
    return start_script("vae-study", *args, f"paths.results={results}")


def run(args: list[str], results: Path) -> subprocess.CompletedProcess:
    return run_script("vae-study", *args, f"paths.results={results}")


def folders(results: Path) -> list[Path]:
    return sorted(results.glob("*/runs/*"))


def rows(folder: Path) -> int:
    curves = folder / "csv" / "metrics.csv"
    return max(0, len(curves.read_text().splitlines()) - 1) if curves.is_file() else 0


def checkpoint(folder: Path) -> Path | None:
    found = sorted(folder.glob("checkpoints/*.ckpt"))
    return found[0] if found else None


def stop_when(
    process: WarmChild, results: Path, ready: Callable[[Path], bool], signum: int
) -> None:
    """Send ``signum`` to the process once ``ready(run folder)`` holds for its first run."""
    deadline = time.monotonic() + 120
    while not (folders(results) and ready(folders(results)[0])):
        assert process.poll() is None, "the run ended before the moment to stop it"
        assert time.monotonic() < deadline, "the moment to stop the run never came"
        time.sleep(0.005)
    process.send_signal(signum)
    process.communicate(timeout=120)


def comparable(record: RunRecord) -> tuple[dict, dict, str]:
    train = {k: v for k, v in record.train.items() if k not in ("seconds", "threads")}
    metrics = {k: v for k, v in record.metrics.items() if not k.startswith("time.")}
    return train, metrics, record.status


def assert_same_as(folder: Path, reference: Path) -> None:
    """The run in ``folder`` ended as the uninterrupted one in ``reference`` did."""
    assert comparable(RunRecord.read(folder)) == comparable(RunRecord.read(reference))
    weights = torch.load(folder / "model.pt", weights_only=True)
    expected = torch.load(reference / "model.pt", weights_only=True)
    assert weights.keys() == expected.keys()
    assert all(torch.equal(weights[name], expected[name]) for name in expected)
    assert (folder / "csv" / "metrics.csv").read_text() == (
        reference / "csv" / "metrics.csv"
    ).read_text()
    assert not list(folder.rglob(".partial-*")) and not (folder / "checkpoints").exists()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """An uninterrupted single run."""
    results = tmp_path_factory.mktemp("reference")
    assert run(RUN, results).returncode == 0
    [folder] = folders(results)
    assert rows(folder) == ROWS
    return folder


@pytest.fixture(scope="module")
def pack_reference(tmp_path_factory) -> dict[str, Path]:
    """An uninterrupted pack of two, by run id."""
    results = tmp_path_factory.mktemp("pack_reference")
    assert run(PACK, results).returncode == 0
    return {folder.name: folder for folder in folders(results)}


@pytest.fixture(scope="module")
def killed(tmp_path_factory) -> Path:
    """Results of a single run killed between two checkpoints: each test damages a copy."""
    results = tmp_path_factory.mktemp("killed")
    stop_when(launch(RUN, results), results, MOMENTS["between checkpoints"], signal.SIGKILL)
    return results


def copy_of(results: Path, tmp_path: Path) -> Path:
    """A copy of the results ``results`` in ``tmp_path``, and its only run folder."""
    shutil.copytree(results, tmp_path, dirs_exist_ok=True)
    [folder] = folders(tmp_path)
    return folder


MOMENTS = {
    "before the first checkpoint": lambda f: rows(f) >= 2 and checkpoint(f) is None,
    "between checkpoints": lambda f: checkpoint(f) is not None and rows(f) >= 16,
    "in the last summary window": lambda f: rows(f) >= (STEPS - 50) // LOG_EVERY,
    "during evaluation": lambda f: rows(f) == ROWS and (f / "checkpoints").is_dir(),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_run_killed_at_any_moment_ends_as_an_uninterrupted_one(tmp_path, reference, moment):
    stop_when(launch(RUN, tmp_path), tmp_path, MOMENTS[moment], signal.SIGKILL)
    [folder] = folders(tmp_path)
    assert RunRecord.read(folder).status == "running"
    relaunched = run(RUN, tmp_path)
    assert relaunched.returncode == 0, relaunched.stderr
    assert_same_as(folder, reference)


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_pack_killed_at_any_moment_ends_as_an_uninterrupted_one(tmp_path, pack_reference, moment):
    stop_when(launch(PACK, tmp_path), tmp_path, MOMENTS[moment], signal.SIGKILL)
    relaunched = run(PACK, tmp_path)
    assert relaunched.returncode == 0, relaunched.stderr
    assert "2 done, 0 failed, 0 skipped" in relaunched.stdout
    for folder in folders(tmp_path):
        assert_same_as(folder, pack_reference[folder.name])


def test_what_a_kill_during_a_file_write_leaves_is_cleared_and_the_run_completes(
    tmp_path, reference, killed
):
    folder = copy_of(killed, tmp_path)
    # an atomic write killed midway leaves the old file and a temporary beside it
    (folder / ".partial-record.json.x1y2").write_text('{"run_id": "half')
    (folder / "checkpoints" / ".partial-last.ckpt.z3").write_bytes(os.urandom(1000))
    with (folder / "csv" / "metrics.csv").open("a") as curves:
        curves.write("9999,0.12")  # a line the kill tore
    relaunched = run(RUN, tmp_path)
    assert relaunched.returncode == 0, relaunched.stderr
    assert_same_as(folder, reference)


def test_a_kill_after_the_weights_before_the_done_record_completes_the_run(tmp_path, reference):
    stop_when(launch(RUN, tmp_path), tmp_path, MOMENTS["during evaluation"], signal.SIGKILL)
    [folder] = folders(tmp_path)
    shutil.copy(reference / "model.pt", folder / "model.pt")  # written, then the kill
    assert RunRecord.read(folder).status == "running"
    assert run(RUN, tmp_path).returncode == 0
    assert_same_as(folder, reference)


def test_sigterm_records_the_run_interrupted_exits_non_zero_and_a_relaunch_resumes(
    tmp_path, reference
):
    process = launch(RUN, tmp_path)
    stop_when(process, tmp_path, MOMENTS["between checkpoints"], signal.SIGTERM)
    assert process.returncode == 143
    [folder] = folders(tmp_path)
    record = RunRecord.read(folder)
    assert record.status == "interrupted" and "SIGTERM" in record.error
    assert run(RUN, tmp_path).returncode == 0
    assert_same_as(folder, reference)


def test_sigterm_stops_a_sweep_with_a_non_zero_exit_and_a_relaunch_completes_it(
    tmp_path, reference
):
    sweep = ["-m", *RUN, "seed=0,1"]
    process = launch(sweep, tmp_path)
    stop_when(process, tmp_path, MOMENTS["between checkpoints"], signal.SIGTERM)
    assert process.returncode == 143
    assert [RunRecord.read(f).status for f in folders(tmp_path)] == ["interrupted"]
    relaunched = run(sweep, tmp_path)
    assert relaunched.returncode == 0 and "2 done, 0 failed, 0 skipped" in relaunched.stdout
    assert_same_as(tmp_path / "demo" / "runs" / reference.name, reference)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "another model"])
def test_an_unreadable_checkpoint_is_set_aside_and_the_run_completes(
    tmp_path, reference, killed, damage
):
    folder = copy_of(killed, tmp_path)
    last = folder / "checkpoints" / "last.ckpt"
    if damage == "truncated":
        last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])
    elif damage == "garbage":
        last.write_bytes(os.urandom(4096))
    else:
        torch.save({"state_dict": {"w": torch.zeros(3)}}, last)
    relaunched = run(RUN, tmp_path)
    assert relaunched.returncode == 0, relaunched.stderr
    warnings = [line for line in relaunched.stdout.splitlines() if "set aside" in line]
    assert len(warnings) == 1 and f"{last} is unreadable" in warnings[0]
    assert_same_as(folder, reference)


@pytest.mark.parametrize("damage", ['{"run_id": "half', '{"run_id": 5, "study": "demo"}'])
def test_an_unreadable_record_is_run_again_never_counted_done(tmp_path, reference, damage):
    folder = copy_of(reference.parent.parent.parent, tmp_path)
    (folder / "record.json").write_text(damage)
    status = run_script("vae-study-status", *RUN, f"paths.results={tmp_path}", timeout=120)
    assert "done: 0" in status.stdout and "unreadable record" in status.stdout
    assert run(RUN, tmp_path).returncode == 0
    assert_same_as(folder, reference)


@contextlib.contextmanager
def tmpfs(path: Path, size: str, *options: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join([f"size={size}", *options]), "tmpfs", str(path)],
        capture_output=True, text=True,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_full_disk_fails_the_run_in_one_line_and_a_relaunch_completes_it(tmp_path, reference):
    with tmpfs(tmp_path / "disk", "2m") as disk:
        full = run(RUN, disk)
        assert full.returncode == 1
        errors = [line for line in full.stderr.splitlines() if line.strip()]
        [folder] = folders(disk)
        assert any(str(folder) in line and "No space left" in line for line in errors), errors
        record = RunRecord.read(folder)
        assert record.status == "failed" and "No space left on device" in record.error
        assert not list(folder.rglob(".partial-*"))
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        assert run(RUN, disk).returncode == 0
        assert_same_as(folder, reference)


def test_a_read_only_results_folder_refuses_a_new_run_in_one_line_and_skips_done_ones(
    tmp_path, reference, killed
):
    with tmpfs(tmp_path / "results", "64m") as results:
        shutil.copytree(reference.parent.parent.parent, results, dirs_exist_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(results)], check=True)
        new = run([*RUN, "seed=9"], results)
        lines = [line for line in new.stderr.splitlines() if line.strip()]
        assert new.returncode == 1 and len(lines) == 1 and "cannot write in" in lines[0], lines
        sweep = run(["-m", *RUN, "seed=0"], results)
        assert sweep.returncode == 0, sweep.stderr
        assert "0 done, 0 failed, 1 skipped" in sweep.stdout
    with tmpfs(tmp_path / "killed", "64m") as results:  # a killed run's record says running
        shutil.copytree(killed, results, dirs_exist_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(results)], check=True)
        [folder] = folders(results)
        collection = collect(folder.parent)
        assert collection.counts == {"interrupted": 1} and not collection.unreadable
        status = run_script("vae-study-status", *RUN, f"paths.results={results}", timeout=120)
        assert "interrupted: 1" in status.stdout, status.stdout


BAD_INPUTS = [
    ("train.optimizer.betas=[2,0.999]", "train.optimizer.betas"),
    ("train.optimizer.betas=[0.9]", "train.optimizer.betas"),
    ("train.optimizer.eps=-1", "train.optimizer.eps"),
    ("seed=-1", "seed"),
    ("trainer=gpu", "trainer.accelerator"),
    ("trainer.precision=17", "trainer.precision"),
    ("+foo=1", "foo"),
    ("model.strenght=2", "did you mean model.strength"),
    ("model=beta_vea", "did you mean beta_vae"),
    ("seed=abc", "seed"),
    ("metrics.names=[mig,nosuch]", "metrics.names"),
    ("metrics.params.dci.num_train=-5", "metrics.params.dci.num_train"),
]


SWEPT_TOO = ("trainer.precision=17", "model=beta_vea", "metrics.names=[mig,nosuch]")


@pytest.mark.parametrize(("override", "named"), BAD_INPUTS)
def test_a_bad_input_is_one_line_and_exit_2_before_anything_is_written(tmp_path, override, named):
    if override == "trainer=gpu" and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    launches = [[*RUN, override]]
    if override in SWEPT_TOO:  # a sweep stops before its first job
        launches.append(["-m", *RUN, "seed=0,1", override])
    for args in launches:
        result = run(args, tmp_path)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 2 and len(lines) == 1 and named in lines[0], result.stderr
        assert list(tmp_path.iterdir()) == []


def test_a_dsprites_archive_of_the_wrong_dtype_is_one_line_naming_the_file(tmp_path):
    import numpy as np

    archive = tmp_path / "dsprites.npz"
    np.savez(archive, imgs=np.zeros((2, 64, 64), np.uint8),
             latents_classes=np.zeros((2, 6), np.float32))  # fmt: skip
    result = run([*RUN, f"dataset.path={archive}"], tmp_path / "results")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and "dataset" in lines[0], result.stderr
    assert str(archive) in lines[0] and "latents_classes" in lines[0]
    assert not (tmp_path / "results").exists()
