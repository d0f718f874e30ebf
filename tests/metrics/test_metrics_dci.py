"""DCI: disentanglement and completeness of given importance matrices (the reference's
``dci_test.py`` cases and one by hand), and the metric on known representations."""

from __future__ import annotations

import numpy as np
import pytest

from vae_study.metrics.dci import completeness, compute_dci, dci_scores, disentanglement

DIAGONAL = np.diag(5.0 * np.ones(5))


@pytest.mark.parametrize(
    ("importance", "expected_d", "expected_c"),
    [
        (DIAGONAL, 1.0, 1.0),
        (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 1.0, 1.0),  # an empty code
        (np.zeros((10, 10)), 0.0, 0.0),
        (np.vstack([DIAGONAL, DIAGONAL]), 1.0, 1.0 - np.log(2) / np.log(10)),  # redundant codes
        (DIAGONAL[:2, :], 1.0, 1.0),  # missed factors
        (np.hstack([DIAGONAL, DIAGONAL]), 1.0 - np.log(2) / np.log(10), 1.0),  # 1 code, 2 factors
    ],
)
def test_reference_importance_cases(importance, expected_d, expected_c):
    assert disentanglement(importance) == pytest.approx(expected_d, abs=1e-7)
    assert completeness(importance) == pytest.approx(expected_c, abs=1e-7)


def test_importance_by_hand():
    importance = np.array([[2.0, 0.0], [1.0, 1.0]])
    # codes: entropies 0 and 1 (base 2), weights 1/2 each -> D = 1/2
    assert disentanglement(importance) == pytest.approx(0.5, abs=1e-9)
    # factors: column (2, 1) has entropy H(2/3, 1/3) in base 2, column (0, 1) entropy 0;
    # weights 3/4 and 1/4
    h = -(2 / 3 * np.log2(2 / 3) + 1 / 3 * np.log2(1 / 3))
    assert completeness(importance) == pytest.approx(0.75 * (1 - h) + 0.25, abs=1e-9)


def test_one_factor_or_one_code_is_nan():
    assert np.isnan(disentanglement(np.ones((3, 1))))
    assert np.isnan(completeness(np.ones((1, 3))))


def _splits(data, represent, rng, n_train=600, n_test=300):
    f_train, x_train = data.sample(n_train, rng)
    f_test, x_test = data.sample(n_test, rng)
    return represent(x_train), f_train, represent(x_test), f_test


def test_reference_pattern(kit, rng):
    data = kit.FactorValueData()
    perfect = dci_scores(*_splits(data, kit.identity, rng), n_jobs=1)
    assert perfect["dci.disentanglement"] > 0.9 and perfect["dci.completeness"] > 0.9
    assert perfect["dci"] == perfect["dci.disentanglement"]
    assert perfect["dci.informativeness_test"] > 0.95
    bad = dci_scores(*_splits(data, kit.noise(3), rng), n_jobs=1)
    assert bad["dci.disentanglement"] < 0.2 and bad["dci.completeness"] < 0.2
    twice = dci_scores(*_splits(data, kit.duplicated, rng), n_jobs=1)
    assert twice["dci.disentanglement"] > 0.9
    # importance splits over the copies (the reference's test: about 1 - log 2 / log 6)
    assert twice["dci.completeness"] < 0.85


def test_rotation_lowers_disentanglement(kit, rng):
    data = kit.FactorValueData((8, 8, 8))
    perfect = dci_scores(*_splits(data, kit.identity, rng), n_jobs=1)
    mixed = dci_scores(*_splits(data, kit.rotated(3), rng), n_jobs=1)
    assert mixed["dci.disentanglement"] < perfect["dci.disentanglement"] - 0.3


def test_hist_backend_and_parallel_fits(kit, rng):
    data = kit.FactorValueData()
    splits = _splits(data, kit.identity, rng)
    hist = dci_scores(*splits, gbt_backend="hist", n_jobs=2)
    assert hist["dci.disentanglement"] > 0.9 and hist["dci.informativeness_test"] > 0.95
    with pytest.raises(ValueError, match="gbt_backend"):
        dci_scores(*splits, gbt_backend="xgboost")


def test_compute_dci_and_errors(kit, rng):
    data = kit.FactorValueData()
    scores = compute_dci(data, kit.identity, rng, num_train=500, num_test=200, n_jobs=1)
    assert scores["dci"] > 0.9
    with pytest.raises(ValueError, match="num_test"):
        compute_dci(data, kit.identity, rng, num_train=500, num_test=0)
    codes, factors, codes_test, factors_test = _splits(data, kit.identity, rng, 50, 20)
    with pytest.raises(ValueError, match="differ in dimension"):
        dci_scores(codes, factors, codes_test[:, :2], factors_test)
