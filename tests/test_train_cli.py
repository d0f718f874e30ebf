"""The whole run through the console script: records, skip, resume, divergence, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch
from cli_runner import CONSOLE_SCRIPT

from vae_study.results import RunRecord


def records(results: Path) -> list[Path]:
    return sorted(results.glob("*/runs/*/record.json"))


def test_a_short_run_writes_a_valid_record_and_a_second_launch_skips_it(cli, tiny):
    first = cli(*tiny)
    assert first.returncode == 0, first.stderr
    [path] = records(cli.results)
    record = RunRecord.read(path)
    assert record.status == "done" and record.error is None
    assert record.run_id == path.parent.name and record.study == "demo"
    assert record.train["steps"] == 20 and record.train["seconds"] > 0
    assert {"loss", "recon", "kl"} <= set(record.train["final"])
    assert record.config["model"]["objective"]["beta"] == 4.0  # strength 2 of the grid
    assert record.versions["torch"] == torch.__version__
    assert (path.parent / "model.pt").is_file()
    assert not (path.parent / "checkpoints").exists()
    curves = (path.parent / "csv" / "metrics.csv").read_text().splitlines()
    assert "train/kl_dim/9" in curves[0]
    written = path.stat().st_mtime_ns

    second = cli(*tiny)
    assert second.returncode == 0, second.stderr
    assert "done already" in second.stdout + second.stderr
    assert path.stat().st_mtime_ns == written


def test_run_id_ignores_logging_and_changes_with_the_science(cli, tiny):
    cli(*tiny, "logger=none", "train.keep_weights=false")
    cli(*tiny, "logger=csv")  # same science: skipped
    cli(*tiny, "seed=1")
    ids = {RunRecord.read(p).run_id for p in records(cli.results)}
    assert len(ids) == 2


def test_a_killed_run_resumes_and_ends_as_an_uninterrupted_one(tmp_path, console_script):
    common = [
        "experiment=demo", "arch=mlp", "arch.hidden=[64]", "train.steps=400",
        "train.checkpoint_every=10", "train.threads=1", "metrics=none", "logger=none",
        "trainer.enable_progress_bar=false",
    ]  # fmt: skip
    env = {**os.environ, "WANDB_MODE": "disabled"}
    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen(
        [str(console_script), *common, f"paths.results={interrupted}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(interrupted.glob("*/runs/*/checkpoints/last.ckpt")):
        assert process.poll() is None, "the run ended before its first checkpoint"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    [path] = records(interrupted)
    assert RunRecord.read(path).status == "running"

    resumed = subprocess.run(
        [str(console_script), *common, f"paths.results={interrupted}"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout + resumed.stderr
    straight = subprocess.run(
        [str(console_script), *common, f"paths.results={tmp_path / 'straight'}"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert straight.returncode == 0, straight.stderr
    [other] = records(tmp_path / "straight")
    a, b = RunRecord.read(path), RunRecord.read(other)
    assert a.status == b.status == "done" and a.train["steps"] == b.train["steps"] == 400
    weights_a = torch.load(path.parent / "model.pt")
    weights_b = torch.load(other.parent / "model.pt")
    for name in weights_b:
        torch.testing.assert_close(weights_a[name], weights_b[name], rtol=0, atol=1e-6)


def test_a_diverging_run_writes_a_failed_record_and_exits_non_zero(cli, tiny):
    result = cli(*tiny, "train.optimizer.lr=1e30", "model.likelihood=gaussian")
    assert result.returncode != 0
    [path] = records(cli.results)
    record = json.loads(path.read_text())
    assert record["status"] == "failed"
    assert "diverged" in record["error"] and record["finished"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.steps=0", "train.steps must be a positive integer"),
        ("model.strengths=[-1,2,4,6,8,16]", "model.strengths must be >= 0"),
        ("model.objective.beta=-2", "model.objective.beta must be >= 0"),
        ("model.strength=6", "model.strength is an index"),
        ("dataset.path=/does/not/exist.npz", "dataset.path: no file at '/does/not/exist.npz'"),
        ("metrics.names=[mig,nosuch]", "metrics.names: unknown metrics ['nosuch']"),
        ("metrics.params.dci.num_train=-5", "metrics.params.dci.num_train"),
    ],
)
def test_bad_settings_stop_with_one_line_naming_the_key(cli, tiny, override, message):
    result = cli(*tiny, "metrics=quick", override)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not cli.results.exists() or not any(cli.results.iterdir())  # nothing written


def test_an_unknown_group_option_stops_before_training(cli, tiny):
    result = cli(*tiny, "model=no_such_model")
    assert result.returncode != 0
    assert "model=no_such_model: no such option" in result.stderr
    assert "Traceback" not in result.stderr
    assert records(cli.results) == []


def test_a_run_reproduced_from_its_record_alone_gives_its_scores(cli, tiny, tmp_path):
    args = [*tiny, "arch=mlp", "metrics=quick", "metrics.names=[mig,sap]", "metrics.n_jobs=1"]
    assert cli(*args).returncode == 0
    [path] = records(cli.results)
    (path.parent / "model.pt").unlink()  # shared without its weights, as the committed studies
    rerun = subprocess.run(
        [str(CONSOLE_SCRIPT.parent / "vae-study-rerun"), str(path.parent), "--results",
         str(tmp_path / "again")], capture_output=True, text=True, timeout=300,
        env={**os.environ, "WANDB_MODE": "disabled"},
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    [again] = records(tmp_path / "again")
    assert again.parent.name == path.parent.name  # the same run id
    first, second = RunRecord.read(path), RunRecord.read(again)
    assert {k: v for k, v in first.metrics.items() if not k.startswith("time.")} == {
        k: v for k, v in second.metrics.items() if not k.startswith("time.")
    }
    assert (again.parent / "model.pt").is_file()
    rows = [line.split() for line in rerun.stdout.splitlines() if line.startswith(("mig", "sap"))]
    assert [row[0] for row in rows] == ["mig", "sap"] and all(row[1] == row[2] for row in rows)
