"""Hyperparameters against seeds: the variance split and the bad-strength-beats-good share."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from vae_study.analysis.variance import bad_strength_beats_good, variance_split

MIG = {"mig": "MIG"}


def grid(score) -> pd.DataFrame:
    """Two data sets x 3 models x 4 strengths x 5 seeds with mig = score(model, strength, seed)."""
    rows = [
        {"dataset": d, "model": f"m{m}", "strength": s, "seed": seed, "mig": score(m, s, seed)}
        for d, m, s, seed in itertools.product(("a", "b"), range(3), range(4), range(5))
    ]
    return pd.DataFrame(rows)


def test_seeds_explain_nothing_when_scores_depend_on_model_and_strength_only():
    split = variance_split(grid(lambda m, s, seed: m + 0.3 * s**2), MIG)
    assert list(split["dataset"]) == ["a", "b"] and (split["runs"] == 60).all()
    assert split["seed"].to_numpy() == pytest.approx(0, abs=1e-12)
    assert (split["model"] + split["strength"]).to_numpy() == pytest.approx(1)
    assert (split["strength"] > 0.1).all()


def test_seeds_explain_everything_when_scores_depend_on_the_seed_only():
    split = variance_split(grid(lambda m, s, seed: np.sin(seed)), MIG)
    assert split["seed"].to_numpy() == pytest.approx(1)
    assert split[["model", "strength"]].to_numpy() == pytest.approx(0, abs=1e-12)


def test_the_model_alone_explains_a_model_only_score():
    split = variance_split(grid(lambda m, s, seed: float(m)), MIG)
    assert split["model"].to_numpy() == pytest.approx(1)


def test_bad_strength_beats_good_counts_pairs_and_half_ties():
    values = {0: [2, 3, 4, 5], 1: [0, 1, 2, 3], 2: [1, 2, 3, 4]}  # best 0, worst 1
    table = pd.DataFrame([
        {"dataset": "a", "model": "m", "strength": s, "seed": i, "mig": v}
        for s, scores in values.items() for i, v in enumerate(scores)
    ])  # fmt: skip
    [row] = bad_strength_beats_good(table, MIG).to_dict("records")
    assert (row["good_strength"], row["bad_strength"]) == (0, 1)
    # bad > good in 1 of 16 pairs (3 > 2), ties in 2 ((2, 2), (3, 3)): (1 + 2 / 2) / 16
    assert row["share"] == pytest.approx(2 / 16)


def test_bad_strength_beats_good_is_0_for_separated_strengths_and_half_for_none():
    separated = bad_strength_beats_good(grid(lambda m, s, seed: 10 * s + seed), MIG)
    assert (separated["share"] == 0).all() and (separated["good_strength"] == 3).all()
    irrelevant = bad_strength_beats_good(grid(lambda m, s, seed: float(seed)), MIG)
    assert irrelevant["share"].to_numpy() == pytest.approx(0.5)
