"""Unsupervised scores of a representation: how far its codes are from independent.

As disentanglement_lib ``evaluation/metrics/unsupervised_metrics.py`` (used by Locatello et al.
2019, Section 5): with C the covariance of the codes (ddof=1),

* gaussian_total_correlation: KL(N(0, C) || N(0, diag C)) = (sum log C_jj - log det C) / 2;
* gaussian_wasserstein_correlation: squared 2-Wasserstein distance between the same two
  Gaussians, 2 tr C - 2 tr sqrtm(diag(C) C); ``_norm`` divides it by tr C;
* mutual_info_score: the mean over ordered pairs of distinct codes of I(code_i; code_j) in nats,
  codes binned into 20 equal-width bins as for MIG.

tr sqrtm(diag(C) C) is computed as the sum of square roots of the eigenvalues of the symmetric
diag(C)^1/2 C diag(C)^1/2 (a similar matrix), which equals the reference's ``scipy.linalg.sqrtm``
without its complex round-off. Codes that are exactly constant make C singular: the total
correlation is then infinite or NaN, as in the reference.
"""

from __future__ import annotations

import numpy as np

from vae_study.data.ground_truth import GroundTruthData
from vae_study.metrics.checks import check_codes, check_count
from vae_study.metrics.mutual_info import discrete_mutual_info, histogram_discretize
from vae_study.metrics.sampling import Represent, SharedSample

KEYS = (
    "unsupervised.gaussian_total_correlation",
    "unsupervised.gaussian_wasserstein_correlation",
    "unsupervised.gaussian_wasserstein_correlation_norm",
    "unsupervised.mutual_info_score",
)


def gaussian_total_correlation(cov: np.ndarray) -> float:
    """Total correlation of N(0, cov): KL to the product of its marginals."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(0.5 * (np.sum(np.log(np.diag(cov))) - np.linalg.slogdet(cov)[1]))


def gaussian_wasserstein_correlation(cov: np.ndarray) -> float:
    """Squared 2-Wasserstein distance between N(0, cov) and N(0, diag(cov))."""
    root = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    eigenvalues = np.linalg.eigvalsh(root[:, None] * cov * root[None, :])
    return float(2.0 * np.trace(cov) - 2.0 * np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))


def unsupervised_scores(codes: np.ndarray, num_bins: int = 20) -> dict[str, float]:
    """The four unsupervised scores of codes (n, D), D >= 2."""
    codes = check_codes(codes)
    check_count("number of points", codes.shape[0])
    num_codes = codes.shape[1]
    if num_codes < 2:
        raise ValueError(f"the unsupervised scores need at least 2 codes, got {num_codes}")
    cov = np.cov(codes, rowvar=False)
    wasserstein = gaussian_wasserstein_correlation(cov)
    binned = histogram_discretize(codes, check_count("num_bins", num_bins))
    mutual_info = discrete_mutual_info(binned, binned)
    np.fill_diagonal(mutual_info, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        wasserstein_norm = float(np.float64(wasserstein) / np.trace(cov))
    return {
        "unsupervised.gaussian_total_correlation": gaussian_total_correlation(cov),
        "unsupervised.gaussian_wasserstein_correlation": wasserstein,
        "unsupervised.gaussian_wasserstein_correlation_norm": wasserstein_norm,
        "unsupervised.mutual_info_score": float(mutual_info.sum() / (num_codes**2 - num_codes)),
    }


def compute_unsupervised(
    data: GroundTruthData,
    represent: Represent,
    rng: np.random.Generator,
    *,
    num_train: int = 10_000,
    num_bins: int = 20,
    sample: SharedSample | None = None,
) -> dict[str, float]:
    """Unsupervised scores of the codes of train[0:num_train] of ``sample`` (drawn with ``rng``
    when no sample is given)."""
    num_train = check_count("num_train", num_train)
    sample = sample if sample is not None else SharedSample(data, represent, rng)
    return unsupervised_scores(sample.train(num_train).codes, num_bins)
