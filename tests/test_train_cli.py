"""The whole run through the console script: records, skip, resume, divergence, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from cli_runner import run_script

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
    assert record.protocol == {  # the metrics group as the running vae-study composed it
        "dataset.path": "null: the procedural renderer (reference: the archive)",
        "metrics": "none (reference: study)",
        "train.steps": "20 (reference 300000)",
    }
    assert (path.parent / "model.pt").is_file()
    assert not (path.parent / "checkpoints").exists()
    curves = (path.parent / "csv" / "metrics.csv").read_text().splitlines()
    assert "train/kl_dim/9" in curves[0]
    written = path.stat().st_mtime_ns

    second = cli(*tiny)
    assert second.returncode == 0, second.stderr
    assert "done already" in second.stdout + second.stderr
    assert path.stat().st_mtime_ns == written


def test_a_run_on_an_archive_of_another_grid_says_so_in_its_protocol(cli, tiny):
    sizes = (1, 3, 2, 2, 2, 2)  # colour, then the five factors: a 48-image archive
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"), -1)
    archive = cli.results / "small.npz"
    np.savez(archive, imgs=np.zeros((len(grid.reshape(-1, 6)), 64, 64), np.uint8),
             latents_classes=grid.reshape(-1, 6))  # fmt: skip
    run = cli(*tiny, f"dataset.path={archive}")
    assert run.returncode == 0, run.stderr
    [path] = records(cli.results)
    protocol = RunRecord.read(path).protocol
    assert protocol["dataset.factor_sizes"] == "(3, 2, 2, 2, 2) (reference (3, 6, 40, 32, 32))"
    assert "dataset.path" not in protocol  # the archive's format, not the renderer


def test_run_id_ignores_logging_and_changes_with_the_science(tiny):
    from vae_study.build import member
    from vae_study.config import compose_config

    def identifier(*overrides: str) -> str:
        return member(compose_config([*tiny, *overrides])).run_id

    same = {identifier("logger=none", "train.keep_weights=false"), identifier("logger=csv"),
            identifier("train.threads=2", "metrics.n_jobs=2", "pack.size=4")}  # fmt: skip
    assert len(same) == 1
    assert identifier("seed=1") not in same and identifier("train.steps=21") not in same


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
    rerun = run_script("vae-study-rerun", str(path.parent), "--results", str(tmp_path / "again"))
    assert rerun.returncode == 0, rerun.stderr
    [again] = records(tmp_path / "again")
    assert again.parent.name == path.parent.name  # the same run id
    first, second = RunRecord.read(path), RunRecord.read(again)
    assert {k: v for k, v in first.metrics.items() if not k.startswith("time.")} == {
        k: v for k, v in second.metrics.items() if not k.startswith("time.")
    }
    assert second.protocol == first.protocol  # metrics: quick, as recorded
    assert (again.parent / "model.pt").is_file()
    rows = [line.split() for line in rerun.stdout.splitlines() if line.startswith(("mig", "sap"))]
    assert [row[0] for row in rows] == ["mig", "sap"] and all(row[1] == row[2] for row in rows)
