"""The paper's matrices and the cell-by-cell comparison with ours, with our intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vae_study.analysis.correlations import IntervalMatrix
from vae_study.analysis.paper import (
    PAPER_DIR,
    PAPER_FIGURES,
    compare,
    format_comparison,
    models_for_half_width,
    read_matrix,
    summary,
)

PAPER = PAPER_DIR


def intervals(estimate: pd.DataFrame, half_width: float, runs: int = 24) -> IntervalMatrix:
    return IntervalMatrix(
        estimate, estimate - half_width, estimate + half_width, estimate * 0 + runs
    )


def test_the_committed_paper_matrices_read_with_their_captions():
    fig2, fig5 = (read_matrix(PAPER / figure.file) for figure in PAPER_FIGURES)
    assert fig2[0].shape == (6, 6) and "Figure 2" in fig2[1]
    assert (np.diag(fig2[0]) == 100).all() and (fig2[0] == fig2[0].T).all().all()
    assert fig5[0].shape == (6, 10) and fig5[0].loc["MIG", "LR10000"] == -1
    assert "Figure 5" in fig5[1]


def test_the_paper_within_narrow_intervals_agrees_everywhere_and_its_negation_nowhere():
    paper, _ = read_matrix(PAPER / PAPER_FIGURES[0].file)
    same = compare(paper, intervals(paper + 0.3, 1.0), pairs_once=True, target_half_width=10)
    pairs = {frozenset(pair) for pair in zip(same["row"], same["column"], strict=True)}
    assert len(same) == len(pairs) == 15 and all(len(pair) == 2 for pair in pairs)  # each once
    assert same["consistent"].all()
    assert same["sign_decided"].all() and same["sign_agrees"].all()
    flipped = compare(paper, intervals(-paper, 1.0), pairs_once=True, target_half_width=10)
    decided = flipped[flipped["sign_decided"].astype(bool)]
    assert not flipped["consistent"].any() and not decided["sign_agrees"].any()
    assert flipped["sign_decided"].all()


def test_intervals_that_include_zero_leave_the_sign_undecided():
    paper = pd.DataFrame({"A": [50.0], "B": [-30.0], "C": [5.0], "D": [10.0]}, index=["M"])
    ours = pd.DataFrame({"A": [40.0], "B": [20.0], "C": [-15.0], "D": [np.nan]}, index=["M"])
    low = pd.DataFrame({"A": [25.0], "B": [-5.0], "C": [-30.0], "D": [np.nan]}, index=["M"])
    high = pd.DataFrame({"A": [55.0], "B": [45.0], "C": [-2.0], "D": [np.nan]}, index=["M"])
    matrix = IntervalMatrix(ours, low, high, ours * 0 + 24)
    cells = compare(paper, matrix, pairs_once=False, target_half_width=10).set_index("column")
    assert list(cells["consistent"]) == [True, False, False, pd.NA]
    assert list(cells["sign_decided"]) == [True, False, True, pd.NA]
    assert cells.loc["A", "sign_agrees"] and not cells.loc["C", "sign_agrees"]
    assert pd.isna(cells.loc["B", "sign_agrees"])
    # half-widths 15, 25 and 14 at 24 models; +-10 takes 24 (h / 10)^2 models
    assert list(cells["models_needed"][:3]) == [54, 150, 48]
    assert summary(cells.reset_index(), 10, 0.95) == [
        "consistent with the paper in 1 of 3 cells; sign decided in 2 cells, agreeing in 1; "
        "undecided in 1 (1 cell has no value of ours)",
        "every 95% interval within +-10 (x100 scale): about 150 models per data set (now 24); "
        "the undecided cells alone: 150",
    ]
    text = format_comparison(cells.reset_index(), "title", target_half_width=10, level=0.95)
    assert text.splitlines()[0] == "title" and "[-5, 45]" in text and "undecided" in text


def test_models_for_half_width_follows_one_over_root_n():
    assert models_for_half_width(-20.0, 20.0, 24, 10.0) == 96  # half the width: 4x the models
    assert models_for_half_width(0.0, 10.0, 100, 10.0) == 25
    assert np.isnan(models_for_half_width(np.nan, 1.0, 24, 10.0))


def test_no_value_of_ours_says_so():
    paper, _ = read_matrix(PAPER / PAPER_FIGURES[0].file)
    nothing = paper * np.nan
    cells = compare(
        paper, IntervalMatrix(nothing, nothing, nothing, nothing), pairs_once=True,
        target_half_width=10,
    )  # fmt: skip
    assert summary(cells, 10, 0.95) == ["no value of ours in any of the 15 cells"]
    assert cells["consistent"].isna().all() and cells["models_needed"].isna().all()


def test_estimates_without_intervals_are_not_compared_and_say_so():
    paper, _ = read_matrix(PAPER / PAPER_FIGURES[1].file)
    nothing = paper * np.nan
    runs = paper * 0 + 18
    cells = compare(
        paper, IntervalMatrix(paper, nothing, nothing, runs), pairs_once=False,
        target_half_width=10,
    )  # fmt: skip
    assert cells["ours"].notna().all() and (cells["n"] == 18).all()
    for column in ("consistent", "sign_decided", "sign_agrees", "models_needed"):
        assert cells[column].isna().all(), column
    assert summary(cells, 10, 0.95) == [
        "our estimate in 60 of 60 cells, none with an interval (a data set needs model x "
        "strength cells of two runs or more to resample; its design line says how its cells "
        "are filled)"
    ]
    text = format_comparison(cells, "title", target_half_width=10, level=0.95)
    assert "sign decided" not in text and "undecided" not in text
    low = paper.copy()
    low.iloc[0, 0] = np.nan  # one cell without an interval among bounded ones
    partial = compare(
        paper, IntervalMatrix(paper, low - 5, paper + 5, runs), pairs_once=False,
        target_half_width=10,
    )  # fmt: skip
    decided = (paper.abs() > 5).to_numpy()  # an interval of +-5 around the paper's value
    decided[0, 0] = False
    assert summary(partial, 10, 0.95)[0] == (
        f"consistent with the paper in 59 of 59 cells; sign decided in {decided.sum()} cells, "
        f"agreeing in {decided.sum()}; undecided in {59 - decided.sum()} (1 cell has no "
        "interval)"
    )
