"""Hyperparameters against seeds: the variance split and the bad-strength-beats-good share,
with their intervals."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from vae_study.analysis.design import design_cells
from vae_study.analysis.variance import (
    bad_beats_good,
    bad_strength_beats_good,
    variance_shares,
    variance_split,
)

MIG = {"mig": "MIG"}


def grid(score) -> pd.DataFrame:
    """Two data sets x 3 models x 4 strengths x 5 seeds with mig = score(model, strength, seed)."""
    rows = [
        {"dataset": d, "model": f"m{m}", "strength": s, "seed": seed, "mig": score(m, s, seed)}
        for d, m, s, seed in itertools.product(("a", "b"), range(3), range(4), range(5))
    ]
    return pd.DataFrame(rows)


def test_seeds_explain_nothing_when_scores_depend_on_model_and_strength_only(settings):
    split = variance_split(grid(lambda m, s, seed: m + 0.3 * s**2), MIG, settings)
    assert list(split["dataset"]) == ["a", "b"] and (split["runs"] == 60).all()
    assert split[["seed", "seed_low", "seed_high"]].to_numpy() == pytest.approx(0, abs=1e-12)
    assert (split["model"] + split["strength"]).to_numpy() == pytest.approx(1)
    assert (split["strength"] > 0.1).all()


def test_seeds_explain_everything_when_scores_depend_on_the_seed_only(settings):
    split = variance_split(grid(lambda m, s, seed: np.sin(seed)), MIG, settings)
    assert split["seed"].to_numpy() == pytest.approx(1)
    assert split[["model", "strength"]].to_numpy() == pytest.approx(0, abs=1e-12)


def test_the_model_alone_explains_a_model_only_score(settings):
    split = variance_split(grid(lambda m, s, seed: float(m)), MIG, settings)
    assert split["model"].to_numpy() == pytest.approx(1)


def test_each_interval_holds_its_estimate(settings):
    noisy = grid(lambda m, s, seed: m + s + np.sin(7 * seed + m * s))
    split = variance_split(noisy, MIG, settings)
    for share in ("model", "strength", "seed"):
        assert (split[f"{share}_low"] <= split[share] + 1e-12).all()
        assert (split[share] <= split[f"{share}_high"] + 1e-12).all()


def test_weighted_shares_are_the_shares_of_the_runs_repeated():
    table = grid(lambda m, s, seed: m + s + np.sin(7 * seed + m * s))
    table = table[table["dataset"] == "a"].reset_index(drop=True)
    table.loc[5, "mig"] = np.nan  # left out
    models = table.groupby("model").ngroup().to_numpy()
    cells = design_cells(table)
    counts = np.random.default_rng(0).integers(1, 4, size=len(table))
    [weighted] = variance_shares(table["mig"].to_numpy(), models, cells, counts[None, :])
    repeated = table.loc[table.index.repeat(counts)].dropna()
    y = repeated["mig"]
    by_model = y.groupby(repeated["model"]).transform("mean")
    by_cell = y.groupby([repeated["model"], repeated["strength"]]).transform("mean")
    squares = np.array([
        ((by_model - y.mean()) ** 2).sum(), ((by_cell - by_model) ** 2).sum(),
        ((y - by_cell) ** 2).sum(),
    ])  # fmt: skip
    assert weighted == pytest.approx(squares / squares.sum())


def test_bad_strength_beats_good_counts_pairs_and_half_ties(settings):
    values = {0: [2, 3, 4, 5], 1: [0, 1, 2, 3], 2: [1, 2, 3, 4]}  # best 0, worst 1
    table = pd.DataFrame([
        {"dataset": "a", "model": "m", "strength": s, "seed": i, "mig": v}
        for s, scores in values.items() for i, v in enumerate(scores)
    ])  # fmt: skip
    [row] = bad_strength_beats_good(table, MIG, settings).to_dict("records")
    assert (row["good_strength"], row["bad_strength"]) == (0, 1)
    # bad > good in 1 of 16 pairs (3 > 2), ties in 2 ((2, 2), (3, 3)): (1 + 2 / 2) / 16
    assert row["share"] == pytest.approx(2 / 16)
    assert row["low"] <= row["share"] <= row["high"] and row["high"] - row["low"] > 0.1


def test_bad_strength_beats_good_is_0_for_separated_strengths_and_half_for_none(settings):
    separated = bad_strength_beats_good(grid(lambda m, s, seed: 10 * s + seed), MIG, settings)
    assert (separated["share"] == 0).all() and (separated["good_strength"] == 3).all()
    assert (separated["high"] == 0).all()  # no resample of separated runs overlaps them
    irrelevant = bad_strength_beats_good(grid(lambda m, s, seed: float(seed)), MIG, settings)
    assert irrelevant["share"].to_numpy() == pytest.approx(0.5)
    assert (irrelevant["good_strength"] != irrelevant["bad_strength"]).all()


def test_weighted_pairs_are_the_pairs_of_the_runs_repeated():
    scores = np.array([3.0, 1.0, 2.0, 2.0, 0.5])
    at_bad = np.array([True, True, False, False, False])
    counts = np.array([2, 1, 1, 3, 1])
    [share] = bad_beats_good(scores, at_bad, counts[None, :].astype(float))
    bad = np.repeat(scores[at_bad], counts[at_bad])
    good = np.repeat(scores[~at_bad], counts[~at_bad])
    difference = bad[:, None] - good[None, :]
    assert share == pytest.approx(np.mean(difference > 0) + 0.5 * np.mean(difference == 0))
