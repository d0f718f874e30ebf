"""Fitters: how a run's model is fitted, plugged into the lifecycle (:mod:`vae_study.lifecycle`).

A fitter takes the runs the lifecycle has claimed, fits their models, writes each run's
``record.train`` (steps, final loss terms, ...) as it goes, and returns one :class:`FitOutcome`
per run. The lifecycle does everything else: claiming, records, scoring, weights, tracking.

* :mod:`~vae_study.fitting.lightning`: one VAE trained with PyTorch Lightning, resumable;
* :mod:`~vae_study.fitting.baseline`: a scikit-learn baseline fitted on a sample;
* :mod:`vae_study.packed.fitter`: K VAEs trained as one computation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

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
