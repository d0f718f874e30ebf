"""A config with ``trainer.pack = K > 1``: K member runs (seeds seed .. seed + K - 1), one pack.

A sweep maps onto packs without changing its definition: ``vae-study -m study=locatello
trainer.pack=50`` launches every job of the study as before; the job whose seed is a multiple of
K trains the K seeds from its own on as one pack, and the other jobs return at once (their seeds
are members of a pack). Each member gets the run id, folder, lock and record its single run
would have (``trainer.pack`` and ``trainer.speed`` are in ``run_id_ignore``), so
``vae-study-status`` and the analysis see no difference; members already done, or running in
another process, are left out of the pack. Packed runs log no training curves and do not resume
from checkpoints: an interrupted pack trains its unfinished members again from step 0.

Models that cannot be packed (FactorVAE, whose discriminator has an optimiser of its own, the
hierarchical VAE, the autoencoder and the scikit-learn baselines) keep the same mapping: the
leading job trains its K seeds one after another as single runs, so a whole study can be
launched with one ``trainer.pack``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path

import lightning as L
import numpy as np
import torch
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf

from vae_study.config import check_train_config
from vae_study.data.torch_render import PackedStream
from vae_study.models.module import VAEModule, representation_function
from vae_study.packed.loop import PackedTrainer, SpeedOptions, member_generator
from vae_study.packed.model import PACKED_OBJECTIVES, PackedVAE, resolve_pack_mode
from vae_study.results import (
    RECORD_NAME,
    RunRecord,
    exclusive,
    finished_record,
    now,
    reference_model_num,
    run_id,
)

log = logging.getLogger("vae_study")


def member_configs(cfg: DictConfig) -> list[DictConfig]:
    """The configs of the pack's members: ``cfg`` with seeds seed .. seed + K - 1."""
    members = []
    for seed in range(cfg.seed, cfg.seed + cfg.trainer.pack):
        member = OmegaConf.create(OmegaConf.to_container(cfg, resolve=False))
        member.seed = seed
        members.append(member)
    return members


def speed_options(cfg: DictConfig) -> SpeedOptions:
    """``trainer.speed`` switches, and bf16 autocast from ``trainer.precision=bf16-mixed``."""
    switches = dict(cfg.trainer.get("speed") or {})
    return SpeedOptions(bf16=cfg.trainer.precision == "bf16-mixed", **switches)


def unpackable(model: DictConfig) -> str | None:
    """Why ``model`` cannot be packed, or None if it can."""
    if "estimator" in model:
        return f"{model.name} is a scikit-learn baseline"
    module, objective = (get_class(model[key]._target_) for key in ("module", "objective"))
    if module is not VAEModule or objective not in PACKED_OBJECTIVES:
        return f"{model.name} ({objective.__name__} on {module.__name__}) has no packed form"
    return None


def train_pack(cfg: DictConfig) -> RunRecord | None:
    """Train the pack led by ``cfg`` and write every member's record; None if not a leader."""
    from vae_study.train import check_model_config, instantiate_named

    size = cfg.trainer.pack
    if cfg.seed % size:
        leader = cfg.seed - cfg.seed % size
        log.info("seed %d is a member of the pack led by seed %d", cfg.seed, leader)
        return None
    check_train_config(cfg.train)
    check_model_config(cfg.model)
    if (reason := unpackable(cfg.model)) is not None:
        return _train_one_by_one(cfg, reason)
    with contextlib.ExitStack() as locks:
        members = []
        for member in member_configs(cfg):
            run_dir = Path(member.paths.run_dir)
            if finished_record(run_dir / RECORD_NAME) is not None:
                continue
            run_dir.mkdir(parents=True, exist_ok=True)
            if locks.enter_context(exclusive(run_dir)):
                members.append(member)
        if not members:
            log.info("every member of the pack led by seed %d is done or running", cfg.seed)
            return None
        data = instantiate_named(cfg.dataset)
        return _train_members(members, data)


def _train_one_by_one(cfg: DictConfig, reason: str) -> RunRecord | None:
    """The pack's seeds as single runs, one after another (each resumes, logs and skips alone)."""
    from vae_study.train import train_and_evaluate

    log.warning(
        "trainer.pack=%d: %s; training seeds %d..%d one after another",
        cfg.trainer.pack, reason, cfg.seed, cfg.seed + cfg.trainer.pack - 1,
    )  # fmt: skip
    records = []
    for member in member_configs(cfg):
        member.trainer.pack = 1
        records.append(train_and_evaluate(member))
    return records[0]


def _train_members(members: list[DictConfig], data: object) -> RunRecord:
    from vae_study.train import WEIGHTS, build_module, configure_host, score

    cfg = members[0]
    configure_host(cfg.train)
    device = torch.device("cuda" if cfg.trainer.accelerator == "gpu" else "cpu")
    records, modules, generators, data_seeds = [], [], [], []
    for member in members:
        record = RunRecord(
            run_id=run_id(member, list(member.run_id_ignore)),
            study=member.study.name,
            config=OmegaConf.to_container(member, resolve=True),
            model_num=reference_model_num(
                member.dataset.name, member.model.name, member.model.strength, member.seed
            ),
        )
        record.write(member.paths.run_dir)
        records.append(record)
        data_seeds.append(int(np.random.SeedSequence(member.seed).generate_state(1)[0]))
        L.seed_everything(member.seed, workers=True, verbose=False)
        modules.append(build_module(member, data.observation_shape))
        generators.append(member_generator(device))
    log.info("training a pack of %d members on %s", len(members), device)
    started = time.perf_counter()
    speed = speed_options(cfg)
    pack = PackedVAE(modules, resolve_pack_mode(speed.pack_mode, device)).to(device)
    stream = PackedStream(data, cfg.train.batch_size, data_seeds, device)
    trainer = PackedTrainer(pack, stream, generators, cfg.train.optimizer, speed)
    outcomes = trainer.fit(cfg.train.steps)
    seconds = time.perf_counter() - started
    for member, record, module, outcome in zip(members, records, modules, outcomes, strict=True):
        record.train = {
            "steps": outcome.steps,
            "final": outcome.final,
            "seconds": seconds,
            "threads": torch.get_num_threads(),
            "pack": len(members),
        }
        run_dir = Path(member.paths.run_dir)
        if outcome.error is not None:
            record.status, record.error = "failed", outcome.error
        else:
            record.metrics = score(member.metrics, data, representation_function(module))
            record.status = "done"
            if member.train.keep_weights:
                torch.save(module.state_dict(), run_dir / WEIGHTS)
        record.finished = now()
        record.write(run_dir)
        log.info("run %s %s: %s", record.run_id, record.status, run_dir / RECORD_NAME)
    return records[0]
