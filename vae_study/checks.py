"""The checks of a run's config that need neither torch nor Lightning, made before anything runs.

The entry point makes them before it loads the training stack, so a mistyped setting is
reported in a few seconds; :func:`vae_study.build.build_job` makes them again with the checks
that need torch (device, precision, data files, models). Each error is a one-line
:class:`~vae_study.errors.ConfigError` naming the key.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

from vae_study.errors import ConfigError
from vae_study.metrics.settings import EvaluationSettings

PACK_MODES = ("auto", "vmap", "loop")
PACK_PRECISIONS = ("32-true", "bf16-mixed")


def check_seed(seed: Any, key: str = "seed") -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ConfigError(f"{key} must be an integer in 0..2**32-1, got {seed!r}")


def check_train(train: DictConfig) -> None:
    """Range checks on ``train`` that the schema's types cannot express."""
    for key in ("steps", "batch_size", "num_latent", "checkpoint_every"):
        if train[key] <= 0:
            raise ConfigError(f"train.{key} must be a positive integer, got {train[key]}")
    optimizer = train.optimizer
    if optimizer.lr <= 0:
        raise ConfigError(f"train.optimizer.lr must be positive, got {optimizer.lr}")
    betas = list(optimizer.betas)
    if len(betas) != 2 or not all(0 <= beta < 1 for beta in betas):
        raise ConfigError(
            f"train.optimizer.betas must be two numbers in [0, 1) (Adam's beta1, beta2), "
            f"got {betas}"
        )
    if optimizer.eps <= 0:
        raise ConfigError(f"train.optimizer.eps must be positive, got {optimizer.eps}")
    if train.threads is not None and train.threads <= 0:
        raise ConfigError(
            f"train.threads must be positive or null (all cores), got {train.threads}"
        )


def check_model(model: DictConfig) -> None:
    """The strength index and the grid it indexes."""
    strengths = list(model.strengths)
    if not 0 <= model.strength < len(strengths):
        raise ConfigError(
            f"model.strength is an index into model.strengths {strengths}: "
            f"use 0..{len(strengths) - 1}, got {model.strength}"
        )
    negative = [s for s in strengths if s < 0]
    if negative:
        raise ConfigError(f"model.strengths must be >= 0, got {negative} in {strengths}")


def check_pack(cfg: DictConfig) -> None:
    """``pack``: the size, the seeds a sweep gave the job, the mode and the precision."""
    pack = cfg.pack
    if pack.size < 1:
        raise ConfigError(f"pack.size must be a positive integer, got {pack.size}")
    if pack.mode not in PACK_MODES:
        raise ConfigError(f"pack.mode must be one of {PACK_MODES}, got {pack.mode!r}")
    if pack.seeds is not None:
        seeds = list(pack.seeds)
        if not seeds or len(set(seeds)) != len(seeds):
            raise ConfigError(f"pack.seeds must be distinct seeds, got {seeds}")
        for seed in seeds:
            check_seed(seed, "pack.seeds")
    if pack.size > 1 and cfg.trainer.precision not in PACK_PRECISIONS:
        raise ConfigError(
            f"pack.size > 1 trains in one of {PACK_PRECISIONS}, got trainer.precision="
            f"{cfg.trainer.precision}: use one of those or pack.size=1"
        )


def check_config(cfg: DictConfig) -> EvaluationSettings:
    """Seed, train and optimiser settings, model strength, packing and metrics; the evaluation
    settings the metrics config describes."""
    check_seed(cfg.seed)
    check_train(cfg.train)
    check_model(cfg.model)
    check_pack(cfg)
    return EvaluationSettings.from_config(OmegaConf.to_container(cfg.metrics, resolve=True))
