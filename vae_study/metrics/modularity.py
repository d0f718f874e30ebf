"""Modularity and explicitness (Ridgeway & Mozer 2018, "Learning Deep Disentangled Embeddings
With the F-Statistic Loss").

As disentanglement_lib ``evaluation/metrics/modularity_explicitness.py``:

* modularity: m = I(code_j; factor_k) (D, K) from 20-bin histograms as for MIG; per code,
  1 - (sum_k m^2 - max_k m^2) / (max_k m^2 (K - 1)), 0 for a code with no information; the mean
  over codes. (With one factor the ratio is 0/0 and the score NaN, as in the reference.)
* explicitness: codes standardised with the train mean and standard deviation, one
  ``LogisticRegression()`` per factor (0.20 settings, classifiers.py), the macro ROC-AUC of its
  class probabilities against the one-hot labels, averaged over factors, on train and test.
  A class absent from the evaluated split has no ROC curve and is left out of the average (the
  reference raised there); a code constant on the train points is standardised to 0.
"""

from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import rankdata

from vae_study.data.ground_truth import GroundTruthData
from vae_study.metrics.checks import check_count, check_splits
from vae_study.metrics.classifiers import fit_quietly, logistic_regression, single_threaded
from vae_study.metrics.mutual_info import discrete_mutual_info, histogram_discretize
from vae_study.metrics.sampling import Represent, SharedSample

KEYS = ("modularity", "explicitness.train", "explicitness.test")


def modularity(mutual_info: np.ndarray) -> float:
    """Modularity from I(code_j; factor_k), shape (D, K)."""
    squared = np.square(np.asarray(mutual_info, dtype=np.float64))
    largest = squared.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        deviation = (squared.sum(axis=1) - largest) / (largest * (squared.shape[1] - 1.0))
    per_code = np.where(largest == 0.0, 0.0, 1.0 - deviation)
    return float(np.mean(per_code))


def one_vs_rest_roc_auc(onehot: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The ROC-AUC of each column of ``scores`` (n, C) against the same column of the boolean
    ``onehot`` (n, C), each column holding both labels: scikit-learn's ``roc_auc_score`` per
    column, computed for all columns at once as the Mann-Whitney statistic
    (U / (positives x negatives), ties counted one half; Hanley & McNeil 1982), which equals the
    area under the ROC curve with ties drawn as diagonal steps."""
    positives = onehot.sum(axis=0)
    negatives = onehot.shape[0] - positives
    ranks = rankdata(scores, axis=0)
    rank_sum = np.where(onehot, ranks, 0.0).sum(axis=0)
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def _macro_roc_auc(model: object, codes: np.ndarray, labels: np.ndarray) -> float:
    classes = model.classes_
    onehot = labels[:, None] == classes[None, :]
    scorable = onehot.any(axis=0) & ~onehot.all(axis=0)
    if not scorable.any():
        return float("nan")
    proba = model.predict_proba(codes)
    return float(np.mean(one_vs_rest_roc_auc(onehot[:, scorable], proba[:, scorable])))


@single_threaded
def _explicitness_one(
    random_state: int,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
) -> tuple[float, float]:
    model = fit_quietly(logistic_regression(random_state), x_train, y_train)
    return _macro_roc_auc(model, x_train, y_train), _macro_roc_auc(model, x_test, y_test)


def explicitness(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    *,
    n_jobs: int | None = -1,
    random_state: int = 0,
) -> tuple[float, float]:
    """Mean over factors of the train and test ROC-AUC of a logistic regression on the codes."""
    mean = codes_train.mean(axis=0)
    std = codes_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    x_train, x_test = (codes_train - mean) / std, (codes_test - mean) / std
    scores = Parallel(n_jobs=n_jobs)(
        delayed(_explicitness_one)(
            random_state, x_train, factors_train[:, k], x_test, factors_test[:, k]
        )
        for k in range(factors_train.shape[1])
    )
    train, test = np.array(scores).T
    return float(np.mean(train)), float(np.mean(test))


def modularity_explicitness(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    *,
    num_bins: int = 20,
    n_jobs: int | None = -1,
    random_state: int = 0,
) -> dict[str, float]:
    """Modularity (from the train split) and explicitness (train and test)."""
    codes_train, factors_train, codes_test, factors_test = check_splits(
        (codes_train, factors_train), (codes_test, factors_test)
    )
    num_bins = check_count("num_bins", num_bins)
    mutual_info = discrete_mutual_info(histogram_discretize(codes_train, num_bins), factors_train)
    train, test = explicitness(
        codes_train,
        factors_train,
        codes_test,
        factors_test,
        n_jobs=n_jobs,
        random_state=random_state,
    )
    return {
        "modularity": modularity(mutual_info),
        "explicitness.train": train,
        "explicitness.test": test,
    }


def compute_modularity(
    data: GroundTruthData,
    represent: Represent,
    rng: np.random.Generator,
    *,
    num_train: int = 10_000,
    num_test: int = 5_000,
    num_bins: int = 20,
    n_jobs: int | None = -1,
    sample: SharedSample | None = None,
) -> dict[str, float]:
    """Modularity and explicitness on train[0:num_train] and test[0:num_test] of ``sample``
    (drawn with ``rng`` when no sample is given)."""
    num_train = check_count("num_train", num_train)
    num_test = check_count("num_test", num_test)
    sample = sample if sample is not None else SharedSample(data, represent, rng)
    return modularity_explicitness(
        *sample.train(num_train),
        *sample.test(num_test),
        num_bins=num_bins,
        n_jobs=n_jobs,
        random_state=sample.estimator_seed,
    )
