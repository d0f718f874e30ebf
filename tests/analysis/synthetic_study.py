"""Synthetic studies for the analysis tests: run records with planted structure, no training.

A run's scores follow a latent "quality" q = model effect + strength effect + seed noise; the
disentanglement metrics and downstream accuracies are noisy increasing functions of q, modularity
is independent of it. Keys are the metrics package's own (:func:`vae_study.metrics.output_keys`).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict
from pathlib import Path

import numpy as np

from vae_study.metrics import METRICS, output_keys
from vae_study.results import RECORD_NAME, RunRecord

KEYS = [k for k in output_keys(list(METRICS)) if not k.startswith("time.")]
GRIDS = {
    "beta_vae": [1.0, 2.0, 4.0, 6.0, 8.0, 16.0],
    "factor_vae": [10.0, 20.0, 30.0, 40.0, 50.0, 100.0],
    "dip_vae_i": [1.0, 2.0, 5.0, 10.0, 20.0, 50.0],
    "annealed_vae": [5.0, 10.0, 25.0, 50.0, 75.0, 100.0],
    "beta_tcvae": [1.0, 2.0, 4.0, 6.0, 8.0, 10.0],
    "dip_vae_ii": [1.0, 2.0, 5.0, 10.0, 20.0, 50.0],
}
SWEPT = {"beta_vae": "beta", "factor_vae": "gamma", "dip_vae_i": "lambda_od",
         "annealed_vae": "c_max", "beta_tcvae": "beta", "dip_vae_ii": "lambda_od"}  # fmt: skip
"""The objective's key each model's strength sets, as in ``conf/model/``."""
MODELS = ("beta_vae", "factor_vae", "dip_vae_i")
"""The models of a study unless told otherwise; all six of :data:`GRIDS` make the paper's."""
QUALITY_ORDER = ("beta_vae", "dip_vae_i", "factor_vae", "annealed_vae", "beta_tcvae", "dip_vae_ii")
"""A model's effect on quality is 0.1 x its position here."""
VERSIONS = {"python": "3.11", "torch": "test"}


def _scores(quality: float, rng: np.random.Generator) -> dict[str, float]:
    scores = {}
    for key in KEYS:
        if key == "modularity":
            scores[key] = float(rng.uniform(0.7, 1.0))
        elif key.endswith("efficiency"):
            scores[key] = float(0.6 + 0.3 * quality + 0.05 * rng.normal())
        else:
            scores[key] = float(np.clip(quality + 0.1 * rng.normal(), 0.0, 1.0))
    return scores


def synthetic_record(
    study: str, dataset: str, model: str, strength: int, seed: int, *, status: str = "done"
) -> dict:
    """A record as ``vae-study`` writes it, with planted scores (see the module docstring)."""
    rng = np.random.default_rng([zlib.crc32(f"{dataset}/{model}".encode()), strength, seed])
    quality = 0.2 + 0.1 * QUALITY_ORDER.index(model) + 0.08 * strength + 0.1 * rng.normal()
    config = {
        "seed": seed,
        "study": study,
        "dataset": {"name": dataset, "path": None},
        "model": {
            "name": model,
            "strengths": GRIDS[model],
            "strength": strength,
            "objective": {SWEPT[model]: GRIDS[model][strength]},
        },
        "train": {"steps": 300000, "batch_size": 64, "num_latent": 10},
    }
    record = RunRecord(
        run_id=f"{dataset[:4]}{model}{strength}{seed:04d}",
        study=study,
        config=config,
        status=status,
        metrics=_scores(quality, rng) if status == "done" else {},
        train={"steps": 300000, "seconds": 3600.0, "final": {"loss": 30.0 - 10 * quality}},
        versions=VERSIONS,
        error="RuntimeError: diverged" if status == "failed" else None,
    )
    return asdict(record)


def write_records(runs_dir: Path, records: list[dict]) -> None:
    for record in records:
        run_dir = runs_dir / record["run_id"]
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / RECORD_NAME).write_text(json.dumps(record))


def write_study(
    results: Path, study: str, datasets: dict[str, int], models=MODELS, strengths=range(6)
) -> Path:
    """Records of ``datasets`` (name -> seeds per model and strength) under ``results/study``."""
    records = [
        synthetic_record(study, dataset, model, strength, seed)
        for dataset, seeds in datasets.items()
        for model in models
        for strength in strengths
        for seed in range(seeds)
    ]
    write_records(results / study / "runs", records)
    return results / study


def write_small_study(results: Path) -> None:
    """Study "synthetic" under ``results``: dSprites and Noisy-dSprites fully crossed (3 models x
    3 strengths x 3 seeds each), and a data set with only two runs."""
    write_study(results, "synthetic", {"dsprites": 3, "noisy_dsprites": 3}, strengths=(0, 2, 5))
    write_study(results, "synthetic", {"cars3d": 1}, models=("beta_vae",), strengths=(0, 1))
