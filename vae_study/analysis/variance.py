"""Hyperparameters against random seeds: how much of a score the choices explain.

Locatello et al. 2019 ask whether the choice of model and regularisation strength matters more
than the random seed, and find the spread of a metric across seeds at one model and strength
comparable to its spread across models and strengths (their violin plots of scores per model and
strength). Two summaries, per data set and metric, over the runs with a finite score:

* :func:`variance_split`, a nested sum-of-squares decomposition. With y the scores, the total
  SS = sum (y - mean y)^2 splits exactly into
  ``model`` = sum over runs of (mean of the run's model - mean y)^2,
  ``strength`` = sum over runs of (mean of the run's model x strength - mean of its model)^2, and
  ``seed`` = sum over runs of (y - mean of its model x strength)^2;
  each is reported as a share of the total (the three add up to 1). ``seed`` is the variance no
  choice of model and strength accounts for.
* :func:`bad_strength_beats_good`. For each model, the good strength g is the one with the
  highest median score across seeds and the bad strength b the one with the lowest (ties: the
  lower index). The share is P(Y_b > Y_g) + P(Y_b = Y_g) / 2 over all pairs of a run at b and a
  run at g: how often a seed at the bad strength beats a seed at the good one. 0 means every run
  at b is below every run at g; 0.5 means the strength does not matter.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from vae_study.analysis.correlations import MIN_RUNS

SHARES = ("model", "strength", "seed")


def _split(runs: pd.DataFrame, column: str) -> dict[str, float]:
    y = runs[column]
    mean = y.mean()
    by_model = y.groupby(runs["model"]).transform("mean")
    by_cell = y.groupby([runs["model"], runs["strength"]]).transform("mean")
    squares = {
        "model": ((by_model - mean) ** 2).sum(),
        "strength": ((by_cell - by_model) ** 2).sum(),
        "seed": ((y - by_cell) ** 2).sum(),
    }
    total = sum(squares.values())
    return {k: v / total if total > 0 else float("nan") for k, v in squares.items()}


def variance_split(table: pd.DataFrame, metrics: Mapping[str, str]) -> pd.DataFrame:
    """Shares of each metric's variance explained by model, by strength within model, by seed.

    One row per data set and metric (``metrics`` maps column keys to labels) with at least
    :data:`MIN_RUNS` finite scores: ``dataset``, ``metric`` (the label), ``runs``, ``model``,
    ``strength``, ``seed``. See the module docstring for the definition.
    """
    rows = []
    for dataset, runs in sorted(table.groupby("dataset"), key=lambda item: str(item[0])):
        for key, label in metrics.items():
            scored = runs[np.isfinite(runs[key].astype(float))]
            if len(scored) >= MIN_RUNS:
                shares = _split(scored, key)
                rows.append({"dataset": dataset, "metric": label, "runs": len(scored), **shares})
    return pd.DataFrame(rows, columns=["dataset", "metric", "runs", *SHARES])


def _beats(bad: np.ndarray, good: np.ndarray) -> float:
    difference = bad[:, None] - good[None, :]
    return float(np.mean(difference > 0) + 0.5 * np.mean(difference == 0))


def bad_strength_beats_good(table: pd.DataFrame, metrics: Mapping[str, str]) -> pd.DataFrame:
    """How often a seed at a model's worst strength beats a seed at its best (module docstring).

    One row per data set, model and metric with at least two strengths: ``dataset``, ``model``,
    ``metric`` (the label), ``good_strength``, ``bad_strength`` (indices), ``share``.
    """
    rows = []
    groups = sorted(table.groupby(["dataset", "model"]), key=lambda item: tuple(map(str, item[0])))
    for (dataset, model), runs in groups:
        for key, label in metrics.items():
            scored = runs[np.isfinite(runs[key].astype(float))]
            medians = scored.groupby("strength")[key].median().sort_index()
            if len(medians) < 2:
                continue
            good, bad = int(medians.idxmax()), int(medians.idxmin())
            share = _beats(
                scored.loc[scored["strength"] == bad, key].to_numpy(float),
                scored.loc[scored["strength"] == good, key].to_numpy(float),
            )
            rows.append({
                "dataset": dataset, "model": model, "metric": label,
                "good_strength": good, "bad_strength": bad, "share": share,
            })  # fmt: skip
    columns = ["dataset", "model", "metric", "good_strength", "bad_strength", "share"]
    return pd.DataFrame(rows, columns=columns)
