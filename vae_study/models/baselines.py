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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class FittedBaseline:
    """A fitted estimator and the input values it was fitted on.

    ``varying`` masks the flattened input values that vary in the fit sample; the estimator sees
    only those. The constant ones carry no information for any of the three baselines, and they
    break FastICA: scikit-learn fixes the sign of its whitening by the loadings of the *first*
    input value (``u *= np.sign(u[0])`` in ``_fastica.py``), so a constant first value (the
    corner pixel of every dSprites image) multiplies the whole whitening matrix by 0 and every
    code is 0.
    """

    estimator: Any
    varying: np.ndarray

    def represent(self, observations: np.ndarray) -> np.ndarray:
        """The code (n, D) of flattened ``observations``."""
        return self.estimator.transform(
            observations.reshape(len(observations), -1)[:, self.varying]
        )


def fit_baseline(
    estimator: Any, data: GroundTruthData, fit_samples: int, rng: np.random.Generator
) -> tuple[FittedBaseline, dict[str, float]]:
    """Fit ``estimator`` on ``fit_samples`` observations; return it with its fit summary.

    The summary holds ``reconstruction_error``, the mean over observations of the squared error
    summed over values (reconstruction ``inverse_transform`` for PCA and ICA, code @ dictionary
    for sparse coding; constant values are reconstructed exactly), ``code_zero_fraction`` and
    ``constant_inputs``, the number of input values left out because they never vary.
    """
    _, observations = data.sample(fit_samples, rng)
    flat = observations.reshape(fit_samples, -1)
    varying = np.ptp(flat, axis=0) > 0
    if not varying.any():
        raise ValueError(f"all {flat.shape[1]} input values are constant in {fit_samples} samples")
    inputs = flat[:, varying]
    codes = estimator.fit_transform(inputs)
    if hasattr(estimator, "inverse_transform"):
        reconstruction = estimator.inverse_transform(codes)
    else:
        reconstruction = codes @ estimator.components_
    summary = {
        "reconstruction_error": float(((inputs - reconstruction) ** 2).sum(1).mean()),
        "code_zero_fraction": float(np.mean(codes == 0)),
        "constant_inputs": int((~varying).sum()),
    }
    return FittedBaseline(estimator, varying), summary
