"""The config schema, its resolvers, and composing a config outside a run.

The YAML files under ``conf/`` hold every default; the dataclasses here only fix the types of
the keys every run has (``MISSING`` everywhere), so a wrong type stops at composition time with
the key's name. Range checks that a type cannot express are made by :mod:`vae_study.build`
before anything is written or trained.

Importing this module loads Hydra and OmegaConf only: never torch or Lightning, so every
command line starts in well under a second.
"""

from __future__ import annotations

import difflib
import netrc
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import MISSING, DictConfig, OmegaConf

from vae_study.errors import ConfigError
from vae_study.results import run_folder, run_id
from vae_study.sweep import expand

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


def default_results() -> Path:
    """The results root of ``conf/train.yaml`` (``paths.results``), read without composing, for
    the tools that find runs by id."""
    return Path(str(OmegaConf.load(CONF_DIR / f"{CONFIG_NAME}.yaml").paths.results))


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


def _iterations(global_steps: int, *, _root_: DictConfig) -> int:
    """Optimizer iterations for ``global_steps`` of the reference's TF global step: a model
    whose iteration advances it more than once (``model.global_steps_per_iteration``,
    FactorVAE's two optimizers) trains proportionally fewer."""
    per_iteration = _root_.model.get("global_steps_per_iteration", 1)
    return int(global_steps) // int(per_iteration)


def _run_id(*, _root_: DictConfig) -> str:
    return run_id(_root_, list(_root_.get("run_id_ignore", [])))


def _run_dir(*, _root_: DictConfig) -> str:
    return str(run_folder(_root_.paths.results, _root_.study.name, _run_id(_root_=_root_)))


def register() -> None:
    """Register the schema (``schema`` in ``conf/train.yaml``'s defaults list) and resolvers.

    ``${index:LIST,I}`` picks element I of a list (the models pick their strength with it,
    ``${index:${model.strengths},${model.strength}}``); ``${iterations:N}`` is N reference
    global steps as optimizer iterations (:func:`_iterations`); ``${run_id:}`` is the run's id
    (:func:`vae_study.results.run_id`), ``${run_dir:}`` its folder
    (:func:`vae_study.results.run_folder`) and ``${wandb_mode:}`` W&B's mode (:func:`wandb_mode`).
    """
    ConfigStore.instance().store(name="schema", node=Config)
    OmegaConf.register_new_resolver("index", _index, replace=True)
    OmegaConf.register_new_resolver("iterations", _iterations, replace=True)
    OmegaConf.register_new_resolver("run_id", _run_id, replace=True)
    OmegaConf.register_new_resolver("run_dir", _run_dir, replace=True)
    OmegaConf.register_new_resolver("wandb_mode", wandb_mode, replace=True)


def compose_config(overrides: Sequence[str] = (), *, hydra_config: bool = False) -> DictConfig:
    """The config ``vae-study <overrides>`` would run, composed with Hydra's public API (inside
    a running ``vae-study``, with its own config search path)."""
    register()
    if GlobalHydra.instance().is_initialized():
        return compose(CONFIG_NAME, overrides=list(overrides), return_hydra_config=hydra_config)
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(CONFIG_NAME, overrides=list(overrides), return_hydra_config=hydra_config)


register()


# Hydra's own options (hydra/_internal/utils.py: get_args_parser): those that take a value, and
# those that make vae-study do something other than compose and run (left to Hydra).
_FLAGS_WITH_VALUE = ("--cfg", "-c", "--package", "-p")
_OTHER_MODES = (
    "-h", "--help", "--hydra-help", "--version", "-sc", "--shell-completion", "-i", "--info",
    "-cp", "--config-path", "-cn", "--config-name", "-cd", "--config-dir",
    "--experimental-rerun",
)  # fmt: skip


def _overrides(args: Sequence[str]) -> tuple[list[str], bool] | None:
    """The overrides of a ``vae-study`` command line and whether it sweeps (``-m``); None when
    the command line asks Hydra for something else (help, another config folder, ...)."""
    overrides, multirun, skip = [], False, False
    for arg in args:
        if skip:
            skip = False
        elif arg.split("=", 1)[0] in _OTHER_MODES:
            return None
        elif arg in _FLAGS_WITH_VALUE:
            skip = True
        elif arg in ("-m", "--multirun"):
            multirun = True
        elif not arg.startswith("-"):
            overrides.append(arg)
    return overrides, multirun


def group_options(group: str) -> list[str]:
    """The options of a config group under ``conf/`` (base files that others extend left out)."""
    return sorted(
        p.stem for p in (CONF_DIR / group).glob("*.yaml") if not p.stem.startswith("base")
    )


def _suggest(word: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _missing_key(override: str, overrides: Sequence[str]) -> str:
    key = override.split("=", 1)[0].lstrip("+~")
    parent, _, leaf = key.rpartition(".")
    try:
        cfg = compose_config([o for o in overrides if o != override])
        node = OmegaConf.select(cfg, parent) if parent else cfg
    except HydraException:
        node = None
    keys = [str(k) for k in node] if OmegaConf.is_dict(node) else []
    close = difflib.get_close_matches(leaf, keys, n=1, cutoff=0.6)
    suggestion = f" (did you mean {parent + '.' if parent else ''}{close[0]}?)" if close else ""
    return f"{key}: no such setting{suggestion}"


def explain_composition_error(error: HydraException, overrides: Sequence[str]) -> str:
    """One line for a Hydra composition error: the key or group option it is about, and the
    nearest existing one when it looks misspelled."""
    text = str(error)
    if match := re.search(r"Could not find '([^']+)/([^']+)'", text):
        group, option = match.groups()
        options = group_options(group)
        listed = f"; options: {', '.join(options)}" if options else ""
        return f"{group}={option}: no such option{_suggest(option, options)}{listed}"
    if match := re.search(r"Could not override '([^']+)'", text):
        override = next(o for o in overrides if o.split("=", 1)[0].lstrip("+~") == match[1])
        return _missing_key(override, overrides)
    cause = error.__cause__
    first = text.splitlines()[0] if text else type(error).__name__
    if cause is not None and str(cause):
        return f"{first}: {str(cause).splitlines()[0]}"
    return first


def compose_command_line(args: Sequence[str]) -> tuple[DictConfig, bool] | None:
    """The config a ``vae-study`` command line composes (for a sweep, ``-m``, its first job's,
    with every swept group option checked) and whether it sweeps; None when the command line is
    for Hydra itself (help, another config folder). A composition error is a one-line
    :class:`~vae_study.errors.ConfigError`."""
    parsed = _overrides(args)
    if parsed is None:
        return None
    overrides, multirun = parsed
    try:
        jobs = expand(overrides) if multirun else [overrides]
    except HydraException as error:
        raise ConfigError(str(error).splitlines()[0]) from None
    searched = any(o.startswith("hydra.searchpath") for o in overrides)
    for job in [] if searched else jobs:  # other config folders: Hydra checks their options
        for override in job:
            key, _, option = override.partition("=")
            group = key.lstrip("+~")
            if (CONF_DIR / group).is_dir() and option and option not in group_options(group):
                options = group_options(group)
                raise ConfigError(
                    f"{group}={option}: no such option{_suggest(option, options)}; "
                    f"options: {', '.join(options)}"
                )
    try:
        return compose_config(jobs[0]), multirun
    except HydraException as error:
        raise ConfigError(explain_composition_error(error, jobs[0])) from None
