"""A ground-truth data set whose observations are its own factor values, scaled to [0, 1].

The reference's test pattern for metrics (disentanglement_lib ``evaluation/metrics/*_test.py``,
``IdentityObservationsData``): with observations equal to the normalised factors, the identity
representation is perfectly disentangled, a rotation of it is not, and noise is uninformative,
so every metric has a known answer. Used by the metric tests and ``benchmarks/bench_metrics.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vae_study.data.ground_truth import FactorGridData


class FactorValueData(FactorGridData):
    """A full factor grid; an observation is its factor values scaled to [0, 1], shape (K,)."""

    def __init__(
        self, factor_sizes: Sequence[int] = (3, 4, 6), factor_names: Sequence[str] | None = None
    ) -> None:
        self.factor_sizes = tuple(int(s) for s in factor_sizes)
        names = factor_names or [f"factor_{k}" for k in range(len(self.factor_sizes))]
        self.factor_names = tuple(names)
        self.observation_shape = (len(self.factor_sizes),)

    def values(self, factors: np.ndarray) -> np.ndarray:
        """The observations of factor indices (n, K): each factor scaled to [0, 1]."""
        return (factors / (np.array(self.factor_sizes) - 1.0)).astype(np.float32)

    def sample_observations_from_factors(
        self, factors: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        return self.values(factors)
