"""The study's figures, drawn from the study table (:mod:`vae_study.analysis.collect`).

Each ``*_figure`` function takes the table (runs of every data set) and an output folder, writes
PNG and PDF (and a CSV of the numbers behind the figure), and returns the paths it wrote. The
numbers come from pure functions in :mod:`~vae_study.analysis.correlations`,
:mod:`~vae_study.analysis.variance` and :mod:`~vae_study.analysis.paper`; this module only draws.

Rendering is deterministic: inputs are sorted, nothing is random, and the files carry no date
or software stamp, so the same table gives byte-identical files. A data set with too few runs
gets a "not enough runs" panel instead of a plot.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from vae_study.analysis import correlations as corr
from vae_study.analysis import paper as pub
from vae_study.analysis.variance import SHARES, bad_strength_beats_good, variance_split
from vae_study.atomic import atomic_path

DPI = 150
PNG_METADATA = {"Software": None}
PDF_METADATA = {"CreationDate": None}
FORMATS = ("png", "pdf")


@contextmanager
def style() -> Iterator[None]:
    """The house style for every figure: seaborn's white axes at paper scale."""
    with sns.axes_style("white"), sns.plotting_context("paper"):
        yield


def save(fig: Figure, out_dir: Path, name: str) -> list[Path]:
    """Write ``fig`` as ``<name>.png`` and ``<name>.pdf``, without date or software stamps."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.{suffix}" for suffix in FORMATS]
    with atomic_path(paths[0]) as png:
        fig.savefig(png, dpi=DPI, metadata=PNG_METADATA)
    fig.set_layout_engine("none")  # keep the layout just computed: the PDF is laid out alike
    with atomic_path(paths[1]) as pdf:
        fig.savefig(pdf, metadata=PDF_METADATA)
    return paths


def write_csv(frame: pd.DataFrame, out_dir: Path, name: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.csv"
    with atomic_path(path) as temporary:
        frame.to_csv(temporary, index=False)
    return path


def panels(count: int, columns: int, size: tuple[float, float]) -> tuple[Figure, list[Axes]]:
    """A figure of ``count`` panels in rows of ``columns``; unused grid cells are hidden."""
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    fig = Figure(figsize=(size[0] * columns, size[1] * rows), layout="constrained")
    axes = list(fig.subplots(rows, columns, squeeze=False).ravel())
    for ax in axes[count:]:
        ax.set_axis_off()
    return fig, axes[:count]


def note(ax: Axes, title: str, text: str) -> None:
    """A panel that says why there is no plot."""
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, wrap=True)


def outside_legend(ax: Axes) -> None:
    """Move the panel's legend to the right of it, outside the plot."""
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)


def _integer_labels(matrix: pd.DataFrame) -> np.ndarray:
    return matrix.map(lambda v: "" if pd.isna(v) else str(round(v))).to_numpy()


def heatmap(
    ax: Axes, matrix: pd.DataFrame, title: str, *, limit: float = 100.0, cmap: str = "vlag"
) -> None:
    """An annotated heatmap in the paper's style: integers, diverging colours around 0."""
    sns.heatmap(
        matrix.astype(float), ax=ax, annot=_integer_labels(matrix), fmt="", vmin=-limit,
        vmax=limit, center=0, cmap=cmap, cbar=False, annot_kws={"size": 7},
    )  # fmt: skip
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=90)
    ax.tick_params(axis="y", labelrotation=0)


def datasets(table: pd.DataFrame) -> list[str]:
    return sorted(map(str, table["dataset"].unique()))


def _title(table: pd.DataFrame, dataset: str) -> str:
    return f"{dataset} ({int((table['dataset'] == dataset).sum())} runs)"


def _matrix_figure(
    table: pd.DataFrame,
    compute: Callable[[pd.DataFrame], pd.DataFrame],
    out_dir: Path,
    name: str,
    size: tuple[float, float],
) -> list[Path]:
    results = corr.per_dataset(table, compute)
    with style():
        fig, axes = panels(max(1, len(results)), 3, size)
        if not results:
            note(axes[0], name, "no done runs")
        for ax, (dataset, result) in zip(axes, results.items(), strict=False):
            if isinstance(result, str):
                note(ax, _title(table, dataset), result)
            else:
                heatmap(ax, result, _title(table, dataset))
        paths = save(fig, out_dir, name)
    return [*paths, write_csv(corr.stack(results), out_dir, name)]


def metric_vs_metric_figure(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Figure 2 of the paper: Spearman x100 between the six metrics, one heatmap per data set."""
    return _matrix_figure(table, corr.metric_vs_metric, out_dir, "metric_vs_metric", (3.6, 3.6))


def metric_vs_downstream_figure(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Figure 5: Spearman x100 of each metric with LR/GBT test accuracy and efficiency."""
    return _matrix_figure(
        table, corr.metric_vs_downstream, out_dir, "metric_vs_downstream", (5.0, 3.4)
    )


EFFICIENCY = "downstream_gbt.efficiency"


def efficiency_figure(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Figure 6: sample efficiency of GBT (accuracy at 100 / at 10,000 samples) against the
    FactorVAE score, one panel per data set, coloured by model."""
    models = sorted(map(str, table["model"].unique()))
    names = datasets(table)
    with style():
        fig, axes = panels(max(1, len(names)), 3, (3.6, 3.2))
        if not names:
            note(axes[0], "efficiency", "no done runs")
        for i, (ax, dataset) in enumerate(zip(axes, names, strict=False)):
            runs = table[table["dataset"] == dataset]
            if not {"factor_vae", EFFICIENCY} <= set(runs.columns):
                note(ax, _title(table, dataset), f"no factor_vae or {EFFICIENCY} scores")
                continue
            runs = runs[np.isfinite(runs[["factor_vae", EFFICIENCY]].astype(float)).all(axis=1)]
            if len(runs) < corr.MIN_RUNS:
                note(ax, _title(table, dataset), f"not enough runs ({len(runs)} scored)")
                continue
            rho = 100 * runs["factor_vae"].corr(runs[EFFICIENCY], method="spearman")
            sns.scatterplot(
                runs, x="factor_vae", y=EFFICIENCY, hue="model", hue_order=models, ax=ax, s=12,
                linewidth=0, legend=i == 0,
            )  # fmt: skip
            if i == 0:
                outside_legend(ax)
            ax.set_title(f"{_title(table, dataset)}, Spearman x100 = {round(rho)}")
            ax.set_xlabel("FactorVAE score")
            ax.set_ylabel("GBT efficiency (acc@100 / acc@10000)")
        return save(fig, out_dir, "efficiency_vs_factor_vae")


def distributions_figure(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Each metric's distribution over seeds per model and strength (the paper's violin plots,
    as boxes here), one figure per data set (``distributions_<dataset>``)."""
    metrics = corr.present(table, corr.METRICS)
    models = sorted(map(str, table["model"].unique()))
    strengths = sorted(int(s) for s in table["strength"].unique())
    paths: list[Path] = []
    for dataset in datasets(table):
        runs = table[table["dataset"] == dataset]
        with style():
            fig, axes = panels(max(1, len(metrics)), 3, (4.2, 3.0))
            if not metrics:
                note(axes[0], dataset, "no disentanglement metrics in the table")
            for i, (ax, (key, label)) in enumerate(zip(axes, metrics.items(), strict=False)):
                scored = runs[np.isfinite(runs[key].astype(float))]
                if scored.empty:
                    note(ax, label, "no finite scores")
                    continue
                sns.boxplot(
                    scored, x="model", y=key, hue="strength", order=models, hue_order=strengths,
                    palette="crest", ax=ax, fliersize=1.5, linewidth=0.6, legend=i == 0,
                )  # fmt: skip
                if i == 0:
                    outside_legend(ax)
                ax.set_title(f"{label}, {dataset}")
                ax.set_xlabel("")
                ax.set_ylabel(label)
                ax.tick_params(axis="x", labelrotation=30)
            paths += save(fig, out_dir, f"distributions_{dataset}")
    return paths


def _stacked_shares(ax: Axes, shares: pd.DataFrame, title: str) -> None:
    left = np.zeros(len(shares))
    colours = sns.color_palette("Set2", len(SHARES))
    for share, colour in zip(SHARES, colours, strict=True):
        values = shares[share].to_numpy(float)
        ax.barh(shares["metric"], values, left=left, color=colour, label=share)
        left += np.nan_to_num(values)
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel("share of variance")


def variance_figure(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Share of each metric's variance explained by model, by strength within model and by seed
    (:func:`vae_study.analysis.variance.variance_split`), one panel per data set."""
    split = variance_split(table, corr.present(table, corr.METRICS))
    names = datasets(table)
    with style():
        fig, axes = panels(max(1, len(names)), 3, (3.8, 2.6))
        if not names:
            note(axes[0], "variance", "no done runs")
        for i, (ax, dataset) in enumerate(zip(axes, names, strict=False)):
            shares = split[split["dataset"] == dataset]
            if shares.empty:
                note(ax, _title(table, dataset), f"not enough runs (need {corr.MIN_RUNS})")
                continue
            _stacked_shares(ax, shares, _title(table, dataset))
            if i == 0:
                ax.legend()
                outside_legend(ax)
        paths = save(fig, out_dir, "variance_split")
    return [*paths, write_csv(split, out_dir, "variance_split")]


def seeds_figure(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """How often a seed at a model's worst strength beats a seed at its best
    (:func:`vae_study.analysis.variance.bad_strength_beats_good`): metric x model per data set."""
    shares = bad_strength_beats_good(table, corr.present(table, corr.METRICS))
    names = datasets(table)
    with style():
        fig, axes = panels(max(1, len(names)), 3, (3.8, 3.0))
        if not names:
            note(axes[0], "seeds", "no done runs")
        for ax, dataset in zip(axes, names, strict=False):
            rows = shares[shares["dataset"] == dataset]
            if rows.empty:
                note(ax, _title(table, dataset), "fewer than two strengths per model")
                continue
            matrix = rows.pivot(index="metric", columns="model", values="share")
            order = [m for m in corr.METRICS.values() if m in matrix.index]
            sns.heatmap(
                matrix.loc[order], ax=ax, annot=True, fmt=".2f", vmin=0, vmax=1, center=0.5,
                cmap="vlag", cbar=False, annot_kws={"size": 7},
            )  # fmt: skip
            ax.set_title(f"P(worst strength beats best), {dataset}")
            ax.set_xlabel("")
            ax.set_ylabel("")
            ax.tick_params(axis="x", labelrotation=30)
        paths = save(fig, out_dir, "bad_strength_beats_good")
    return [*paths, write_csv(shares, out_dir, "bad_strength_beats_good")]


COMPUTE = {
    "metric_vs_metric": corr.metric_vs_metric,
    "metric_vs_downstream": corr.metric_vs_downstream,
}


@dataclass(frozen=True)
class Comparison:
    """Our matrix against one of the paper's: the caption and the cell-by-cell table."""

    figure: pub.PaperFigure
    caption: str
    cells: pd.DataFrame
    reason: str | None = None  # why we have no matrix, if we have none

    def text(self) -> str:
        title = f"{self.figure.name} on {self.figure.dataset}: {self.caption}"
        text = pub.format_comparison(self.cells, title)
        return text if self.reason is None else f"{text} ({self.reason})"


def _compare_one(
    table: pd.DataFrame, figure: pub.PaperFigure, paper_dir: Path, out_dir: Path
) -> tuple[list[Path], Comparison]:
    published, caption = pub.read_matrix(paper_dir / figure.file)
    runs = table[table["dataset"] == figure.dataset]
    try:
        ours = COMPUTE[figure.kind](runs).reindex_like(published)
        reason = None
    except corr.NotEnoughRunsError as error:
        ours, reason = published * np.nan, f"{figure.dataset}: {error}"
    cells = pub.compare(published, ours, skip_diagonal=figure.kind == "metric_vs_metric")
    width = 3.6 if figure.kind == "metric_vs_metric" else 5.0
    with style():
        fig, axes = panels(3, 3, (width, 3.6))
        heatmap(axes[0], published, f"paper, {figure.name} ({figure.dataset})")
        if reason is None:
            heatmap(axes[1], ours, f"ours ({len(runs)} runs)")
            heatmap(axes[2], ours - published, "ours - paper")
        else:
            note(axes[1], "ours", reason)
            note(axes[2], "ours - paper", reason)
        paths = save(fig, out_dir, f"paper_{figure.name}_comparison")
    csv = write_csv(cells, out_dir, f"paper_{figure.name}_comparison")
    return [*paths, csv], Comparison(figure, caption, cells, reason)


def paper_figure(
    table: pd.DataFrame, paper_dir: Path, out_dir: Path
) -> tuple[list[Path], list[Comparison]]:
    """Ours beside each of the paper's matrices (:data:`~vae_study.analysis.paper.PAPER_FIGURES`)
    and the difference; the cell-by-cell comparisons (:func:`vae_study.analysis.paper.compare`)."""
    paths: list[Path] = []
    comparisons = []
    for figure in pub.PAPER_FIGURES:
        written, comparison = _compare_one(table, figure, paper_dir, out_dir)
        paths += written
        comparisons.append(comparison)
    return paths, comparisons


FIGURES: Mapping[str, Callable[[pd.DataFrame, Path], list[Path]]] = {
    "metric_vs_metric": metric_vs_metric_figure,
    "metric_vs_downstream": metric_vs_downstream_figure,
    "efficiency": efficiency_figure,
    "distributions": distributions_figure,
    "variance": variance_figure,
    "seeds": seeds_figure,
}


@dataclass(frozen=True)
class Rendered:
    """What :func:`render_study` wrote, and the comparisons with the paper."""

    paths: Sequence[Path]
    comparisons: Sequence[Comparison]


def render_study(table: pd.DataFrame, out_dir: str | Path, paper_dir: str | Path) -> Rendered:
    """Every study figure (:data:`FIGURES`) and the comparison with the paper into ``out_dir``."""
    out_dir, paper_dir = Path(out_dir), Path(paper_dir)
    paths = [path for draw in FIGURES.values() for path in draw(table, out_dir)]
    written, comparisons = paper_figure(table, paper_dir, out_dir)
    return Rendered([*paths, *written], comparisons)
