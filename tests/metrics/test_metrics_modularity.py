"""Modularity of given mutual-information matrices (the reference's ``modularity_explicitness_test``
cases and one by hand), and modularity / explicitness on known representations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from vae_study.metrics.modularity import (
    compute_modularity,
    modularity,
    modularity_explicitness,
    one_vs_rest_roc_auc,
)

DIAGONAL = np.diag(5.0 * np.ones(5))


@pytest.mark.parametrize(
    ("mutual_info", "expected"),
    [
        (DIAGONAL, 1.0),
        (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 2.0 / 3.0),  # an empty code scores 0
        (np.zeros((10, 10)), 0.0),
        (np.vstack([DIAGONAL, DIAGONAL]), 1.0),
        (DIAGONAL[:2, :], 1.0),
        (np.hstack([DIAGONAL, DIAGONAL]), 1.0 - 1.0 / 9.0),
        (np.array([[3.0, 1.0]]), 1.0 - 1.0 / 9.0),  # by hand: (9 + 1 - 9) / (9 * 1)
    ],
)
def test_modularity_cases(mutual_info, expected):
    assert modularity(mutual_info) == pytest.approx(expected)


def _splits(data, represent, rng, n_train=2000, n_test=1000):
    f_train, x_train = data.sample(n_train, rng)
    f_test, x_test = data.sample(n_test, rng)
    return represent(x_train), f_train, represent(x_test), f_test


def test_reference_pattern(kit, rng):
    data = kit.FactorValueData()
    perfect = modularity_explicitness(*_splits(data, kit.identity, rng), n_jobs=1)
    assert perfect["modularity"] > 0.9
    assert perfect["explicitness.train"] > 0.9 and perfect["explicitness.test"] > 0.9
    assert (
        modularity_explicitness(*_splits(data, kit.duplicated, rng), n_jobs=1)["modularity"] > 0.9
    )
    bad = modularity_explicitness(*_splits(data, kit.noise(3), rng), n_jobs=1)
    assert abs(bad["explicitness.test"] - 0.5) < 0.05


def test_permuted_codes_score_low(kit, rng):
    # The reference's bad case: each code mixes all factors (codes shuffled per point).
    shuffle = np.random.default_rng(1)
    scores = modularity_explicitness(
        *_splits(kit.FactorValueData((4, 4, 4)), lambda x: shuffle.permuted(x, axis=1), rng),
        n_jobs=1,
    )
    assert scores["modularity"] < 0.3


def test_a_class_missing_from_the_test_split_is_left_out(kit, rng):
    codes, factors, codes_test, factors_test = _splits(kit.FactorValueData(), kit.identity, rng)
    keep = factors_test[:, 2] != 5
    scores = modularity_explicitness(codes, factors, codes_test[keep], factors_test[keep], n_jobs=1)
    assert 0.9 < scores["explicitness.test"] <= 1.0


def test_compute_modularity(kit, rng):
    scores = compute_modularity(
        kit.FactorValueData(), kit.identity, rng, num_train=1000, num_test=500, n_jobs=1
    )
    assert set(scores) == {"modularity", "explicitness.train", "explicitness.test"}
    assert scores["modularity"] > 0.9


@pytest.mark.parametrize("levels", [None, 5])
def test_one_vs_rest_roc_auc_is_scikit_learns_per_column(levels):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 6, size=400)
    onehot = labels[:, None] == np.arange(6)[None, :]
    scores = rng.random((400, 6)) + 0.3 * onehot
    if levels is not None:  # many tied scores, within and across the two labels
        scores = np.round(scores * levels) / levels
    expected = [roc_auc_score(onehot[:, c], scores[:, c]) for c in range(6)]
    np.testing.assert_allclose(one_vs_rest_roc_auc(onehot, scores), expected, rtol=0, atol=1e-12)


def test_one_vs_rest_roc_auc_by_hand():
    # positives score 0.9 and 0.5, negatives 0.5 and 0.1: of the four pairs, three are ordered
    # and one is tied (one half), so AUC = 3.5 / 4
    onehot = np.array([[True], [True], [False], [False]])
    scores = np.array([[0.9], [0.5], [0.5], [0.1]])
    np.testing.assert_allclose(one_vs_rest_roc_auc(onehot, scores), [0.875])
