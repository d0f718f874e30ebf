"""The scikit-learn baselines' fitter: draw ``model.fit_samples`` observations and fit.

The sample is drawn from the run's data seed (:func:`vae_study.data.stream.data_seed`), like a
VAE's training stream; the estimator's own ``random_state`` is the run's seed (its config).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vae_study.build import JobPlan
from vae_study.data.stream import data_seed
from vae_study.fitting import FitOutcome, Run
from vae_study.models.baselines import fit_baseline


class BaselineFitter:
    """Fits each run's estimator (:func:`vae_study.models.baselines.fit_baseline`)."""

    def __init__(self, plan: JobPlan) -> None:
        self.plan = plan

    def fit(self, runs: Sequence[Run]) -> list[FitOutcome]:
        outcomes = []
        for run in runs:
            estimator = self.plan.model(run.member).model
            samples = int(run.member.cfg.model.fit_samples)
            rng = np.random.default_rng(data_seed(run.member.seed))
            fitted, summary = fit_baseline(estimator, self.plan.data, samples, rng)
            run.record.train = {"fit_samples": samples, "final": summary}
            outcomes.append(FitOutcome(represent=fitted.represent))
        return outcomes
