"""Mutual Information Gap (Chen et al. 2018, "Isolating Sources of Disentanglement in VAEs").

Definition as disentanglement_lib ``evaluation/metrics/mig.py`` (``discrete_mig``): codes binned
into 20 equal-width bins each, I(code_j; factor_k) in nats, and
MIG = mean_k (largest - second largest I(code_j; factor_k) over codes j) / H(factor_k).
"""

from __future__ import annotations

import numpy as np

from vae_study.data.ground_truth import GroundTruthData
from vae_study.metrics.checks import check_count, check_pair
from vae_study.metrics.mutual_info import (
    discrete_entropy,
    discrete_mutual_info,
    histogram_discretize,
)
from vae_study.metrics.sampling import Represent, SharedSample

KEYS = ("mig",)


def mig_from_mutual_info(mutual_info: np.ndarray, factor_entropy: np.ndarray) -> float:
    """MIG from I(code_j; factor_k), shape (D, K), and H(factor_k), shape (K,)."""
    if mutual_info.shape[0] < 2:
        raise ValueError(f"MIG needs at least 2 codes, got {mutual_info.shape[0]}")
    if np.any(factor_entropy <= 0):
        constant = np.flatnonzero(factor_entropy <= 0).tolist()
        raise ValueError(f"factors {constant} are constant in the sample: MIG is undefined")
    top = np.sort(mutual_info, axis=0)[::-1]
    return float(np.mean((top[0] - top[1]) / factor_entropy))


def mig_score(codes: np.ndarray, factors: np.ndarray, num_bins: int = 20) -> float:
    """MIG of codes (n, D) against factors (n, K)."""
    codes, factors = check_pair(codes, factors)
    num_bins = check_count("num_bins", num_bins)
    binned = histogram_discretize(codes, num_bins)
    return mig_from_mutual_info(discrete_mutual_info(binned, factors), discrete_entropy(factors))


def compute_mig(
    data: GroundTruthData,
    represent: Represent,
    rng: np.random.Generator,
    *,
    num_train: int = 10_000,
    num_bins: int = 20,
    sample: SharedSample | None = None,
) -> dict[str, float]:
    """MIG on ``num_train`` i.i.d. points (train[0:num_train] of ``sample``; drawn with ``rng``
    when no sample is given)."""
    num_train = check_count("num_train", num_train)
    sample = sample if sample is not None else SharedSample(data, represent, rng)
    codes, factors = sample.train(num_train)
    return {"mig": mig_score(codes, factors, num_bins)}
