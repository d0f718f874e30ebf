"""The FactorVAE score (Kim & Mnih 2018, "Disentangling by Factorising").

As disentanglement_lib ``evaluation/metrics/factor_vae.py`` with ``factor_vae_metric.gin``:
global variances (ddof=1) of the codes of 10000 i.i.d. observations; active codes are those with
standard deviation >= 0.05 (``prune_dims.threshold``). Each point fixes a factor k across a batch
of 64 factor vectors and votes (k, argmin over active codes of local variance / global variance);
the classifier maps each code to the factor with most training votes (ties to the lower factor),
and the accuracy is the share of votes it gets right, on 10000 training and 5000 evaluation
points.

``num_active_dims`` counts the active codes; the reference reports ``len(active_dims)`` of a
boolean mask, i.e. always the total number of codes. With no active code all scores are 0, as in
the reference. A code with zero variance is never active, even with threshold 0.

The variance estimate takes train[0:num_variance_estimate] of the evaluation's shared i.i.d.
sample; points are generated in groups as in beta_vae.py.
"""

from __future__ import annotations

import numpy as np

from vae_study.data.ground_truth import GroundTruthData
from vae_study.metrics.checks import check_count, check_factors
from vae_study.metrics.sampling import (
    Represent,
    SharedSample,
    check_interventions,
    encode,
    observe,
)

KEYS = (
    "factor_vae",
    "factor_vae.train_accuracy",
    "factor_vae.eval_accuracy",
    "factor_vae.num_active_dims",
)
OBSERVATIONS_PER_CALL = 1024


def active_dims(variances: np.ndarray, threshold: float = 0.05) -> np.ndarray:
    """Mask of codes whose standard deviation reaches ``threshold`` (and is not zero)."""
    variances = np.asarray(variances, dtype=np.float64)
    return (np.sqrt(variances) >= threshold) & (variances > 0)


def votes_from_codes(
    codes: np.ndarray,
    fixed: np.ndarray,
    global_variances: np.ndarray,
    active: np.ndarray,
    num_factors: int,
) -> np.ndarray:
    """Votes (num_factors, D) from codes (points, batch, D) whose batches fix factor ``fixed``."""
    local = np.var(codes, axis=1, ddof=1)  # (points, D)
    candidates = np.flatnonzero(active)
    ratio = local[:, candidates] / global_variances[candidates]
    winners = candidates[np.argmin(ratio, axis=1)]
    votes = np.zeros((num_factors, codes.shape[2]), dtype=np.int64)
    np.add.at(votes, (fixed, winners), 1)
    return votes


def majority_vote_accuracy(train_votes: np.ndarray, eval_votes: np.ndarray) -> tuple[float, float]:
    """Accuracy of the majority-vote classifier (code -> factor) on train and evaluation votes."""
    classifier = np.argmax(train_votes, axis=0)
    codes = np.arange(train_votes.shape[1])
    return (
        float(train_votes[classifier, codes].sum() / train_votes.sum()),
        float(eval_votes[classifier, codes].sum() / eval_votes.sum()),
    )


def factor_vae_votes(
    data: GroundTruthData,
    represent: Represent,
    rng: np.random.Generator,
    num_points: int,
    batch_size: int,
    global_variances: np.ndarray,
    active: np.ndarray,
) -> np.ndarray:
    """Votes (K, D) of ``num_points`` FactorVAE points."""
    num_factors = len(data.factor_sizes)
    num_codes = len(global_variances)
    group = max(1, OBSERVATIONS_PER_CALL // batch_size)
    votes = np.zeros((num_factors, num_codes), dtype=np.int64)
    for start in range(0, num_points, group):
        g = min(group, num_points - start)
        fixed = rng.integers(num_factors, size=g)
        factors = check_factors(data.sample_factors(g * batch_size, rng), g * batch_size)
        factors = factors.reshape(g, batch_size, num_factors)
        rows = np.arange(g)
        factors[rows, :, fixed] = factors[rows, 0, fixed][:, None]  # fix factor `fixed[i]`
        observations = observe(data, factors.reshape(-1, num_factors), rng)
        codes = encode(represent, observations, num_codes).reshape(g, batch_size, num_codes)
        votes += votes_from_codes(codes, fixed, global_variances, active, num_factors)
    return votes


def compute_factor_vae(
    data: GroundTruthData,
    represent: Represent,
    rng: np.random.Generator,
    *,
    batch_size: int = 64,
    num_train: int = 10_000,
    num_eval: int = 5_000,
    num_variance_estimate: int = 10_000,
    prune_threshold: float = 0.05,
    sample: SharedSample | None = None,
) -> dict[str, float]:
    """The FactorVAE score; NotApplicableError where ``data`` cannot render chosen factors.

    The variances come from ``sample`` (or a sample drawn with ``rng``); ``rng`` then draws the
    training and the evaluation points.
    """
    batch_size = check_count("batch_size", batch_size)
    num_train = check_count("num_train", num_train)
    num_eval = check_count("num_eval", num_eval)
    num_variance_estimate = check_count("num_variance_estimate", num_variance_estimate)
    check_interventions(data)
    sample = sample if sample is not None else SharedSample(data, represent, rng)
    global_variances = np.var(sample.train(num_variance_estimate).codes, axis=0, ddof=1)
    active = active_dims(global_variances, prune_threshold)
    if not active.any():
        return dict.fromkeys(KEYS, 0.0)
    train_votes = factor_vae_votes(
        data, represent, rng, num_train, batch_size, global_variances, active
    )
    eval_votes = factor_vae_votes(
        data, represent, rng, num_eval, batch_size, global_variances, active
    )
    train_accuracy, eval_accuracy = majority_vote_accuracy(train_votes, eval_votes)
    return {
        "factor_vae": eval_accuracy,
        "factor_vae.train_accuracy": train_accuracy,
        "factor_vae.eval_accuracy": eval_accuracy,
        "factor_vae.num_active_dims": float(active.sum()),
    }
