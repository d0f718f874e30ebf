"""One VAE trained with PyTorch Lightning for ``train.steps`` steps, resuming its checkpoint.

The data are the run's i.i.d. stream (:class:`vae_study.data.stream.BatchStream`, seeded by
:func:`~vae_study.data.stream.data_seed`). Lightning saves ``checkpoints/last.ckpt`` every
``train.checkpoint_every`` steps and once more when training ends, each time atomically in the
run's own folder (:class:`AtomicCheckpointIO`). A relaunch resumes from it with the stream
restarted at the step it had reached, the global RNG state and the recent loss terms it had,
and the curves cut back to that step, so it ends as an uninterrupted run would. A checkpoint
that cannot be read is set aside (``last.ckpt.unreadable``) with a one-line warning and the run
starts afresh.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.plugins.environments import SLURMEnvironment
from lightning.pytorch.plugins.io import CheckpointIO
from torch.utils.data import DataLoader

from vae_study.build import JobPlan
from vae_study.data.stream import BatchStream, data_seed
from vae_study.fitting import FitOutcome, Run, read_checkpoint, save_torch
from vae_study.fitting.progress import Progress
from vae_study.models.module import VAEModule, representation_function
from vae_study.tracking import cut_curves

CHECKPOINTS = "checkpoints"
LAST_CHECKPOINT = f"{CHECKPOINTS}/last.ckpt"
RESUME_KEYS = ("state_dict", "optimizer_states", "loops", "batches_seen", "torch_rng_state",
               "recent_terms")  # fmt: skip

log = logging.getLogger(__name__)


class AtomicCheckpointIO(CheckpointIO):
    """Checkpoints written atomically beside their target and read with ``weights_only=True``
    (a results folder is shared: nothing in it is unpickled)."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | os.PathLike, storage_options: Any = None
    ) -> None:
        save_torch(path, checkpoint)

    def load_checkpoint(
        self, path: str | os.PathLike, map_location: Callable | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        return torch.load(path, map_location="cpu", weights_only=True)

    def remove_checkpoint(self, path: str | os.PathLike) -> None:
        Path(path).unlink(missing_ok=True)


def resumable(checkpoint: Path, module: VAEModule) -> dict[str, Any] | None:
    """The checkpoint's content if the run can resume from it (:func:`~vae_study.fitting.
    read_checkpoint`: it holds what a resume needs and ``module``'s parameters)."""

    def check(state: dict[str, Any]) -> None:
        missing = [key for key in RESUME_KEYS if key not in state]
        if missing:
            raise KeyError(f"no {missing}")
        module.load_state_dict(state["state_dict"])

    return read_checkpoint(checkpoint, check)


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
        state = resumable(checkpoint, module)
        start = 0 if state is None else int(state["batches_seen"])
        if state is not None:
            log.info("resuming run %s from %s (step %d)", run.member.run_id, checkpoint, start)
        cut_curves(run.logger, start)
        stream = BatchStream(
            self.plan.data, cfg.train.batch_size, data_seed(run.member.seed), start
        )
        environment = [SLURMEnvironment(auto_requeue=False)] if SLURMEnvironment.detect() else []
        settings = {**cfg.trainer, "enable_progress_bar": False}  # ours counts steps
        progress = ProgressCallback(cfg.train.steps, "training", cfg.trainer.enable_progress_bar)
        trainer = L.Trainer(
            **settings,
            max_steps=cfg.train.steps,
            logger=run.logger or False,
            # submitit requeues preempted Slurm tasks; Lightning must not requeue them again
            plugins=[AtomicCheckpointIO(), *environment],
            callbacks=[
                ModelCheckpoint(
                    dirpath=checkpoint.parent,
                    save_last=True,
                    save_top_k=0,
                    every_n_train_steps=cfg.train.checkpoint_every,
                ),
                progress,
            ],
            default_root_dir=run_dir,
            num_sanity_val_steps=0,
            enable_model_summary=False,
        )
        # The loader's own generator keeps it off the global torch RNG, whose state the
        # checkpoint restores: a resumed run then draws the noise of an uninterrupted one.
        loader = DataLoader(stream, batch_size=None, generator=torch.Generator())
        try:
            trainer.fit(module, loader, ckpt_path=checkpoint if state is not None else None)
        finally:
            run.record.train = {"steps": module.batches_seen, "final": module.recent.means()}
        # a kill while scoring resumes from here, with nothing to train again
        trainer.save_checkpoint(checkpoint, weights_only=False)
        return FitOutcome(represent=representation_function(module), module=module)


class ProgressCallback(L.Callback):
    """:class:`~vae_study.fitting.progress.Progress` of a Lightning run: the loss is read (a
    device sync) only on the steps the loggers write."""

    def __init__(self, total: int, label: str, bar: bool) -> None:
        self.total, self.label, self.bar = total, label, bar
        self.progress: Progress | None = None

    def on_train_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self.progress = Progress(module.batches_seen, self.total, self.label, self.bar)

    def on_train_batch_end(
        self, trainer: L.Trainer, module: L.LightningModule, outputs: Any, batch: Any, index: int
    ) -> None:
        logging_step = module.batches_seen % trainer.log_every_n_steps == 0
        loss = float(outputs["loss"]) if logging_step else None
        self.progress.update(module.batches_seen, loss)

    def on_train_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self.progress.close()
