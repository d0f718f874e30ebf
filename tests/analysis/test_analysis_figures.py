"""The study's figures from a small synthetic study: every file written, and written alike."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pandas as pd
import pytest

from vae_study.analysis import cli
from vae_study.analysis.collect import collect
from vae_study.analysis.figures import paper_figure, render_study

# seaborn 0.13 calls matplotlib 3.11 APIs that are being deprecated (boxplot's vert, set_bad)
pytestmark = pytest.mark.filterwarnings(
    "ignore::PendingDeprecationWarning", "ignore::matplotlib.MatplotlibDeprecationWarning"
)

PAPER = Path(__file__).resolve().parents[2] / "results" / "paper"
FIGURES = [
    "metric_vs_metric", "metric_vs_downstream", "efficiency_vs_factor_vae",
    "distributions_cars3d", "distributions_dsprites", "distributions_noisy_dsprites",
    "variance_split", "bad_strength_beats_good", "paper_fig2_comparison", "paper_fig5_comparison",
]  # fmt: skip
TABLES = [
    "metric_vs_metric", "metric_vs_downstream", "variance_split", "bad_strength_beats_good",
    "paper_fig2_comparison", "paper_fig5_comparison",
]  # fmt: skip


@pytest.fixture(scope="module")
def figures_run(small_study) -> tuple[Path, str]:
    """``python -m vae_study.analysis figures`` on the small study: (figures folder, stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli.main(["figures", "--study", "synthetic", "--results", str(small_study),
                  "--paper", str(PAPER)])  # fmt: skip
    return small_study / "synthetic" / "figures", out.getvalue()


def test_every_figure_is_a_non_empty_png_and_pdf_with_its_numbers(figures_run):
    folder, _ = figures_run
    for name in FIGURES:
        assert (folder / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert (folder / f"{name}.png").stat().st_size > 5000, name
        assert (folder / f"{name}.pdf").read_bytes()[:5] == b"%PDF-", name
    for name in TABLES:
        assert len(pd.read_csv(folder / f"{name}.csv")) > 0, name


def test_the_command_writes_the_table_and_prints_the_comparison(figures_run, small_study):
    _, printed = figures_run
    assert printed.startswith(
        "56 records: 56 done, 0 failed, 0 running, 0 interrupted, 0 unreadable"
    )
    assert len(pd.read_csv(small_study / "synthetic" / "study_table.csv")) == 56
    assert "fig2 on noisy_dsprites" in printed and "fig5 on dsprites" in printed
    assert "row     column  paper  ours" in printed
    assert printed.count("sign agrees in") == 2


def test_a_data_set_with_two_runs_is_noted_not_correlated(figures_run):
    folder, _ = figures_run
    matrix = pd.read_csv(folder / "metric_vs_metric.csv")
    assert set(matrix["dataset"]) == {"dsprites", "noisy_dsprites"}
    assert set(pd.read_csv(folder / "variance_split.csv")["dataset"]) == {
        "dsprites",
        "noisy_dsprites",
    }


def test_regenerating_gives_byte_identical_files(figures_run, small_study, tmp_path):
    folder, _ = figures_run
    table = collect(small_study / "synthetic" / "runs").table
    again = render_study(table, tmp_path, PAPER).paths
    assert sorted(p.name for p in again) == sorted(p.name for p in folder.iterdir())
    for path in again:
        assert path.read_bytes() == (folder / path.name).read_bytes(), path.name


def test_the_comparison_without_the_papers_data_set_says_so(small_study, tmp_path):
    table = collect(small_study / "synthetic" / "runs").table
    paths, [fig2, fig5] = paper_figure(table[table["dataset"] == "dsprites"], PAPER, tmp_path)
    assert all(p.stat().st_size > 0 for p in paths)
    assert fig2.cells["ours"].isna().all() and fig5.cells["ours"].notna().all()
    assert fig2.text().endswith(
        "no value of ours in any of the 30 cells (noisy_dsprites: not enough runs (0, need 3))"
    )
