"""Synthetic studies with a known Spearman correlation, for the interval coverage checks.

Each study is n runs laid out as the study's design (models x strengths cells of a few seeds),
whose two scores are drawn independently per run from a pair with a known population Spearman
correlation rho_s:

* :func:`normal_pair`: a bivariate normal with Pearson correlation r, for which
  rho_s = (6 / pi) arcsin(r / 2) (Pearson 1907; Kruskal 1958, JASA 53:814);
* :func:`uniform_sum_pair`: X ~ U(0, 1) and Y = exp(3 (X + E)) with E ~ U(0, 1) independent, a
  monotone non-linear relation with a non-Gaussian copula. Its Spearman correlation is that of
  (X, X + E): rho_s = 12 E[F_X(X) F_S(X + E)] - 3 with F_S the triangular CDF of X + E, which
  integrates to 37/120, so rho_s = 12 * 37/120 - 3 = 7/10;
* :func:`cell_effect_pair`: the normal pair plus a fixed shift per model x strength cell, the
  same in every study (a configuration's effect on both scores), so that ranks mix between-cell
  and within-cell differences as in a real study. Only the seeds are random, and the estimand
  is the Spearman correlation of the design's mixture of cells (equal weights), computed from
  a million draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

from vae_study.analysis.bootstrap import Resampling, stratified_weights
from vae_study.analysis.rank_correlation import spearman_matrix

Draw = Callable[[np.random.Generator, int], np.ndarray]
Scheme = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]
"""How resamples are drawn: (cells, resamples, rng) -> weights (resamples, runs)."""

DESIGNS = {24: (4, 2, 3), 300: (4, 5, 15)}
"""Runs -> (models, strengths, seeds): the mini study's design, and a larger one."""


def design_cells(runs: int) -> np.ndarray:
    models, strengths, seeds = DESIGNS[runs]
    return np.repeat(np.arange(models * strengths), seeds)


def normal_pair(r: float) -> tuple[Draw, float]:
    """Draws of a bivariate normal pair with Pearson r, and its Spearman correlation."""
    covariance = np.array([[1.0, r], [r, 1.0]])

    def draw(rng: np.random.Generator, runs: int) -> np.ndarray:
        return rng.multivariate_normal(np.zeros(2), covariance, size=runs)

    return draw, 6 / np.pi * np.arcsin(r / 2)


def uniform_sum_pair() -> tuple[Draw, float]:
    """Draws of (X, exp(3 (X + E))) with X, E ~ U(0, 1), and its Spearman correlation 0.7."""

    def draw(rng: np.random.Generator, runs: int) -> np.ndarray:
        x, e = rng.uniform(size=(2, runs))
        return np.c_[x, np.exp(3 * (x + e))]

    return draw, 0.7


def cell_effect_pair(r: float, runs: int) -> tuple[Draw, float]:
    """Draws of the normal pair with Pearson ``r`` shifted by each cell's fixed effect, laid
    out as :func:`design_cells` (``runs``), and the Spearman correlation of the design."""
    cells = design_cells(runs)
    count = int(cells.max()) + 1
    mixing = np.array([[1.0, 0.6], [0.0, 0.8]])  # the cell effects on the two scores correlate
    effects = np.random.default_rng(12345).normal(size=(count, 2)) @ mixing
    noise, _ = normal_pair(r)

    def shifted(rng: np.random.Generator, layout: np.ndarray) -> np.ndarray:
        return noise(rng, len(layout)) + effects[layout]

    def draw(rng: np.random.Generator, size: int) -> np.ndarray:
        return shifted(rng, cells[:size])  # the design's first `size` runs

    mixture = np.tile(np.arange(count), 1_000_000 // count)
    truth = spearmanr(shifted(np.random.default_rng(54321), mixture)).statistic
    return draw, float(truth)


def iid_weights(cells: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """n draws from all n runs, cells ignored: the bootstrap that does not know the design."""
    return rng.multinomial(len(cells), np.full(len(cells), 1 / len(cells)), size=resamples) * 1.0


@dataclass(frozen=True)
class Coverage:
    """How often the interval held the truth, and its mean width, over ``studies`` studies."""

    covered: float
    width: float
    studies: int


def coverage(
    draw: Draw,
    truth: float,
    runs: int,
    *,
    studies: int,
    resamples: int,
    method: str = "bca",
    level: float = 0.95,
    seed: int = 0,
    scheme: Scheme = stratified_weights,
) -> Coverage:
    """The coverage of the Spearman interval over ``studies`` synthetic studies, resampled by
    ``scheme`` (the study's stratified bootstrap unless told otherwise)."""
    rng = np.random.default_rng(seed)
    cells = design_cells(runs)
    hits, widths = [], []
    for _ in range(studies):
        scores = draw(rng, runs)
        sampling = Resampling(cells, scheme(cells, resamples, rng), level, method)
        interval = sampling.interval(
            lambda weights, s=scores: spearman_matrix(s, weights, min_runs=3)[0][:, 0, 1]
        )
        hits.append(interval.low <= truth <= interval.high)
        widths.append(interval.high - interval.low)
    return Coverage(float(np.mean(hits)), float(np.mean(widths)), studies)
