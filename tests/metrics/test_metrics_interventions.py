"""BetaVAE and FactorVAE scores: known representations, active dimensions, the votes by hand, and
data sets that cannot render chosen factors."""

from __future__ import annotations

import numpy as np
import pytest

from vae_study.metrics.beta_vae import beta_vae_points, compute_beta_vae
from vae_study.metrics.factor_vae import (
    active_dims,
    compute_factor_vae,
    majority_vote_accuracy,
    votes_from_codes,
)
from vae_study.metrics.sampling import NotApplicableError

SMALL = {"batch_size": 16, "num_train": 300, "num_eval": 200}


def test_beta_vae_points_zero_the_fixed_factors_code(kit, rng):
    features, labels = beta_vae_points(kit.FactorValueData(), kit.identity, rng, 50, 8)
    assert features.shape == (50, 3) and labels.shape == (50,)
    np.testing.assert_array_equal(features[np.arange(50), labels], 0.0)
    assert np.all(features >= 0)


def test_beta_vae_reference_pattern(kit, rng):
    data = kit.FactorValueData()
    perfect = compute_beta_vae(data, kit.identity, rng, **SMALL)
    assert perfect["beta_vae"] == perfect["beta_vae.eval_accuracy"] > 0.99
    assert perfect["beta_vae.train_accuracy"] > 0.99
    assert compute_beta_vae(data, kit.noise(3), rng, **SMALL)["beta_vae"] < 0.5  # chance 1/3


def test_factor_vae_reference_pattern(kit, rng):
    data = kit.FactorValueData()
    perfect = compute_factor_vae(data, kit.identity, rng, num_variance_estimate=1000, **SMALL)
    assert perfect["factor_vae"] == perfect["factor_vae.eval_accuracy"] == 1.0
    assert perfect["factor_vae.num_active_dims"] == 3
    bad = compute_factor_vae(data, kit.noise(3), rng, num_variance_estimate=1000, **SMALL)
    assert bad["factor_vae"] < 0.55


def test_factor_vae_counts_active_dims(kit, rng):
    # Three informative codes, one collapsed to a constant, one with tiny variance.
    def represent(x):
        x = kit.identity(x)
        return np.hstack([x, np.zeros((len(x), 1)), 0.01 * x[:, :1]])

    scores = compute_factor_vae(
        kit.FactorValueData(), represent, rng, num_variance_estimate=1000, **SMALL
    )
    assert scores["factor_vae.num_active_dims"] == 3
    assert scores["factor_vae"] == 1.0
    collapsed = compute_factor_vae(
        kit.FactorValueData(),
        lambda x: 0.01 * kit.identity(x),
        rng,
        num_variance_estimate=500,
        **SMALL,
    )
    assert collapsed == dict.fromkeys(collapsed, 0.0)


def test_active_dims_and_votes_by_hand():
    np.testing.assert_array_equal(
        active_dims(np.array([0.0, 0.0024, 0.0025, 1.0])), [False, False, True, True]
    )
    assert not active_dims(np.array([0.0]), threshold=0.0).any()
    # Two points, batches of three codes (points, batch, codes); code 1 is inactive.
    codes = np.array(
        [
            [[0.0, 5.0, 1.0], [0.0, -5.0, 2.0], [0.0, 0.0, 3.0]],  # code 0 fixed -> vote code 0
            [[1.0, 5.0, 1.0], [2.0, -5.0, 1.0], [3.0, 9.0, 1.0]],  # code 2 fixed -> vote code 2
        ]
    )
    votes = votes_from_codes(
        codes, np.array([1, 0]), np.ones(3), np.array([True, False, True]), num_factors=2
    )
    np.testing.assert_array_equal(votes, [[0, 0, 1], [1, 0, 0]])
    train = np.array([[3, 0, 1], [1, 0, 4]])
    evaluation = np.array([[2, 0, 2], [0, 0, 1]])
    # classifier: code 0 -> factor 0, code 1 -> factor 0 (no votes), code 2 -> factor 1
    assert majority_vote_accuracy(train, evaluation) == pytest.approx((7 / 9, 3 / 5))


@pytest.mark.parametrize("data_class", ["NoRenderData", "SampleOnlyData"])
def test_not_applicable_without_interventions(kit, rng, data_class):
    data = getattr(kit, data_class)()
    with pytest.raises(NotApplicableError):
        compute_beta_vae(data, kit.identity, rng, **SMALL)
    with pytest.raises(NotApplicableError):
        compute_factor_vae(data, kit.identity, rng, **SMALL)


def test_errors(kit, rng):
    with pytest.raises(ValueError, match="batch_size"):
        compute_factor_vae(kit.FactorValueData(), kit.identity, rng, batch_size=1)
    with pytest.raises(ValueError, match="NaN"):
        compute_beta_vae(kit.FactorValueData(), lambda x: np.full(x.shape, np.nan), rng, **SMALL)
