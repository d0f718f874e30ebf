"""Build: a composed config becomes what a job needs, with every setting checked first.

:func:`build_job` turns a config into a :class:`JobPlan`: the data set, the evaluation settings
(:class:`~vae_study.metrics.settings.EvaluationSettings`), the job's members (one per seed,
each with the run id, folder and config its single run would have) and a way to build each
member's model. Every check happens here, before any file is written or any step trained: the
torch-free ones of :mod:`vae_study.checks` (seeds, train and optimiser settings, model strength,
packing, metric names and every metric parameter), then the trainer's device and precision and
every model, objective and data set argument (by building the data and one model). A mistake is
a one-line :class:`~vae_study.errors.ConfigError` naming the key.

:func:`build_module` and :func:`build_data` also rebuild a finished run from its record
(``vae-study-viz``, ``vae-study-rescore``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.errors import HydraException, InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from torch import nn

from vae_study.checks import check_config
from vae_study.config import compose_config
from vae_study.data.ground_truth import GroundTruthData
from vae_study.errors import ConfigError
from vae_study.metrics.settings import EvaluationSettings
from vae_study.models.baselines import check_baseline
from vae_study.models.module import VAEModule
from vae_study.models.objectives import Likelihood
from vae_study.results import WEIGHTS_NAME, RunRecord, run_folder, run_id

LABEL = "name"  # a group's label for records and figures, not a constructor argument
ACCELERATORS = ("cpu", "gpu", "cuda", "auto")
PRECISIONS = ("32-true", "bf16-mixed", "16-mixed", "64-true", "bf16-true", "16-true")
GPU_PRECISIONS = ("16-mixed", "16-true")
# lightning.Trainer arguments the run sets itself (vae_study.fitting.lightning)
RESERVED_TRAINER_KEYS = ("max_steps", "logger", "callbacks", "plugins", "default_root_dir")


@dataclass(frozen=True)
class Member:
    """One run of a job: its config (with its own seed), id and folder."""

    cfg: DictConfig
    run_id: str
    run_dir: Path

    @property
    def seed(self) -> int:
        return int(self.cfg.seed)


@dataclass(frozen=True)
class BuiltModel:
    """A member's model as its run builds it, and the global torch RNG state right after.

    ``rng_state`` is the CPU generator's state, and ``cuda_rng_state`` the current CUDA
    device's when the run trains on a GPU: restoring them before training makes the
    reparameterisation noise independent of what happens between building and fitting.
    """

    model: Any
    rng_state: torch.Tensor
    cuda_rng_state: torch.Tensor | None


@dataclass(frozen=True)
class JobPlan:
    """A job, built and checked: its members, data, evaluation settings and model builder."""

    cfg: DictConfig
    members: list[Member]
    data: GroundTruthData
    evaluation: EvaluationSettings
    build_model: Callable[[Member], BuiltModel]
    probe: BuiltModel  # the first member's model, built to check the model settings
    device: torch.device

    @property
    def is_baseline(self) -> bool:
        return is_baseline(self.cfg)

    def model(self, member: Member) -> BuiltModel:
        """``member``'s model, built as its single run builds it (the first one already is)."""
        return self.probe if member is self.members[0] else self.build_model(member)


def is_baseline(cfg: DictConfig | Mapping[str, Any]) -> bool:
    """Whether the model is a scikit-learn baseline (``model.estimator``) rather than a VAE."""
    return "estimator" in cfg["model"]


def construct(node: DictConfig, **kwargs: Any) -> Any:
    """Instantiate a group's constructor node; its ``name`` label is left out.

    Labels stay inside the nodes (``dataset.name``, ``arch.name``) because a run's id is the
    hash of its resolved config: moving them would change the id of every existing run.
    """
    arguments = {key: value for key, value in node.items() if key != LABEL}
    return instantiate(arguments, **kwargs)


def build_data(cfg: DictConfig) -> GroundTruthData:
    """The configured data set (``dataset``); missing or bad files raise a one-line error."""
    return _one_line(lambda: construct(cfg.dataset))


def build_module(cfg: DictConfig, observation_shape: tuple[int, ...]) -> VAEModule:
    """The configured model (``model.module``) over the configured architecture (``arch``)."""
    architecture = construct(cfg.arch, _partial_=True)

    def networks(num_latent: int) -> tuple[nn.Module, nn.Module]:
        return architecture(observation_shape=tuple(observation_shape), num_latent=num_latent)

    return instantiate(
        cfg.model.module,
        networks=networks,
        num_latent=cfg.train.num_latent,
        likelihood=Likelihood(cfg.model.likelihood, cfg.model.likelihood_sigma),
        objective=instantiate(cfg.model.objective),
        optimizer=OmegaConf.to_container(cfg.train.optimizer),
    )


def evaluation_settings(
    metrics: str, overrides: Sequence[str] = (), config_dir: str | Path | None = None
) -> EvaluationSettings:
    """The settings of metrics group ``metrics`` (``conf/metrics/<metrics>.yaml``, or
    ``<config_dir>/metrics/<metrics>.yaml``), composed with Hydra with ``overrides``."""
    extra = [f"hydra.searchpath=[file://{Path(config_dir).resolve()}]"] if config_dir else []
    try:
        cfg = compose_config([f"metrics={metrics}", *extra, *overrides])
    except HydraException as error:
        raise ConfigError(f"metrics={metrics}: {str(error).splitlines()[0]}") from None
    return EvaluationSettings.from_config(OmegaConf.to_container(cfg.metrics, resolve=True))


@dataclass(frozen=True)
class TrainedRun:
    """A finished run rebuilt from its folder: its record, data set and trained VAE."""

    run_dir: Path
    record: RunRecord
    data: GroundTruthData
    module: VAEModule


def load_trained(run_dir: str | Path) -> TrainedRun:
    """Rebuild the run's data set and model from its record (its resolved config) and load its
    final weights (``model.pt``, read with ``weights_only=True``)."""
    run_dir = Path(run_dir)
    record = RunRecord.read(run_dir)
    weights = run_dir / WEIGHTS_NAME
    if not weights.is_file():
        raise FileNotFoundError(
            f"{weights} is missing (the run kept no weights, or its folder was shared without "
            f"them): train it again from its record with `vae-study-rerun {run_dir}`"
        )
    cfg = OmegaConf.create(record.trained_config())
    data = build_data(cfg)
    module = build_module(cfg, data.observation_shape)
    module.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    module.eval()
    return TrainedRun(run_dir, record, data, module)


def _one_line(make: Callable[[], Any]) -> Any:
    """``make()``, with Hydra's and OmegaConf's wrapped errors as one-line ConfigErrors."""
    try:
        return make()
    except InstantiationException as error:
        if isinstance(error.__cause__, ConfigError):
            raise error.__cause__ from None
        cause = error.__cause__ or error
        raise ConfigError(f"{str(error).splitlines()[0]} {cause}".strip()) from error
    except OmegaConfBaseException as error:
        raise ConfigError(str(error).splitlines()[0]) from error


def training_device(trainer: DictConfig) -> torch.device:
    """The device ``trainer.accelerator`` trains on (``auto``: a GPU if torch sees one)."""
    accelerator = trainer.accelerator
    on_gpu = accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
    return torch.device("cuda" if on_gpu else "cpu")


def _model_builder(data: GroundTruthData, device: torch.device) -> Callable[[Member], BuiltModel]:
    on_gpu = device.type == "cuda"

    def build(member: Member) -> BuiltModel:
        L.seed_everything(member.seed, workers=True, verbose=False)
        if is_baseline(member.cfg):
            model = _one_line(lambda: instantiate(member.cfg.model.estimator))
            check_baseline(model, data.observation_shape, member.cfg.model.fit_samples)
        else:
            model = _one_line(lambda: build_module(member.cfg, data.observation_shape))
        cuda_state = torch.cuda.get_rng_state() if on_gpu else None
        return BuiltModel(model, torch.get_rng_state(), cuda_state)

    return build


def member_configs(cfg: DictConfig) -> list[DictConfig]:
    """The configs of a job's runs: one per seed of ``pack.seeds`` (set by the sweep for a
    pack), else the job's own ``seed``."""
    seeds = list(cfg.pack.seeds) if cfg.pack.seeds is not None else [int(cfg.seed)]
    if len(seeds) == 1 and seeds[0] == cfg.seed:
        return [cfg]
    members = []
    for seed in seeds:
        member = OmegaConf.create(OmegaConf.to_container(cfg, resolve=False))
        member.seed = seed
        members.append(member)
    return members


def member(cfg: DictConfig) -> Member:
    """The run a config describes: its id and folder (:func:`vae_study.results.run_folder`)."""
    identifier = run_id(cfg, list(cfg.run_id_ignore))
    return Member(cfg, identifier, run_folder(cfg.paths.results, cfg.study.name, identifier))


def check_trainer(trainer: DictConfig) -> None:
    """Keys, device and precision of ``lightning.Trainer``, checked up front."""
    known = set(inspect.signature(L.Trainer.__init__).parameters) - {"self"}
    unknown = sorted(set(trainer) - known)
    if unknown:
        raise ConfigError(
            f"trainer has no settings {unknown}: they are not lightning.Trainer arguments"
        )
    given = {key: OmegaConf.select(trainer, key) for key in ("accelerator", "precision")}
    reserved = sorted(set(trainer) & set(RESERVED_TRAINER_KEYS))
    if reserved:
        raise ConfigError(f"trainer.{reserved[0]} is set by the run itself: remove it")
    accelerator, precision = given["accelerator"], str(given["precision"])
    if accelerator not in ACCELERATORS:
        raise ConfigError(f"trainer.accelerator must be one of {ACCELERATORS}, got {accelerator!r}")
    on_gpu = accelerator in ("gpu", "cuda")
    if on_gpu and not torch.cuda.is_available():
        raise ConfigError(
            f"trainer.accelerator={accelerator} but torch sees no CUDA GPU on this machine: "
            "use trainer=cpu"
        )
    if precision not in PRECISIONS:
        raise ConfigError(f"trainer.precision must be one of {PRECISIONS}, got {precision!r}")
    if precision in GPU_PRECISIONS and not on_gpu:
        raise ConfigError(
            f"trainer.precision={precision} needs a GPU: use 32-true or bf16-mixed on a CPU"
        )


def build_job(cfg: DictConfig) -> JobPlan:
    """Check ``cfg`` and build its job (see the module docstring); writes nothing."""
    evaluation = check_config(cfg)
    check_trainer(cfg.trainer)
    members = [member(config) for config in member_configs(cfg)]
    data = build_data(cfg)
    device = training_device(cfg.trainer)
    build_model = _model_builder(data, device)
    return JobPlan(cfg, members, data, evaluation, build_model, build_model(members[0]), device)
