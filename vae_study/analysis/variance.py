"""Hyperparameters against random seeds: how much of a score the choices explain, with intervals.

Locatello et al. 2019 (§5.3) ask whether the choice of model and regularisation strength matters
more than the random seed, and find the spread of a metric across seeds at one model and strength
comparable to its spread across models and strengths (their violin plots of scores per model and
strength). Two summaries, per data set and metric, over the runs with a finite score, each a
function of run weights (so the estimate is its value at unit weights and its interval comes from
the study's stratified bootstrap, :mod:`~vae_study.analysis.bootstrap`, over the resamples every
statistic of the data set shares, :mod:`~vae_study.analysis.design`):

* :func:`variance_shares`, a nested sum-of-squares decomposition. With y the scores and w the
  weights, the total SS = sum w (y - mean y)^2 splits exactly into
  ``model`` = sum over runs of w (mean of the run's model - mean y)^2,
  ``strength`` = sum over runs of w (mean of the run's model x strength - mean of its model)^2,
  and ``seed`` = sum over runs of w (y - mean of its model x strength)^2 (all means weighted);
  each is reported as a share of the total (the three add up to 1). ``seed`` is the variance no
  choice of model and strength accounts for.
* :func:`bad_beats_good`. For each model, the good strength g is the one with the highest
  median score across seeds and the bad strength b the one with the lowest (ties: the lower
  index for g, the higher for b, so that they differ), both chosen once from all its runs
  (:func:`good_and_bad`). The share is
  P(Y_b > Y_g) + P(Y_b = Y_g) / 2 over all pairs of a run at b and a run at g, pairs weighted by
  the product of their runs' weights: how often a seed at the bad strength beats a seed at the
  good one (a Mann-Whitney probability). 0 means every run at b is below every run at g; 0.5
  means the strength does not matter. Its interval is conditional on the chosen g and b: a
  bootstrap that chose them again in every resample would add the choice's optimism a second
  time (at 3 seeds per cell it put estimates outside their own intervals). When the runs at b
  and at g do not overlap, every resample gives the same share and the interval has no width:
  the bootstrap cannot say more with so few seeds.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np
import pandas as pd
from scipy import sparse

from vae_study.analysis.correlations import MIN_RUNS
from vae_study.analysis.design import design_cells, resampling
from vae_study.analysis.settings import AnalysisSettings

SHARES = ("model", "strength", "seed")


def _members(codes: np.ndarray) -> sparse.csr_array:
    """The sparse (groups, runs) indicator of each run's group."""
    count = len(codes)
    return sparse.csr_array(
        (np.ones(count), (codes, np.arange(count))), shape=(codes.max() + 1, count)
    )


def variance_shares(
    scores: np.ndarray, models: np.ndarray, cells: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Shares of the variance of ``scores`` (n,) explained by model, by strength within model and
    by seed (module docstring), under each row of ``weights`` (R, n): (R, 3), NaN where the
    scores do not vary. ``models`` and ``cells`` (n,) number each run's model and model x
    strength cell from 0; NaN scores weigh nothing."""
    finite = np.isfinite(scores)
    y = np.where(finite, scores, 0.0)
    by_run = np.ascontiguousarray(weights.T) * finite[:, None]  # (n, R): sparse sums run fast
    in_cells = _members(cells)
    cell_weight, cell_sum = (in_cells @ by_run).T, (in_cells @ (by_run * y[:, None])).T
    model_of_cell = np.zeros(in_cells.shape[0], dtype=int)
    model_of_cell[cells] = models
    cell_model = _members(model_of_cell).T  # (cells, models)
    model_weight, model_sum = cell_weight @ cell_model, cell_sum @ cell_model
    total, total_sum, total_square = by_run.sum(axis=0), y @ by_run, y**2 @ by_run
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total_sum / total
        model_mean = np.where(model_weight > 0, model_sum / model_weight, 0.0)
        cell_mean = np.where(cell_weight > 0, cell_sum / cell_weight, 0.0)
    squares = np.stack([
        (model_weight * (model_mean - mean[:, None]) ** 2).sum(axis=1),
        (cell_weight * (cell_mean - model_mean[:, model_of_cell]) ** 2).sum(axis=1),
        np.maximum(total_square - (cell_weight * cell_mean**2).sum(axis=1), 0.0),  # in cells
    ])  # fmt: skip
    whole = squares.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(whole > 0, squares / whole, np.nan).T


def good_and_bad(scores: np.ndarray, strengths: np.ndarray) -> tuple[int, int]:
    """The strengths (indices) of one model's runs with the highest and the lowest median of the
    finite ``scores`` (ties: the lower index for the highest, the higher for the lowest)."""
    finite = np.isfinite(scores)
    medians = pd.Series(scores[finite]).groupby(strengths[finite]).median().sort_index()
    return int(medians.idxmax()), int(medians[::-1].idxmin())


def bad_beats_good(scores: np.ndarray, at_bad: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """P(bad > good) + P(bad = good) / 2 over the pairs of a run at the bad strength (where
    ``at_bad``) and one at the good strength (elsewhere) of ``scores`` (m,) (module docstring),
    under each row of ``weights`` (R, m): (R,)."""
    bad, good = scores[at_bad], scores[~at_bad]
    wins = (bad[:, None] > good[None, :]) + 0.5 * (bad[:, None] == good[None, :])
    bad_weights, good_weights = weights[:, at_bad], weights[:, ~at_bad]
    pairs = np.einsum("ri,ij,rj->r", bad_weights, wins, good_weights)
    with np.errstate(invalid="ignore"):  # a jackknife sample may leave a strength no runs
        return pairs / (bad_weights.sum(axis=1) * good_weights.sum(axis=1))


def _by_dataset(table: pd.DataFrame):
    return sorted(table.groupby("dataset"), key=lambda item: str(item[0]))


def variance_split(
    table: pd.DataFrame, metrics: Mapping[str, str], settings: AnalysisSettings
) -> pd.DataFrame:
    """Shares of each metric's variance explained by model, by strength within model, by seed,
    each with its interval.

    One row per data set and metric (``metrics`` maps column keys to labels) with at least
    :data:`MIN_RUNS` finite scores: ``dataset``, ``metric`` (the label), ``runs``, then for each
    of ``model``, ``strength``, ``seed`` the share and its ``<share>_low`` and ``<share>_high``.
    See the module docstring for the definition.
    """
    rows = []
    for dataset, runs in _by_dataset(table):
        sampling = resampling(runs, settings)
        models = runs.groupby("model", sort=True).ngroup().to_numpy()
        cells = design_cells(runs)
        for key, label in metrics.items():
            scores = runs[key].to_numpy(dtype=float)
            scored = int(np.isfinite(scores).sum())
            if scored < MIN_RUNS:
                continue
            interval = sampling.interval(partial(variance_shares, scores, models, cells))
            row = {"dataset": dataset, "metric": label, "runs": scored}
            for i, share in enumerate(SHARES):
                row[share] = interval.estimate[i]
                row[f"{share}_low"], row[f"{share}_high"] = interval.low[i], interval.high[i]
            rows.append(row)
    bounds = [f"{share}{end}" for share in SHARES for end in ("", "_low", "_high")]
    return pd.DataFrame(rows, columns=["dataset", "metric", "runs", *bounds])


def bad_strength_beats_good(
    table: pd.DataFrame, metrics: Mapping[str, str], settings: AnalysisSettings
) -> pd.DataFrame:
    """How often a seed at a model's worst strength beats a seed at its best (module docstring),
    with its interval.

    One row per data set, model and metric with at least two strengths: ``dataset``, ``model``,
    ``metric`` (the label), ``good_strength``, ``bad_strength`` (indices), ``share``, ``low``,
    ``high``.
    """
    rows = []
    for dataset, runs in _by_dataset(table):
        sampling = resampling(runs, settings)
        strengths = runs["strength"].to_numpy(dtype=int)
        models = runs["model"].to_numpy()
        for model in sorted(map(str, runs["model"].unique())):
            mine = models == model
            for key, label in metrics.items():
                scores = runs[key].to_numpy(dtype=float)
                finite = mine & np.isfinite(scores)
                if len(np.unique(strengths[finite])) < 2:
                    continue
                good, bad = good_and_bad(scores[mine], strengths[mine])
                pair = finite & np.isin(strengths, [good, bad])
                interval = sampling.subset(pair).interval(
                    partial(bad_beats_good, scores[pair], strengths[pair] == bad)
                )
                rows.append({
                    "dataset": dataset, "model": model, "metric": label,
                    "good_strength": good, "bad_strength": bad,
                    "share": float(interval.estimate), "low": float(interval.low),
                    "high": float(interval.high),
                })  # fmt: skip
    columns = ["dataset", "model", "metric", "good_strength", "bad_strength", "share"]
    return pd.DataFrame(rows, columns=[*columns, "low", "high"])
