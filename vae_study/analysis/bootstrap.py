"""The study's bootstrap: resample seeds within each model x strength cell, and its intervals.

A study is a designed experiment: every configuration (model x strength) is trained with a few
seeds, and only the seeds are random. A resample therefore keeps every cell and redraws its
runs from that cell alone: the stratified bootstrap (Davison & Hinkley 1997, *Bootstrap Methods
and their Application*, §3.2). Drawing all n_h runs of a cell of n_h underestimates the
within-cell variance by the factor (n_h - 1) / n_h, a third at the mini study's 3 seeds per
cell; each cell therefore draws n_h - 1 runs and weighs them by n_h / (n_h - 1), so that it
keeps its total weight. That is the rescaling bootstrap of Rao & Wu (1988, JASA 83:231) with
m_h = n_h - 1 (McCarthy & Snowden 1985), which makes the bootstrap variance of a stratified mean
unbiased. A cell of one run keeps that run, so its seed variation is not in the intervals; a
data set none of whose cells has two runs has no seed variation to resample, and its intervals
are NaN rather than the point estimate (:attr:`Resampling.replicated`).

Resamples are rows of weights over the runs (:func:`stratified_weights`); every statistic of
this package is a function of such rows, so the estimate is its value at unit weights, the
jackknife its values with one run left out (:func:`jackknife`).

Intervals, at level 1 - alpha:

* :func:`percentile_interval`: the alpha/2 and 1 - alpha/2 quantiles of the resamples;
* :func:`bca_interval`: bias-corrected and accelerated (Efron 1987, JASA 82:171; Efron &
  Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 14): the quantiles at
  Phi(z0 + (z0 + z) / (1 - a (z0 + z))) for z = Phi^-1(alpha/2), Phi^-1(1 - alpha/2), with z0 =
  Phi^-1 of the share of resamples below the estimate (ties count half) and the acceleration a
  from the stratified jackknife influence values l_hj = (n_h - 1) (mean of t_-h. - t_-hj):
  a = sum_h n_h^-3 sum_j l_hj^3 / (6 (sum_h n_h^-2 sum_j l_hj^2)^(3/2)) (Davison & Hinkley
  1997, §5.3.2, with the stratified influence values of §3.2).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

Statistic = Callable[[np.ndarray], np.ndarray]
"""A statistic of weighted runs: weights (R, n) -> values (R, ...), one per weighting row."""

METHODS = ("percentile", "bca")


def stratified_weights(cells: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``resamples`` rows of run weights (R, n) that redraw each cell's runs within the cell.

    ``cells`` (n,) labels each run's model x strength cell. A cell of n_h >= 2 runs draws
    n_h - 1 of them with replacement, each draw weighing n_h / (n_h - 1); a cell of one run
    keeps it. Every row gives every cell its original total weight n_h, so no cell is dropped.
    """
    cells = np.asarray(cells)
    weights = np.zeros((resamples, len(cells)))
    for cell in np.unique(cells):
        members = np.flatnonzero(cells == cell)
        size = len(members)
        if size == 1:
            weights[:, members] = 1.0
            continue
        draws = rng.multinomial(size - 1, np.full(size, 1.0 / size), size=resamples)
        weights[:, members] = draws * (size / (size - 1))
    return weights


def evaluate(statistic: Statistic, weights: np.ndarray, *, chunk: int = 200) -> np.ndarray:
    """``statistic`` over the rows of ``weights``, ``chunk`` rows at a time (bounded memory)."""
    parts = [statistic(weights[start : start + chunk]) for start in range(0, len(weights), chunk)]
    return np.concatenate(parts, axis=0)


def jackknife(statistic: Statistic, count: int, *, chunk: int = 200) -> np.ndarray:
    """``statistic`` with each of ``count`` runs left out in turn (unit weights, one 0): (count,
    ...), the leave-one-out weightings built ``chunk`` rows at a time."""
    parts = []
    for start in range(0, count, chunk):
        rows = np.ones((min(chunk, count - start), count))
        rows[np.arange(len(rows)), start + np.arange(len(rows))] = 0.0
        parts.append(statistic(rows))
    return np.concatenate(parts, axis=0)


def percentile_interval(replicates: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The equal-tailed percentile interval of ``replicates`` (R, ...), NaN replicates left out."""
    alpha = 1.0 - level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN cell's interval is NaN
        low, high = np.nanquantile(replicates, [alpha / 2, 1 - alpha / 2], axis=0)
    return low, high


def acceleration(left_out: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """The BCa acceleration (module docstring) from the leave-one-run-out values ``left_out``
    (n, ...) of runs in ``cells`` (n,): (...)."""
    cells = np.asarray(cells)
    cubes = np.zeros(left_out.shape[1:])
    squares = np.zeros(left_out.shape[1:])
    for cell in np.unique(cells):
        members = cells == cell
        size = int(members.sum())
        if size < 2:
            continue
        in_cell = left_out[members]
        influence = (size - 1) * (in_cell.mean(axis=0) - in_cell)
        cubes += (influence**3).sum(axis=0) / size**3
        squares += (influence**2).sum(axis=0) / size**2
    with np.errstate(invalid="ignore", divide="ignore"):
        return cubes / (6.0 * squares**1.5)


def bca_interval(
    estimate: np.ndarray,
    replicates: np.ndarray,
    left_out: np.ndarray,
    cells: np.ndarray,
    level: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The BCa interval (module docstring) of ``estimate`` (...) from its ``replicates``
    (R, ...) and its leave-one-run-out values ``left_out`` (n, ...) of runs in ``cells``; NaN
    replicates are left out, and an element whose acceleration is undefined (no spread) gets
    the bias-corrected percentile interval."""
    finite = np.isfinite(replicates)
    count = finite.sum(axis=0)
    below = ((replicates < estimate) & finite).sum(axis=0)
    equal = ((replicates == estimate) & finite).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (below + 0.5 * equal) / count
    bias = ndtri(np.clip(share, 0.5 / np.maximum(count, 1), 1 - 0.5 / np.maximum(count, 1)))
    accel = np.nan_to_num(acceleration(left_out, cells), nan=0.0)
    alpha = 1.0 - level
    bounds = []
    for z in (ndtri(alpha / 2), ndtri(1 - alpha / 2)):
        shifted = bias + z
        bounds.append(ndtr(bias + shifted / (1.0 - accel * shifted)))
    low, high = (_quantile_each(replicates, q) for q in bounds)
    return low, high


def _quantile_each(replicates: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """For each element of the statistic, the ``probability`` (...) quantile of its finite
    replicates (R, ...), interpolated linearly as ``np.quantile`` does."""
    ordered = np.sort(replicates, axis=0)  # NaN sorts last
    count = np.isfinite(replicates).sum(axis=0)
    position = np.nan_to_num(probability) * np.maximum(count - 1, 0)
    lower = np.floor(position).astype(int)
    upper = np.minimum(lower + 1, np.maximum(count - 1, 0))
    fraction = position - lower
    take = np.take_along_axis
    low_value = take(ordered, lower[None], axis=0)[0]
    high_value = take(ordered, upper[None], axis=0)[0]
    value = low_value + fraction * (high_value - low_value)
    return np.where((count > 0) & np.isfinite(probability), value, np.nan)


@dataclass(frozen=True)
class Interval:
    """A statistic's estimate and its interval, arrays of the statistic's shape."""

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass(frozen=True)
class Resampling:
    """One set of stratified resamples of a data set's runs, shared by all its statistics.

    ``cells`` (n,) labels each run's model x strength cell; ``weights`` (R, n) are the
    resamples (:func:`stratified_weights`); intervals are ``method`` (of :data:`METHODS`) at
    ``level``.
    """

    cells: np.ndarray
    weights: np.ndarray
    level: float
    method: str

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown interval method {self.method!r}; one of {METHODS}")

    @classmethod
    def draw(
        cls,
        cells: np.ndarray,
        *,
        resamples: int,
        level: float,
        method: str,
        rng: np.random.Generator,
    ) -> Resampling:
        return cls(np.asarray(cells), stratified_weights(cells, resamples, rng), level, method)

    def subset(self, runs: np.ndarray) -> Resampling:
        """The same resamples restricted to the runs where ``runs`` (a boolean mask) is True."""
        return Resampling(self.cells[runs], self.weights[:, runs], self.level, self.method)

    @property
    def replicated(self) -> bool:
        """Whether any cell has two runs or more, so that the resamples vary at all."""
        sizes = np.unique(self.cells, return_counts=True)[1]
        return bool(sizes.size) and int(sizes.max()) >= 2

    def interval(self, statistic: Statistic) -> Interval:
        """``statistic``'s estimate (unit weights) and its interval over these resamples; NaN
        ends where no cell is :attr:`replicated`."""
        count = len(self.cells)
        estimate = statistic(np.ones((1, count)))[0]
        if not self.replicated:
            unknown = np.full(np.shape(estimate), np.nan)
            return Interval(estimate, unknown, unknown.copy())
        replicates = evaluate(statistic, self.weights)
        if self.method == "percentile":
            low, high = percentile_interval(replicates, self.level)
        else:
            left_out = jackknife(statistic, count)
            low, high = bca_interval(estimate, replicates, left_out, self.cells, self.level)
        return Interval(estimate, low, high)
