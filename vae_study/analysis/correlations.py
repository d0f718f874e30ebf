"""Spearman rank correlations between metrics, and between metrics and downstream accuracy.

Locatello et al. 2019, Figure 2 (metric vs metric) and Figure 5 (metric vs downstream
performance): over every trained model of one data set (all models, strengths and seeds), the
Spearman rank correlation of two scores, reported x100. Pairs are complete-case: a run with a NaN
score (a metric that does not apply) drops out of the correlations that score is in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import pandas as pd

MIN_RUNS = 3
"""Fewest runs a data set needs for a rank correlation ("three models' worth")."""

METRICS = {
    "beta_vae": "BetaVAE",
    "factor_vae": "FactorVAE",
    "mig": "MIG",
    "dci": "DCI",
    "modularity": "Modularity",
    "sap": "SAP",
}
"""The headline disentanglement scores (keys of :mod:`vae_study.metrics`) and the paper's labels."""

DOWNSTREAM = {"downstream_lr": "LR", "downstream_gbt": "GBT"}


class NotEnoughRunsError(ValueError):
    """A data set has fewer than :data:`MIN_RUNS` runs with scores."""


def present(table: pd.DataFrame, columns: Mapping[str, str]) -> dict[str, str]:
    """The entries of ``columns`` (key -> label) whose key is a column of ``table``."""
    return {key: label for key, label in columns.items() if key in table.columns}


def downstream_columns(table: pd.DataFrame) -> dict[str, str]:
    """Downstream keys present in ``table`` and their Figure 5 labels, in the paper's order.

    ``downstream_lr.<n>.test_accuracy`` -> ``LR<n>`` for each training size n found (ascending),
    the same for GBT, then ``downstream_lr.efficiency`` -> ``Efficiency_LR`` and the GBT one.
    """
    columns: dict[str, str] = {}
    for prefix, label in DOWNSTREAM.items():
        pattern = re.compile(rf"{prefix}\.(\d+)\.test_accuracy")
        sizes = sorted(int(m[1]) for c in table.columns if (m := pattern.fullmatch(c)))
        columns.update({f"{prefix}.{n}.test_accuracy": f"{label}{n}" for n in sizes})
    for prefix, label in DOWNSTREAM.items():
        columns.update(present(table, {f"{prefix}.efficiency": f"Efficiency_{label}"}))
    return columns


def spearman(
    table: pd.DataFrame, rows: Mapping[str, str], columns: Mapping[str, str]
) -> pd.DataFrame:
    """Spearman rank correlation x100 of each ``rows`` score with each ``columns`` score.

    ``rows`` and ``columns`` map column keys of ``table`` to labels; the result is indexed by the
    labels. A pair with fewer than :data:`MIN_RUNS` complete runs is NaN.

    Raises :class:`NotEnoughRunsError` when ``table`` has fewer than :data:`MIN_RUNS` rows.
    """
    if len(table) < MIN_RUNS:
        raise NotEnoughRunsError(f"not enough runs ({len(table)}, need {MIN_RUNS})")
    keys = list(dict.fromkeys([*rows, *columns]))
    scores = table[keys].astype(float)
    matrix = scores.corr(method="spearman", min_periods=MIN_RUNS).loc[list(rows), list(columns)]
    matrix = 100.0 * matrix.rename(index=dict(rows), columns=dict(columns))
    matrix.index.name, matrix.columns.name = "metric", None
    return matrix


def metric_vs_metric(table: pd.DataFrame) -> pd.DataFrame:
    """Figure 2: the rank correlation x100 between the disentanglement metrics of ``table``."""
    metrics = present(table, METRICS)
    return spearman(table, metrics, metrics)


def metric_vs_downstream(table: pd.DataFrame) -> pd.DataFrame:
    """Figure 5: rank correlation x100 of each metric with downstream accuracy and efficiency."""
    return spearman(table, present(table, METRICS), downstream_columns(table))


def per_dataset(
    table: pd.DataFrame, compute: Callable[[pd.DataFrame], pd.DataFrame]
) -> dict[str, pd.DataFrame | str]:
    """``compute`` on each data set's runs, by sorted data set name; a note instead of a result
    where the data set has too few runs."""
    results: dict[str, pd.DataFrame | str] = {}
    for dataset, runs in sorted(table.groupby("dataset"), key=lambda item: str(item[0])):
        try:
            results[str(dataset)] = compute(runs)
        except NotEnoughRunsError as error:
            results[str(dataset)] = str(error)
    return results


def stack(results: Mapping[str, pd.DataFrame | str]) -> pd.DataFrame:
    """Per-data-set matrices as one long table: dataset, metric, column, value (notes dropped)."""
    frames = [
        matrix.stack(future_stack=True).rename("value").reset_index().assign(dataset=dataset)
        for dataset, matrix in results.items()
        if isinstance(matrix, pd.DataFrame)
    ]
    if not frames:
        return pd.DataFrame(columns=["dataset", "metric", "column", "value"])
    long = pd.concat(frames, ignore_index=True).rename(columns={"level_1": "column"})
    return long[["dataset", "metric", "column", "value"]]
