"""MIG: hand-computed cases, the reference's test pattern, and argument errors."""

from __future__ import annotations

import numpy as np
import pytest

from vae_study.metrics.mig import compute_mig, mig_from_mutual_info, mig_score


def test_mig_from_mutual_info_by_hand():
    mutual_info = np.array([[1.0, 0.2], [0.5, 0.6], [0.1, 0.1]])
    # factor 0: (1.0 - 0.5) / 2 = 0.25; factor 1: (0.6 - 0.2) / 1 = 0.4
    assert mig_from_mutual_info(mutual_info, np.array([2.0, 1.0])) == pytest.approx(0.325)


def test_mig_on_a_two_factor_toy():
    # Two balanced binary factors; code 0 is factor 0, code 1 is their sum (values 0, 1, 2).
    factors = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 25)
    codes = np.stack([factors[:, 0], factors.sum(axis=1)], axis=1).astype(float)
    # I(c0; f0) = log 2, I(c1; f0) = I(c1; f1) = log(2) / 2, I(c0; f1) = 0, H(f) = log 2:
    # gaps (log 2 - log(2) / 2) / log 2 and (log(2) / 2 - 0) / log 2, both 1/2.
    assert mig_score(codes, factors) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("represent", "low", "high"),
    [("identity", 0.9, 1.0), ("noise", 0.0, 0.05), ("duplicated", 0.0, 0.05)],
)
def test_reference_pattern(kit, rng, represent, low, high):
    data = kit.FactorValueData()
    rep = kit.noise(3) if represent == "noise" else getattr(kit, represent)
    assert low <= compute_mig(data, rep, rng, num_train=3000)["mig"] <= high


def test_rotation_lowers_mig(kit):
    data = kit.FactorValueData()
    perfect = compute_mig(data, kit.identity, np.random.default_rng(0), num_train=3000)["mig"]
    mixed = compute_mig(data, kit.rotated(3), np.random.default_rng(0), num_train=3000)["mig"]
    assert mixed < perfect - 0.4


def test_errors(kit, rng):
    factors = rng.integers(0, 3, size=(100, 2))
    with pytest.raises(ValueError, match="at least 2 codes"):
        mig_score(rng.normal(size=(100, 1)), factors)
    with pytest.raises(ValueError, match="constant"):
        mig_score(rng.normal(size=(100, 3)), np.c_[factors[:, 0], np.zeros(100, int)])
    with pytest.raises(ValueError, match="NaN"):
        mig_score(np.full((100, 3), np.nan), factors)
    with pytest.raises(ValueError, match="shape"):
        mig_score(rng.normal(size=(99, 3)), factors)
    with pytest.raises(ValueError, match="num_train"):
        compute_mig(kit.FactorValueData(), kit.identity, rng, num_train=1)
    with pytest.raises(ValueError, match="represent must map"):
        compute_mig(kit.FactorValueData(), lambda x: x[:-1], rng, num_train=100)
