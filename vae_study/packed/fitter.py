"""The packed fitter: the claimed runs of a job (its seeds) trained as one pack.

Each member is built by its single run's own code (:meth:`vae_study.build.JobPlan.model`), with
the global RNG state its single run has after building; the pack trains them together
(:class:`~vae_study.packed.loop.PackedTrainer`) and hands back one outcome per member, which the
lifecycle scores and records like a single run's. A member's training curves go to its own
logger on the single run's logging steps, so each member writes the ``csv/metrics.csv`` (or W&B
run) its single run would.

Every ``train.checkpoint_every`` steps, and when training ends, each member's part of the state
goes to its own ``checkpoints/packed.ckpt`` (atomically). A relaunch resumes each member from
it; members at different steps (one whose checkpoint was unreadable starts afresh) train as
separate packs, one after another, each ending as an uninterrupted pack would.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from vae_study.build import BuiltModel, JobPlan
from vae_study.data.stream import data_seed
from vae_study.data.torch_render import PackedStream
from vae_study.fitting import FitOutcome, Run, read_checkpoint, save_torch
from vae_study.fitting.progress import Progress
from vae_study.models.module import logged_terms, representation_function
from vae_study.packed.loop import (
    PACKED_CHECKPOINT_FORMAT,
    PackedTrainer,
    SpeedOptions,
    member_generator,
)
from vae_study.packed.model import PackedVAE, Terms, resolve_pack_mode
from vae_study.tracking import cut_curves

PACKED_CHECKPOINT = "checkpoints/packed.ckpt"

log = logging.getLogger(__name__)


def speed_options(plan: JobPlan) -> SpeedOptions:
    """``pack.*`` speed switches, and bf16 autocast from ``trainer.precision=bf16-mixed``."""
    pack = plan.cfg.pack
    return SpeedOptions(
        bf16=plan.cfg.trainer.precision == "bf16-mixed",
        compile=pack.compile,
        cuda_graphs=pack.cuda_graphs,
        fused_adam=pack.fused_adam,
        pack_mode=pack.mode,
    )


def member_checkpoint(run_dir: Path, built: BuiltModel) -> dict[str, Any] | None:
    """The member's packed checkpoint if it can resume from it (:func:`~vae_study.fitting.
    read_checkpoint`: its format, and parameters shaped as the member's model)."""

    def check(state: dict[str, Any]) -> None:
        if state.get("format") != PACKED_CHECKPOINT_FORMAT:
            raise ValueError(f"format {state.get('format')!r}")
        expected = {name: p.shape for name, p in built.model.state_dict().items()}
        if {name: p.shape for name, p in state["params"].items()} != expected:
            raise ValueError("the parameters are another model's")

    return read_checkpoint(run_dir / PACKED_CHECKPOINT, check)


class PackedFitter:
    """Trains the claimed runs of a job as one :class:`~vae_study.packed.model.PackedVAE`."""

    def __init__(self, plan: JobPlan) -> None:
        self.plan = plan

    def fit(self, runs: Sequence[Run]) -> list[FitOutcome]:
        built = [self.plan.model(run.member) for run in runs]
        states = [
            member_checkpoint(run.member.run_dir, b) for run, b in zip(runs, built, strict=True)
        ]
        start = [0 if state is None else int(state["step"]) for state in states]
        outcomes: dict[int, FitOutcome] = {}
        order = sorted(range(len(runs)), key=lambda i: start[i])
        for step, group in itertools.groupby(order, key=lambda i: start[i]):
            members = list(group)
            if step:
                log.info("resuming %d members of the pack from step %d", len(members), step)
            trained = self._fit_pack(
                [runs[i] for i in members], [built[i] for i in members],
                [states[i] for i in members] if step else None,
            )  # fmt: skip
            outcomes.update(zip(members, trained, strict=True))
        return [outcomes[i] for i in range(len(runs))]

    def _fit_pack(
        self, runs: list[Run], built: list[BuiltModel], states: list[dict[str, Any]] | None
    ) -> list[FitOutcome]:
        plan, cfg, device = self.plan, self.plan.cfg, self.plan.device
        modules = [b.model for b in built]
        generators = [
            member_generator(b.cuda_rng_state if device.type == "cuda" else b.rng_state, device)
            for b in built
        ]
        speed = speed_options(plan)
        pack = PackedVAE(modules, resolve_pack_mode(speed.pack_mode, device)).to(device)
        seeds = [data_seed(run.member.seed) for run in runs]
        stream = PackedStream(plan.data, cfg.train.batch_size, seeds, device)
        trainer = PackedTrainer(pack, stream, generators, cfg.train.optimizer, speed)
        if states is not None:
            trainer.load_member_states(states)
        for run in runs:
            cut_curves(run.logger, trainer.step_count)
        log.info("training a pack of %d members on %s (%s mode)", len(runs), device, pack.mode)
        progress = Progress(trainer.step_count, cfg.train.steps, "training",
                            cfg.trainer.enable_progress_bar)  # fmt: skip

        def write_curves(step: int, terms: Terms, kl_per_dim: torch.Tensor, alive: torch.Tensor):
            losses = terms["loss"][alive]
            progress.update(step + 1, float(losses.mean()) if len(losses) else None)
            for k, run in enumerate(runs):
                if run.logger and bool(alive[k]):
                    row = logged_terms({name: v[k] for name, v in terms.items()}, kl_per_dim[k])
                    row = {name: float(value) for name, value in row.items()}
                    run.logger.log_metrics({"epoch": 0, **row}, step=step)

        def save(trainer: PackedTrainer) -> None:
            for k, run in enumerate(runs):
                save_torch(run.member.run_dir / PACKED_CHECKPOINT, trainer.member_state(k))

        started = time.perf_counter()
        try:
            outcomes = trainer.fit(
                cfg.train.steps, write_curves, cfg.trainer.log_every_n_steps, save,
                cfg.train.checkpoint_every,
            )  # fmt: skip
        finally:
            progress.close()
        log.info("pack of %d trained in %.1f s", len(runs), time.perf_counter() - started)
        results = []
        for run, module, outcome in zip(runs, modules, outcomes, strict=True):
            run.record.train = {"steps": outcome.steps, "final": outcome.final, "pack": len(runs)}
            if outcome.error is not None:
                results.append(FitOutcome(error=outcome.error))
            else:
                results.append(FitOutcome(represent=representation_function(module), module=module))
        return results
