"""Coverage: the 95% interval of a Spearman correlation holds the true value in 90-99% of
synthetic studies with a known correlation, at the mini study's 24 runs and at 300, also when
each model x strength cell shifts both scores (the case the stratification is for).

The default suite draws 300 studies per case with 200 resamples each (the 300-run cases are
``long``: CI runs them after the default suite); the slow suite draws
1,000 with the study's 1,000 resamples, for both interval methods (docs/statistics.md has the
numbers).
"""

from __future__ import annotations

import pytest
from coverage_study import (
    cell_effect_pair,
    coverage,
    iid_weights,
    normal_pair,
    uniform_sum_pair,
)

PAIRS = {"normal r=0.5": normal_pair(0.5), "uniform sum": uniform_sum_pair()}
SLOW_PAIRS = {"normal r=0": normal_pair(0.0), "normal r=0.9": normal_pair(0.9), **PAIRS}


@pytest.mark.parametrize("runs", [24, pytest.param(300, marks=pytest.mark.long)])
@pytest.mark.parametrize("pair", list(PAIRS))
def test_the_interval_holds_the_true_correlation_95_percent_of_the_time(pair, runs):
    draw, truth = PAIRS[pair]
    result = coverage(draw, truth, runs, studies=300, resamples=200, seed=runs)
    assert 0.90 <= result.covered <= 0.99, f"{pair}, {runs} runs: {result}"


@pytest.mark.parametrize("runs", [24, pytest.param(300, marks=pytest.mark.long)])
def test_the_interval_covers_the_designs_correlation_when_cells_differ(runs):
    draw, truth = cell_effect_pair(0.5, runs)
    result = coverage(draw, truth, runs, studies=300, resamples=200, seed=runs)
    assert 0.90 <= result.covered <= 0.99, f"cell effects, {runs} runs: {result}"
    # resampling runs across cells treats the configurations as random: wider intervals
    ignoring = coverage(draw, truth, runs, studies=300, resamples=200, seed=runs,
                        scheme=iid_weights)  # fmt: skip
    assert result.width < 0.9 * ignoring.width, (result, ignoring)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["bca", "percentile"])
@pytest.mark.parametrize("runs", [24, 300])
@pytest.mark.parametrize("pair", list(SLOW_PAIRS))
def test_the_interval_covers_at_the_studys_resamples(pair, runs, method):
    draw, truth = SLOW_PAIRS[pair]
    result = coverage(draw, truth, runs, studies=1000, resamples=1000, method=method, seed=runs)
    assert 0.90 <= result.covered <= 0.99, f"{pair}, {runs} runs, {method}: {result}"
