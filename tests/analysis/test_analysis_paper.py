"""The paper's matrices and the cell-by-cell comparison with ours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from vae_study.analysis.paper import PAPER_FIGURES, compare, format_comparison, read_matrix

PAPER = Path(__file__).resolve().parents[2] / "results" / "paper"


def test_the_committed_paper_matrices_read_with_their_captions():
    fig2, fig5 = (read_matrix(PAPER / figure.file) for figure in PAPER_FIGURES)
    assert fig2[0].shape == (6, 6) and "Figure 2" in fig2[1]
    assert (np.diag(fig2[0]) == 100).all() and (fig2[0] == fig2[0].T).all().all()
    assert fig5[0].shape == (6, 10) and fig5[0].loc["MIG", "LR10000"] == -1
    assert "Figure 5" in fig5[1]


def test_our_copy_of_the_paper_agrees_everywhere_and_its_negation_nowhere():
    paper, _ = read_matrix(PAPER / PAPER_FIGURES[0].file)
    same = compare(paper, paper + 0.3, skip_diagonal=True)
    assert len(same) == 30 and same["sign_agrees"].all() and same["order_agrees"].all()
    flipped = compare(paper, -paper, skip_diagonal=True)
    assert not flipped.loc[flipped["paper"] != 0, "sign_agrees"].any()
    assert not flipped.loc[flipped["row"] == "MIG", "order_agrees"].all()


def test_ties_in_the_paper_give_a_range_and_missing_cells_are_na():
    paper = pd.DataFrame({"A": [50.0], "B": [28.0], "C": [28.0], "D": [10.0]}, index=["M"])
    ours = pd.DataFrame({"A": [40.0], "B": [20.0], "C": [30.0]}, index=["M"])  # no D
    cells = compare(paper, ours, skip_diagonal=False).set_index("column")
    assert cells.loc["B", "rank_paper"] == "2-3" and cells.loc["C", "rank_paper"] == "2-3"
    assert cells.loc["B", "rank_ours"] == "3" and bool(cells.loc["B", "order_agrees"])
    assert cells.loc["A", "rank_ours"] == "1" and bool(cells.loc["A", "order_agrees"])
    assert pd.isna(cells.loc["D", "sign_agrees"]) and np.isnan(cells.loc["D", "ours"])
    text = format_comparison(cells.reset_index(), "title")
    assert text.splitlines()[0] == "title"
    assert text.splitlines()[-1] == (
        "sign agrees in 3/3 cells, ordering in 3/3 (1 cells have no value of ours)"
    )
