"""Spearman matrices of Figures 2 and 5 on tables with planted rank correlations."""

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
)


def planted(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({
        "dataset": "dsprites",
        "mig": x,
        "dci": np.exp(x),  # monotone in mig
        "sap": -(x**3),  # reversed
        "modularity": rng.normal(size=n),  # independent
        "beta_vae": np.full(n, np.nan),  # not applicable on this data set
    })  # fmt: skip


def test_planted_rank_correlations_read_100_0_and_minus_100():
    matrix = metric_vs_metric(planted())
    assert list(matrix.index) == ["BetaVAE", "MIG", "DCI", "Modularity", "SAP"]
    assert matrix.loc["MIG", "DCI"] == pytest.approx(100)
    assert matrix.loc["MIG", "SAP"] == pytest.approx(-100)
    assert matrix.loc["DCI", "SAP"] == pytest.approx(-100)
    assert abs(matrix.loc["MIG", "Modularity"]) < 15
    assert np.allclose(np.diag(matrix.loc[["MIG", "DCI"], ["MIG", "DCI"]]), 100)
    assert matrix.loc["BetaVAE"].isna().all()  # no complete pairs: NaN, not an error


def test_downstream_columns_follow_the_paper_order_with_sizes_sorted_as_numbers():
    columns = [f"downstream_gbt.{n}.test_accuracy" for n in (500, 20, 100)]
    columns += ["downstream_lr.10.test_accuracy", "downstream_gbt.efficiency",
                "downstream_lr.efficiency", "downstream_lr.10.train_accuracy"]  # fmt: skip
    labels = downstream_columns(pd.DataFrame(columns=columns))
    assert list(labels.values()) == [
        "LR10", "GBT20", "GBT100", "GBT500", "Efficiency_LR", "Efficiency_GBT",
    ]  # fmt: skip


def test_metric_vs_downstream_correlates_each_metric_with_each_task():
    table = planted()
    table["downstream_lr.100.test_accuracy"] = table["mig"] * 2
    table["downstream_gbt.efficiency"] = -table["mig"]
    matrix = metric_vs_downstream(table)
    assert list(matrix.columns) == ["LR100", "Efficiency_GBT"]
    assert matrix.loc["DCI", "LR100"] == pytest.approx(100)
    assert matrix.loc["SAP", "Efficiency_GBT"] == pytest.approx(100)


def test_a_data_set_with_too_few_runs_gets_a_note():
    table = pd.concat([planted(), planted(2).assign(dataset="cars3d")])
    with pytest.raises(NotEnoughRunsError):
        metric_vs_metric(planted(2))
    results = per_dataset(table, metric_vs_metric)
    assert list(results) == ["cars3d", "dsprites"]
    assert results["cars3d"] == "not enough runs (2, need 3)"
    long = stack(results)
    assert set(long["dataset"]) == {"dsprites"} and len(long) == 25
