"""scikit-learn 0.20's semantics, which the study's scores depend on, rebuilt from scikit-learn's
own building blocks and compared with the estimators the metrics use
(``vae_study.metrics.classifiers``).

* ``LogisticRegression()`` (BetaVAE score, explicitness): liblinear, one binary model per class,
  prediction by the largest decision function, probabilities as per-class sigmoids normalised.
* ``LogisticRegressionCV(Cs=10, cv=KFold(5))`` (downstream): per class, C chosen by the binary
  accuracy averaged over unshuffled 5-fold splits, then refitted on all points; also on
  10-point training sets, where some folds lack a class.
* ``LinearSVC(C=0.01, class_weight="balanced")`` (SAP): the dual solver's solution is the
  optimum of the L2-regularised squared-hinge problem with balanced class weights (in
  one-vs-rest, on each problem's positive class only, as liblinear does) and a regularised
  bias: its gradient, written out here, vanishes, and the primal solver agrees.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.svm import LinearSVC

from vae_study.metrics.classifiers import (
    fit_quietly,
    linear_svc,
    logistic_regression,
    logistic_regression_cv,
)

CS = np.logspace(-4, 4, 10)  # Cs=10 in LogisticRegressionCV: 10 values log-spaced in 1e-4..1e4


def problem(n: int, classes: int, seed: int, dims: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Codes (n, dims) and labels 0..classes-1 that the codes predict imperfectly."""
    rng = np.random.default_rng(seed)
    y = rng.integers(classes, size=n)
    centres = rng.normal(scale=2.0, size=(classes, dims))
    return centres[y] + rng.normal(size=(n, dims)), y


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("classes", [2, 4])
def test_logistic_regression_is_liblinear_one_vs_rest(classes):
    x, y = problem(300, classes, seed=1)
    x_test, _ = problem(200, classes, seed=2)
    ours = logistic_regression(random_state=0).fit(x, y)
    labels = np.unique(y)
    binaries = [
        LogisticRegression(C=1.0, solver="liblinear", random_state=0).fit(x, y == c)
        for c in (labels[1:] if classes == 2 else labels)
    ]
    decision = np.stack([b.decision_function(x_test) for b in binaries], axis=1)
    if classes == 2:
        expected = labels[(decision[:, 0] > 0).astype(int)]
        proba = np.stack([1 - sigmoid(decision[:, 0]), sigmoid(decision[:, 0])], axis=1)
    else:
        expected = labels[decision.argmax(1)]
        proba = sigmoid(decision) / sigmoid(decision).sum(1, keepdims=True)
    np.testing.assert_array_equal(ours.predict(x_test), expected)
    np.testing.assert_allclose(ours.predict_proba(x_test), proba, rtol=1e-6)


def cross_validated_c(x: np.ndarray, positive: np.ndarray) -> float:
    """The C of one class's binary problem: mean accuracy over unshuffled 5-fold splits, the
    first of the best (a fold whose training part holds one label predicts that label)."""
    scores = np.zeros(len(CS))
    for train, test in KFold(n_splits=5).split(x):
        for i, c in enumerate(CS):
            labels = np.unique(positive[train])
            if len(labels) == 1:
                predicted = np.full(len(test), labels[0])
            else:
                model = LogisticRegression(C=c, solver="lbfgs", tol=1e-4, max_iter=100)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    predicted = model.fit(x[train], positive[train]).predict(x[test])
            scores[i] += np.mean(predicted == positive[test]) / 5
    return float(CS[np.argmax(scores)])


@pytest.mark.parametrize(("n", "classes"), [(300, 3), (10, 4)])
def test_logistic_regression_cv_chooses_c_per_class_by_binary_accuracy(n, classes):
    x, y = problem(n, classes, seed=3)
    x_test, _ = problem(500, classes, seed=4)
    ours = fit_quietly(logistic_regression_cv(random_state=0), x, y)
    labels = np.unique(y)
    chosen = [float(np.atleast_1d(estimator.C_)[0]) for estimator in ours.estimators_]
    expected_c = [cross_validated_c(x, y == c) for c in labels]
    assert chosen == pytest.approx(expected_c)
    refits = []
    for c, label in zip(expected_c, labels, strict=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            refits.append(LogisticRegression(C=c, max_iter=100).fit(x, y == label))
    decision = np.stack([m.decision_function(x_test) for m in refits], axis=1)
    expected = labels[decision.argmax(1)]
    assert np.mean(ours.predict(x_test) == expected) > 0.99


def test_a_class_missing_from_a_ten_point_training_set_is_never_predicted():
    x, y = problem(10, 4, seed=5)
    y[y == 3] = 2  # class 3 absent from training
    ours = fit_quietly(logistic_regression_cv(random_state=0), x, y)
    x_test, _ = problem(300, 4, seed=6)
    assert set(ours.predict(x_test)) <= set(np.unique(y))


def squared_hinge_gradient(
    w: np.ndarray, b: float, x: np.ndarray, sign: np.ndarray, weight: np.ndarray, c: float
) -> np.ndarray:
    """Gradient of 0.5 (|w|^2 + b^2) + c sum_i weight_i max(0, 1 - sign_i (w x_i + b))^2 (liblinear
    L2-loss SVC, dual or primal, with the bias as a feature of value 1, so regularised)."""
    margin = np.maximum(0.0, 1.0 - sign * (x @ w + b))
    pull = -2.0 * c * weight * margin * sign
    return np.concatenate([w + x.T @ pull, [b + pull.sum()]])


@pytest.mark.parametrize("classes", [2, 5])
def test_linear_svc_solves_the_balanced_squared_hinge_problem_with_the_dual_solver(classes):
    rng = np.random.default_rng(7)
    y = rng.choice(
        classes, size=400, p=np.linspace(1, 3, classes) / np.linspace(1, 3, classes).sum()
    )
    x = (y + rng.normal(scale=1.5, size=400))[:, None]  # one code, as SAP fits
    ours = linear_svc(random_state=0)
    assert ours.dual is True and ours.C == 0.01
    ours = fit_quietly(ours, x, y)
    labels, counts = np.unique(y, return_counts=True)
    balanced = len(y) / (classes * counts)  # class_weight="balanced"
    coef, intercept = np.atleast_2d(ours.coef_), np.atleast_1d(ours.intercept_)
    problems = labels[1:] if classes == 2 else labels
    for k, label in enumerate(problems):
        sign = np.where(y == label, 1.0, -1.0)
        # liblinear weights both classes of a two-class problem; one-vs-rest weights only each
        # problem's positive class (train() in linear.cpp: weighted_C[i] against param->C)
        weight = balanced[np.searchsorted(labels, y)]
        if classes > 2:
            weight = np.where(y == label, balanced[k], 1.0)
        gradient = squared_hinge_gradient(coef[k], intercept[k], x, sign, weight, 0.01)
        scale = np.abs(2.0 * 0.01 * weight).sum()
        assert np.abs(gradient).max() < 1e-2 * scale
    primal = LinearSVC(C=0.01, class_weight="balanced", dual=False, tol=1e-8, max_iter=100_000)
    primal = primal.fit(x, y)
    np.testing.assert_allclose(ours.coef_, primal.coef_, atol=1e-3)
    assert np.mean(ours.predict(x) == primal.predict(x)) > 0.99
