"""Spearman rank correlations of weighted samples, for many weightings at once.

A bootstrap resample is a weighting of the original runs (how often each one is drawn), so one
function of ``(values, weights)`` gives the estimate (unit weights), every resample and every
jackknife sample, without copying or sorting a resampled array. Under weights w the mid-rank of
a value x is the weight of the values below x plus half the weight of the values equal to x:
the average rank that ``pandas.Series.rank(method="average")`` gives the resampled runs, less
1/2 (a shift the correlation does not see). Spearman's rho is then the w-weighted Pearson
correlation of the mid-ranks (Spearman 1904; ties by average ranks as in Kendall 1948, *Rank
Correlation Methods*, ch. 3). With integer weights it equals ``DataFrame.corr("spearman")`` of
the runs repeated that often.

Pairs are complete-case, as ``DataFrame.corr`` makes them: the correlation of two scores is
taken over the runs where both are finite, ranked among those runs only.
"""

from __future__ import annotations

import numpy as np

CHUNK_VALUES = 4_000_000
"""Most rank values held at once (a weighting-rows x runs x scores block, float64: 32 MB)."""


def _centred_midranks(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mid-ranks of finite ``values`` (n,) under each column of ``weights`` (n, R), less their
    weighted mean (half the total weight, for mid-ranks): (n, R).

    One sort of ``values`` serves every weighting. The running sum of the sorted weights at the
    last value of a tie group is the weight at or below the group, at its first value less one
    the weight below it; the group's mid-rank is their mean. Runs lie along the first axis, so
    each step of the running sum is one vector operation over the weightings.
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts_group = np.r_[True, ordered[1:] != ordered[:-1]]
    last = np.r_[np.flatnonzero(starts_group)[1:] - 1, len(values) - 1]
    at_or_below = np.cumsum(weights[order], axis=0)[last]
    below = np.zeros_like(at_or_below)
    below[1:] = at_or_below[:-1]
    midrank = (at_or_below + below) / 2
    ranks = np.empty_like(weights)
    ranks[order] = midrank[np.cumsum(starts_group) - 1]
    ranks -= weights.sum(axis=0) / 2
    return ranks


def _correlation_block(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted Pearson correlation of the mid-ranks of every column pair of ``scores`` (n, k)
    under each row of ``weights`` (R, n): (R, k, k)."""
    by_run = np.ascontiguousarray(weights.T)
    root = np.sqrt(by_run)
    scaled = np.empty((weights.shape[0], scores.shape[1], scores.shape[0]))
    for j, column in enumerate(scores.T):
        scaled[:, j, :] = (_centred_midranks(column, by_run) * root).T
    covariance = np.matmul(scaled, scaled.transpose(0, 2, 1))
    spread = np.sqrt(np.diagonal(covariance, axis1=1, axis2=2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return covariance / (spread[:, :, None] * spread[:, None, :])


def _pair_groups(finite: np.ndarray) -> dict[bytes, list[tuple[int, int]]]:
    """Column pairs (i <= j) grouped by their complete-case mask."""
    groups: dict[bytes, list[tuple[int, int]]] = {}
    count = finite.shape[1]
    for i in range(count):
        for j in range(i, count):
            groups.setdefault((finite[:, i] & finite[:, j]).tobytes(), []).append((i, j))
    return groups


def spearman_matrix(
    scores: np.ndarray, weights: np.ndarray, *, min_runs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Spearman's rho between every pair of columns of ``scores`` (n, k) under each row of
    ``weights`` (R, n), and the number of complete runs of each pair.

    Returns ``(rho, runs)``: rho (R, k, k), NaN where a pair has fewer than ``min_runs``
    complete runs or a score is constant under the weighting; runs (k, k) int.
    """
    scores = np.asarray(scores, dtype=float)
    weights = np.asarray(weights, dtype=float)
    finite = np.isfinite(scores)
    count = scores.shape[1]
    rho = np.full((weights.shape[0], count, count), np.nan)
    runs = np.zeros((count, count), dtype=int)
    for mask_bytes, pairs in _pair_groups(finite).items():
        mask = np.frombuffer(mask_bytes, dtype=bool)
        first, second = (np.array(side) for side in zip(*pairs, strict=True))
        runs[first, second] = runs[second, first] = int(mask.sum())
        if mask.sum() < min_runs:
            continue
        columns = np.unique(np.r_[first, second])
        position = np.searchsorted(columns, [first, second])
        block = scores[np.ix_(mask, columns)]
        step = max(1, CHUNK_VALUES // (block.shape[0] * len(columns)))
        for start in range(0, weights.shape[0], step):
            part = _correlation_block(block, weights[start : start + step, mask])
            values = part[:, position[0], position[1]]
            rho[start : start + step, first, second] = values
            rho[start : start + step, second, first] = values
    return rho, runs
