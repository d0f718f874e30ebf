"""Spearman's rho under run weights: pandas' Spearman of the runs repeated that often."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vae_study.analysis.rank_correlation import spearman_matrix


def scores(n: int = 40, seed: int = 0) -> np.ndarray:
    """Four scores with ties (a rounded one) and NaNs in different runs of two of them."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, 4))
    values[:, 1] += values[:, 0]
    values[:, 2] = np.round(values[:, 2] - values[:, 0])
    values[[3, 8], 1] = np.nan
    values[[7], 3] = np.nan
    return values


def test_unit_weights_give_pandas_spearman_complete_case_per_pair():
    values = scores()
    rho, runs = spearman_matrix(values, np.ones((1, len(values))), min_runs=3)
    expected = pd.DataFrame(values).corr(method="spearman", min_periods=3).to_numpy()
    assert rho[0] == pytest.approx(expected, abs=1e-12)
    assert runs[0, 1] == 38 and runs[1, 3] == 37 and runs[0, 2] == 40


def test_integer_weights_are_the_runs_repeated():
    values = scores()
    rng = np.random.default_rng(1)
    weights = rng.multinomial(len(values), np.full(len(values), 1 / len(values)), size=6)
    rho, _ = spearman_matrix(values, weights.astype(float), min_runs=3)
    for row, counts in zip(rho, weights, strict=True):
        repeated = pd.DataFrame(np.repeat(values, counts, axis=0))
        expected = repeated.corr(method="spearman", min_periods=3).to_numpy()
        assert row == pytest.approx(expected, abs=1e-12)


def test_scaling_all_weights_changes_nothing():
    values = scores()
    weights = np.random.default_rng(2).uniform(0.5, 2.0, size=(3, len(values)))
    rho, _ = spearman_matrix(values, weights, min_runs=3)
    assert spearman_matrix(values, 7.5 * weights, min_runs=3)[0] == pytest.approx(rho)


def test_too_few_complete_runs_or_a_constant_score_give_nan():
    values = np.c_[np.arange(5.0), [np.nan, np.nan, np.nan, 1.0, 2.0], np.ones(5)]
    rho, runs = spearman_matrix(values, np.ones((2, 5)), min_runs=3)
    assert runs[0, 1] == 2 and np.isnan(rho[:, 0, 1]).all()
    assert np.isnan(rho[:, 0, 2]).all()  # a constant score has no ranks to correlate
    assert rho[:, 0, 0] == pytest.approx(1.0)
