"""Downstream classification of the factors from the codes, and sample efficiency.

As disentanglement_lib ``evaluation/metrics/downstream_task.py`` with the study's gin files
(``downstream_task_logistic_regression.gin``, ``downstream_task_boosted_trees.gin``): for each
training size in (10, 100, 1000, 10000) a fresh training set and a fresh test set of 5000 points;
one classifier per factor, ``LogisticRegressionCV(Cs=10, cv=KFold(5))`` or
``GradientBoostingClassifier()`` (0.20 settings, classifiers.py); per size the mean and minimum
over factors of the train and test accuracies. Efficiency (Locatello et al. 2019, Section 5; not
in the reference code) is the mean test accuracy at 100 samples over that at 10000.

With a :class:`SharedSample` the sets of the sizes are disjoint slices of its streams, largest
size first from position 0: train[0:10000], train[10000:11000], ... and test[0:5000],
test[5000:10000], ..., so they are independent as in the reference, and the 10000-point
gradient-boosting fit is the one DCI makes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vae_study.data.ground_truth import GroundTruthData
from vae_study.metrics.checks import check_count, check_splits
from vae_study.metrics.classifiers import (
    FactorFits,
    check_backend,
    fit_factors,
    per_factor_estimator,
    shared_factor_fits,
)
from vae_study.metrics.sampling import Represent, SharedSample

NUM_TRAIN = (10, 100, 1000, 10_000)
EFFICIENCY_SIZES = (100, 10_000)
STATISTICS = ("train_accuracy", "test_accuracy", "min_train_accuracy", "min_test_accuracy")


def check_sizes(num_train: Sequence[int], efficiency_sizes: Sequence[int]) -> tuple[int, ...]:
    """The training sizes, ascending; ValueError unless distinct, >= 2, and holding the two
    efficiency sizes."""
    if isinstance(num_train, str | bytes) or not isinstance(num_train, Sequence) or not num_train:
        raise ValueError(f"num_train must be a non-empty list of sizes, got {num_train!r}")
    sizes = tuple(sorted(check_count("num_train", n) for n in num_train))
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"num_train sizes must be distinct, got {list(num_train)}")
    if len(efficiency_sizes) != 2 or any(n not in sizes for n in efficiency_sizes):
        raise ValueError(
            f"efficiency_sizes must be two of the sizes {list(sizes)}, got {list(efficiency_sizes)}"
        )
    return sizes


def output_keys(prefix: str, num_train: Sequence[int]) -> tuple[str, ...]:
    """Keys of ``compute_downstream_*`` for these training sizes, ``prefix`` the metric name."""
    per_size = [f"{prefix}.{n}.{s}" for n in sorted(int(n) for n in num_train) for s in STATISTICS]
    return (*per_size, f"{prefix}.efficiency")


def _summary(fits: FactorFits) -> dict[str, float]:
    return {
        "train_accuracy": float(np.mean(fits.train_accuracy)),
        "test_accuracy": float(np.mean(fits.test_accuracy)),
        "min_train_accuracy": float(np.min(fits.train_accuracy)),
        "min_test_accuracy": float(np.min(fits.test_accuracy)),
    }


def downstream_scores(
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    *,
    classifier: str = "logistic_regression_cv",
    n_jobs: int | None = -1,
    random_state: int = 0,
) -> dict[str, float]:
    """Mean and minimum over factors of train and test accuracy; ``classifier`` is
    ``"logistic_regression_cv"``, ``"gbt_exact"``, ``"gbt_sklearn"`` or ``"gbt_hist"``."""
    codes_train, factors_train, codes_test, factors_test = check_splits(
        (codes_train, factors_train), (codes_test, factors_test)
    )
    estimator = per_factor_estimator(classifier, random_state)
    return _summary(
        fit_factors(estimator, codes_train, factors_train, codes_test, factors_test, n_jobs)
    )


def efficiency(test_accuracy_small: float, test_accuracy_large: float) -> float:
    """Sample efficiency: mean test accuracy with few samples over that with many."""
    if test_accuracy_large <= 0:
        return float("nan")
    return test_accuracy_small / test_accuracy_large


def _downstream(
    prefix: str,
    classifier: str,
    data: GroundTruthData,
    represent: Represent,
    rng: np.random.Generator,
    num_train: Sequence[int],
    num_test: int,
    efficiency_sizes: Sequence[int],
    n_jobs: int | None,
    sample: SharedSample | None,
) -> dict[str, float]:
    sizes = check_sizes(num_train, efficiency_sizes)
    num_test = check_count("num_test", num_test)
    sample = sample if sample is not None else SharedSample(data, represent, rng)
    scores: dict[str, float] = {}
    train_start = 0
    for i, size in enumerate(sorted(sizes, reverse=True)):
        train = (train_start, train_start + size)
        test = (i * num_test, (i + 1) * num_test)
        check_splits(sample.train(train[1], train[0]), sample.test(test[1], test[0]))
        summary = _summary(shared_factor_fits(sample, classifier, train, test, n_jobs))
        scores.update({f"{prefix}.{size}.{name}": value for name, value in summary.items()})
        train_start += size
    small, large = (int(n) for n in efficiency_sizes)
    scores[f"{prefix}.efficiency"] = efficiency(
        scores[f"{prefix}.{small}.test_accuracy"], scores[f"{prefix}.{large}.test_accuracy"]
    )
    return {key: scores[key] for key in output_keys(prefix, sizes)}


def compute_downstream_lr(
    data: GroundTruthData,
    represent: Represent,
    rng: np.random.Generator,
    *,
    num_train: Sequence[int] = NUM_TRAIN,
    num_test: int = 5_000,
    efficiency_sizes: Sequence[int] = EFFICIENCY_SIZES,
    n_jobs: int | None = -1,
    sample: SharedSample | None = None,
) -> dict[str, float]:
    """Downstream logistic regression (cross-validated C) at each training size."""
    return _downstream(
        "downstream_lr",
        "logistic_regression_cv",
        data,
        represent,
        rng,
        num_train,
        num_test,
        efficiency_sizes,
        n_jobs,
        sample,
    )


def compute_downstream_gbt(
    data: GroundTruthData,
    represent: Represent,
    rng: np.random.Generator,
    *,
    num_train: Sequence[int] = NUM_TRAIN,
    num_test: int = 5_000,
    efficiency_sizes: Sequence[int] = EFFICIENCY_SIZES,
    gbt_backend: str = "exact",
    n_jobs: int | None = -1,
    sample: SharedSample | None = None,
) -> dict[str, float]:
    """Downstream gradient-boosted trees at each training size."""
    return _downstream(
        "downstream_gbt",
        f"gbt_{check_backend(gbt_backend)}",
        data,
        represent,
        rng,
        num_train,
        num_test,
        efficiency_sizes,
        n_jobs,
        sample,
    )
