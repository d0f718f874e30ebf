"""Experiment tracking around one run: hyperparameters, the final record, W&B's run life cycle.

Weights & Biases (``logger=wandb``) runs offline unless an API key is configured, so neither a
test nor a default launch ever waits on a server: ``WANDB_MODE`` wins when set, else ``online``
with a key (``WANDB_API_KEY`` or a ``~/.netrc`` entry for api.wandb.ai), else ``offline``
(upload later with ``wandb sync <run_dir>/wandb/offline-run-*``). Each Hydra job is one W&B run
with the run's id as its W&B id, so a resumed run continues its own W&B run, and it is finished
explicitly, with its status and error, even when training fails; a finished VAE's run also gets
image panels of reconstructions and latent traversals.
"""

from __future__ import annotations

import netrc
import os
from typing import Any

import numpy as np
from lightning.pytorch.loggers import Logger, WandbLogger

from vae_study.analysis.pictures import reconstructions, tile, traversals
from vae_study.data.ground_truth import GroundTruthData
from vae_study.models.module import VAEModule
from vae_study.results import RunRecord

WANDB_HOST = "api.wandb.ai"


def wandb_mode() -> str:
    """``online``, ``offline`` or ``disabled`` for ``wandb.init(mode=...)``; see the module doc."""
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    if os.environ.get("WANDB_API_KEY"):
        return "online"
    try:
        has_entry = netrc.netrc().authenticators(WANDB_HOST) is not None
    except (FileNotFoundError, netrc.NetrcParseError):
        has_entry = False
    return "online" if has_entry else "offline"


def log_config(logger: Logger | None, config: dict[str, Any]) -> None:
    """Record the resolved config with the logger (``hparams.yaml`` for CSV, W&B's config)."""
    if logger:
        logger.log_hyperparams(config)


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
    """Close the logger's run with the record's outcome: metrics as summary, status, error, and
    for a trained VAE the image panels of :func:`pictures`."""
    if not isinstance(logger, WandbLogger):
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
