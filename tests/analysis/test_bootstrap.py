"""The study's stratified bootstrap: it keeps the design, it is unbiased where the plain
stratified bootstrap is not, BCa reduces to its parts, and intervals narrow as 1/sqrt(n)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from coverage_study import normal_pair

from vae_study.analysis.bootstrap import (
    Resampling,
    acceleration,
    bca_interval,
    jackknife,
    percentile_interval,
    stratified_weights,
)
from vae_study.analysis.design import replication, resampling
from vae_study.analysis.paper import models_for_half_width
from vae_study.analysis.rank_correlation import spearman_matrix

CELLS = np.repeat(np.arange(5), [1, 2, 3, 5, 9])  # cells of 1, 2, 3, 5 and 9 runs


def test_every_resample_keeps_every_cell_at_its_total_weight():
    weights = stratified_weights(CELLS, 2000, np.random.default_rng(0))
    for cell, size in enumerate(np.bincount(CELLS)):
        members = weights[:, CELLS == cell]
        assert (members.sum(axis=1) > 0).all(), f"cell {cell} dropped"
        assert members.sum(axis=1) == pytest.approx(np.full(len(weights), size))
        if size > 1:  # n_h - 1 draws, each weighing n_h / (n_h - 1)
            draws = members * (size - 1) / size
            assert draws == pytest.approx(np.round(draws)) and draws.sum(axis=1) == pytest.approx(
                size - 1
            )
            assert np.ptp(members, axis=0).max() > 0  # the cell's runs are redrawn
    assert (weights[:, CELLS == 0] == 1).all()  # a cell of one run keeps it


def test_a_study_table_is_resampled_within_its_model_x_strength_cells(settings):
    runs = pd.DataFrame({
        "dataset": "dsprites",
        "model": np.repeat(["beta_vae", "factor_vae"], 6),
        "strength": np.tile(np.repeat([0, 3], 3), 2),
        "seed": np.tile([0, 1, 2], 4),
    })  # fmt: skip
    sampling = resampling(runs, settings)
    assert sampling.weights.shape == (settings.resamples, 12)
    for _, cell in runs.groupby(["model", "strength"]):
        assert sampling.weights[:, cell.index].sum(axis=1) == pytest.approx(3.0)
    again = resampling(runs, settings)
    assert np.array_equal(again.weights, sampling.weights)
    other = resampling(runs, replace(settings, seed=settings.seed + 1))
    assert not np.array_equal(other.weights, sampling.weights)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_cells_of_one_run_give_no_interval_rather_than_the_estimate(method):
    values = np.random.default_rng(4).normal(size=6)
    mean = _weighted_mean(values)
    unreplicated = Resampling.draw(
        np.arange(6), resamples=50, level=0.95, method=method, rng=np.random.default_rng(5)
    ).interval(mean)
    assert unreplicated.estimate == pytest.approx(values.mean())
    assert np.isnan(unreplicated.low) and np.isnan(unreplicated.high)
    one_pair = Resampling.draw(
        np.array([0, 0, 1, 2, 3, 4]), resamples=50, level=0.95, method=method,
        rng=np.random.default_rng(5),
    ).interval(mean)  # fmt: skip
    assert one_pair.low < one_pair.high


def test_the_design_says_what_single_run_cells_leave_out_of_the_intervals():
    runs = pd.DataFrame({
        "dataset": "dsprites",
        "model": ["beta_vae"] * 4 + ["factor_vae"] * 2,
        "strength": [0, 0, 3, 3, 0, 3],
    })  # fmt: skip
    assert replication(runs) == (
        "dsprites: 4 model × strength cells of 1 to 2 runs",
        "dsprites: 2 of 4 model × strength cells have one run, whose seed variation the "
        "intervals leave out",
    )
    assert replication(runs.iloc[:4]) == ("dsprites: 2 model × strength cells of 2 runs", None)
    assert replication(runs.iloc[[0, 2, 4, 5]])[1] == (
        "dsprites: no intervals (dotted cells), every model × strength cell has one run (train "
        "two or more seeds per configuration)"
    )


def _weighted_mean(values: np.ndarray):
    return lambda weights: weights @ values / weights.sum(axis=1)


def test_the_bootstrap_variance_of_a_stratified_mean_is_unbiased():
    # McCarthy & Snowden 1985: with n_h - 1 draws per cell the bootstrap variance of the mean
    # is sum_h (n_h / n)^2 s_h^2 / n_h (s_h^2 the unbiased within-cell variance); drawing n_h
    # would give (n_h - 1) / n_h of it, two thirds at 3 runs per cell
    cells = np.repeat(np.arange(8), 3)
    values = np.random.default_rng(1).normal(size=24) + cells  # cell effects do not count
    weights = stratified_weights(cells, 40_000, np.random.default_rng(2))
    replicates = _weighted_mean(values)(weights)
    expected = sum(
        (3 / 24) ** 2 * values[cells == h].var(ddof=1) / 3 for h in range(8)
    )  # fmt: skip
    assert replicates.var() == pytest.approx(expected, rel=0.03)


def test_the_acceleration_of_a_mean_is_its_skewness_over_six_root_n():
    values = np.random.default_rng(3).exponential(size=50)
    left_out = jackknife(_weighted_mean(values), 50, chunk=7)
    assert left_out[3] == pytest.approx(np.delete(values, 3).mean())
    deviations = values - values.mean()
    expected = (deviations**3).sum() / (6 * ((deviations**2).sum()) ** 1.5)
    assert acceleration(left_out, np.zeros(50)) == pytest.approx(expected)


def test_bca_without_bias_or_skew_is_the_percentile_interval():
    replicates = np.r_[np.linspace(-3, 3, 999), 0.0][:, None]  # symmetric about the estimate
    symmetric = np.r_[-1.0, 1.0, -2.0, 2.0][:, None]  # a jackknife without skew: a = 0
    low, high = bca_interval(np.zeros(1), replicates, symmetric, np.zeros(4), 0.9)
    expected = percentile_interval(replicates, 0.9)
    assert np.r_[low, high] == pytest.approx(np.r_[expected[0], expected[1]])


def _mean_width(runs: int, studies: int) -> float:
    """The mean width of the 95% interval of Spearman's rho over ``studies`` synthetic studies
    of 5 cells (a normal pair with r = 0.5)."""
    draw, _ = normal_pair(0.5)
    cells = np.repeat(np.arange(5), runs // 5)
    rng = np.random.default_rng(runs)
    widths = []
    for _ in range(studies):
        scores = draw(rng, runs)
        sampling = Resampling.draw(cells, resamples=300, level=0.95, method="bca", rng=rng)
        interval = sampling.interval(
            lambda weights, s=scores: spearman_matrix(s, weights, min_runs=3)[0][:, 0, 1]
        )
        widths.append(interval.high - interval.low)
    return float(np.mean(widths))


def test_the_interval_narrows_as_one_over_root_n_and_predicts_the_models_needed():
    small, large = _mean_width(50, 200), _mean_width(800, 20)
    assert small / large == pytest.approx(np.sqrt(800 / 50), rel=0.15)
    needed = models_for_half_width(-small / 2, small / 2, 50, large / 2)
    assert needed == pytest.approx(800, rel=0.3)
