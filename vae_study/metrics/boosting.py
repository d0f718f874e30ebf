"""scikit-learn's ``GradientBoostingClassifier`` at the study's settings, fitted faster.

The model is scikit-learn 1.9's (``sklearn/ensemble/_gb.py``) with ``loss="log_loss"``,
``subsample=1.0``, ``max_features=None``, ``min_samples_split=2``, ``min_samples_leaf=1``,
``min_impurity_decrease=0`` and no early stopping; rounds, learning rate and depth are
parameters:

* X is cast to float32 (``validate_data(..., dtype=np.float32)``); ``classes_`` are the sorted
  labels, encoded 0..K-1;
* the initial raw prediction is the link of the class frequencies (``_init_raw_predictions`` of
  ``DummyClassifier(strategy="prior")``), clipped to [eps, 1 - eps] with float64's eps: the logit
  of the second class's frequency for 2 classes, log(p_k / gmean(p)) for K > 2
  (``sklearn/_loss/link.py``, ``MultinomialLogit.link``);
* each round fits one regression tree (boosting_trees.py) per column of the negative gradient at
  the round's start (``_fit_stage``): y - expit(raw) of the half binomial loss for 2 classes (one
  tree), 1[y = k] - softmax(raw)_k of the half multinomial loss for K > 2 (K trees)
  (``sklearn/_loss/_loss.pyx.tp``);
* a leaf's value is one Newton step (``_update_terminal_regions``): mean(g) / mean(p (1 - p))
  over its samples, with p = y - g, the numerator times (K - 1) / K for K > 2, and 0 where the
  mean hessian is below 1e-150 (``_safe_divide``); raw += learning_rate * leaf value;
* ``decision_function`` is the raw prediction ((n,) for 2 classes), ``predict_proba`` its expit
  or softmax, ``predict`` the second class where raw >= 0 (2 classes) or the largest raw;
* ``feature_importances_``: per tree, n_t I_t - n_L I_L - n_R I_R summed over the splits on each
  feature and divided by n (I the variance of the gradient in a node, ``Tree.
  compute_feature_importances(normalize=False)``), averaged over the trees with more than one
  node and normalised once (``BaseGradientBoosting.feature_importances_``).

Ties between features are broken at random (``random_state``), as scikit-learn's random feature
order does; elsewhere the fit is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import scipy.special
import scipy.stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from vae_study.metrics.boosting_trees import (
    RoundTrees,
    SortedFeatures,
    TreeArrays,
    add_tree_predictions,
    depth_first_layout,
    grow_trees,
    sort_features,
)

HESSIAN_FLOOR = 1e-150


@numba.njit(cache=True, nogil=True)
def _negative_gradient(raw, labels, out):
    """-d loss / d raw (n, T): half binomial for T = 1 (label 1 the positive class), else half
    multinomial; the arithmetic of scikit-learn's ``cgradient_half_binomial`` and
    ``sum_exp_minus_max``."""
    n, num_trees = raw.shape
    for s in range(n):
        if num_trees == 1:
            y = 1.0 if labels[s] == 1 else 0.0
            r = raw[s, 0]
            if r > -37.0:
                e = np.exp(-r)
                out[s, 0] = -(((1.0 - y) - y * e) / (1.0 + e))
            else:
                out[s, 0] = -(np.exp(r) - y)
            continue
        largest = raw[s, 0]
        for k in range(1, num_trees):
            largest = max(largest, raw[s, k])
        sum_exps = 0.0
        for k in range(num_trees):
            out[s, k] = np.exp(raw[s, k] - largest)
            sum_exps += out[s, k]
        for k in range(num_trees):
            out[s, k] = (1.0 if labels[s] == k else 0.0) - out[s, k] / sum_exps


@numba.njit(cache=True, nogil=True)
def _leaf_sums(leaf_of, labels, gradient, size):
    """Per tree and leaf (T, size): the sum of the negative gradient g and of p (1 - p), with
    p = y - g the predicted probability (T = 1: y = [label == 1])."""
    n, num_trees = gradient.shape
    positive = 1 if num_trees == 1 else 0
    sum_gradient = np.zeros((num_trees, size))
    sum_hessian = np.zeros((num_trees, size))
    for s in range(n):
        for t in range(num_trees):
            leaf = leaf_of[s, t]
            g = gradient[s, t]
            p = (1.0 if labels[s] == t + positive else 0.0) - g
            sum_gradient[t, leaf] += g
            sum_hessian[t, leaf] += p * (1.0 - p)
    return sum_gradient, sum_hessian


@numba.njit(cache=True, nogil=True)
def _add_leaf_values(raw, value, leaf_of, learning_rate):
    """raw[s, t] += learning_rate * value[t, leaf_of[s, t]], in place."""
    n, num_trees = raw.shape
    for s in range(n):
        for t in range(num_trees):
            raw[s, t] += learning_rate * value[t, leaf_of[s, t]]


def initial_raw_prediction(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """The prior's raw prediction (T,): T = 1 for 2 classes, else K."""
    eps = np.finfo(np.float64).eps
    prior = np.bincount(labels, minlength=num_classes) / labels.size
    prior = np.clip(prior, eps, 1 - eps)
    if num_classes == 2:
        return scipy.special.logit(prior[1:])
    return np.log(prior / scipy.stats.gmean(prior))


def newton_leaf_values(
    sum_gradient: np.ndarray, sum_hessian: np.ndarray, count: np.ndarray, num_classes: int
) -> np.ndarray:
    """One Newton step per leaf from its sums (T, size); 0 where no sample or a flat hessian."""
    with np.errstate(divide="ignore", invalid="ignore"):
        numerator = sum_gradient / count
        denominator = sum_hessian / count
        if num_classes > 2:
            numerator = numerator * ((num_classes - 1) / num_classes)
        values = numerator / denominator
    return np.where((count > 0) & (np.abs(denominator) >= HESSIAN_FLOOR), values, 0.0)


@dataclass(frozen=True)
class Round:
    """One fitted round: its trees and their node values (T, size), the gradient's mean at
    internal nodes and the Newton step at leaves (scikit-learn's ``tree_.value``)."""

    trees: RoundTrees
    value: np.ndarray


def fit_round(
    features: SortedFeatures,
    x: np.ndarray,
    labels: np.ndarray,
    raw: np.ndarray,
    num_classes: int,
    max_depth: int,
    rng: np.random.RandomState,
) -> Round:
    """The trees of one round at raw predictions ``raw`` (n, T), labels encoded 0..K-1."""
    gradient = np.empty(raw.shape)
    _negative_gradient(raw, labels, gradient)
    trees = grow_trees(features, x, gradient, max_depth, rng)
    sum_gradient, sum_hessian = _leaf_sums(trees.leaf_of, labels, gradient, trees.count.shape[1])
    leaf = newton_leaf_values(sum_gradient, sum_hessian, trees.count, num_classes)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(trees.count > 0, trees.total / trees.count, 0.0)
    return Round(trees, np.where(trees.feature >= 0, mean, leaf))


class ExactGradientBoostingClassifier(ClassifierMixin, BaseEstimator):
    """The model of ``GradientBoostingClassifier(n_estimators, learning_rate, max_depth,
    random_state)`` with its other defaults (module docstring).

    Fitted trees are heap arrays ``trees_feature_``, ``trees_threshold_``, ``trees_value_``
    (rounds, trees per round, 2^(max_depth+1)); :meth:`tree` gives one in scikit-learn's layout.
    """

    def __init__(
        self,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        max_depth: int = 3,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> ExactGradientBoostingClassifier:
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, labels = np.unique(y, return_inverse=True)
        self.n_classes_ = self.classes_.size
        if self.n_classes_ < 2:
            raise ValueError(f"y has {self.n_classes_} class; at least 2 are needed")
        self.n_trees_per_iteration_ = 1 if self.n_classes_ == 2 else self.n_classes_
        n, num_trees = X.shape[0], self.n_trees_per_iteration_
        size = 2 ** (self.max_depth + 1)
        rounds = (self.n_estimators, num_trees, size)
        self.trees_feature_ = np.empty(rounds, dtype=np.int64)
        self.trees_threshold_ = np.empty(rounds)
        self.trees_value_ = np.empty(rounds)
        self.trees_impurity_ = np.empty(rounds)
        self.trees_count_ = np.empty(rounds, dtype=np.int64)
        self.init_raw_ = initial_raw_prediction(labels, self.n_classes_)

        rng = check_random_state(self.random_state)
        features = sort_features(X)
        raw = np.tile(self.init_raw_, (n, 1))
        for m in range(self.n_estimators):
            fitted = fit_round(features, X, labels, raw, self.n_classes_, self.max_depth, rng)
            _add_leaf_values(raw, fitted.value, fitted.trees.leaf_of, float(self.learning_rate))
            self.trees_value_[m] = fitted.value
            self.trees_feature_[m] = fitted.trees.feature
            self.trees_threshold_[m] = fitted.trees.threshold
            self.trees_impurity_[m] = fitted.trees.impurity
            self.trees_count_[m] = fitted.trees.count
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Raw predictions (n, K), or (n,) for 2 classes."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        raw = np.tile(self.init_raw_, (X.shape[0], 1))
        add_tree_predictions(
            X, self.trees_feature_, self.trees_threshold_, self.trees_value_,
            float(self.learning_rate), raw,
        )  # fmt: skip
        return raw.ravel() if self.n_trees_per_iteration_ == 1 else raw

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        raw = self.decision_function(X)
        if raw.ndim == 1:
            positive = scipy.special.expit(raw)
            return np.column_stack([1 - positive, positive])
        return scipy.special.softmax(raw, axis=1)

    def predict(self, X: np.ndarray) -> np.ndarray:
        raw = self.decision_function(X)
        encoded = (raw >= 0).astype(int) if raw.ndim == 1 else np.argmax(raw, axis=1)
        return self.classes_[encoded]

    @property
    def feature_importances_(self) -> np.ndarray:
        """Impurity-based importances (n_features,), summing to 1, or zeros if no tree split."""
        check_is_fitted(self)
        size = self.trees_feature_.shape[2]
        feature = self.trees_feature_.reshape(-1, size)
        count = self.trees_count_.reshape(-1, size)
        weighted = count * self.trees_impurity_.reshape(-1, size)
        parent = np.arange(1, size // 2)
        decrease = weighted[:, parent] - weighted[:, 2 * parent] - weighted[:, 2 * parent + 1]
        split = feature[:, parent] >= 0
        per_tree = np.zeros((feature.shape[0], self.n_features_in_))
        np.add.at(per_tree, (np.nonzero(split)[0], feature[:, parent][split]), decrease[split])
        per_tree /= count[:, 1:2]
        relevant = split.any(axis=1)
        if not relevant.any():
            return np.zeros(self.n_features_in_)
        average = per_tree[relevant].mean(axis=0)
        return average / average.sum()

    def tree(self, stage: int, k: int) -> TreeArrays:
        """Tree ``k`` of round ``stage`` in the layout of ``estimators_[stage, k].tree_``."""
        check_is_fitted(self)
        return depth_first_layout(
            self.trees_feature_[stage, k],
            self.trees_threshold_[stage, k],
            self.trees_value_[stage, k],
            self.trees_impurity_[stage, k],
            self.trees_count_[stage, k],
        )
