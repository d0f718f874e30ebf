"""Fixtures for the metric tests: small factor grids whose observations are the factor values,
and representations of them with known disentanglement (the reference's test pattern,
disentanglement_lib ``evaluation/metrics/*_test.py`` with ``dummy_data.IdentityObservationsData``).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import numpy as np
import pytest

from vae_study.data.factor_values import FactorValueData

Represent = Callable[[np.ndarray], np.ndarray]


class NoRenderData(FactorValueData):
    """Only i.i.d. sampling: rendering chosen factors raises NotImplementedError."""

    def sample_observations_from_factors(
        self, factors: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        raise NotImplementedError("factors are not a full grid")

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        factors = self.sample_factors(n, rng)
        return factors, self.values(factors)


class SampleOnlyData:
    """A data set without ``sample_observations_from_factors`` at all."""

    def __init__(self, factor_sizes: tuple[int, ...] = (3, 4, 6)) -> None:
        self._grid = FactorValueData(factor_sizes)
        self.factor_sizes = self._grid.factor_sizes
        self.factor_names = self._grid.factor_names
        self.observation_shape = self._grid.observation_shape
        self.sample_factors = self._grid.sample_factors
        self.sample = self._grid.sample


def identity(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def noise(num_codes: int, seed: int = 0) -> Represent:
    """Codes independent of the observations."""
    rng = np.random.default_rng(seed)
    return lambda x: rng.normal(size=(len(x), num_codes))


def rotated(num_factors: int, seed: int = 0) -> Represent:
    """A random rotation of the centred perfect code: entangles every code with every factor."""
    rotation, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(num_factors, num_factors)))
    return lambda x: (np.asarray(x, dtype=np.float64) - 0.5) @ rotation


def duplicated(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.hstack([x, x])


def permuted(num_factors: int, seed: int = 0) -> Represent:
    """The perfect code with its dimensions permuted."""
    order = np.random.default_rng(seed).permutation(num_factors)
    return lambda x: np.asarray(x, dtype=np.float64)[:, order]


def rescaled(num_factors: int, seed: int = 0) -> Represent:
    """The perfect code with each dimension scaled (some flipped) and shifted."""
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.5, 3.0, num_factors) * rng.choice([-1.0, 1.0], num_factors)
    shift = rng.normal(size=num_factors)
    return lambda x: np.asarray(x, dtype=np.float64) * scale + shift


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """Data classes and representations for the metric tests."""
    return SimpleNamespace(
        FactorValueData=FactorValueData,
        NoRenderData=NoRenderData,
        SampleOnlyData=SampleOnlyData,
        identity=identity,
        noise=noise,
        rotated=rotated,
        duplicated=duplicated,
        permuted=permuted,
        rescaled=rescaled,
    )


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
