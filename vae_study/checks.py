"""The checks of a run's config that need neither torch nor Lightning, made before anything runs.

The entry point makes them before it loads the training stack, so a mistyped setting is
reported in a few seconds; :func:`vae_study.build.build_job` makes them again with the checks
that need torch (device, precision, data files, models). Each error is a one-line
:class:`~vae_study.errors.ConfigError` naming the key.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from omegaconf import DictConfig, OmegaConf

from vae_study.config import (
    Config,
    OptimizerConfig,
    PackConfig,
    PathsConfig,
    StudyConfig,
    TrainConfig,
)
from vae_study.errors import ConfigError
from vae_study.metrics.settings import EvaluationSettings

SCHEMA_NODES = {
    cls.__name__: cls
    for cls in (Config, TrainConfig, OptimizerConfig, PackConfig, StudyConfig, PathsConfig)
}
MODEL_KEYS = {
    "name", "strengths", "strength", "likelihood", "likelihood_sigma", "module", "objective",
    "estimator", "fit_samples", "global_steps_per_iteration",
}  # fmt: skip
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


def _unknown_keys(node: Any, schema: type, prefix: str = "") -> list[str]:
    """Keys of ``node`` that the dataclass ``schema`` (and those nested in it) has no field for."""
    known = {f.name: f.type for f in fields(schema)}
    unknown = [f"{prefix}{key}" for key in node if key not in known]
    for key, kind in known.items():
        nested = SCHEMA_NODES.get(kind)
        if nested is not None and key in node:
            unknown += _unknown_keys(node[key], nested, f"{prefix}{key}.")
    return unknown


def check_known_keys(cfg: DictConfig) -> None:
    """No key that nothing reads: a ``+key`` added by mistake would change the run's id and no
    result. The keys of the schema's nodes are its fields (:class:`vae_study.config.Config`); a
    model's keys those of ``conf/model/*.yaml`` (its constructor nodes are checked when they are
    built, as are those of the data set, the architecture and the trainer)."""
    unknown = _unknown_keys(cfg, Config)
    unknown += [f"model.{key}" for key in cfg.model if key not in MODEL_KEYS]
    if unknown:
        raise ConfigError(
            f"{unknown[0]} is not a vae-study setting: nothing reads it and it would change the "
            f"run id; remove +{unknown[0]}"
        )


def check_config(cfg: DictConfig) -> EvaluationSettings:
    """Known keys, seed, train and optimiser settings, model strength, packing and metrics; the
    evaluation settings the metrics config describes."""
    check_known_keys(cfg)
    check_seed(cfg.seed)
    check_train(cfg.train)
    check_model(cfg.model)
    check_pack(cfg)
    return EvaluationSettings.from_config(OmegaConf.to_container(cfg.metrics, resolve=True))
