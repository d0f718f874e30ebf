"""Studies as sweeps: expansion, status, failures inside a sweep, concurrency, parallel jobs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_runner import run_script, start_script

from vae_study.results import RunRecord, reference_model_num

# A sweep of the smallest real runs: MLP on procedural dSprites, a few steps, no metrics.
FAST = [
    "study=mini", "model=beta_vae", "model.strength=0", "train.steps=5", "arch=mlp",
    "arch.hidden=[32]", "metrics=none", "logger=none", "trainer.enable_progress_bar=false",
]  # fmt: skip


def records(results: Path) -> list[RunRecord]:
    """Every parseable record under ``results``."""
    found = []
    for path in sorted(results.glob("*/runs/*/record.json")):
        try:
            found.append(RunRecord.read(path))
        except ValueError:
            continue
    return found


def status_counts(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.startswith("done:"))
    words = line.replace(":", "").split()
    return {words[i]: int(words[i + 1]) for i in range(0, len(words), 2)}


def test_the_study_plans_expand_to_the_reference_grid():
    full = run_script("vae-study-status", "study=locatello", "--count")
    dsprites = run_script("vae-study-status", "study=locatello", "dataset=dsprites",
                   "--count")  # fmt: skip
    assert full.stdout.strip() == "planned: 12600 runs", full.stderr
    assert dsprites.stdout.strip() == "planned: 1800 runs", dsprites.stderr
    mini = run_script("vae-study-status", "study=mini", "--count")
    assert mini.stdout.strip() == "planned: 24 runs"


@pytest.mark.parametrize(
    "overrides",
    [
        ["train.optimizer.lr=1", "train.optimizer.eps=1"],
        ["train.optimizer.betas=[0.5,1]", "seed=3"],
        ["model=dip_vae_ii", "model.strength=4", "paths.results=/elsewhere"],
        ["model=pca", "seed=7", "study.name=mine"],
        ["+model.objective.note=x", "logger=wandb", "seed=2"],
    ],
)
def test_status_computes_the_run_ids_and_folders_training_computes(overrides):
    from vae_study.build import member
    from vae_study.config import compose_config
    from vae_study.status import job_run_ids

    trained = member(compose_config(["study=mini", *overrides]))
    [(_, identifier, run_dir)] = job_run_ids([["study=mini", *overrides]])
    assert (identifier, run_dir) == (trained.run_id, trained.run_dir)


def test_reference_model_numbers():
    assert reference_model_num("dsprites", "beta_vae", 0, 0) == 0
    assert reference_model_num("dsprites", "factor_vae", 2, 7) == 300 + 100 + 7
    assert reference_model_num("shapes3d", "annealed_vae", 5, 49) == 12_599
    assert reference_model_num("mnist", "beta_vae", 0, 0) is None
    assert reference_model_num("dsprites", "autoencoder", 0, 0) is None
    assert reference_model_num("dsprites", "beta_vae", 0, 50) is None


def test_a_sweep_survives_a_failing_run_and_status_reports_every_state(tmp_path):
    sweep = [*FAST, "model.likelihood=gaussian", "train.optimizer.lr=1e-4,1e30", "seed=0,1",
             f"paths.results={tmp_path}"]  # fmt: skip
    launched = run_script("vae-study", "-m", *sweep)
    assert launched.returncode != 0  # the sweep reports the failure ...
    states = sorted(r.status for r in records(tmp_path))
    assert states == ["done", "done", "failed", "failed"]  # ... after running every job
    assert all(r.model_num == reference_model_num("dsprites", "beta_vae", 0, int(r.config["seed"]))
               for r in records(tmp_path))  # fmt: skip

    garbage = tmp_path / "mini" / "runs" / "0123456789ab" / "record.json"
    garbage.parent.mkdir()
    garbage.write_text("{not json")
    status = run_script("vae-study-status", *sweep)
    assert status.returncode == 0, status.stderr
    assert status_counts(status.stdout) == {
        "done": 2, "failed": 2, "running": 0, "interrupted": 0, "missing": 0,
    }  # fmt: skip
    failed = [line for line in status.stdout.splitlines() if line.startswith("failed ")]
    assert len(failed) == 2 and all("diverged" in line for line in failed)
    assert f"unreadable record (ignored): {garbage}" in status.stdout

    relaunched = run_script("vae-study", "-m", *sweep)
    assert "done already" in relaunched.stdout + relaunched.stderr
    assert sorted(r.status for r in records(tmp_path)) == ["done", "done", "failed", "failed"]


def test_two_launches_of_one_run_at_once_train_it_once(tmp_path):
    args = [*FAST, "train.steps=150", "seed=3", f"paths.results={tmp_path}"]
    both = [start_script("vae-study", *args) for _ in range(2)]
    outputs = ["".join(p.communicate(timeout=300)) for p in both]
    assert all(p.returncode == 0 for p in both), outputs
    [record] = records(tmp_path)
    assert record.status == "done" and record.train["steps"] == 150
    skipped = [o for o in outputs if "running in another process" in o or "done already" in o]
    assert len(skipped) == 1
    assert not list(tmp_path.glob("*/runs/*/.record-*"))  # no half-written temporaries


@pytest.mark.launcher
def test_parallel_local_jobs_share_the_cores(tmp_path):
    launched = run_script("vae-study", "-m", *FAST, "seed=0,1", "hydra/launcher=local",
                   "hydra.launcher.n_jobs=2", f"paths.results={tmp_path}")  # fmt: skip
    assert launched.returncode == 0, launched.stderr
    found = records(tmp_path)
    assert len(found) == 2 and all(r.status == "done" for r in found)
    assert {r.train["threads"] for r in found} == {max(1, (os.cpu_count() or 1) // 2)}


@pytest.mark.parametrize("launcher", ["slurm", "local"])
def test_launcher_configs_compose(launcher):
    from vae_study.config import compose_config

    cfg = compose_config([f"hydra/launcher={launcher}"], hydra_config=True)
    target = cfg.hydra.launcher._target_
    assert target.endswith("SlurmLauncher" if launcher == "slurm" else "JoblibLauncher")
