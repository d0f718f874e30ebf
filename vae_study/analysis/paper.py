"""The paper's published correlation matrices and a cell-by-cell comparison with ours.

``results/paper/`` holds Figure 2 (metric vs metric on Noisy-dSprites) and Figure 5 (metric vs
downstream on dSprites) of Locatello et al. 2019 as CSVs: ``#`` comment lines giving the source,
then a matrix of integers (Spearman x100) with a ``metric`` column of row labels.

:func:`compare` lines our matrix up with the paper's. Per cell (off the diagonal for a matrix of
metrics against themselves, whose diagonal is 100 by construction):

* ``sign_agrees``: the sign of ours, rounded to an integer like the paper's, equals the paper's
  sign (0 is a sign of its own);
* ``rank_paper`` / ``rank_ours``: the cell's position in its row, 1 = largest, among the cells of
  that row both matrices have. Ties in the paper's integers give a range of positions ("3-4");
* ``order_agrees``: our position lies in the paper's range.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PaperFigure:
    """One published matrix: its file in the paper folder and the data set it was measured on."""

    name: str
    file: str
    dataset: str
    kind: str  # "metric_vs_metric" or "metric_vs_downstream"


PAPER_FIGURES = (
    PaperFigure(
        "fig2", "fig2_metric_rank_correlation_noisy_dsprites.csv", "noisy_dsprites",
        "metric_vs_metric",
    ),
    PaperFigure(
        "fig5", "fig5_metric_vs_downstream_dsprites.csv", "dsprites", "metric_vs_downstream",
    ),
)  # fmt: skip


def read_matrix(path: str | Path) -> tuple[pd.DataFrame, str]:
    """A paper CSV as (matrix indexed by metric, its caption from the ``#`` lines)."""
    path = Path(path)
    caption = " ".join(
        line.lstrip("#").strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    )
    matrix = pd.read_csv(path, comment="#", index_col="metric").astype(float)
    return matrix, caption


def _positions(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each value's range of positions in descending order (1 = largest)."""
    return values.rank(ascending=False, method="min"), values.rank(ascending=False, method="max")


def _span(low: float, high: float) -> str:
    return f"{low:.0f}" if np.isnan(low) or low == high else f"{low:.0f}-{high:.0f}"


def compare(paper: pd.DataFrame, ours: pd.DataFrame, *, skip_diagonal: bool) -> pd.DataFrame:
    """The cell-by-cell comparison defined in the module docstring, one row per paper cell.

    ``ours`` is aligned to the paper's rows and columns (labels it lacks are NaN). Columns:
    ``row``, ``column``, ``paper``, ``ours``, ``difference`` (ours - paper), ``sign_agrees``,
    ``rank_paper``, ``rank_ours``, ``order_agrees``; the last four are NA where ours is NaN.
    """
    ours = ours.reindex(index=paper.index, columns=paper.columns).astype(float)
    rows = []
    for label in paper.index:
        cells = [c for c in paper.columns if not (skip_diagonal and c == label)]
        both = [c for c in cells if np.isfinite(ours.at[label, c])]
        low, high = _positions(paper.loc[label, both])
        mine = ours.loc[label, both].rank(ascending=False, method="average")
        for column in cells:
            value, reference = ours.at[label, column], paper.at[label, column]
            known = column in both
            rows.append({
                "row": label,
                "column": column,
                "paper": reference,
                "ours": value,
                "difference": value - reference,
                "sign_agrees": bool(np.sign(np.round(value)) == np.sign(reference)) if known
                else pd.NA,
                "rank_paper": _span(low[column], high[column]) if known else pd.NA,
                "rank_ours": f"{mine[column]:g}" if known else pd.NA,
                "order_agrees": bool(low[column] <= mine[column] <= high[column]) if known
                else pd.NA,
            })  # fmt: skip
    return pd.DataFrame(rows)


def _yes_no(value: object) -> str:
    return "-" if pd.isna(value) else ("yes" if value else "no")


def format_comparison(comparison: pd.DataFrame, title: str) -> str:
    """The comparison as a short text table with a line of totals."""
    known = comparison["sign_agrees"].notna()
    if not known.any():
        return f"{title}\nno value of ours in any of the {len(comparison)} cells"
    signs = int(comparison.loc[known, "sign_agrees"].astype(bool).sum())
    orders = int(comparison.loc[known, "order_agrees"].astype(bool).sum())
    shown = comparison.assign(
        ours=comparison["ours"].round(0),
        difference=comparison["difference"].round(0),
        sign_agrees=comparison["sign_agrees"].map(_yes_no),
        rank_paper=comparison["rank_paper"].fillna("-"),
        rank_ours=comparison["rank_ours"].fillna("-"),
        order_agrees=comparison["order_agrees"].map(_yes_no),
    )
    lines = [
        title,
        shown.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.0f}"),
        f"sign agrees in {signs}/{int(known.sum())} cells, ordering in {orders}/{int(known.sum())}"
        f" ({len(comparison) - int(known.sum())} cells have no value of ours)",
    ]
    return "\n".join(lines)
