"""Our exact gradient boosting against scikit-learn's ``GradientBoostingClassifier`` with the
same settings, the reference: round by round on scikit-learn's own predictions, whole fits up to
their first tie, and what must hold after ties (sklearn_replay.py explains the comparison)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import log_loss
from sklearn_replay import replay_rounds, rounds_before_tie

from vae_study.metrics.boosting import ExactGradientBoostingClassifier
from vae_study.metrics.classifiers import fit_factors, fit_quietly, gradient_boosting


def _codes(kind: str, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.normal(size=(n, d))
    if kind == "constant_and_duplicated":
        x[:, 1] = x[:, 0]
        x[:, 2] = 0.25
    elif kind == "few_values":
        x = np.round(2 * x) / 2
    elif kind == "near_ties":
        # float32 gaps of 1 to 3 ulps around 1.0 straddle FEATURE_THRESHOLD (1e-7)
        ulps = rng.integers(0, 12, size=(n, d))
        x = (np.float32(1.0) + ulps * np.float32(2.0**-23) * (1 + (ulps % 3))).astype(np.float64)
    return x


def _labels(x: np.ndarray, num_classes: int, rng: np.random.Generator) -> np.ndarray:
    """Classes 0..K-1 of a noisy linear score, in equal shares."""
    score = x @ rng.normal(size=x.shape[1]) + 0.5 * rng.normal(size=len(x))
    cuts = np.quantile(score, np.linspace(0, 1, num_classes + 1)[1:-1])
    return np.digitize(score, cuts)


def _reference(rounds: int) -> GradientBoostingClassifier:
    return GradientBoostingClassifier(n_estimators=rounds, random_state=0)


@pytest.mark.parametrize(
    ("kind", "n", "d", "num_classes", "rounds"),
    [
        ("continuous", 10, 3, 2, 100),
        ("continuous", 200, 4, 6, 60),
        ("continuous", 1500, 5, 40, 4),
        ("continuous", 10_000, 3, 2, 8),
        ("constant_and_duplicated", 300, 5, 3, 40),
        ("few_values", 300, 3, 12, 30),
        ("near_ties", 300, 2, 3, 40),
    ],
)
def test_every_round_is_scikit_learns(kind, n, d, num_classes, rounds):
    rng = np.random.default_rng(0)
    x = _codes(kind, n, d, rng)
    y = _labels(x, num_classes, rng)
    agreement = replay_rounds(_reference(rounds).fit(x, y), x, y)
    compared = agreement.equal + agreement.same_partition + agreement.ties + agreement.constant
    assert agreement.equal + agreement.same_partition >= 0.9 * compared, agreement
    if kind == "constant_and_duplicated":
        assert agreement.same_partition > 0  # splits on either copy of the duplicated column


@pytest.mark.parametrize(
    ("n", "d", "labels", "seed", "min_rounds"),
    [
        (300, 1, (-7, 0, 3, 1000), 0, 100),
        (300, 1, (5, 9), 0, 100),
        (1000, 5, (0, 1, 2), 0, 5),
        (1000, 5, (2, 1), 1, 5),
        (2000, 4, (10, 20, 30, 40, 50, 60), 1, 5),
    ],
)
def test_fits_are_scikit_learns_up_to_the_first_tie(n, d, labels, seed, min_rounds):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = np.asarray(labels)[_labels(x, len(labels), rng)]
    x_test = rng.normal(size=(2000, d))
    ours = ExactGradientBoostingClassifier(random_state=0).fit(x, y)
    rounds = rounds_before_tie(ours, _reference(100).fit(x, y), x, y)
    assert rounds >= min_rounds
    ours = ExactGradientBoostingClassifier(n_estimators=rounds, random_state=0).fit(x, y)
    ref = _reference(rounds).fit(x, y)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    for data in (x, x_test):
        np.testing.assert_allclose(
            ours.decision_function(data), ref.decision_function(data), rtol=0, atol=1e-9
        )
        np.testing.assert_allclose(
            ours.predict_proba(data), ref.predict_proba(data), rtol=0, atol=1e-12
        )
        np.testing.assert_array_equal(ours.predict(data), ref.predict(data))
    np.testing.assert_allclose(
        ours.feature_importances_, ref.feature_importances_, rtol=1e-7, atol=1e-12
    )


def test_after_ties_ours_differs_as_scikit_learns_own_refits_do():
    """Past the first tie a fit depends on how ties were broken: our distance to scikit-learn's
    fit is that of scikit-learn's fits with other feature orders (random states)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    y = rng.integers(0, 8, size=200)  # random labels: small nodes, ties from the first round
    x_test = rng.normal(size=(1000, 4))

    def summary(model) -> np.ndarray:
        return np.array([
            log_loss(y, model.predict_proba(x)),
            np.mean(model.predict(x) == y),
            *model.feature_importances_,
            np.mean(model.predict(x_test) == model_ref.predict(x_test)),
        ])  # fmt: skip

    model_ref = GradientBoostingClassifier(random_state=0).fit(x, y)
    ours = ExactGradientBoostingClassifier(random_state=0).fit(x, y)
    assert rounds_before_tie(ours, model_ref, x, y) < 100
    reference = summary(model_ref)
    refits = [GradientBoostingClassifier(random_state=s).fit(x, y) for s in (1, 2, 3)]
    spread = np.max([np.abs(summary(m) - reference) for m in refits], axis=0)
    distance = np.abs(summary(ours) - reference)
    assert np.all(distance <= 2 * spread + 1e-9), (distance, spread)


def test_estimator_api():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    binary = np.where(x[:, 0] > 0, "b", "a")
    model = ExactGradientBoostingClassifier(n_estimators=5, random_state=3)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    twin.fit(x, binary)
    assert twin.decision_function(x).shape == (60,)
    assert twin.predict_proba(x).shape == (60, 2)
    assert set(twin.predict(x)) <= {"a", "b"}
    assert twin.score(x, binary) == 1.0
    with pytest.raises(ValueError, match="class"):
        clone(model).fit(x, np.zeros(60))
    single = fit_quietly(clone(model), x, np.full(60, 4))
    assert set(single.predict(x)) == {4}
    with pytest.raises(ValueError, match="features"):
        twin.predict(x[:, :1])


def test_backends_in_the_per_factor_fits():
    rng = np.random.default_rng(0)
    x, x_test = rng.normal(size=(200, 3)), rng.normal(size=(100, 3))
    factors = np.stack([x[:, 0] > 0, np.digitize(x[:, 1], [-1, 0, 1])], axis=1).astype(int)
    factors_test = np.stack([x_test[:, 0] > 0, np.digitize(x_test[:, 1], [-1, 0, 1])], axis=1)
    assert isinstance(gradient_boosting("exact", 0), ExactGradientBoostingClassifier)
    assert isinstance(gradient_boosting("sklearn", 0), GradientBoostingClassifier)
    with pytest.raises(ValueError, match="gbt_backend"):
        gradient_boosting("xgboost", 0)
    fits = {
        backend: fit_factors(gradient_boosting(backend, 0), x, factors, x_test, factors_test, 2)
        for backend in ("exact", "sklearn")
    }
    assert isinstance(fits["exact"].models[1], ExactGradientBoostingClassifier)
    np.testing.assert_allclose(fits["exact"].train_accuracy, fits["sklearn"].train_accuracy)
    np.testing.assert_allclose(
        fits["exact"].test_accuracy, fits["sklearn"].test_accuracy, atol=0.02
    )
