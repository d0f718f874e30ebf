"""The paper's published correlation matrices and a cell-by-cell comparison with ours, with
our uncertainty.

:data:`PAPER_DIR` (shipped with the package) holds Figure 2 (metric vs metric on Noisy-dSprites)
and Figure 5 (metric vs
downstream on dSprites) of Locatello et al. 2019 as CSVs: ``#`` comment lines giving the source,
then a matrix of integers (Spearman x100) with a ``metric`` column of row labels.

:func:`compare` lines our matrix and its intervals
(:class:`~vae_study.analysis.correlations.IntervalMatrix`) up with the paper's. Per cell (off the
pairs of a matrix of metrics against themselves: each pair of metrics once, the paper's upper
triangle, since both triangles and the diagonal of 100 add nothing):

* ``consistent``: the paper's value lies in our interval (ends included);
* ``sign_decided``: our interval excludes 0, so our data decide the sign at this study size;
* ``sign_agrees``: where the sign is decided, our sign equals the paper's (NA where undecided);
* ``models_needed``: the models per data set at which the cell's interval would be
  ``target_half_width`` wide on each side, from the 1/sqrt(n) scaling of the interval's
  half-width: n (half-width / target)^2, rounded up (:func:`models_for_half_width`).

The paper's own values are taken as exact: they rest on about 1,800 models per data set, whose
intervals are a fraction of ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vae_study.analysis.correlations import IntervalMatrix

PAPER_DIR = Path(__file__).with_name("paper_matrices")
"""The paper's matrices as this package ships them (its README says where each comes from)."""


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


def models_for_half_width(
    low: np.ndarray, high: np.ndarray, runs: np.ndarray, target: float
) -> np.ndarray:
    """Models at which an interval [low, high] measured at ``runs`` models would have the
    half-width ``target`` (same units), if its half-width falls as 1/sqrt(models): runs
    ((high - low) / 2 / target)^2, rounded up; NaN where the interval is."""
    half = (np.asarray(high, dtype=float) - np.asarray(low, dtype=float)) / 2
    return np.ceil(np.asarray(runs, dtype=float) * (half / target) ** 2)


def compare(
    paper: pd.DataFrame, ours: IntervalMatrix, *, pairs_once: bool, target_half_width: float
) -> pd.DataFrame:
    """The cell-by-cell comparison defined in the module docstring, one row per paper cell.

    ``ours`` is aligned to the paper's rows and columns (labels it lacks are NaN);
    ``target_half_width`` is on the x100 scale. Columns: ``row``, ``column``, ``paper``,
    ``ours``, ``low``, ``high``, ``n``, ``difference`` (ours - paper), ``consistent``,
    ``sign_decided``, ``sign_agrees``, ``models_needed``; ``n`` is NA where our estimate is NaN,
    the last four where our estimate or its interval is.
    """
    aligned = ours.reindex_like(paper)
    rows = []
    for row, label in enumerate(paper.index):
        for position, column in enumerate(paper.columns):
            if pairs_once and position <= row:
                continue
            value, low, high = (
                float(frame.at[label, column])
                for frame in (aligned.estimate, aligned.low, aligned.high)
            )
            runs = aligned.runs.at[label, column]
            reference = float(paper.at[label, column])
            known = bool(np.isfinite(value))
            bounded = known and bool(np.isfinite([low, high]).all())
            decided = bounded and (low > 0 or high < 0)
            needed = models_for_half_width(low, high, runs, target_half_width) if bounded else 0
            rows.append({
                "row": label,
                "column": column,
                "paper": reference,
                "ours": value,
                "low": low,
                "high": high,
                "n": int(runs) if known else pd.NA,
                "difference": value - reference,
                "consistent": bool(low <= reference <= high) if bounded else pd.NA,
                "sign_decided": decided if bounded else pd.NA,
                "sign_agrees": bool(np.sign(value) == np.sign(reference)) if decided else pd.NA,
                "models_needed": int(needed) if bounded else pd.NA,
            })  # fmt: skip
    return pd.DataFrame(rows)


def summary(comparison: pd.DataFrame, target_half_width: float, level: float) -> list[str]:
    """The comparison's totals: how many cells agree with the paper, how many our data decide,
    and how many models per data set would narrow every interval to ``target_half_width``."""
    estimated = comparison["ours"].notna()
    known = comparison["consistent"].notna()
    cells = comparison[known]
    if not estimated.any():
        return [f"no value of ours in any of the {len(comparison)} cells"]
    if cells.empty:
        return [
            f"our estimate in {int(estimated.sum())} of {len(comparison)} cells, none with an "
            "interval (a data set needs model x strength cells of two runs or more to resample; "
            "its design line says how its cells are filled)"
        ]
    missing = [
        f"{count} {'cell has' if count == 1 else 'cells have'} {what}"
        for count, what in (
            (int((~estimated).sum()), "no value of ours"),
            (int((estimated & ~known).sum()), "no interval"),
        )
        if count
    ]
    decided = cells["sign_decided"].astype(bool)
    undecided = cells[~decided]
    lines = [
        f"consistent with the paper in {int(cells['consistent'].astype(bool).sum())} of "
        f"{len(cells)} cells; sign decided in {int(decided.sum())} cells, agreeing in "
        f"{int(cells.loc[decided, 'sign_agrees'].astype(bool).sum())}; undecided in "
        f"{len(undecided)}" + (f" ({'; '.join(missing)})" if missing else ""),
    ]
    runs = int(cells["n"].max())
    needed = f"about {int(cells['models_needed'].max()):,} models per data set (now {runs})"
    if len(undecided):
        needed += f"; the undecided cells alone: {int(undecided['models_needed'].max()):,}"
    lines.append(
        f"every {level:.0%} interval within +-{target_half_width:g} (x100 scale): {needed}"
    )
    return lines


def _yes_no(value: object) -> str:
    return "-" if pd.isna(value) else ("yes" if value else "no")


def _sign(row: pd.Series) -> str:
    if pd.isna(row["sign_decided"]):
        return "-"
    if not row["sign_decided"]:
        return "undecided"
    return "agrees" if row["sign_agrees"] else "differs"


def format_comparison(
    comparison: pd.DataFrame, title: str, *, target_half_width: float, level: float
) -> str:
    """The comparison as a short text table with its :func:`summary` lines."""
    lines = summary(comparison, target_half_width, level)
    if comparison["ours"].isna().all():
        return "\n".join([title, *lines])
    shown = pd.DataFrame({
        "row": comparison["row"],
        "column": comparison["column"],
        "paper": comparison["paper"],
        "ours": comparison["ours"].round(0),
        "interval": [
            "-" if pd.isna(low) else f"[{round(low)}, {round(high)}]"
            for low, high in zip(comparison["low"], comparison["high"], strict=True)
        ],
        "consistent": comparison["consistent"].map(_yes_no),
        "sign": comparison.apply(_sign, axis=1),
        "models_needed": comparison["models_needed"],
    })  # fmt: skip
    table = shown.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.0f}")
    return "\n".join([title, table, *lines])
