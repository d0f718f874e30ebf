"""Downstream accuracies and efficiency: ranges, fresh sets per size, and argument errors."""

from __future__ import annotations

import pytest

from vae_study.metrics.downstream import (
    compute_downstream_gbt,
    compute_downstream_lr,
    downstream_scores,
    efficiency,
    output_keys,
)
from vae_study.metrics.sampling import SharedSample

SIZES = (10, 100, 400)


def test_keys_ranges_and_efficiency(kit, rng):
    scores = compute_downstream_lr(
        kit.FactorValueData(),
        kit.identity,
        rng,
        num_train=SIZES,
        num_test=200,
        efficiency_sizes=(100, 400),
        n_jobs=1,
    )
    assert list(scores) == list(output_keys("downstream_lr", SIZES))
    assert all(0.0 <= v <= 1.0 for k, v in scores.items() if not k.endswith("efficiency"))
    for n in SIZES:
        assert (
            scores[f"downstream_lr.{n}.min_test_accuracy"]
            <= scores[f"downstream_lr.{n}.test_accuracy"]
        )
    assert scores["downstream_lr.efficiency"] == pytest.approx(
        scores["downstream_lr.100.test_accuracy"] / scores["downstream_lr.400.test_accuracy"]
    )


def test_every_size_gets_fresh_train_and_test_points(kit, rng):
    data = kit.FactorValueData()
    sample = SharedSample(data, kit.identity, rng, chunk_size=1)
    compute_downstream_gbt(
        data,
        kit.identity,
        rng,
        num_train=SIZES,
        num_test=50,
        efficiency_sizes=(100, 400),
        gbt_backend="hist",
        n_jobs=1,
        sample=sample,
    )
    assert sample.num_encoded == sum(SIZES) + len(SIZES) * 50


def test_gbt_on_the_perfect_code(kit, rng):
    scores = compute_downstream_gbt(
        kit.FactorValueData(),
        kit.identity,
        rng,
        num_train=(10, 400),
        num_test=200,
        efficiency_sizes=(10, 400),
        n_jobs=1,
    )
    assert scores["downstream_gbt.400.test_accuracy"] > 0.98
    assert 0.0 < scores["downstream_gbt.efficiency"] <= 1.0


def test_downstream_scores_on_arrays(kit, rng):
    data = kit.FactorValueData()
    factors, x = data.sample(300, rng)
    factors_test, x_test = data.sample(100, rng)
    scores = downstream_scores(x, factors, x_test, factors_test, classifier="gbt_exact", n_jobs=1)
    assert scores["test_accuracy"] > 0.95
    noise = rng.normal(size=(100, 3))
    assert downstream_scores(x, factors, noise, factors_test, n_jobs=1)["test_accuracy"] < 0.6
    assert efficiency(0.5, 0.0) != efficiency(0.5, 0.0)  # NaN


@pytest.mark.parametrize(
    ("num_train", "efficiency_sizes", "match"),
    [
        ((10, 100), (100, 1000), "efficiency_sizes"),
        ((10, 10, 100), (10, 100), "distinct"),
        ((1, 100), (1, 100), "num_train"),
        (100, (100, 100), "list of sizes"),
    ],
)
def test_bad_sizes(kit, rng, num_train, efficiency_sizes, match):
    with pytest.raises(ValueError, match=match):
        compute_downstream_lr(
            kit.FactorValueData(),
            kit.identity,
            rng,
            num_train=num_train,
            efficiency_sizes=efficiency_sizes,
        )
