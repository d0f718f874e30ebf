"""A linear mixture of independent non-Gaussian factors: the cocktail-party problem as data.

x = A s + noise, with K independent sources s_k, each uniform over ``levels`` values evenly
spaced in [-1, 1] (discrete, so the metrics apply; uniform, so non-Gaussian and ICA can identify
them), a fixed random mixing matrix A (``dim`` x K, Gaussian entries, drawn from
``mixing_seed``) and isotropic Gaussian noise of standard deviation ``noise``.

It makes the point of ICA (Hyvarinen and Oja 2000) concrete next to the study: FastICA recovers
the sources up to order, sign and scale, so its code is disentangled, while PCA recovers only
the subspace, a rotation of the sources (the rotation ambiguity of any Gaussian model).
Observations are real-valued vectors of shape (dim,), not images in [0, 1]: use ``arch=mlp``
and ``model.likelihood=gaussian`` for a VAE on it.
"""

from __future__ import annotations

import numpy as np

from vae_study.data.ground_truth import FactorGridData
from vae_study.errors import ConfigError


class LinearMixture(FactorGridData):
    """x = A s + noise for K independent discretised-uniform sources; see the module doc."""

    def __init__(
        self,
        num_factors: int = 5,
        levels: int = 20,
        dim: int = 20,
        noise: float = 0.0,
        mixing_seed: int = 0,
    ) -> None:
        if num_factors < 1 or levels < 2 or dim < num_factors or noise < 0:
            raise ConfigError(
                "dataset: linear_mixture needs num_factors >= 1, levels >= 2, "
                f"dim >= num_factors and noise >= 0; got num_factors={num_factors}, "
                f"levels={levels}, dim={dim}, noise={noise}"
            )
        self.factor_names = tuple(f"source_{k}" for k in range(num_factors))
        self.factor_sizes = (levels,) * num_factors
        self.observation_shape = (dim,)
        self.mixing = np.random.default_rng(mixing_seed).standard_normal((dim, num_factors))
        self.noise = noise
        self.levels = levels

    def sources(self, factors: np.ndarray) -> np.ndarray:
        """The source values of factor indices: evenly spaced in [-1, 1]."""
        return -1.0 + 2.0 * factors / (self.levels - 1)

    def sample_observations_from_factors(
        self, factors: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        mixed = self.sources(self.check_factors(factors)) @ self.mixing.T
        if self.noise > 0:
            mixed = mixed + self.noise * rng.standard_normal(mixed.shape)
        return mixed.astype(np.float32)
