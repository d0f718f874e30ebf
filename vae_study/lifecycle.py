"""The run lifecycle, written once for every kind of run: claim, record, fit, score, finish.

A job (one Hydra job: one seed, or a pack's seeds) is built and checked first
(:func:`vae_study.build.build_job`); nothing is written before that. Then, per run:

1. **claim**: a run whose record says ``done`` is skipped; otherwise its folder's lock is taken
   (:func:`vae_study.results.exclusive`), a run locked by another process is skipped, and the
   record is read again under the lock, so a run another process finished meanwhile is skipped;
2. **record**: a ``running`` record with the resolved config is written, ``run.log`` opened and
   the curve logger made (:func:`vae_study.tracking.make_logger`);
3. **fit**: a fitter trains the claimed runs (:mod:`vae_study.fitting`): Lightning for a VAE, the
   packed trainer for a pack of VAEs, scikit-learn for a baseline;
4. **score**: the run's representation is scored with the job's evaluation settings;
5. **finish**: the weights are saved, then the record says ``done`` (or ``failed`` with the
   error), the checkpoints are removed and the logger is closed.

An exception anywhere in fitting leaves every claimed run of the job ``failed`` with the error,
never ``running``; an interruption (SIGTERM, Ctrl-C) leaves them ``interrupted``, and a relaunch
resumes them. A job of several seeds whose model has no packed
form runs the same lifecycle once per seed.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import torch
from omegaconf import OmegaConf

from vae_study.atomic import WriteError, remove_temporaries
from vae_study.build import JobPlan, Member, build_job
from vae_study.fitting import SHORT_ID, FitOutcome, Run, save_torch
from vae_study.fitting.baseline import BaselineFitter
from vae_study.fitting.lightning import CHECKPOINTS, LightningFitter
from vae_study.fitting.progress import duration
from vae_study.host import configure_host
from vae_study.packed.fitter import PackedFitter
from vae_study.packed.model import unpackable
from vae_study.protocol import protocol
from vae_study.results import (
    RECORD_NAME,
    WEIGHTS_NAME,
    RunRecord,
    describe_run,
    exclusive,
    finished_record,
    now,
)
from vae_study.results import reference_model_num as model_num
from vae_study.signals import interruption
from vae_study.tracking import CURVES_NAME, finish, make_logger

RUN_LOG = "run.log"

log = logging.getLogger(__name__)


class Fitter(Protocol):
    def fit(self, runs: Sequence[Run]) -> list[FitOutcome]: ...


@dataclass
class JobOutcome:
    """What became of each run of a job: run ids that are done, failed (with the error), or
    skipped (done already, or running in another process); ``error`` when the job itself could
    not start (a config error)."""

    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and self.error is None


def run_job(cfg: OmegaConf, metrics_group: str | None = None) -> JobOutcome:
    """Build and check ``cfg``, then run the lifecycle on each of its runs. ``metrics_group``:
    the metrics group ``cfg`` was composed with, for each record's ``protocol``, where no
    running ``vae-study`` says it (:func:`vae_study.protocol.protocol`)."""
    plan = build_job(cfg)
    outcome = JobOutcome()
    if len(plan.members) > 1 and (reason := _why_one_by_one(plan)) is not None:
        log.warning(
            "%s: training seeds %s one after another",
            reason, ", ".join(str(m.seed) for m in plan.members),
        )  # fmt: skip
        for member in plan.members:
            _run_group(plan, [member], outcome, metrics_group)
    else:
        _run_group(plan, plan.members, outcome, metrics_group)
    return outcome


def _why_one_by_one(plan: JobPlan) -> str | None:
    if plan.is_baseline:
        return f"{plan.cfg.model.name} is a scikit-learn baseline"
    return unpackable(plan.probe.model)


def _fitter(plan: JobPlan, runs: Sequence[Run]) -> Fitter:
    if plan.is_baseline:
        return BaselineFitter(plan)
    return PackedFitter(plan) if len(runs) > 1 else LightningFitter(plan)


@contextlib.contextmanager
def _labelled(label: str) -> Iterator[None]:
    """Every log line starts with ``[label]`` while the block runs, so that the lines of jobs
    that share a console (``hydra/launcher=local``) can be told apart."""

    def prefix(entry: logging.LogRecord) -> bool:
        if not str(entry.msg).startswith("["):
            entry.msg = f"[{label}] {entry.msg}"
        return True

    handlers = logging.getLogger().handlers
    for handler in handlers:
        handler.addFilter(prefix)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(prefix)


def _run_group(
    plan: JobPlan, members: Sequence[Member], outcome: JobOutcome, metrics_group: str | None
) -> None:
    """The lifecycle of ``members`` trained together (one member, or a pack)."""
    label = members[0].run_id[:SHORT_ID] + (f"+{len(members) - 1}" if len(members) > 1 else "")
    with _labelled(label):
        _run_members(plan, members, outcome, metrics_group)


def _run_members(
    plan: JobPlan, members: Sequence[Member], outcome: JobOutcome, metrics_group: str | None
) -> None:
    with contextlib.ExitStack() as stack:
        runs = []
        for member in members:
            claim = _claimed(member, plan.data.factor_sizes, metrics_group)
            run = stack.enter_context(claim)
            if run is None:
                outcome.skipped.append(member.run_id)
            else:
                runs.append(run)
        if not runs:
            return
        configure_host(plan.cfg.train)
        started = time.perf_counter()
        try:
            for run in runs:
                run.logger = make_logger(run.member.cfg.logger, run.record.config)
            fitted = _fitter(plan, runs).fit(runs)
        except Exception as error:
            _log_traceback(runs)
            fitted = [FitOutcome(error=describe(error)) for _ in runs]
        except BaseException as error:
            status = "interrupted" if interruption(error) else "failed"
            for run in runs:
                _finish(plan, run, FitOutcome(error=describe(error), status=status), outcome)
            raise
        seconds = time.perf_counter() - started
        for run, fit in zip(runs, fitted, strict=True):
            run.record.train |= {"seconds": seconds, "threads": torch.get_num_threads()}
            _finish(plan, run, fit, outcome)


def describe(error: BaseException) -> str:
    """An error as the record's one line: its type and message."""
    message = str(error).strip()
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _log_traceback(runs: Sequence[Run]) -> None:
    """The current exception's traceback, into each run's ``run.log`` only (the console gets
    the one-line error)."""
    entry = log.makeRecord(log.name, logging.ERROR, __file__, 0, "traceback", (), sys.exc_info())
    for run in runs:
        if run.log_handler is not None:
            run.log_handler.handle(entry)


@contextlib.contextmanager
def _claimed(
    member: Member, factor_sizes: Sequence[int], metrics_group: str | None
) -> Iterator[Run | None]:
    """The run, claimed by this process with a ``running`` record (its protocol judged with
    the ``factor_sizes`` of the data it reads and ``metrics_group``); None if it is done or
    another process holds it."""
    record_path = member.run_dir / RECORD_NAME
    if finished_record(record_path) is not None:
        log.info("run %s is done already (%s): skipping", member.run_id, record_path)
        yield None
        return
    with contextlib.ExitStack() as stack:
        try:
            member.run_dir.mkdir(parents=True, exist_ok=True)
            acquired = stack.enter_context(exclusive(member.run_dir))
        except OSError as error:
            message = f"cannot write in {member.run_dir}: {error.strerror}"
            raise WriteError(error.errno, message) from None
        if not acquired:
            log.info("run %s is running in another process (%s): skipping", member.run_id,
                     member.run_dir)  # fmt: skip
            yield None
            return
        if finished_record(record_path) is not None:
            log.info("run %s finished in another process (%s): skipping", member.run_id,
                     record_path)  # fmt: skip
            yield None
            return
        remove_temporaries(member.run_dir)  # left by a writer killed mid-write; ours now
        with _run_log(member.run_dir / RUN_LOG) as handler:
            cfg = member.cfg
            record = RunRecord(
                run_id=member.run_id,
                study=cfg.study.name,
                config=OmegaConf.to_container(cfg, resolve=True),
                model_num=model_num(cfg.dataset.name, cfg.model.name, cfg.model.strength, cfg.seed),
                protocol=protocol(cfg, metrics_group, factor_sizes),
            )
            record.write(member.run_dir)
            log.info("run %s: %s, in %s", member.run_id, describe_run(cfg), member.run_dir)
            yield Run(member, record, log_handler=handler)


@contextlib.contextmanager
def _run_log(path: Path) -> Iterator[logging.Handler]:
    """Every log line of the process into ``path`` (the run's ``run.log``) while the run lives."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] %(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def save_weights(module: torch.nn.Module, run_dir: Path) -> Path:
    """Write the trained weights atomically to ``<run_dir>/model.pt``."""
    return save_torch(run_dir / WEIGHTS_NAME, module.state_dict())


def _finish(plan: JobPlan, run: Run, fit: FitOutcome, outcome: JobOutcome) -> None:
    """Score a fitted run, keep its weights, and write its final record; see the module doc."""
    record, run_dir = run.record, run.member.run_dir
    try:
        if fit.error is None:
            record.metrics = plan.evaluation.evaluate(plan.data, fit.represent)
            if fit.module is not None and run.member.cfg.train.keep_weights:
                save_weights(fit.module, run_dir)
            record.status = "done"
        else:
            record.status, record.error = fit.status, fit.error
    except Exception as error:
        _log_traceback([run])
        record.status, record.error = "failed", describe(error)
    except BaseException as error:
        record.status, record.error = "interrupted", describe(error)
        raise
    finally:
        record.finished = now()
        record.write(run_dir)
        if record.status == "done":
            shutil.rmtree(run_dir / CHECKPOINTS, ignore_errors=True)
            outcome.done.append(record.run_id)
            log.info(summary(record, run_dir, fit.module is not None))
        else:
            outcome.failed[record.run_id] = record.error or record.status
            log.error("run %s %s: %s", record.run_id, record.status, record.error)
        finish(run.logger, record, fit.module, plan.data)


HEADLINE = {"beta_vae": "BetaVAE", "factor_vae": "FactorVAE", "mig": "MIG", "dci": "DCI",
            "modularity": "Modularity", "sap": "SAP"}  # fmt: skip


def summary(record: RunRecord, run_dir: Path, trained: bool) -> str:
    """The lines that end a done run: its headline scores, its time, where its files are."""
    scores = "  ".join(
        f"{label} {record.metrics[key]:.3f}" for key, label in HEADLINE.items()
        if key in record.metrics
    )  # fmt: skip
    seconds = record.train.get("seconds", 0.0)
    lines = [f"run {record.run_id} done in {duration(seconds)}"]
    if scores:
        lines.append(f"  scores:  {scores}")
    lines.append(f"  record:  {run_dir / RECORD_NAME}")
    if trained:
        if (run_dir / WEIGHTS_NAME).is_file():
            lines.append(f"  weights: {run_dir / WEIGHTS_NAME}")
        curves = run_dir / "csv" / CURVES_NAME
        if curves.is_file():
            lines.append(f"  curves:  {curves}")
        lines.append(f"  pictures: vae-study-viz --run {run_dir}")
    return "\n".join(lines)
