"""The config schema, its resolvers, and composing a config outside a run.

The YAML files under ``conf/`` hold every default; the dataclasses here only fix the types of
the keys every run has (``MISSING`` everywhere), so a wrong type stops at composition time with
the key's name. Range checks that a type cannot express are made by :mod:`vae_study.build`
before anything is written or trained.

Importing this module loads Hydra and OmegaConf only: never torch or Lightning, so every
command line starts in well under a second.
"""

from __future__ import annotations

import netrc
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from vae_study.results import run_folder, run_id

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
CONFIG_NAME = "train"
WANDB_HOST = "api.wandb.ai"


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
class PackConfig:
    size: int = MISSING
    seeds: list[int] | None = MISSING
    mode: str = MISSING
    compile: bool = MISSING
    cuda_graphs: bool = MISSING
    fused_adam: bool = MISSING


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
    pack: PackConfig = field(default_factory=PackConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    run_id_ignore: list[str] = MISSING
    dataset: Any = MISSING
    model: Any = MISSING
    arch: Any = MISSING
    metrics: Any = MISSING
    trainer: Any = MISSING
    logger: Any = None


def wandb_mode() -> str:
    """W&B's mode for ``wandb.init(mode=...)``: ``WANDB_MODE`` when set, else ``online`` with an
    API key (``WANDB_API_KEY`` or a ``~/.netrc`` entry for api.wandb.ai), else ``offline``, so
    neither a test nor a default launch ever waits on a server."""
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    if os.environ.get("WANDB_API_KEY"):
        return "online"
    try:
        has_entry = netrc.netrc().authenticators(WANDB_HOST) is not None
    except (FileNotFoundError, netrc.NetrcParseError):
        has_entry = False
    return "online" if has_entry else "offline"


def _index(sequence: Any, position: int) -> Any:
    return sequence[position]


def _run_id(*, _root_: DictConfig) -> str:
    return run_id(_root_, list(_root_.get("run_id_ignore", [])))


def _run_dir(*, _root_: DictConfig) -> str:
    return str(run_folder(_root_.paths.results, _root_.study.name, _run_id(_root_=_root_)))


def register() -> None:
    """Register the schema (``schema`` in ``conf/train.yaml``'s defaults list) and resolvers.

    ``${index:LIST,I}`` picks element I of a list (the models pick their strength with it,
    ``${index:${model.strengths},${model.strength}}``); ``${run_id:}`` is the run's id
    (:func:`vae_study.results.run_id`), ``${run_dir:}`` its folder
    (:func:`vae_study.results.run_folder`) and ``${wandb_mode:}`` W&B's mode (:func:`wandb_mode`).
    """
    ConfigStore.instance().store(name="schema", node=Config)
    OmegaConf.register_new_resolver("index", _index, replace=True)
    OmegaConf.register_new_resolver("run_id", _run_id, replace=True)
    OmegaConf.register_new_resolver("run_dir", _run_dir, replace=True)
    OmegaConf.register_new_resolver("wandb_mode", wandb_mode, replace=True)


def compose_config(overrides: Sequence[str] = (), *, hydra_config: bool = False) -> DictConfig:
    """The config ``vae-study <overrides>`` would run, composed with Hydra's public API."""
    register()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(CONFIG_NAME, overrides=list(overrides), return_hydra_config=hydra_config)


register()
