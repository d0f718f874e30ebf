"""Experiment tracking around one run: the curve logger, the resolved config, the final record.

``logger`` is a Lightning logger (``conf/logger/*.yaml``): CSV curves in the run folder, or
Weights & Biases, offline unless an API key is configured (:func:`vae_study.config.wandb_mode`;
upload later with ``wandb sync <run_dir>/wandb/offline-run-*``). Each run is one W&B run with the
run's id as its W&B id, so a resumed run continues its own W&B run; several runs of one process
(a pack's members) each get their own (``reinit: create_new``). A run is finished explicitly,
with its status and error, even when training fails; a finished VAE's run also gets image panels
of reconstructions and latent traversals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hydra.utils import instantiate
from lightning.pytorch.loggers import Logger, WandbLogger
from omegaconf import DictConfig

from vae_study.data.ground_truth import GroundTruthData
from vae_study.models.module import VAEModule
from vae_study.models.pictures import reconstructions, tile, traversals
from vae_study.results import RunRecord


def make_logger(logger: DictConfig | None, config: dict[str, Any]) -> Logger | None:
    """The configured logger (None for ``logger=none``), with the run's resolved config
    recorded (``hparams.yaml`` for CSV, W&B's config)."""
    if not logger:
        return None
    made = instantiate(logger)
    made.log_hyperparams(config)
    return made


def pictures(module: VAEModule, data: GroundTruthData, seed: int) -> dict[str, np.ndarray]:
    """Image panels of a trained VAE on image data: 8 observations over their reconstructions,
    and the latent traversals of the first one (one row per latent, +-2 prior std)."""
    _, observations = data.sample(8, np.random.default_rng(seed))
    if observations.ndim != 4:
        return {}
    pairs = np.stack([observations, reconstructions(module, observations)])  # (2, 8, C, H, W)
    return {
        "reconstructions": tile(pairs),
        "traversals": tile(traversals(module, observations[0])),
    }


def finish(
    logger: Logger | None,
    record: RunRecord,
    module: VAEModule | None = None,
    data: GroundTruthData | None = None,
) -> None:
    """Close the logger with the record's outcome: the CSV file is flushed; a W&B run gets the
    metrics as summary, status, error, and for a trained VAE the image panels of
    :func:`pictures`."""
    if logger is None:
        return
    if not isinstance(logger, WandbLogger):
        logger.finalize("success" if record.status == "done" else "failed")
        return
    run = logger.experiment
    if record.status == "done" and module is not None and data is not None:
        import wandb

        panels = pictures(module, data, seed=0)
        run.log({f"pictures/{name}": wandb.Image(image) for name, image in panels.items()})
    run.summary.update({f"metrics/{name}": value for name, value in record.metrics.items()})
    run.summary.update({f"train/final_{k}": v for k, v in record.train.get("final", {}).items()})
    run.summary["status"] = record.status
    if record.error:
        run.summary["error"] = record.error
    run.finish(exit_code=0 if record.status == "done" else 1)
