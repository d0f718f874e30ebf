"""Classical representation learners as baselines, fitted with scikit-learn.

* PCA: the linear code of largest variance; identifies a subspace, not its axes.
* ICA (``FastICA``; Hyvarinen and Oja 2000): x = A z with independent non-Gaussian z, the
  cocktail-party problem; identifies the sources up to order, sign and scale.
* Sparse coding (``MiniBatchDictionaryLearning``; Olshausen and Field 1996): x ~ D h with h
  sparse; the code is the sparse ``transform`` (lasso by default).

None is trained with Lightning: a run draws ``fit_samples`` observations from the data set,
fits the estimator on them (flattened), and its representation is ``transform`` of flattened
observations, scored by the same metrics and written to the same record as a VAE's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from vae_study.data.ground_truth import GroundTruthData
from vae_study.errors import ConfigError


def check_baseline(estimator: Any, observation_shape: tuple[int, ...], fit_samples: int) -> None:
    """One-line errors for settings the estimator would reject late or silently."""
    features = math.prod(observation_shape)
    size = getattr(estimator, "n_components", None)
    if size is not None and not 1 <= size <= min(features, fit_samples):
        raise ConfigError(
            f"model.estimator.n_components must lie in 1..{min(features, fit_samples)} (the "
            f"input has {features} values and fit_samples is {fit_samples}), got {size}"
        )
    for key in ("alpha", "transform_alpha"):
        value = getattr(estimator, key, None)
        if value is not None and value < 0:
            raise ConfigError(f"model.estimator.{key} must be >= 0, got {value}")
    if fit_samples < 2:
        raise ConfigError(f"model.fit_samples must be at least 2, got {fit_samples}")


def fit_baseline(
    estimator: Any, data: GroundTruthData, fit_samples: int, rng: np.random.Generator
) -> dict[str, float]:
    """Fit ``estimator`` on ``fit_samples`` observations; return its reconstruction error.

    The error is the mean over observations of the squared error summed over values, with the
    reconstruction ``inverse_transform`` (PCA, ICA) or code @ dictionary (sparse coding).
    """
    _, observations = data.sample(fit_samples, rng)
    flat = observations.reshape(fit_samples, -1)
    codes = estimator.fit_transform(flat)
    if hasattr(estimator, "inverse_transform"):
        reconstruction = estimator.inverse_transform(codes)
    else:
        reconstruction = codes @ estimator.components_
    return {
        "reconstruction_error": float(((flat - reconstruction) ** 2).sum(1).mean()),
        "code_zero_fraction": float(np.mean(codes == 0)),
    }


def baseline_representation(estimator: Any) -> Callable[[np.ndarray], np.ndarray]:
    """``represent(observations) -> (n, D)``: the fitted estimator's code of flattened inputs."""

    def represent(observations: np.ndarray) -> np.ndarray:
        return estimator.transform(observations.reshape(len(observations), -1))

    return represent
