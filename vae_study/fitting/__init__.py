"""Fitters: how a run's model is fitted, plugged into the lifecycle (:mod:`vae_study.lifecycle`).

A fitter takes the runs the lifecycle has claimed, fits their models, writes each run's
``record.train`` (steps, final loss terms, ...) as it goes, and returns one :class:`FitOutcome`
per run. The lifecycle does everything else: claiming, records, scoring, weights, tracking.

* :mod:`~vae_study.fitting.lightning`: one VAE trained with PyTorch Lightning, resumable;
* :mod:`~vae_study.fitting.baseline`: a scikit-learn baseline fitted on a sample;
* :mod:`vae_study.packed.fitter`: K VAEs trained as one computation.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from vae_study.atomic import write_bytes
from vae_study.build import Member
from vae_study.metrics.sampling import Represent
from vae_study.results import RunRecord


@dataclass
class Run:
    """A run this process has claimed: its member, its record, its training-curve logger and
    the handler of its ``run.log``."""

    member: Member
    record: RunRecord
    logger: Any = None
    log_handler: logging.Handler | None = None


@dataclass
class FitOutcome:
    """How one run's fit ended: its representation, or the error that ended it.

    ``module`` is the trained VAE (its weights are kept, its pictures logged); None for a
    baseline, which keeps no weights.
    """

    represent: Represent | None = None
    module: Any = None
    error: str | None = None
    status: str = "failed"  # the record's status when there is an error: failed | interrupted


def save_torch(path: str | Path, state: Any) -> Path:
    """``torch.save(state)`` to ``path``, atomically (:func:`vae_study.atomic.write_bytes`)."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return write_bytes(path, buffer.getvalue())


UNREADABLE = ".unreadable"
SHORT_ID = 6  # characters of a run id that name it in log lines
log = logging.getLogger(__name__)


def read_checkpoint(path: Path, check: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
    """The checkpoint at ``path`` (read with ``weights_only=True``) if ``check(state)`` accepts
    it, None if there is none. One that cannot be read or is refused (a torn file, garbage,
    another model's) is renamed ``<name>.unreadable``, replacing an older one, with a one-line
    warning: the run then starts afresh instead of failing at every relaunch."""
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        check(state)
    except Exception as error:
        aside = path.with_name(path.name + UNREADABLE)
        os.replace(path, aside)
        log.warning(
            "checkpoint %s is unreadable (%s: %s): set aside as %s; the run starts afresh",
            path, type(error).__name__, str(error).splitlines()[0][:200], aside.name,
        )  # fmt: skip
        return None
    return state
