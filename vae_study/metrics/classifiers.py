"""The study's classifiers, with the reference's settings spelled out, and per-factor fitting.

The study ran disentanglement_lib with scikit-learn of about 0.20 and default arguments
(docs/reference_protocol.md). Today's defaults differ, so every estimator here names its
settings:

* ``LogisticRegression()`` (BetaVAE score, explicitness): 0.20 defaulted to ``solver="liblinear"``
  and ``multi_class="ovr"``. scikit-learn 1.9 has no ``multi_class`` and liblinear refuses
  multiclass targets, so we wrap a binary liblinear model in ``OneVsRestClassifier``: the same
  one-vs-rest problems (liblinear trained one binary model per class), the same prediction
  (argmax of the decision functions) and the same probabilities (per-class sigmoids, normalised).
* ``LogisticRegressionCV(Cs=10, cv=KFold(n_splits=5))`` (downstream): 0.20 defaulted to
  ``solver="lbfgs"`` with one-vs-rest, choosing C per class by the accuracy of that class's binary
  problem. We wrap a binary ``LogisticRegressionCV`` in ``OneVsRestClassifier`` (one C per class,
  chosen by binary accuracy) and pass ``scoring="accuracy"``, since 1.11 changes the default.
* ``GradientBoostingClassifier()`` (DCI, downstream): the defaults of 0.20 and 1.9 agree
  (log-loss, 100 stages, learning rate 0.1, depth 3, no subsampling, all features; 0.20's
  ``friedman_mse`` and 1.9's ``squared_error`` choose the same splits);
  ``feature_importances_`` sums un-normalised tree importances and normalises once in both
  (0.20 by scikit-learn PR #11176). ``gbt_backend="exact"`` (the study's) fits this model with
  :class:`~vae_study.metrics.boosting.ExactGradientBoostingClassifier`, which sorts the codes
  once and grows all trees of a round level by level (docs/metrics_speed.md);
  ``gbt_backend="sklearn"`` fits scikit-learn's own estimator, the reference it is tested
  against. The two differ only where two features split a node equally well: scikit-learn
  breaks such ties by a random feature order, ours by its own random draw.
* ``LinearSVC(C=0.01, class_weight="balanced")`` (SAP): 1.9 defaults to ``dual="auto"`` (primal
  for n > d); 0.20 solved the dual, so ``dual=True``.

``random_state`` is always passed; liblinear's dual solver and the trees' feature order use it.

``gbt_backend="hist"`` swaps in ``HistGradientBoostingClassifier`` with the exact model's
capacity (100 iterations, learning rate 0.1, depth 3, leaves of one sample, no early stopping).
It is a different model, not only a binned one: each feature is binned into 255 quantiles; a
split's gain is second-order, G_L^2 / H_L + G_R^2 / H_R - G^2 / H from the sums of gradients G
and hessians H, where the exact model maximises the squared error of the gradients alone; a
split needs a hessian sum of 1e-3 in each child (``min_hessian_to_split``), where the exact
model only zeroes a leaf whose mean hessian is below 1e-150; leaf values are -G / (H + 1e-15),
without the exact model's (K - 1) / K factor (``sklearn/ensemble/_hist_gradient_boosting/
splitting.pyx``: ``_split_gain``, ``compute_node_value``); and its importances below sum split
gains, not squared-error decreases.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import KFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from vae_study.metrics.sampling import SharedSample

GBT_BACKENDS = ("exact", "sklearn", "hist")
P = ParamSpec("P")
R = TypeVar("R")


def single_threaded(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with BLAS and OpenMP held to one thread.

    The metrics parallelise over factors (joblib) instead: threads nested inside busy cores
    oversubscribe them, and next to other jobs on a 2-core machine the hist model's OpenMP and
    lbfgs's BLAS calls then ran 20 to 50 times slower.
    """

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with threadpool_limits(limits=1):
            return function(*args, **kwargs)

    return wrapper


def logistic_regression(random_state: int) -> OneVsRestClassifier:
    """scikit-learn 0.20's ``LogisticRegression()``: L2, C=1, liblinear, one-vs-rest."""
    binary = LogisticRegression(
        C=1.0,
        l1_ratio=0.0,  # pure L2, the 0.20 default penalty
        dual=False,
        tol=1e-4,
        fit_intercept=True,
        intercept_scaling=1,
        class_weight=None,
        solver="liblinear",
        max_iter=100,
        random_state=random_state,
    )
    return OneVsRestClassifier(binary)


def logistic_regression_cv(random_state: int) -> OneVsRestClassifier:
    """disentanglement_lib's ``LogisticRegressionCV(Cs=10, cv=KFold(n_splits=5))`` on 0.20."""
    binary = LogisticRegressionCV(
        Cs=10,
        l1_ratios=(0.0,),  # pure L2
        fit_intercept=True,
        cv=KFold(n_splits=5),  # unshuffled folds, as the reference
        dual=False,
        scoring="accuracy",
        solver="lbfgs",
        tol=1e-4,
        max_iter=100,
        class_weight=None,
        refit=True,
        intercept_scaling=1.0,
        random_state=random_state,
        use_legacy_attributes=False,
    )
    return OneVsRestClassifier(binary)


def gradient_boosting(backend: str, random_state: int) -> ClassifierMixin:
    """``GradientBoostingClassifier()`` with its defaults spelled out, fitted by our exact
    implementation (``"exact"``) or scikit-learn's (``"sklearn"``), or its hist counterpart."""
    check_backend(backend)
    if backend == "hist":
        return HistGradientBoostingClassifier(
            loss="log_loss",
            learning_rate=0.1,
            max_iter=100,
            max_leaf_nodes=None,
            max_depth=3,
            min_samples_leaf=1,
            l2_regularization=0.0,
            max_bins=255,
            early_stopping=False,
            random_state=random_state,
        )
    if backend == "exact":
        # imported here: numba loads only in the processes that fit these trees
        from vae_study.metrics.boosting import ExactGradientBoostingClassifier

        return ExactGradientBoostingClassifier(
            n_estimators=100, learning_rate=0.1, max_depth=3, random_state=random_state
        )
    return GradientBoostingClassifier(
        loss="log_loss",
        learning_rate=0.1,
        n_estimators=100,
        subsample=1.0,  # the split criterion is squared_error (no longer a parameter in 1.9)
        min_samples_split=2,
        min_samples_leaf=1,
        max_depth=3,
        max_features=None,
        n_iter_no_change=None,
        random_state=random_state,
    )


def linear_svc(random_state: int) -> LinearSVC:
    """SAP's ``LinearSVC(C=0.01, class_weight="balanced")`` with 0.20's other defaults."""
    return LinearSVC(
        penalty="l2",
        loss="squared_hinge",
        dual=True,
        tol=1e-4,
        C=0.01,
        multi_class="ovr",
        fit_intercept=True,
        intercept_scaling=1,
        class_weight="balanced",
        max_iter=1000,
        random_state=random_state,
    )


def check_backend(backend: str) -> str:
    if backend not in GBT_BACKENDS:
        raise ValueError(f"gbt_backend must be one of {GBT_BACKENDS}, got {backend!r}")
    return backend


def fit_quietly(estimator: Any, x: np.ndarray, y: np.ndarray) -> Any:
    """Fit, or fit a constant predictor when ``y`` has one class (the reference would crash).

    Convergence warnings are silenced: the reference's settings (max_iter=100 for the logistic
    models, 1000 for the SVM) are kept on purpose, and 0.20 stopped at the same limits.
    """
    if np.unique(y).size < 2:
        return DummyClassifier(strategy="most_frequent").fit(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(x, y)


def feature_importances(model: Any, num_features: int) -> np.ndarray:
    """Impurity-based importances (num_features,), summing to 1, or zeros if no tree split.

    For the exact backends (ours and scikit-learn's) this is ``abs(feature_importances_)``
    (dci.py), the same definition in both. The hist model has no such attribute; we sum each
    split's gain per feature over all trees and normalise once, the
    same construction on its trees. Reads the private ``_predictors`` of scikit-learn 1.9.
    """
    if isinstance(model, DummyClassifier):
        return np.zeros(num_features)
    if isinstance(model, HistGradientBoostingClassifier):
        importance = np.zeros(num_features)
        for trees in model._predictors:
            for tree in trees:
                split = tree.nodes["is_leaf"] == 0
                np.add.at(importance, tree.nodes["feature_idx"][split], tree.nodes["gain"][split])
        total = importance.sum()
        return importance / total if total > 0 else importance
    return np.abs(model.feature_importances_)


@dataclass(frozen=True)
class FactorFits:
    """One classifier per factor and its accuracies: ``train_accuracy``, ``test_accuracy`` (K,)."""

    models: list[Any]
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray


@single_threaded
def _fit_one(
    estimator: Any, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray
) -> tuple[Any, float, float]:
    model = fit_quietly(estimator, x_train, y_train)
    return (
        model,
        float(np.mean(model.predict(x_train) == y_train)),
        float(np.mean(model.predict(x_test) == y_test)),
    )


def fit_factors(
    estimator: Any,
    codes_train: np.ndarray,
    factors_train: np.ndarray,
    codes_test: np.ndarray,
    factors_test: np.ndarray,
    n_jobs: int | None,
) -> FactorFits:
    """Fit a clone of ``estimator`` per factor, factors in parallel (joblib, ``n_jobs``)."""
    num_factors = factors_train.shape[1]
    # Most classes first: the longest fits start first, which balances the workers.
    order = sorted(range(num_factors), key=lambda k: -np.unique(factors_train[:, k]).size)
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_one)(
            clone(estimator), codes_train, factors_train[:, k], codes_test, factors_test[:, k]
        )
        for k in order
    )
    by_factor = dict(zip(order, results, strict=True))
    models, train, test = zip(*(by_factor[k] for k in range(num_factors)), strict=True)
    return FactorFits(list(models), np.array(train), np.array(test))


def per_factor_estimator(kind: str, random_state: int) -> Any:
    """The estimator fitted per factor by DCI and the downstream task: ``kind`` is
    ``"gbt_exact"``, ``"gbt_sklearn"``, ``"gbt_hist"`` or ``"logistic_regression_cv"``."""
    if kind == "logistic_regression_cv":
        return logistic_regression_cv(random_state)
    if kind.startswith("gbt_"):
        return gradient_boosting(kind.removeprefix("gbt_"), random_state)
    raise ValueError(f"unknown per-factor estimator {kind!r}")


def shared_factor_fits(
    sample: SharedSample,
    kind: str,
    train: tuple[int, int],
    test: tuple[int, int],
    n_jobs: int | None,
) -> FactorFits:
    """:func:`fit_factors` of ``per_factor_estimator(kind)`` on slices of ``sample``, memoised.

    ``train`` and ``test`` are (start, stop) in the sample's streams; the estimator's
    ``random_state`` is ``sample.estimator_seed``. DCI and the downstream task at the same size ask
    for the same gradient-boosting fit, which then runs once.
    """
    key: Hashable = ("fit_factors", kind, train, test)

    def compute() -> FactorFits:
        estimator = per_factor_estimator(kind, sample.estimator_seed)
        codes_train, factors_train = sample.train(train[1], train[0])
        codes_test, factors_test = sample.test(test[1], test[0])
        return fit_factors(estimator, codes_train, factors_train, codes_test, factors_test, n_jobs)

    return sample.memo(key, compute)
