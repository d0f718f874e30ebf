"""``vae-study -m ... pack.size=K``: packs of a sweep's seeds, each member a single run's equal."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from cli_runner import run_cli, run_script

from vae_study.results import RunRecord

# An MLP beta-VAE on procedural dSprites: the smallest real runs.
SMALL = [
    "experiment=demo", "arch=mlp", "arch.hidden=[32]", "train.steps=12", "train.threads=1",
    "metrics=none", "trainer.log_every_n_steps=5", "trainer.enable_progress_bar=false",
]  # fmt: skip


def records(results: Path) -> dict[str, RunRecord]:
    found = (RunRecord.read(p) for p in results.glob("*/runs/*/record.json"))
    return {record.run_id: record for record in found}


def assert_same_run(packed: RunRecord, single: RunRecord, folder: Path, other: Path) -> None:
    """The packed member's record, weights and curves are its single run's, to float rounding."""
    assert packed.status == single.status == "done"
    assert packed.train["steps"] == single.train["steps"]
    for term, value in single.train["final"].items():
        np.testing.assert_allclose(packed.train["final"][term], value, rtol=1e-4)
    weights, alone = torch.load(folder / "model.pt"), torch.load(other / "model.pt")
    assert weights.keys() == alone.keys()
    for name, value in alone.items():
        torch.testing.assert_close(weights[name], value, rtol=1e-4, atol=1e-5)


@pytest.mark.long
def test_a_pack_writes_each_members_single_run_record_curves_and_log(tmp_path):
    args = [*SMALL, "metrics=quick", "metrics.names=[mig]", "metrics.n_jobs=1"]
    packed = run_cli("-m", *args, "seed=0,1", "pack.size=2", results=tmp_path / "packed")
    assert packed.returncode == 0, packed.stderr
    assert "training a pack of 2 members" in packed.stdout
    single = run_cli("-m", *args, "seed=0,1", results=tmp_path / "single")
    assert single.returncode == 0, single.stderr
    by_pack, alone = records(tmp_path / "packed"), records(tmp_path / "single")
    assert by_pack.keys() == alone.keys() and len(alone) == 2
    for run_id, record in by_pack.items():
        folder = tmp_path / "packed" / "demo" / "runs" / run_id
        other = tmp_path / "single" / "demo" / "runs" / run_id
        assert record.train["pack"] == 2 and "pack" not in alone[run_id].train
        assert_same_run(record, alone[run_id], folder, other)
        scores = {k: v for k, v in record.metrics.items() if not k.startswith("time.")}
        assert scores and "mig" in scores
        for key, value in scores.items():  # same metric settings and draws as the single run
            np.testing.assert_allclose(value, alone[run_id].metrics[key], rtol=1e-3, atol=1e-3)
        curves = np.genfromtxt(folder / "csv" / "metrics.csv", delimiter=",", names=True)
        expected = np.genfromtxt(other / "csv" / "metrics.csv", delimiter=",", names=True)
        assert curves.dtype.names == expected.dtype.names and len(expected) == 2
        for column in expected.dtype.names:
            np.testing.assert_allclose(curves[column], expected[column], rtol=1e-4, atol=1e-6)
        log = (folder / "run.log").read_text()
        assert "training a pack of 2 members" in log and f"run {run_id} done" in log


def test_a_pack_trains_exactly_the_seeds_its_sweep_names(tmp_path):
    result = run_cli("-m", *SMALL, "seed=0,1,2", "pack.size=2", results=tmp_path)
    assert result.returncode == 0, result.stderr
    seeds = sorted(record.config["seed"] for record in records(tmp_path).values())
    assert seeds == [0, 1, 2]
    assert "3 done, 0 failed, 0 skipped" in result.stdout
    assert result.stdout.count("training a pack of 2 members") == 1  # seed 2 trains alone


@pytest.mark.long
def test_a_model_without_a_packed_form_trains_its_seeds_one_by_one(tmp_path):
    args = [*SMALL, "model=factor_vae", "seed=0,1"]
    packed = run_cli("-m", *args, "pack.size=2", results=tmp_path / "packed")
    assert packed.returncode == 0, packed.stderr
    assert "has parameters of its own" in packed.stdout + packed.stderr
    single = run_cli("-m", *args, results=tmp_path / "single")
    assert single.returncode == 0, single.stderr
    by_pack, alone = records(tmp_path / "packed"), records(tmp_path / "single")
    assert by_pack.keys() == alone.keys() and len(alone) == 2
    for run_id, record in alone.items():
        assert by_pack[run_id].status == "done" and "pack" not in by_pack[run_id].train
        assert by_pack[run_id].train["final"] == pytest.approx(record.train["final"], rel=1e-5)


OBJECTIVE = '''
    """A test's own objective: recon + weight * the mean squared code mean."""
    from vae_study.models.objectives import Objective


    class ShrinkMeans(Objective):
        def __init__(self, weight: float) -> None:
            super().__init__()
            self.weight = weight

        def hyperparameters(self, step):
            return {"weight": self.weight}

        def terms(self, out, hp):
            recon, kl = out.recon.mean(), out.total_kl()
            shrink = out.mean.pow(2).sum(1).mean()
            return {"loss": recon + hp["weight"] * shrink, "recon": recon, "kl": kl,
                    "shrink": shrink}
'''
MODEL = """
    defaults:
      - base_vae
      - _self_
    name: shrink_means
    strengths: [0.5, 2.0]
    objective:
      _target_: shrink_means.ShrinkMeans
      weight: ${index:${model.strengths},${model.strength}}
"""


def test_a_new_objective_is_one_class_and_one_yaml_and_packs_as_written(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "shrink_means.py").write_text(textwrap.dedent(OBJECTIVE))
    (tmp_path / "conf" / "model").mkdir(parents=True)
    (tmp_path / "conf" / "model" / "shrink_means.yaml").write_text(textwrap.dedent(MODEL))
    args = [
        "-m", *SMALL, f"hydra.searchpath=[file://{tmp_path / 'conf'}]", "model=shrink_means",
        "model.strength=1", "seed=3,4",
    ]  # fmt: skip
    outputs = {}
    for name, extra in (("packed", ["pack.size=2"]), ("single", [])):
        outputs[name] = run_script(
            "vae-study", *args, *extra, f"paths.results={tmp_path / name}",
            env={"PYTHONPATH": str(tmp_path / "code")},
        )  # fmt: skip
        assert outputs[name].returncode == 0, outputs[name].stderr
    assert outputs["packed"].stdout.count("training a pack of 2 members") == 1
    by_pack, alone = records(tmp_path / "packed"), records(tmp_path / "single")
    assert by_pack.keys() == alone.keys() and len(alone) == 2
    for run_id, record in alone.items():
        assert "shrink" in record.train["final"]
        folders = [tmp_path / name / "demo" / "runs" / run_id for name in ("packed", "single")]
        assert_same_run(by_pack[run_id], record, *folders)
