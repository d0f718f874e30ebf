"""SAP: the top-two gap by hand, and the metric on known representations.

With discrete factors (the study's setting) a perfect code's classifier is compared with the
chance-level classifiers of the other codes, so a perfect code on binary factors scores about
1 - 1/2, not 1.
"""

from __future__ import annotations

import numpy as np
import pytest

from vae_study.metrics.sap import compute_sap, sap_from_score_matrix, sap_score_matrix


def test_top_two_gap_by_hand():
    matrix = np.array([[0.9, 0.5], [0.6, 0.7], [0.5, 0.2]])
    assert sap_from_score_matrix(matrix) == pytest.approx(((0.9 - 0.6) + (0.7 - 0.5)) / 2)
    with pytest.raises(ValueError, match="at least 2 codes"):
        sap_from_score_matrix(matrix[:1])


def _sap(kit, represent, sizes=(2, 2, 2)):
    return compute_sap(
        kit.FactorValueData(sizes),
        represent,
        np.random.default_rng(0),
        num_train=1000,
        num_test=500,
        n_jobs=1,
    )["sap"]


def test_reference_pattern(kit):
    perfect = _sap(kit, kit.identity)
    assert 0.4 < perfect <= 0.5 + 0.05
    assert _sap(kit, kit.noise(3)) < 0.05
    assert _sap(kit, kit.duplicated) == pytest.approx(0.0)  # the two copies tie
    # Codes f0 + f1 and f0 - f1 predict f0 and f1 equally well: their gaps close.
    assert (
        _sap(kit, lambda x: np.c_[x[:, 0] + x[:, 1], x[:, 0] - x[:, 1], x[:, 2]]) < perfect - 0.15
    )


def test_score_matrix_is_per_code_and_factor(kit, rng):
    data = kit.FactorValueData((2, 2, 2))
    factors, x = data.sample(600, rng)
    factors_test, x_test = data.sample(300, rng)
    matrix = sap_score_matrix(x, factors, x_test, factors_test, n_jobs=2)
    assert matrix.shape == (3, 3)
    np.testing.assert_allclose(np.diag(matrix), 1.0)
    assert np.all(np.abs(matrix[~np.eye(3, dtype=bool)] - 0.5) < 0.1)
