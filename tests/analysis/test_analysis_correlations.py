"""Spearman matrices of Figures 2 and 5, with intervals, on tables with planted rank
correlations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vae_study.analysis.correlations import (
    NotEnoughRunsError,
    downstream_columns,
    metric_vs_downstream,
    metric_vs_metric,
    per_dataset,
    stack,
    study_correlations,
)


def planted(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """n runs in cells of 3 models x 5 strengths, with planted monotone relations."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({
        "dataset": "dsprites",
        "model": [f"m{i % 3}" for i in range(n)],
        "strength": [(i // 3) % 5 for i in range(n)],
        "mig": x,
        "dci": np.exp(x),  # monotone in mig
        "sap": -(x**3),  # reversed
        "modularity": rng.normal(size=n),  # independent
        "beta_vae": np.full(n, np.nan),  # not applicable on this data set
    })  # fmt: skip


def test_planted_rank_correlations_read_100_0_and_minus_100(settings):
    matrix = metric_vs_metric(study_correlations(planted(), settings))
    estimate, low, high = matrix.estimate, matrix.low, matrix.high
    assert list(estimate.index) == ["BetaVAE", "MIG", "DCI", "Modularity", "SAP"]
    assert estimate.loc["MIG", "DCI"] == pytest.approx(100)
    assert (low.loc["MIG", "DCI"], high.loc["MIG", "DCI"]) == pytest.approx((100, 100))
    assert estimate.loc["MIG", "SAP"] == pytest.approx(-100)
    assert high.loc["DCI", "SAP"] == pytest.approx(-100)
    # independent scores: a small estimate whose interval includes 0 and is about +-11 wide
    # (1.96 / sqrt(299) x 100, the null standard error of Spearman's rho)
    assert low.loc["MIG", "Modularity"] < 0 < high.loc["MIG", "Modularity"]
    width = high.loc["MIG", "Modularity"] - low.loc["MIG", "Modularity"]
    assert 2 * 11.3 * 0.8 < width < 2 * 11.3 * 1.2
    assert np.allclose(np.diag(estimate.loc[["MIG", "DCI"], ["MIG", "DCI"]]), 100)
    assert estimate.loc["BetaVAE"].isna().all()  # no complete pairs: NaN, not an error
    assert matrix.low.loc["BetaVAE"].isna().all() and (matrix.runs.loc["BetaVAE"] == 0).all()


def test_estimates_are_pandas_spearman_with_complete_case_pairs(settings):
    table = planted(60)
    table.loc[[3, 17, 40], "dci"] = np.nan
    table["sap"] = np.round(table["sap"])  # ties
    matrix = metric_vs_metric(study_correlations(table, settings))
    expected = table[["mig", "dci", "sap"]].corr(method="spearman") * 100
    assert matrix.estimate.loc[["MIG", "DCI", "SAP"], ["MIG", "DCI", "SAP"]].to_numpy() == (
        pytest.approx(expected.to_numpy())
    )
    assert matrix.runs.loc["MIG", "DCI"] == 57 and matrix.runs.loc["MIG", "SAP"] == 60
    inside = (matrix.low <= matrix.estimate + 1e-9) & (matrix.estimate <= matrix.high + 1e-9)
    assert inside.loc[["MIG", "DCI", "SAP"], ["MIG", "DCI", "SAP"]].all().all()


def test_downstream_columns_follow_the_paper_order_with_sizes_sorted_as_numbers():
    columns = [f"downstream_gbt.{n}.test_accuracy" for n in (500, 20, 100)]
    columns += ["downstream_lr.10.test_accuracy", "downstream_gbt.efficiency",
                "downstream_lr.efficiency", "downstream_lr.10.train_accuracy"]  # fmt: skip
    labels = downstream_columns(pd.DataFrame(columns=columns))
    assert list(labels.values()) == [
        "LR10", "GBT20", "GBT100", "GBT500", "Efficiency_LR", "Efficiency_GBT",
    ]  # fmt: skip


def test_metric_vs_downstream_correlates_each_metric_with_each_task(settings):
    table = planted()
    table["downstream_lr.100.test_accuracy"] = table["mig"] * 2
    table["downstream_gbt.efficiency"] = -table["mig"]
    matrix = metric_vs_downstream(study_correlations(table, settings))
    assert list(matrix.estimate.columns) == ["LR100", "Efficiency_GBT"]
    assert matrix.estimate.loc["DCI", "LR100"] == pytest.approx(100)
    assert matrix.estimate.loc["SAP", "Efficiency_GBT"] == pytest.approx(100)


def test_a_data_set_with_too_few_runs_gets_a_note(settings):
    table = pd.concat([planted(), planted(2).assign(dataset="cars3d")])
    with pytest.raises(NotEnoughRunsError):
        study_correlations(planted(2), settings)
    results = per_dataset(table, lambda runs: study_correlations(runs, settings))
    assert list(results) == ["cars3d", "dsprites"]
    assert results["cars3d"] == "not enough runs (2, need 3)"
    long = stack(results)
    assert list(long.columns) == ["dataset", "metric", "column", "estimate", "low", "high", "n"]
    assert set(long["dataset"]) == {"dsprites"} and len(long) == 25
