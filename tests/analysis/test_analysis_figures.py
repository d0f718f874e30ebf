"""The study's figures from a small synthetic study: every file written, with its intervals, and
written alike for the same seed."""

from __future__ import annotations

import contextlib
import io
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from once_per_session import once_per_session
from synthetic_study import synthetic_record, write_records, write_small_study, write_study

from vae_study.analysis import cli
from vae_study.analysis import figures as figures_module
from vae_study.analysis.collect import collect, write_table
from vae_study.analysis.design import replication_warnings
from vae_study.analysis.figures import (
    distributions_figure,
    efficiency_figure,
    metric_vs_downstream_figure,
    metric_vs_metric_figure,
    paper_figure,
    seeds_figure,
    study_correlations,
    variance_figure,
)
from vae_study.analysis.paper import PAPER_DIR

# seaborn 0.13 calls matplotlib 3.11 APIs that are being deprecated (boxplot's vert, set_bad)
pytestmark = [
    pytest.mark.filterwarnings(
        "ignore::PendingDeprecationWarning", "ignore::matplotlib.MatplotlibDeprecationWarning"
    ),
]

PAPER = PAPER_DIR
FIGURES = [
    "metric_vs_metric", "metric_vs_downstream", "efficiency_vs_factor_vae",
    "distributions_cars3d", "distributions_dsprites", "distributions_noisy_dsprites",
    "variance_split", "bad_strength_beats_good", "paper_fig2_comparison", "paper_fig5_comparison",
]  # fmt: skip
TABLES = [
    "metric_vs_metric", "metric_vs_downstream", "variance_split", "bad_strength_beats_good",
    "paper_fig2_comparison", "paper_fig5_comparison",
]  # fmt: skip


def run_figures(results: Path, *flags: str) -> str:
    """``python -m vae_study.analysis figures`` on the small study; what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli.main(["figures", "--study", "synthetic", "--results", str(results),
                  "--paper", str(PAPER), *flags])  # fmt: skip
    return out.getvalue()


@pytest.fixture(scope="session")
def drawn_study(tmp_path_factory, worker_id, settings) -> tuple[Path, str]:
    """The small study drawn by the figures command at the test settings in two processes, once
    for all the suite's workers: (results root, what the command printed)."""

    def draw(root: Path) -> None:
        write_small_study(root)
        flags = ["--resamples", str(settings.resamples), "--n-jobs", "2"]
        (root / "printed.txt").write_text(run_figures(root, *flags))

    root = once_per_session(tmp_path_factory, worker_id, "drawn_study", draw)
    return root, (root / "printed.txt").read_text()


@pytest.fixture
def figures_run(drawn_study) -> tuple[Path, str]:
    """(figures folder, what the command printed) of :func:`drawn_study`."""
    root, printed = drawn_study
    return root / "synthetic" / "figures", printed


def test_every_figure_is_a_non_empty_png_and_pdf_with_its_numbers(figures_run):
    folder, _ = figures_run
    for name in FIGURES:
        assert (folder / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert (folder / f"{name}.png").stat().st_size > 5000, name
        assert (folder / f"{name}.pdf").read_bytes()[:5] == b"%PDF-", name
    for name in TABLES:
        assert len(pd.read_csv(folder / f"{name}.csv")) > 0, name


def test_the_command_writes_the_table_and_prints_the_comparison(figures_run, drawn_study):
    _, printed = figures_run
    assert printed.startswith(
        "intervals: 95% bca, 200 stratified resamples, seed 0\n"
        "56 records: 56 done, 0 failed, 0 running, 0 interrupted, 0 unreadable"
    )
    assert len(pd.read_csv(drawn_study[0] / "synthetic" / "study_table.csv")) == 56
    assert "fig2 on noisy_dsprites" in printed and "fig5 on dsprites" in printed
    assert "row     column  paper  ours  interval consistent" in printed
    assert printed.count("consistent with the paper in") == 2
    assert printed.count("every 95% interval within +-10 (x100 scale): about") == 2


def test_every_heatmap_cell_has_its_interval_in_the_companion_table(figures_run):
    folder, _ = figures_run
    for name in ("metric_vs_metric", "metric_vs_downstream"):
        cells = pd.read_csv(folder / f"{name}.csv")
        assert list(cells.columns) == [
            "dataset", "metric", "column", "estimate", "low", "high", "n",
        ]  # fmt: skip
        assert (cells["n"] == 27).all() and cells[["estimate", "low", "high"]].notna().all().all()
        assert ((cells["low"] <= cells["estimate"] + 1e-9)
                & (cells["estimate"] <= cells["high"] + 1e-9)).all()  # fmt: skip
    shares = pd.read_csv(folder / "variance_split.csv")
    assert {"seed_low", "seed_high", "model_low", "strength_high"} <= set(shares.columns)
    assert {"low", "high"} <= set(pd.read_csv(folder / "bad_strength_beats_good.csv").columns)
    paper = pd.read_csv(folder / "paper_fig5_comparison.csv")
    assert {"low", "high", "consistent", "sign_decided", "models_needed"} <= set(paper.columns)


def test_a_data_set_with_two_runs_is_noted_not_correlated(figures_run):
    folder, _ = figures_run
    matrix = pd.read_csv(folder / "metric_vs_metric.csv")
    assert set(matrix["dataset"]) == {"dsprites", "noisy_dsprites"}
    assert set(pd.read_csv(folder / "variance_split.csv")["dataset"]) == {
        "dsprites",
        "noisy_dsprites",
    }


@pytest.mark.long  # draws every figure a second time
def test_drawing_again_in_this_process_gives_byte_identical_files(
    figures_run, small_study, settings, tmp_path
):
    folder, _ = figures_run
    table = collect(small_study / "synthetic" / "runs").table
    correlations = study_correlations(table, settings)
    again = [
        *write_table(table, tmp_path),
        *metric_vs_metric_figure(table, correlations, tmp_path, settings),
        *metric_vs_downstream_figure(table, correlations, tmp_path, settings),
        *efficiency_figure(table, correlations, tmp_path, settings),
        *(path for name in ("cars3d", "dsprites", "noisy_dsprites")
          for path in distributions_figure(table[table["dataset"] == name], tmp_path)),
        *variance_figure(table, tmp_path, settings),
        *seeds_figure(table, tmp_path, settings),
        *paper_figure(table, correlations, PAPER, tmp_path, settings)[0],
    ]  # fmt: skip
    written = [p.name for p in folder.iterdir()] + [p.name for p in folder.parent.glob("study_*")]
    assert sorted(path.name for path in again) == sorted(written)  # every file the command wrote
    for path in again:
        home = folder.parent if path.name.startswith("study_table") else folder
        assert path.read_bytes() == (home / path.name).read_bytes(), path.name


def test_another_seed_moves_the_intervals_not_the_estimates(figures_run, small_study, settings):
    folder, _ = figures_run
    table = collect(small_study / "synthetic" / "runs").table
    first = study_correlations(table, settings)["dsprites"]
    other = study_correlations(table, replace(settings, seed=settings.seed + 1))["dsprites"]
    pd.testing.assert_frame_equal(first.estimate, other.estimate)
    assert not first.low.equals(other.low)
    written = pd.read_csv(folder / "metric_vs_metric.csv")
    assert written.loc[written["dataset"] == "dsprites", "low"].to_numpy() == pytest.approx(
        first.select(*[list(first.estimate.index[:6])] * 2).low.to_numpy().ravel()
    )


def test_the_command_line_overrides_the_settings_file(tmp_path, capsys):
    command = ["figures", "--study", "none", "--results", str(tmp_path)]
    with pytest.raises(SystemExit) as stopped:  # no records: stops after reading the settings
        cli.main([*command, "--resamples", "20", "--seed", "3", "--interval", "percentile"])
    assert stopped.value.code == 1
    assert capsys.readouterr().out.startswith(
        "intervals: 95% percentile, 20 stratified resamples, seed 3\n"
    )
    with pytest.raises(SystemExit) as stopped:
        cli.main([*command, "--level", "1.5"])
    assert stopped.value.code == 2
    assert "bootstrap.level: 1.5 (need 0 < level < 1)" in capsys.readouterr().err


def test_the_comparison_without_the_papers_data_set_says_so(small_study, settings, tmp_path):
    table = collect(small_study / "synthetic" / "runs").table
    dsprites = table[table["dataset"] == "dsprites"]
    paths, [fig2, fig5] = paper_figure(
        dsprites, study_correlations(dsprites, settings), PAPER, tmp_path, settings
    )
    assert all(p.stat().st_size > 0 for p in paths)
    assert fig2.cells["ours"].isna().all() and fig5.cells["ours"].notna().all()
    assert fig2.text().endswith(
        "no value of ours in any of the 15 cells (noisy_dsprites: not enough runs (0, need 3))"
    )


def test_a_study_of_one_seed_per_cell_compares_no_interval_with_the_paper(
    settings, tmp_path, monkeypatch
):
    write_study(tmp_path, "one_seed", {"dsprites": 1, "noisy_dsprites": 1})
    table = collect(tmp_path / "one_seed" / "runs").table
    drawn = {}
    monkeypatch.setattr(
        figures_module, "save", lambda fig, _, name: drawn.update({name: fig}) or []
    )
    metric_vs_metric_figure(table, study_correlations(table, settings), tmp_path, settings)
    for ax in drawn["metric_vs_metric"].axes[:2]:  # two data sets of 6 x 6 estimates, no interval
        assert sum(patch.get_hatch() == ".." for patch in ax.patches) == 36
        assert not any(patch.get_hatch() == "///" for patch in ax.patches)
    assert replication_warnings(table) == [
        f"{name}: no intervals (dotted cells), every model × strength cell has one run (train "
        "two or more seeds per configuration)"
        for name in ("dsprites", "noisy_dsprites")
    ]
    _, comparisons = paper_figure(
        table, study_correlations(table, settings), PAPER, tmp_path, settings
    )
    for comparison in comparisons:
        cells = comparison.cells
        assert cells["ours"].notna().all() and cells[["low", "high"]].isna().all().all()
        assert cells["sign_decided"].isna().all() and cells["models_needed"].isna().all()
        assert comparison.text().endswith(
            "none with an interval (a data set needs model x strength cells of two runs or more "
            "to resample; its design line says how its cells are filled)"
        )


DEPARTING = "departs in: dataset.path=null: the procedural renderer; metrics=quick"


def test_every_figure_states_the_protocol_of_its_runs(small_study, settings, tmp_path, monkeypatch):
    captions: dict[str, str] = {}

    def caption_only(fig, out_dir, name):
        captions[name] = fig.get_suptitle()
        return []

    monkeypatch.setattr(figures_module, "save", caption_only)
    settings = replace(settings, resamples=20, interval="percentile")
    table = collect(small_study / "synthetic" / "runs").table
    table = table[table["dataset"] == "dsprites"]
    assert set(table["protocol"]) == {"unrecorded"}  # the synthetic records predate protocols
    departing = table.assign(protocol=DEPARTING)
    correlations = study_correlations(departing, settings)
    distributions_figure(departing, tmp_path)
    metric_vs_metric_figure(departing, correlations, tmp_path, settings)
    metric_vs_downstream_figure(departing, correlations, tmp_path, settings)
    efficiency_figure(departing, correlations, tmp_path, settings)
    variance_figure(departing, tmp_path, settings)
    seeds_figure(departing, tmp_path, settings)
    paper_figure(departing, correlations, PAPER, tmp_path, settings)
    assert len(captions) == 8, sorted(captions)
    for name, text in captions.items():
        first, *rest = text.splitlines()
        assert first == f"protocol: {DEPARTING}", name
        assert rest, name

    captions.clear()
    mixed = pd.concat([departing.iloc[:3], table.iloc[3:]])
    distributions_figure(mixed, tmp_path)
    [text] = captions.values()
    assert text.startswith(f"protocol: {DEPARTING} | unrecorded\n")


def test_figures_refuse_runs_of_two_protocols_naming_the_key_that_differs(tmp_path, capsys):
    records = [
        synthetic_record("mixed", "dsprites", "beta_vae", strength, seed)
        for strength in (0, 1)
        for seed in (0, 1)
    ]
    for steps, record in zip([1000, 3000] * 2, records, strict=True):
        record["protocol"] = {
            "dataset.path": "null: the procedural renderer (reference: the archive)",
            "train.steps": f"{steps} (reference 300000)",
        }
    write_records(tmp_path / "mixed" / "runs", records)
    with pytest.raises(SystemExit) as stopped:
        cli.main(["figures", "--study", "mixed", "--results", str(tmp_path), "--resamples", "20"])
    assert stopped.value.code == 2
    refusal = capsys.readouterr().err
    assert "holds runs of 2 protocols, differing in train.steps: their figures" in refusal
    assert "--mix-protocols" in refusal and not (tmp_path / "mixed" / "figures").exists()
