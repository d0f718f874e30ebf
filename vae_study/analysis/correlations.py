"""Spearman rank correlations between metrics, and between metrics and downstream accuracy,
each with its bootstrap interval.

Locatello et al. 2019, Figure 2 (metric vs metric), Figure 5 (metric vs downstream performance)
and Figure 6 (GBT efficiency vs the FactorVAE score): over every trained model of one data set
(all models, strengths and seeds), the Spearman rank correlation of two scores, reported x100.
Pairs are complete-case: a run with a NaN score (a metric that does not apply) drops out of the
correlations that score is in. Each correlation's interval comes from the study's stratified
bootstrap (:mod:`~vae_study.analysis.bootstrap`: seeds redrawn within each model x strength
cell), all correlations of a data set from the same resamples
(:mod:`~vae_study.analysis.design`); the correlations themselves are
:func:`~vae_study.analysis.rank_correlation.spearman_matrix`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from vae_study.analysis.design import resampling
from vae_study.analysis.rank_correlation import spearman_matrix
from vae_study.analysis.settings import AnalysisSettings

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

    def __init__(self, runs: int) -> None:
        super().__init__(f"not enough runs ({runs}, need {MIN_RUNS})")


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


SCALE = 100.0
"""Correlations are reported x100, as in the paper."""

CELL_COLUMNS = ["estimate", "low", "high", "n"]


@dataclass(frozen=True)
class IntervalMatrix:
    """Spearman x100 of row scores against column scores: the estimate, the interval's ends and
    the number of complete runs of each cell, as frames indexed by the scores' labels."""

    estimate: pd.DataFrame
    low: pd.DataFrame
    high: pd.DataFrame
    runs: pd.DataFrame

    def select(self, rows: list[str], columns: list[str]) -> IntervalMatrix:
        """The cells of the labels ``rows`` x ``columns``."""
        return IntervalMatrix(*(frame.loc[rows, columns] for frame in self.frames()))

    def reindex_like(self, other: pd.DataFrame) -> IntervalMatrix:
        """Aligned to ``other``'s rows and columns (labels this matrix lacks are NaN)."""
        return IntervalMatrix(*(frame.reindex_like(other) for frame in self.frames()))

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        return self.estimate, self.low, self.high, self.runs

    def long(self) -> pd.DataFrame:
        """One row per cell: ``metric``, ``column``, ``estimate``, ``low``, ``high``, ``n``."""
        parts = {
            name: frame.stack(future_stack=True)
            for name, frame in zip(CELL_COLUMNS, self.frames(), strict=True)
        }
        long = pd.DataFrame(parts).reset_index()
        long.columns = ["metric", "column", *CELL_COLUMNS]
        return long.astype({"n": int})


def spearman(
    table: pd.DataFrame,
    rows: Mapping[str, str],
    columns: Mapping[str, str],
    settings: AnalysisSettings,
) -> IntervalMatrix:
    """Spearman x100 of each ``rows`` score with each ``columns`` score of one data set's runs,
    with its interval.

    ``rows`` and ``columns`` map column keys of ``table`` to labels; the result is indexed by the
    labels. A pair with fewer than :data:`MIN_RUNS` complete runs is NaN.

    Raises :class:`NotEnoughRunsError` when ``table`` has fewer than :data:`MIN_RUNS` rows.
    """
    if len(table) < MIN_RUNS:
        raise NotEnoughRunsError(len(table))
    keys = list(dict.fromkeys([*rows, *columns]))
    scores = table[keys].to_numpy(dtype=float)

    def rho(weights: np.ndarray) -> np.ndarray:
        return spearman_matrix(scores, weights, min_runs=MIN_RUNS)[0]

    interval = resampling(table, settings).interval(rho)
    runs = spearman_matrix(scores, np.ones((1, len(scores))), min_runs=MIN_RUNS)[1]
    where = np.ix_([keys.index(k) for k in rows], [keys.index(k) for k in columns])

    def frame(values: np.ndarray) -> pd.DataFrame:
        matrix = pd.DataFrame(
            values[where], index=list(rows.values()), columns=list(columns.values())
        )
        matrix.index.name, matrix.columns.name = "metric", None
        return matrix

    return IntervalMatrix(
        frame(SCALE * interval.estimate),
        frame(SCALE * interval.low),
        frame(SCALE * interval.high),
        frame(runs),
    )


def study_correlations(table: pd.DataFrame, settings: AnalysisSettings) -> IntervalMatrix:
    """Every correlation the figures show, of one data set's runs: the metrics and the
    downstream scores against each other, from one set of resamples."""
    scores = {**present(table, METRICS), **downstream_columns(table)}
    return spearman(table, scores, scores, settings)


def _metric_labels(matrix: IntervalMatrix) -> list[str]:
    return [label for label in METRICS.values() if label in matrix.estimate.index]


def metric_vs_metric(matrix: IntervalMatrix) -> IntervalMatrix:
    """Figure 2: the disentanglement metrics against each other."""
    metrics = _metric_labels(matrix)
    return matrix.select(metrics, metrics)


def metric_vs_downstream(matrix: IntervalMatrix) -> IntervalMatrix:
    """Figure 5: each metric against downstream accuracy and efficiency."""
    metrics = _metric_labels(matrix)
    downstream = [label for label in matrix.estimate.columns if label not in metrics]
    return matrix.select(metrics, downstream)


def _result_or_note(
    compute: Callable[[pd.DataFrame], IntervalMatrix], runs: pd.DataFrame
) -> IntervalMatrix | str:
    try:
        return compute(runs)
    except NotEnoughRunsError as error:
        return str(error)


def per_dataset(
    table: pd.DataFrame, compute: Callable[[pd.DataFrame], IntervalMatrix], n_jobs: int = 1
) -> dict[str, IntervalMatrix | str]:
    """``compute`` on each data set's runs, by sorted data set name, in ``n_jobs`` processes
    (joblib); a note instead of a result where the data set has too few runs."""
    groups = sorted(table.groupby("dataset"), key=lambda item: str(item[0]))
    results = Parallel(n_jobs=min(n_jobs, max(1, len(groups))))(
        delayed(_result_or_note)(compute, runs) for _, runs in groups
    )
    return {str(dataset): result for (dataset, _), result in zip(groups, results, strict=True)}


def stack(results: Mapping[str, IntervalMatrix | str]) -> pd.DataFrame:
    """Per-data-set matrices as one long table: ``dataset``, ``metric``, ``column``,
    ``estimate``, ``low``, ``high``, ``n`` (notes dropped)."""
    frames = [
        matrix.long().assign(dataset=dataset)
        for dataset, matrix in results.items()
        if isinstance(matrix, IntervalMatrix)
    ]
    columns = ["dataset", "metric", "column", *CELL_COLUMNS]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]
