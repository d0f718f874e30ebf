"""Disentanglement, Completeness and Informativeness (Eastwood & Williams 2018, "A Framework for
the Quantitative Evaluation of Disentangled Representations").

As disentanglement_lib ``evaluation/metrics/dci.py``: one ``GradientBoostingClassifier()`` per
factor on the codes; importance R (D, K) with R[:, k] = |feature_importances_| of factor k's model;
D = sum_j rho_j (1 - H_K(R[j, :])) with rho_j = R[j, :].sum() / R.sum(),
C = sum_k rho_k (1 - H_D(R[:, k])) with rho_k = R[:, k].sum() / R.sum(), entropies of R + 1e-11
normalised to sum 1, in base K and D. Informativeness is the mean accuracy over factors on the
train and test points. Where R is all zero the weights are uniform, as in the reference.
With one factor (D) or one code (C) the base-1 entropy is undefined: the score is NaN.

The importances are those of scikit-learn 0.20 and later (``feature_importances_``: every tree's
unnormalised impurity decrease summed per feature, normalised once; scikit-learn PR #11176),
which the study's numbers assume: it ran scikit-learn of about 0.20. scikit-learn 0.19 averaged
per-tree normalised importances instead, which weighs a late, small-gain tree's split on a noise
code as much as the first trees' and gives lower D and C on the same fits
(docs/reference_protocol.md has an example).
"""

from __future__ import annotations

import numpy as np
import scipy.stats

from vae_study.data.ground_truth import GroundTruthData
from vae_study.metrics.checks import check_count, check_splits
from vae_study.metrics.classifiers import (
    FactorFits,
    check_backend,
    feature_importances,
    fit_factors,
    gradient_boosting,
    shared_factor_fits,
)
from vae_study.metrics.sampling import Represent, SharedSample

KEYS = (
    "dci",
    "dci.disentanglement",
    "dci.completeness",
    "dci.informativeness_train",
    "dci.informativeness_test",
)


def _weighted_score(importance: np.ndarray) -> float:
    """sum_i rho_i (1 - H_m(importance[i, :])): rows are the units scored, m = columns."""
    base = importance.shape[1]
    if base < 2:
        return float("nan")
    per_row = 1.0 - scipy.stats.entropy(importance + 1e-11, base=base, axis=1)
    weights = importance if importance.sum() > 0 else np.ones_like(importance)
    return float(np.sum(per_row * weights.sum(axis=1) / weights.sum()))


def disentanglement(importance: np.ndarray) -> float:
    """DCI disentanglement of an importance matrix (D codes, K factors)."""
    return _weighted_score(np.asarray(importance, dtype=np.float64))


def completeness(importance: np.ndarray) -> float:
    """DCI completeness of an importance matrix (D codes, K factors)."""
    return _weighted_score(np.asarray(importance, dtype=np.float64).T)


def _scores(fits: FactorFits, num_codes: int) -> dict[str, float]:
    importance = np.stack([feature_importances(m, num_codes) for m in fits.models], axis=1)
    d = disentanglement(importance)
    return {
        "dci": d,
        "dci.disentanglement": d,
        "dci.completeness": completeness(importance),
        "dci.informativeness_train": float(np.mean(fits.train_accuracy)),
        "dci.informativeness_test": float(np.mean(fits.test_accuracy)),
    }


def dci_scores(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    *,
    gbt_backend: str = "exact",
    n_jobs: int | None = -1,
    random_state: int = 0,
) -> dict[str, float]:
    """DCI from train and test (codes (n, D), factors (n, K))."""
    codes_train, factors_train, codes_test, factors_test = check_splits(
        (codes_train, factors_train), (codes_test, factors_test)
    )
    fits = fit_factors(
        gradient_boosting(gbt_backend, random_state),
        codes_train,
        factors_train,
        codes_test,
        factors_test,
        n_jobs,
    )
    return _scores(fits, codes_train.shape[1])


def compute_dci(
    data: GroundTruthData,
    represent: Represent,
    rng: np.random.Generator,
    *,
    num_train: int = 10_000,
    num_test: int = 5_000,
    gbt_backend: str = "exact",
    n_jobs: int | None = -1,
    sample: SharedSample | None = None,
) -> dict[str, float]:
    """DCI with models fitted on train[0:num_train] and tested on test[0:num_test] of ``sample``
    (drawn with ``rng`` when no sample is given). The fit is shared with the downstream task."""
    num_train = check_count("num_train", num_train)
    num_test = check_count("num_test", num_test)
    backend = check_backend(gbt_backend)
    sample = sample if sample is not None else SharedSample(data, represent, rng)
    codes_train, factors_train = sample.train(num_train)
    check_splits((codes_train, factors_train), sample.test(num_test))
    fits = shared_factor_fits(sample, f"gbt_{backend}", (0, num_train), (0, num_test), n_jobs)
    return _scores(fits, codes_train.shape[1])
