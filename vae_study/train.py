"""One run, end to end: compose the config, train, take the representation, score it, record it.

``vae-study [overrides]`` (or ``-m`` for a sweep). The run's folder is
``<paths.results>/<study>/runs/<run_id>/``; Hydra writes its own files (``.hydra/``, the log)
there too, so everything about a run sits in one place keyed by its id.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import hydra
import lightning as L
import numpy as np
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.plugins.environments import SLURMEnvironment
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from torch import nn
from torch.utils.data import DataLoader

from vae_study.config import check_train_config, register_config
from vae_study.data.ground_truth import GroundTruthData
from vae_study.data.stream import BatchStream
from vae_study.errors import ConfigError
from vae_study.host_memory import retain_freed_memory
from vae_study.metrics import evaluate
from vae_study.models.baselines import check_baseline, fit_baseline
from vae_study.models.module import VAEModule, representation_function
from vae_study.models.objectives import Likelihood
from vae_study.results import (
    RECORD_NAME,
    RunRecord,
    exclusive,
    finished_record,
    now,
    reference_model_num,
    run_id,
)
from vae_study.tracking import finish, log_config

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
CHECKPOINTS = "checkpoints"
LAST_CHECKPOINT = f"{CHECKPOINTS}/last.ckpt"
WEIGHTS = "model.pt"
# trainer keys of the packed path (vae_study.packed), not lightning.Trainer arguments
PACKED_KEYS = ("pack", "speed")

log = logging.getLogger("vae_study")


def _run_id_resolver(*, _root_: DictConfig) -> str:
    return run_id(_root_, list(_root_.get("run_id_ignore", [])))


OmegaConf.register_new_resolver("run_id", _run_id_resolver, replace=True)
register_config()


def instantiate_named(cfg: DictConfig, **kwargs: Any) -> Any:
    """Instantiate a group's config; its ``name`` key is a label for records, not an argument."""
    arguments = {key: value for key, value in cfg.items() if key != "name"}
    return instantiate(arguments, **kwargs)


def check_model_config(model: DictConfig) -> None:
    strengths = list(model.strengths)
    if not 0 <= model.strength < len(strengths):
        raise ConfigError(
            f"model.strength is an index into model.strengths {strengths}: "
            f"use 0..{len(strengths) - 1}, got {model.strength}"
        )
    negative = [s for s in strengths if s < 0]
    if negative:
        raise ConfigError(f"model.strengths must be >= 0, got {negative} in {strengths}")


def build_module(cfg: DictConfig, observation_shape: tuple[int, ...]) -> VAEModule:
    """The configured model (``model.module``) over the configured architecture (``arch``)."""
    architecture = instantiate_named(cfg.arch, _partial_=True)

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


def _stream_start(checkpoint: Path | None) -> int:
    if checkpoint is None:
        return 0
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    return int(state["batches_seen"])


def is_baseline(cfg: DictConfig) -> bool:
    """Whether the model is a scikit-learn baseline (``model.estimator``) rather than a VAE."""
    return "estimator" in cfg.model


def _build(cfg: DictConfig) -> tuple[GroundTruthData, Any]:
    """Build data and model (seeded); config mistakes surface as one-line ``ConfigError``s."""
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    try:
        data = instantiate_named(cfg.dataset)
        if is_baseline(cfg):
            estimator = instantiate(cfg.model.estimator)
            check_baseline(estimator, data.observation_shape, cfg.model.fit_samples)
            return data, estimator
        return data, build_module(cfg, data.observation_shape)
    except InstantiationException as error:
        if isinstance(error.__cause__, ConfigError):
            raise error.__cause__ from None
        raise ConfigError(str(error).splitlines()[0]) from error
    except OmegaConfBaseException as error:
        raise ConfigError(str(error).splitlines()[0]) from error


def torch_threads(configured: int | None) -> int | None:
    """Torch threads for this job: ``train.threads`` if set, else the job's share of the cores.

    Under Slurm the share is ``SLURM_CPUS_PER_TASK``; under the local parallel launcher
    (``hydra/launcher=local``, joblib) it is cores // n_jobs, so parallel jobs never
    oversubscribe the machine. Otherwise None: torch's default, every core.
    """
    if configured is not None:
        return configured
    if "SLURM_CPUS_PER_TASK" in os.environ:
        return int(os.environ["SLURM_CPUS_PER_TASK"])
    cores = os.cpu_count() or 1
    if HydraConfig.initialized():
        n_jobs = HydraConfig.get().launcher.get("n_jobs")
        if n_jobs:
            return max(1, cores // (cores if n_jobs < 0 else n_jobs))
    return None


def configure_host(train: DictConfig) -> None:
    """Process-wide settings of a training job: torch threads (``train.threads``, see
    ``torch_threads``) and, with ``train.retain_host_memory``, glibc keeping freed memory for
    reuse (``vae_study.host_memory``), which removes a quarter of a CPU step's time."""
    threads = torch_threads(train.threads)
    if threads is not None:
        torch.set_num_threads(threads)
    if train.retain_host_memory and not retain_freed_memory():
        log.info("train.retain_host_memory: not available with this C library; left as it is")


def train_and_evaluate(cfg: DictConfig) -> RunRecord | None:
    """Run ``cfg`` unless its record already says ``done``; return the record it leaves.

    Every setting is checked, and data and model are built, before any training starts. Returns
    None when another process is running the same run right now (its lock is held).
    """
    if cfg.trainer.get("pack", 1) > 1:
        from vae_study.packed.run import train_pack

        return train_pack(cfg)
    check_train_config(cfg.train)
    check_model_config(cfg.model)
    identifier = run_id(cfg, list(cfg.run_id_ignore))
    run_dir = Path(cfg.paths.run_dir)
    record_path = run_dir / RECORD_NAME
    if (done := finished_record(record_path)) is not None:
        log.info("run %s is done already (%s): skipping", identifier, record_path)
        return done
    run_dir.mkdir(parents=True, exist_ok=True)
    with exclusive(run_dir) as acquired:
        if not acquired:
            log.info("run %s is running in another process (%s): skipping", identifier, run_dir)
            return None
        if (done := finished_record(record_path)) is not None:
            log.info("run %s finished in another process (%s): skipping", identifier, record_path)
            return done
        configure_host(cfg.train)
        data, model = _build(cfg)
        log_file = logging.FileHandler(run_dir / "run.log")
        log_file.setFormatter(
            logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] %(message)s")
        )
        logging.getLogger().addHandler(log_file)
        try:
            return _fit_and_score(cfg, identifier, run_dir, data, model)
        finally:
            logging.getLogger().removeHandler(log_file)
            log_file.close()


def _fit_and_score(
    cfg: DictConfig, identifier: str, run_dir: Path, data: GroundTruthData, model: Any
) -> RunRecord:
    """Fit the model, score its representation, and keep the record current throughout."""
    record = RunRecord(
        run_id=identifier,
        study=cfg.study.name,
        config=OmegaConf.to_container(cfg, resolve=True),
        model_num=reference_model_num(
            cfg.dataset.name, cfg.model.name, cfg.model.strength, cfg.seed
        ),
    )
    record.write(run_dir)
    data_seed = np.random.SeedSequence(cfg.seed).generate_state(1)[0]
    logger = instantiate(cfg.logger) if cfg.logger else None
    log_config(logger, record.config)
    started = time.perf_counter()
    try:
        if is_baseline(cfg):
            rng = np.random.default_rng(data_seed)
            fitted, final = fit_baseline(model, data, cfg.model.fit_samples, rng)
            record.train = {"fit_samples": cfg.model.fit_samples, "final": final}
            represent = fitted.represent
        else:
            _fit_vae(cfg, run_dir, data, model, int(data_seed), logger, record)
            represent = representation_function(model)
        record.train["seconds"] = time.perf_counter() - started
        record.train["threads"] = torch.get_num_threads()
        record.metrics = score(cfg.metrics, data, represent)
        record.status = "done"
    except Exception as error:
        record.status = "failed"
        record.error = f"{type(error).__name__}: {error}"
        raise
    finally:
        record.finished = now()
        record.write(run_dir)
        finish(logger, record, None if is_baseline(cfg) else model, data)
    if not is_baseline(cfg):
        if cfg.train.keep_weights:
            torch.save(model.state_dict(), run_dir / WEIGHTS)
        shutil.rmtree(run_dir / CHECKPOINTS, ignore_errors=True)
    log.info("run %s done: %s", identifier, run_dir / RECORD_NAME)
    return record


def score(metrics: DictConfig, data: GroundTruthData, represent: Any) -> dict[str, float]:
    """The ``metrics`` config's scores of ``represent`` on ``data`` (empty when it names none)."""
    if not metrics.names:
        return {}
    return evaluate(
        data, represent, list(metrics.names), metrics.seed,
        gbt_backend=metrics.gbt_backend, n_jobs=metrics.n_jobs,
        share_samples=metrics.share_samples, **metrics.params,
    )  # fmt: skip


def _fit_vae(
    cfg: DictConfig,
    run_dir: Path,
    data: GroundTruthData,
    module: VAEModule,
    data_seed: int,
    logger: Any,
    record: RunRecord,
) -> None:
    """Train ``module`` for ``train.steps`` steps with Lightning, resuming a checkpoint if any."""
    checkpoint = run_dir / LAST_CHECKPOINT
    resume_from = checkpoint if checkpoint.is_file() else None
    if resume_from is not None:
        log.info("resuming run %s from %s", record.run_id, resume_from)
    stream = BatchStream(data, cfg.train.batch_size, data_seed, _stream_start(resume_from))
    trainer = L.Trainer(
        **{key: value for key, value in cfg.trainer.items() if key not in PACKED_KEYS},
        max_steps=cfg.train.steps,
        logger=logger or False,
        # submitit requeues preempted Slurm tasks; Lightning must not requeue them a second time
        plugins=[SLURMEnvironment(auto_requeue=False)] if SLURMEnvironment.detect() else None,
        callbacks=[
            ModelCheckpoint(
                dirpath=checkpoint.parent,
                save_last=True,
                save_top_k=0,
                every_n_train_steps=cfg.train.checkpoint_every,
            )
        ],
        default_root_dir=run_dir,
        num_sanity_val_steps=0,
        enable_model_summary=False,
    )
    # The loader's own generator keeps it off the global torch RNG, whose state the checkpoint
    # restores: a resumed run then draws the noise of an uninterrupted one.
    loader = DataLoader(stream, batch_size=None, generator=torch.Generator())
    try:
        trainer.fit(module, loader, ckpt_path=resume_from)
    finally:
        record.train = {"steps": module.batches_seen, "final": module.recent_means()}


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="train")
def _hydra_main(cfg: DictConfig) -> Any:
    try:
        record = train_and_evaluate(cfg)
    except ConfigError as error:
        print(f"vae-study: config error: {error}", file=sys.stderr)
        sys.exit(2)
    return None if record is None else record.metrics


def main() -> None:
    """Console entry point (``vae-study``)."""
    _hydra_main()


if __name__ == "__main__":
    main()
