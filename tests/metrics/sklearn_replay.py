"""Comparing our boosted trees with scikit-learn's, node by node, telling differences from ties.

scikit-learn visits the features of every node in a random order and keeps the first best
split, so where two features split a node equally well two fits may differ there. At each node
the two trees must agree: the same sample count and impurity, and either the same split
(feature and threshold) or, where they differ, a split of the node's samples into the same two
sets (e.g. on a duplicated column), a tie (the squared-error proxy of both splits on the node's
gradients, computed here, is equal; the subtrees then hold different samples and are not
compared), or a node whose gradients are all equal (any split of it predicts one value). Leaves
must have the same value. The negative gradients come from the loss's definition, computed here
from scikit-learn's raw predictions (``staged_decision_function``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.special
from sklearn.ensemble import GradientBoostingClassifier

from vae_study.metrics.boosting import fit_round
from vae_study.metrics.boosting_trees import depth_first_layout, sort_features

RTOL = 1e-9


@dataclass
class Agreement:
    """Counts of compared nodes: equal splits or leaves, differing splits of the same sample
    sets, ties, and differing splits of nodes with equal gradients."""

    equal: int = 0
    same_partition: int = 0
    ties: int = 0
    constant: int = 0


def negative_gradient(raw: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Of the half binomial (raw (n, 1)) or half multinomial (raw (n, K)) loss."""
    if raw.shape[1] == 1:
        return (labels == 1).astype(float)[:, None] - scipy.special.expit(raw)
    return np.eye(raw.shape[1])[labels] - scipy.special.softmax(raw, axis=1)


def stage_raw_predictions(ref: GradientBoostingClassifier, x: np.ndarray) -> list[np.ndarray]:
    """scikit-learn's raw predictions (n, T) before each round."""
    stages = [ref._raw_predict_init(x), *ref.staged_decision_function(x)]
    return [np.asarray(raw, dtype=np.float64).reshape(len(x), -1) for raw in stages]


def _node_value(tree, node: int) -> float:
    return float(np.ravel(tree.value[node])[0])


def _leaf_values(tree, node: int, x: np.ndarray) -> np.ndarray:
    """The leaf value of each row of ``x`` in the subtree of ``node``."""
    out = np.empty(len(x))
    for i, row in enumerate(x):
        current = node
        while tree.children_left[current] >= 0:
            go_left = row[tree.feature[current]] <= tree.threshold[current]
            current = tree.children_left[current] if go_left else tree.children_right[current]
        out[i] = _node_value(tree, current)
    return out


def _proxy(gradient: np.ndarray, left: np.ndarray) -> float:
    sum_left, sum_right = gradient[left].sum(), gradient[~left].sum()
    return sum_left**2 / left.sum() + sum_right**2 / (~left).sum()


def compare_trees(ref, ours, x: np.ndarray, gradient: np.ndarray, agreement: Agreement) -> None:
    """Compare scikit-learn's ``tree_`` with ours (:class:`TreeArrays`) on their training rows
    ``x`` (float32) and the gradient they were fitted to; AssertionError where they differ."""

    def compare(a: int, b: int, rows: np.ndarray) -> None:
        np.testing.assert_array_equal(ref.n_node_samples[a], ours.n_node_samples[b])
        np.testing.assert_array_equal(ref.n_node_samples[a], rows.sum())
        np.testing.assert_allclose(ours.impurity[b], ref.impurity[a], rtol=1e-6, atol=1e-9)
        ref_leaf, our_leaf = ref.children_left[a] < 0, ours.children_left[b] < 0
        ref_split = None if ref_leaf else (ref.feature[a], ref.threshold[a])
        our_split = None if our_leaf else (ours.feature[b], ours.threshold[b])
        g = gradient[rows]
        if ref_split != our_split and np.ptp(g) <= 1e-12 * max(1.0, np.abs(g).max()):
            np.testing.assert_allclose(
                _leaf_values(ours, b, x[rows]), _leaf_values(ref, a, x[rows]), rtol=RTOL, atol=1e-12
            )
            agreement.constant += 1
            return
        assert ref_leaf == our_leaf, f"one tree splits node {a} of {rows.sum()} samples"
        np.testing.assert_allclose(_node_value(ours, b), _node_value(ref, a), rtol=RTOL, atol=1e-12)
        if ref_leaf:
            agreement.equal += 1
            return
        ref_left = rows & (x[:, ref.feature[a]] <= ref.threshold[a])
        our_left = rows & (x[:, ours.feature[b]] <= ours.threshold[b])
        if ref_split == our_split:
            agreement.equal += 1
        elif np.array_equal(ref_left, our_left):
            agreement.same_partition += 1
        else:
            np.testing.assert_allclose(
                _proxy(g, our_left[rows]), _proxy(g, ref_left[rows]), rtol=1e-10
            )
            agreement.ties += 1
            return
        compare(ref.children_left[a], ours.children_left[b], ref_left)
        compare(ref.children_right[a], ours.children_right[b], rows & ~ref_left)

    compare(0, 0, np.ones(len(x), dtype=bool))


def replay_rounds(ref: GradientBoostingClassifier, x: np.ndarray, y: np.ndarray) -> Agreement:
    """Fit each of our rounds on scikit-learn's raw predictions before that round and compare
    its trees with scikit-learn's, so every round is compared whatever earlier ties did."""
    x = np.asarray(x, dtype=np.float32)
    labels = np.searchsorted(ref.classes_, y)
    features = sort_features(x)
    rng = np.random.RandomState(0)
    agreement = Agreement()
    for m, raw in enumerate(stage_raw_predictions(ref, x)[: ref.n_estimators_]):
        fitted = fit_round(features, x, labels, raw, ref.n_classes_, ref.max_depth, rng)
        gradient = negative_gradient(raw, labels)
        for k in range(ref.estimators_.shape[1]):
            ours = depth_first_layout(
                fitted.trees.feature[k],
                fitted.trees.threshold[k],
                fitted.value[k],
                fitted.trees.impurity[k],
                fitted.trees.count[k],
            )
            compare_trees(ref.estimators_[m, k].tree_, ours, x, gradient[:, k], agreement)
    return agreement


def rounds_before_tie(ours, ref: GradientBoostingClassifier, x: np.ndarray, y: np.ndarray) -> int:
    """How many rounds of two whole fits agree before the first tie (all if none), counting
    differing splits of the same samples as ties: they predict differently elsewhere."""
    x = np.asarray(x, dtype=np.float32)
    labels = np.searchsorted(ref.classes_, y)
    for m, raw in enumerate(stage_raw_predictions(ref, x)[: ref.n_estimators_]):
        agreement = Agreement()
        gradient = negative_gradient(raw, labels)
        for k in range(ref.estimators_.shape[1]):
            ref_tree = ref.estimators_[m, k].tree_
            compare_trees(ref_tree, ours.tree(m, k), x, gradient[:, k], agreement)
        if agreement.ties or agreement.same_partition:
            return m
    return ref.n_estimators_
