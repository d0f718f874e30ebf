"""One VAE trained with PyTorch Lightning for ``train.steps`` steps, resuming its checkpoint.

The data are the run's i.i.d. stream (:class:`vae_study.data.stream.BatchStream`, seeded by
:func:`~vae_study.data.stream.data_seed`); Lightning saves ``checkpoints/last.ckpt`` every
``train.checkpoint_every`` steps, and a relaunch resumes from it with the stream restarted at the
step it had reached and the global RNG state it had, so it ends as an uninterrupted run would.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.plugins.environments import SLURMEnvironment
from torch.utils.data import DataLoader

from vae_study.build import JobPlan
from vae_study.data.stream import BatchStream, data_seed
from vae_study.fitting import FitOutcome, Run
from vae_study.models.module import VAEModule, representation_function

CHECKPOINTS = "checkpoints"
LAST_CHECKPOINT = f"{CHECKPOINTS}/last.ckpt"

log = logging.getLogger(__name__)


def _stream_start(checkpoint: Path | None) -> int:
    if checkpoint is None:
        return 0
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    return int(state["batches_seen"])


class LightningFitter:
    """Trains each run's VAE with ``lightning.Trainer`` (``trainer.*`` are its arguments)."""

    def __init__(self, plan: JobPlan) -> None:
        self.plan = plan

    def fit(self, runs: Sequence[Run]) -> list[FitOutcome]:
        return [self._fit(run) for run in runs]

    def _fit(self, run: Run) -> FitOutcome:
        cfg, run_dir = run.member.cfg, run.member.run_dir
        built = self.plan.model(run.member)
        module: VAEModule = built.model
        torch.set_rng_state(built.rng_state)
        if built.cuda_rng_state is not None:
            torch.cuda.set_rng_state(built.cuda_rng_state)
        checkpoint = run_dir / LAST_CHECKPOINT
        resume_from = checkpoint if checkpoint.is_file() else None
        if resume_from is not None:
            log.info("resuming run %s from %s", run.member.run_id, resume_from)
        stream = BatchStream(
            self.plan.data, cfg.train.batch_size, data_seed(run.member.seed),
            _stream_start(resume_from),
        )  # fmt: skip
        trainer = L.Trainer(
            **cfg.trainer,
            max_steps=cfg.train.steps,
            logger=run.logger or False,
            # submitit requeues preempted Slurm tasks; Lightning must not requeue them again
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
        # The loader's own generator keeps it off the global torch RNG, whose state the
        # checkpoint restores: a resumed run then draws the noise of an uninterrupted one.
        loader = DataLoader(stream, batch_size=None, generator=torch.Generator())
        try:
            trainer.fit(module, loader, ckpt_path=resume_from)
        finally:
            run.record.train = {"steps": module.batches_seen, "final": module.recent.means()}
        return FitOutcome(represent=representation_function(module), module=module)
