"""Unsupervised scores: the Gaussian formulas against direct computations (the reference's
``unsupervised_metrics_test.py``), and the scores on independent and duplicated codes."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from vae_study.metrics.unsupervised import (
    compute_unsupervised,
    gaussian_total_correlation,
    gaussian_wasserstein_correlation,
    unsupervised_scores,
)


def test_independent_gaussian_scores_zero():
    assert gaussian_total_correlation(np.eye(5)) == pytest.approx(0.0, abs=1e-12)
    assert gaussian_wasserstein_correlation(np.diag([1.0, 2.0, 3.0])) == pytest.approx(
        0.0, abs=1e-12
    )


def test_total_correlation_is_the_kl_to_the_marginals():
    cov = np.array([[1.0, 0.9], [0.9, 1.0]])
    marginals = np.diag(np.diag(cov))
    kl = 0.5 * (
        np.trace(np.linalg.inv(marginals) @ cov)
        - 2
        + np.log(np.linalg.det(marginals) / np.linalg.det(cov))
    )
    assert gaussian_total_correlation(cov) == pytest.approx(kl)


def test_wasserstein_equals_the_references_sqrtm_formula(rng):
    a = rng.normal(size=(4, 4))
    cov = a @ a.T + 0.1 * np.eye(4)
    reference = 2 * np.trace(cov) - 2 * np.trace(scipy.linalg.sqrtm(cov * np.diag(cov)[:, None]))
    assert gaussian_wasserstein_correlation(cov) == pytest.approx(float(np.real(reference)))


def test_scores_of_independent_and_duplicated_codes(rng):
    independent = unsupervised_scores(rng.normal(size=(5000, 4)))
    assert abs(independent["unsupervised.gaussian_total_correlation"]) < 0.01
    assert independent["unsupervised.mutual_info_score"] < 0.05
    x = rng.normal(size=(5000, 2))
    twice = unsupervised_scores(np.hstack([x, x + 0.01 * rng.normal(size=x.shape)]))
    assert twice["unsupervised.gaussian_total_correlation"] > 1.0
    assert twice["unsupervised.mutual_info_score"] > 0.5
    with pytest.raises(ValueError, match="at least 2 codes"):
        unsupervised_scores(x[:, :1])


def test_compute_unsupervised(kit, rng):
    scores = compute_unsupervised(kit.FactorValueData(), kit.identity, rng, num_train=2000)
    assert len(scores) == 4 and all(np.isfinite(v) for v in scores.values())
