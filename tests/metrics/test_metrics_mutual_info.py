"""Histogram binning and discrete mutual information against the reference's numpy/sklearn calls."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

from vae_study.metrics.mutual_info import (
    discrete_entropy,
    discrete_mutual_info,
    histogram_discretize,
)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binning_is_the_references_digitize_of_histogram_edges(rng, dtype):
    codes = rng.normal(size=(500, 4)).astype(dtype)
    codes[:, 2] = 3.0  # a constant code
    codes[:, 3] = np.round(codes[:, 3])  # values on bin edges
    expected = np.stack(
        [np.digitize(codes[:, d], np.histogram(codes[:, d], 20)[1][:-1]) for d in range(4)], axis=1
    )
    binned = histogram_discretize(codes, 20)
    np.testing.assert_array_equal(binned, expected)
    assert binned.min() >= 1 and binned.max() <= 20


def test_mutual_info_equals_sklearn_mutual_info_score(rng):
    x = rng.integers(0, 7, size=(400, 5))
    y = np.stack(
        [
            rng.integers(-3, 3, 400),  # independent, negative labels
            3 * x[:, 0] + rng.integers(0, 2, 400),  # depends on x[:, 0], sparse labels
            np.zeros(400, dtype=np.int64),  # constant
        ],
        axis=1,
    )
    expected = np.array([[mutual_info_score(y[:, b], x[:, a]) for b in range(3)] for a in range(5)])
    np.testing.assert_allclose(discrete_mutual_info(x, y), expected, rtol=0, atol=1e-12)


def test_entropy_equals_self_information(rng):
    y = np.stack([rng.integers(0, 5, 300), rng.integers(10, 12, 300), np.ones(300, int)], axis=1)
    expected = [mutual_info_score(y[:, b], y[:, b]) for b in range(3)]
    np.testing.assert_allclose(discrete_entropy(y), expected, rtol=0, atol=1e-12)
    assert discrete_entropy(y)[2] == 0.0
