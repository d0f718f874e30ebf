"""The study's figures, drawn from the study table (:mod:`vae_study.analysis.collect`).

Each ``*_figure`` function writes PNG and PDF (and a CSV of the numbers behind the figure) and
returns the paths it wrote. The numbers, each with its bootstrap interval, come from
:mod:`~vae_study.analysis.correlations`, :mod:`~vae_study.analysis.variance` and
:mod:`~vae_study.analysis.paper`; this module only draws. :func:`render_study` computes every
data set's correlations once and hands them to each figure that shows them.

Every interval is drawn: a heatmap cell shows the estimate over its interval, and cells whose
interval includes the value of no effect (0 for a correlation, 0.5 for a share of wins) are
hatched. Rendering is deterministic: inputs are sorted, the resamples are seeded
(:mod:`~vae_study.analysis.design`), and the files carry no date or software stamp, so the same
table and settings give byte-identical files. A data set with too few runs gets a "not enough
runs" panel instead of a plot.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from joblib import Parallel, delayed
from matplotlib import cbook, rc_context
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from vae_study.analysis import correlations as corr
from vae_study.analysis import paper as pub
from vae_study.analysis.design import replication_warnings
from vae_study.analysis.settings import AnalysisSettings
from vae_study.analysis.variance import SHARES, bad_strength_beats_good, variance_split
from vae_study.atomic import atomic_path

DPI = 150
RC = {"hatch.linewidth": 0.5}
PNG_METADATA = {"Software": None}
PDF_METADATA = {"CreationDate": None}
FORMATS = ("png", "pdf")
CAPTION_WIDTH = 150


@contextmanager
def style() -> Iterator[None]:
    """The house style for every figure: seaborn's white axes at paper scale."""
    with sns.axes_style("white"), sns.plotting_context("paper"), rc_context(RC):
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


RHO_LABEL = "Spearman ρ × 100"
HATCH = {"hatch": "///", "fill": False, "edgecolor": "0.6", "linewidth": 0}
NO_INTERVAL = {"hatch": "..", "fill": False, "edgecolor": "0.6", "linewidth": 0}
"""How a cell with an estimate but no interval (single-run cells only) is marked."""


def _integer_labels(matrix: pd.DataFrame) -> np.ndarray:
    return matrix.map(lambda v: "" if pd.isna(v) else str(round(v))).to_numpy()


def _style_axes(ax: Axes, title: str, rotation: float = 90) -> None:
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=rotation)
    ax.tick_params(axis="y", labelrotation=0)


def heatmap(ax: Axes, matrix: pd.DataFrame, title: str, *, limit: float = 100.0) -> None:
    """An annotated heatmap in the paper's style: integers, diverging colours around 0."""
    sns.heatmap(
        matrix.astype(float), ax=ax, annot=_integer_labels(matrix), fmt="", vmin=-limit,
        vmax=limit, center=0, cmap="vlag", cbar=False, annot_kws={"size": 7},
    )  # fmt: skip
    _style_axes(ax, title)


def _interval_labels(
    estimate: pd.DataFrame, low: pd.DataFrame, high: pd.DataFrame, digits: int
) -> np.ndarray:
    def number(value: float) -> str:
        return format(round(value, digits) + 0.0, f".{digits}f")  # + 0.0: no "-0"

    def label(e: float, lo: float, hi: float) -> str:
        if pd.isna(e):
            return ""
        if pd.isna(lo):
            return number(e)
        return f"{number(e)}\n[{number(lo)}, {number(hi)}]"

    ends = (frame.to_numpy(dtype=float).ravel() for frame in (estimate, low, high))
    values = zip(*ends, strict=True)
    return np.array([label(*v) for v in values], dtype=object).reshape(estimate.shape)


def hatch_cells(ax: Axes, covers: pd.DataFrame, style: Mapping[str, object] = HATCH) -> None:
    """Hatch the heatmap cells where ``covers`` is True, in ``style``."""
    for i, j in zip(*np.nonzero(covers.to_numpy(dtype=bool)), strict=True):
        ax.add_patch(Rectangle((j, i), 1, 1, **style))


def interval_heatmap(
    ax: Axes,
    estimate: pd.DataFrame,
    low: pd.DataFrame,
    high: pd.DataFrame,
    title: str,
    *,
    centre: float = 0.0,
    limits: tuple[float, float] = (-100.0, 100.0),
    digits: int = 0,
) -> None:
    """A heatmap of ``estimate`` whose cells read the estimate over its interval [low, high];
    cells whose interval includes ``centre`` (no effect) are hatched, cells with an estimate but
    no interval dotted."""
    sns.heatmap(
        estimate.astype(float), ax=ax, annot=_interval_labels(estimate, low, high, digits), fmt="",
        vmin=limits[0], vmax=limits[1], center=centre, cmap="vlag", cbar=False,
        annot_kws={"size": 6},
    )  # fmt: skip
    hatch_cells(ax, (low <= centre) & (high >= centre))
    hatch_cells(ax, estimate.notna() & (low.isna() | high.isna()), NO_INTERVAL)
    _style_axes(ax, title)


def matrix_heatmap(ax: Axes, matrix: corr.IntervalMatrix, title: str) -> None:
    """Spearman x100 with its interval in every cell, hatched where the interval includes 0."""
    interval_heatmap(ax, matrix.estimate, matrix.low, matrix.high, title)


def colour_bar(fig: Figure, axes: Sequence[Axes], label: str) -> None:
    """One colour bar for ``axes`` (heatmaps on one scale), naming the statistic."""
    images = [ax.collections[0] for ax in axes if ax.collections]
    if images:
        fig.colorbar(images[0], ax=list(axes), label=label, shrink=0.8, aspect=30)


def interval_note(settings: AnalysisSettings, hatched: str | None = None) -> str:
    """How the figure's intervals were computed, for its caption; ``hatched``: the value of no
    effect whose intervals are hatched, if the figure hatches any."""
    note = (
        f"{settings.level:.0%} {settings.interval} intervals, {settings.resamples:,} resamples "
        "of the seeds within each model × strength cell"
    )
    return note if hatched is None else f"{note}; hatched: interval includes {hatched}"


def figure_caption(table: pd.DataFrame, note: str) -> str:
    """A figure's caption: the protocol of its runs (the table's ``protocol`` column, as
    :func:`vae_study.protocol.summary` wrote it), ``note``, then what single-run cells leave out
    of the intervals (:func:`~vae_study.analysis.design.replication_warnings`)."""
    protocols = sorted(map(str, table["protocol"].unique())) if len(table) else ["no runs"]
    warnings = replication_warnings(table) if len(table) else []
    return "\n".join(
        [
            *textwrap.wrap("protocol: " + " | ".join(protocols), CAPTION_WIDTH),
            note,
            *(line for warning in warnings for line in textwrap.wrap(warning, CAPTION_WIDTH)),
        ]
    )


def datasets(table: pd.DataFrame) -> list[str]:
    return sorted(map(str, table["dataset"].unique()))


def _title(table: pd.DataFrame, dataset: str) -> str:
    return f"{dataset} ({int((table['dataset'] == dataset).sum())} runs)"


Correlations = Mapping[str, corr.IntervalMatrix | str]
"""Each data set's :func:`~vae_study.analysis.correlations.study_correlations`, or a note."""


def _matrix_figure(
    table: pd.DataFrame,
    correlations: Correlations,
    pick: Callable[[corr.IntervalMatrix], corr.IntervalMatrix],
    out_dir: Path,
    name: str,
    size: tuple[float, float],
    settings: AnalysisSettings,
) -> list[Path]:
    results = {
        dataset: pick(result) if isinstance(result, corr.IntervalMatrix) else result
        for dataset, result in correlations.items()
    }
    with style():
        fig, axes = panels(max(1, len(results)), 3, size)
        if not results:
            note(axes[0], name, "no done runs")
        for ax, (dataset, result) in zip(axes, results.items(), strict=False):
            if isinstance(result, str):
                note(ax, _title(table, dataset), result)
            else:
                matrix_heatmap(ax, result, _title(table, dataset))
        colour_bar(fig, axes, RHO_LABEL)
        fig.suptitle(figure_caption(table, interval_note(settings, hatched="0")), fontsize=7)
        paths = save(fig, out_dir, name)
    return [*paths, write_csv(corr.stack(results), out_dir, name)]


def metric_vs_metric_figure(
    table: pd.DataFrame, correlations: Correlations, out_dir: Path, settings: AnalysisSettings
) -> list[Path]:
    """Figure 2 of the paper: Spearman x100 between the six metrics, one heatmap per data set."""
    return _matrix_figure(
        table, correlations, corr.metric_vs_metric, out_dir, "metric_vs_metric", (4.2, 3.8),
        settings,
    )  # fmt: skip


def metric_vs_downstream_figure(
    table: pd.DataFrame, correlations: Correlations, out_dir: Path, settings: AnalysisSettings
) -> list[Path]:
    """Figure 5: Spearman x100 of each metric with LR/GBT test accuracy and efficiency."""
    return _matrix_figure(
        table, correlations, corr.metric_vs_downstream, out_dir, "metric_vs_downstream",
        (6.4, 3.8), settings,
    )  # fmt: skip


EFFICIENCY = "downstream_gbt.efficiency"
EFFICIENCY_CELL = ("FactorVAE", "Efficiency_GBT")


def _efficiency_rho(result: corr.IntervalMatrix | str) -> str:
    """Figure 6's correlation and interval as a title fragment."""
    row, column = EFFICIENCY_CELL
    if isinstance(result, str) or row not in result.estimate.index:
        return ""
    if column not in result.estimate.columns:
        return ""
    cell = [frame.at[row, column] for frame in (result.estimate, result.low, result.high)]
    if not np.isfinite(cell).all():
        return ""
    return "\nSpearman ρ × 100 = {:.0f} [{:.0f}, {:.0f}]".format(*cell)


def efficiency_figure(
    table: pd.DataFrame, correlations: Correlations, out_dir: Path, settings: AnalysisSettings
) -> list[Path]:
    """Figure 6: sample efficiency of GBT (accuracy at 100 / at 10,000 samples) against the
    FactorVAE score, one panel per data set, coloured by model, with the rank correlation and
    its interval."""
    models = sorted(map(str, table["model"].unique()))
    names = datasets(table)
    with style():
        fig, axes = panels(max(1, len(names)), 3, (3.6, 3.4))
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
            sns.scatterplot(
                runs, x="factor_vae", y=EFFICIENCY, hue="model", hue_order=models, ax=ax, s=12,
                linewidth=0, legend=i == 0,
            )  # fmt: skip
            if i == 0:
                outside_legend(ax)
            ax.set_title(_title(table, dataset) + _efficiency_rho(correlations[dataset]))
            ax.set_xlabel("FactorVAE score")
            ax.set_ylabel("GBT efficiency (acc@100 / acc@10000)")
        fig.suptitle(figure_caption(table, interval_note(settings)), fontsize=7)
        return save(fig, out_dir, "efficiency_vs_factor_vae")


def _boxes(ax: Axes, runs: pd.DataFrame, key: str, models: Sequence[str]) -> None:
    """One box per model and strength (quartiles, whiskers to the last score within 1.5 IQR,
    scores beyond as points: :func:`matplotlib.cbook.boxplot_stats`), the model's strengths
    left to right, each box labelled with its value and each model with its hyperparameter.
    Drawn as three collections (boxes, lines, outliers), not one artist per line: a study of
    thousands of runs draws in a fraction of the time."""
    strengths = sorted(int(s) for s in runs["strength"].unique())
    colours = sns.color_palette("crest", len(strengths))
    width = 0.8 / len(strengths)
    half, cap = 0.85 * width / 2, 0.85 * width / 4
    boxes, faces, lines, outliers, positions, labels = [], [], [], [], [], []
    names = list(models)
    for (model, strength), cell in runs.groupby(["model", "strength"]):
        i, j = models.index(model), strengths.index(int(strength))
        [box] = cbook.boxplot_stats(cell[key].to_numpy(float))
        x = i - 0.4 + width * (j + 0.5)
        low, q1, median, q3, high = (box[k] for k in ("whislo", "q1", "med", "q3", "whishi"))
        boxes.append([(x - half, q1), (x + half, q1), (x + half, q3), (x - half, q3)])
        faces.append(colours[j])
        lines += [
            [(x, low), (x, q1)],
            [(x, q3), (x, high)],
            [(x - cap, low), (x + cap, low)],
            [(x - cap, high), (x + cap, high)],
            [(x - half, median), (x + half, median)],
        ]
        outliers += [(x, y) for y in box["fliers"]]
        positions.append(x)
        labels.append(f"{cell['strength_value'].iat[0]:g}")
        names[i] = f"{model}\n({cell['hyperparameter'].iat[0]})"
    ax.add_collection(PolyCollection(boxes, facecolors=faces, edgecolors="black", linewidths=0.5))
    ax.add_collection(LineCollection(lines, colors="black", linewidths=0.5))
    if outliers:
        ax.scatter(*np.transpose(outliers), s=2, color="black", linewidths=0)
    ax.autoscale_view()
    ax.set_xticks(positions, labels, minor=True, rotation=90, fontsize=4.5)
    ax.set_xticks(range(len(models)), names, fontsize=6)
    ax.tick_params(axis="x", which="major", pad=14, length=0)
    ax.set_xlim(-0.5, len(models) - 0.5)


def distributions_figure(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Each metric's distribution over seeds per model and strength (the paper's violin plots,
    as boxes here), one figure per data set (``distributions_<dataset>``)."""
    metrics = corr.present(table, corr.METRICS)
    models = sorted(map(str, table["model"].unique()))
    paths: list[Path] = []
    for dataset in datasets(table):
        runs = table[table["dataset"] == dataset]
        with style():
            fig, axes = panels(max(1, len(metrics)), 3, (4.2, 3.0))
            if not metrics:
                note(axes[0], dataset, "no disentanglement metrics in the table")
            for ax, (key, label) in zip(axes, metrics.items(), strict=False):
                scored = runs[np.isfinite(runs[key].astype(float))]
                if scored.empty:
                    note(ax, label, "no finite scores")
                    continue
                _boxes(ax, scored, key, models)
                ax.set_title(f"{label}, {_title(table, dataset)}")
                ax.set_ylabel(label)
            fig.suptitle(
                figure_caption(
                    runs,
                    "each box: the seeds of one model at one strength, labelled with its value",
                ),
                fontsize=7,
            )
            paths += save(fig, out_dir, f"distributions_{dataset}")
    return paths


def _share_bars(ax: Axes, shares: pd.DataFrame, title: str) -> None:
    """Each metric's three shares as bars with their intervals as error bars."""
    colours = sns.color_palette("Set2", len(SHARES))
    positions = np.arange(len(shares))
    height = 0.8 / len(SHARES)
    for k, (share, colour) in enumerate(zip(SHARES, colours, strict=True)):
        value = shares[share].to_numpy(float)
        ends = [value - shares[f"{share}_low"], shares[f"{share}_high"] - value]
        error = np.clip(np.stack(ends), 0, None)
        ax.barh(
            positions + (k - 1) * height, value, height=height, xerr=error, color=colour,
            label=share, error_kw={"elinewidth": 0.7, "capsize": 1.5},
        )  # fmt: skip
    ax.set_yticks(positions, shares["metric"])
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel("share of variance")


def variance_figure(table: pd.DataFrame, out_dir: Path, settings: AnalysisSettings) -> list[Path]:
    """Share of each metric's variance explained by model, by strength within model and by seed,
    with intervals (:func:`vae_study.analysis.variance.variance_split`), one panel per data
    set."""
    split = variance_split(table, corr.present(table, corr.METRICS), settings)
    names = datasets(table)
    with style():
        fig, axes = panels(max(1, len(names)), 3, (3.8, 3.0))
        if not names:
            note(axes[0], "variance", "no done runs")
        for i, (ax, dataset) in enumerate(zip(axes, names, strict=False)):
            shares = split[split["dataset"] == dataset]
            if shares.empty:
                note(ax, _title(table, dataset), f"not enough runs (need {corr.MIN_RUNS})")
                continue
            _share_bars(ax, shares, _title(table, dataset))
            if i == 0:
                ax.legend()
                outside_legend(ax)
        fig.suptitle(figure_caption(table, interval_note(settings)), fontsize=7)
        paths = save(fig, out_dir, "variance_split")
    return [*paths, write_csv(split, out_dir, "variance_split")]


def seeds_figure(table: pd.DataFrame, out_dir: Path, settings: AnalysisSettings) -> list[Path]:
    """How often a seed at a model's worst strength beats a seed at its best, with intervals
    (:func:`vae_study.analysis.variance.bad_strength_beats_good`): metric x model per data set,
    hatched where the interval includes 0.5 (the strength need not matter)."""
    shares = bad_strength_beats_good(table, corr.present(table, corr.METRICS), settings)
    names = datasets(table)
    with style():
        fig, axes = panels(max(1, len(names)), 3, (4.4, 3.4))
        if not names:
            note(axes[0], "seeds", "no done runs")
        for ax, dataset in zip(axes, names, strict=False):
            rows = shares[shares["dataset"] == dataset]
            if rows.empty:
                note(ax, _title(table, dataset), "fewer than two strengths per model")
                continue
            order = [m for m in corr.METRICS.values() if m in set(rows["metric"])]
            frames = [
                rows.pivot(index="metric", columns="model", values=v).loc[order]
                for v in ("share", "low", "high")
            ]
            interval_heatmap(
                ax, *frames, f"P(worst strength beats best), {dataset}", centre=0.5,
                limits=(0.0, 1.0), digits=2,
            )  # fmt: skip
            ax.tick_params(axis="x", labelrotation=30)
        colour_bar(fig, axes, "P(worst strength beats best)")
        fig.suptitle(figure_caption(table, interval_note(settings, hatched="0.5")), fontsize=7)
        paths = save(fig, out_dir, "bad_strength_beats_good")
    return [*paths, write_csv(shares, out_dir, "bad_strength_beats_good")]


@dataclass(frozen=True)
class Comparison:
    """Our matrix against one of the paper's: the caption, the cell-by-cell table, and the
    settings its intervals were computed with."""

    figure: pub.PaperFigure
    caption: str
    cells: pd.DataFrame
    settings: AnalysisSettings
    reason: str | None = None  # why we have no matrix, if we have none

    def text(self) -> str:
        title = f"{self.figure.name} on {self.figure.dataset}: {self.caption}"
        text = pub.format_comparison(
            self.cells,
            title,
            target_half_width=corr.SCALE * self.settings.target_half_width,
            level=self.settings.level,
        )
        return text if self.reason is None else f"{text} ({self.reason})"


PICK = {
    "metric_vs_metric": corr.metric_vs_metric,
    "metric_vs_downstream": corr.metric_vs_downstream,
}


def _compare_one(
    table: pd.DataFrame,
    correlations: Correlations,
    figure: pub.PaperFigure,
    paper_dir: Path,
    out_dir: Path,
    settings: AnalysisSettings,
) -> tuple[list[Path], Comparison]:
    published, caption = pub.read_matrix(paper_dir / figure.file)
    runs = int((table["dataset"] == figure.dataset).sum())
    result = correlations.get(figure.dataset, str(corr.NotEnoughRunsError(runs)))
    if isinstance(result, str):
        reason = f"{figure.dataset}: {result}"
        nothing = published * np.nan
        ours = corr.IntervalMatrix(nothing, nothing, nothing, nothing)
    else:
        reason, ours = None, PICK[figure.kind](result).reindex_like(published)
    cells = pub.compare(
        published,
        ours,
        pairs_once=figure.kind == "metric_vs_metric",
        target_half_width=corr.SCALE * settings.target_half_width,
    )
    width = 4.2 if figure.kind == "metric_vs_metric" else 7.4
    with style():
        fig, axes = panels(3, 3 if figure.kind == "metric_vs_metric" else 1, (width, 3.9))
        heatmap(axes[0], published, f"paper, {figure.name} ({figure.dataset})")
        if reason is None:
            matrix_heatmap(axes[1], ours, f"ours ({runs} runs); hatched: includes 0")
            interval_heatmap(
                axes[2], ours.estimate - published, ours.low - published,
                ours.high - published, "ours − paper; hatched: consistent with the paper",
            )  # fmt: skip
        else:
            note(axes[1], "ours", reason)
            note(axes[2], "ours − paper", reason)
        colour_bar(fig, axes, RHO_LABEL)
        fig.suptitle(figure_caption(table, interval_note(settings)), fontsize=7)
        paths = save(fig, out_dir, f"paper_{figure.name}_comparison")
    csv = write_csv(cells, out_dir, f"paper_{figure.name}_comparison")
    return [*paths, csv], Comparison(figure, caption, cells, settings, reason)


def paper_figure(
    table: pd.DataFrame,
    correlations: Correlations,
    paper_dir: Path,
    out_dir: Path,
    settings: AnalysisSettings,
) -> tuple[list[Path], list[Comparison]]:
    """Ours beside each of the paper's matrices (:data:`~vae_study.analysis.paper.PAPER_FIGURES`)
    and the difference, with intervals; the cell-by-cell comparisons
    (:func:`vae_study.analysis.paper.compare`)."""
    paths: list[Path] = []
    comparisons = []
    for figure in pub.PAPER_FIGURES:
        written, comparison = _compare_one(
            table, correlations, figure, paper_dir, out_dir, settings
        )
        paths += written
        comparisons.append(comparison)
    return paths, comparisons


def study_correlations(table: pd.DataFrame, settings: AnalysisSettings) -> Correlations:
    """Every data set's correlations with their intervals, computed once for every figure."""
    return corr.per_dataset(
        table, partial(corr.study_correlations, settings=settings), settings.n_jobs
    )


@dataclass(frozen=True)
class Rendered:
    """What :func:`render_study` wrote, and the comparisons with the paper."""

    paths: Sequence[Path]
    comparisons: Sequence[Comparison]


def _drawn(draw: Callable[[], list[Path] | tuple[list[Path], list[Comparison]]]):
    """A drawing task's files and comparisons, whichever it returns."""
    result = draw()
    return result if isinstance(result, tuple) else (result, [])


def render_study(
    table: pd.DataFrame, out_dir: str | Path, paper_dir: str | Path, settings: AnalysisSettings
) -> Rendered:
    """Every study figure and the comparison with the paper into ``out_dir``; the figures are
    drawn in ``settings.n_jobs`` processes, each file as it would be drawn alone."""
    out_dir, paper_dir = Path(out_dir), Path(paper_dir)
    correlations = study_correlations(table, settings)
    tasks = [
        partial(metric_vs_metric_figure, table, correlations, out_dir, settings),
        partial(metric_vs_downstream_figure, table, correlations, out_dir, settings),
        partial(efficiency_figure, table, correlations, out_dir, settings),
        *(partial(distributions_figure, table[table["dataset"] == name], out_dir)
          for name in datasets(table)),
        partial(variance_figure, table, out_dir, settings),
        partial(seeds_figure, table, out_dir, settings),
        partial(paper_figure, table, correlations, paper_dir, out_dir, settings),
    ]  # fmt: skip
    drawn = Parallel(n_jobs=min(settings.n_jobs, len(tasks)))(delayed(_drawn)(t) for t in tasks)
    paths = [path for written, _ in drawn for path in written]
    comparisons = [comparison for _, found in drawn for comparison in found]
    return Rendered(paths, comparisons)
