"""The config schema, checked by Hydra when the config is composed, and the user-facing error.

The YAML files under ``conf/`` hold every default; these dataclasses only fix the types of the
top-level keys (``MISSING`` everywhere), so a typo or a wrong type stops at composition time with
the key's name. Range checks that a type cannot express live in the objects that use the values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

from vae_study.errors import ConfigError
from vae_study.tracking import wandb_mode


@dataclass
class OptimizerConfig:
    lr: float = MISSING
    betas: list[float] = MISSING
    eps: float = MISSING


@dataclass
class TrainConfig:
    steps: int = MISSING
    batch_size: int = MISSING
    num_latent: int = MISSING
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    checkpoint_every: int = MISSING
    keep_weights: bool = MISSING
    threads: int | None = MISSING
    retain_host_memory: bool = MISSING


@dataclass
class StudyConfig:
    name: str = MISSING


@dataclass
class PathsConfig:
    results: str = MISSING
    run_dir: str = MISSING


@dataclass
class Config:
    seed: int = MISSING
    study: StudyConfig = field(default_factory=StudyConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    run_id_ignore: list[str] = MISSING
    dataset: Any = MISSING
    model: Any = MISSING
    arch: Any = MISSING
    metrics: Any = MISSING
    trainer: Any = MISSING
    logger: Any = None


def _index(sequence: Any, position: int) -> Any:
    return sequence[position]


def register_config() -> None:
    """Register the schema (``schema`` in ``conf/train.yaml``'s defaults list) and the resolvers.

    ``${index:LIST,I}`` picks element I of a list: the models pick their strength with it,
    ``${index:${model.strengths},${model.strength}}``. ``${wandb_mode:}`` is W&B's mode
    (:func:`vae_study.tracking.wandb_mode`).
    """
    ConfigStore.instance().store(name="schema", node=Config)
    OmegaConf.register_new_resolver("index", _index, replace=True)
    OmegaConf.register_new_resolver("wandb_mode", wandb_mode, replace=True)


def check_train_config(train: Any) -> None:
    """Range checks on ``train`` that the schema's types cannot express."""
    for key in ("steps", "batch_size", "num_latent", "checkpoint_every"):
        if train[key] <= 0:
            raise ConfigError(f"train.{key} must be a positive integer, got {train[key]}")
    if train.optimizer.lr <= 0:
        raise ConfigError(f"train.optimizer.lr must be positive, got {train.optimizer.lr}")
    if train.threads is not None and train.threads <= 0:
        raise ConfigError(
            f"train.threads must be positive or null (all cores), got {train.threads}"
        )
