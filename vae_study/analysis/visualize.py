"""Looking at one trained model: reconstructions, latent traversals, interpolations, t-SNE of the
codes, and the rotation experiment.

    vae-study-viz --run <run_id or run folder> [--results results] [--only traversals tsne ...]

The model is rebuilt from its record's resolved config and its final weights
(:func:`vae_study.build.load_trained`); the pictures go to ``<run_dir>/viz/``. Every draw is
seeded (``--seed``), so the same run gives the same pictures.

* Reconstructions: observations and the decoder's mean for their codes.
* Latent traversals (Higgins et al. 2017; disentanglement_lib ``visualize_model.py``): from one
  data point's code, one row per latent, that latent set to evenly spaced values over +-2
  standard deviations of the prior N(0, I), the others kept; each code decoded.
* Interpolation: the codes of two data points mixed linearly, (1 - t) z_a + t z_b, decoded.
* t-SNE (sklearn ``TSNE``) of the codes of random data points, coloured by each ground-truth
  factor.
* Rotation (Locatello et al. 2019, Theorem 1): the metrics of the code z and of z R for a random
  orthogonal R. The prior N(0, I) is invariant under R, and the decoder z' -> g(z' R^T) gives
  every observation the same likelihood from z R as g from z, so both codes belong to models of
  equal likelihood; the metrics still score them differently.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from scipy.stats import ortho_group
from sklearn.manifold import TSNE

from vae_study.analysis.correlations import METRICS as HEADLINE
from vae_study.analysis.figures import DPI, PNG_METADATA, style
from vae_study.atomic import atomic_path
from vae_study.build import TrainedRun, evaluation_settings, load_trained
from vae_study.config import default_results
from vae_study.data.ground_truth import GroundTruthData
from vae_study.metrics.sampling import Represent
from vae_study.metrics.settings import EvaluationSettings
from vae_study.models.module import representation_function
from vae_study.models.pictures import interpolation, reconstructions, tile, traversals
from vae_study.process_exit import skip_final_collections
from vae_study.results import describe_run, find_run

VIEWS = ("reconstructions", "traversals", "interpolation", "tsne", "rotation")
VIZ_DIR = "viz"


def tsne(codes: np.ndarray, seed: int) -> np.ndarray:
    """A 2-D t-SNE embedding of codes (n, D): (n, 2); perplexity 30, or less for few points."""
    perplexity = min(30.0, (len(codes) - 1) / 3)
    return TSNE(perplexity=perplexity, init="pca", random_state=seed).fit_transform(codes)


def random_orthogonal(dim: int, seed: int) -> np.ndarray:
    """A random orthogonal matrix (dim, dim), Haar-distributed (scipy ``ortho_group``)."""
    return np.atleast_2d(ortho_group.rvs(dim, random_state=seed)) if dim > 1 else np.eye(1)


def rotation_scores(
    data: GroundTruthData, represent: Represent, settings: EvaluationSettings
) -> pd.DataFrame:
    """The metrics of ``settings`` on ``represent`` and on ``represent`` times a random
    orthogonal matrix drawn with the settings' seed: a table indexed by score key with columns
    ``original``, ``rotated`` and ``difference``. Both evaluations use the same seed, so they
    score the same draws of data."""
    observation = data.sample(1, np.random.default_rng(settings.seed))[1]
    rotation = random_orthogonal(represent(observation).shape[1], settings.seed)

    def rotated(observations: np.ndarray) -> np.ndarray:
        return represent(observations) @ rotation

    original = settings.evaluate(data, represent)
    turned = settings.evaluate(data, rotated)
    keys = [key for key in original if not key.startswith("time.")]
    table = pd.DataFrame(
        {"original": [original[k] for k in keys], "rotated": [turned[k] for k in keys]},
        index=pd.Index(keys, name="score"),
    )
    return table.assign(difference=table["rotated"] - table["original"])


def _save_png(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=DPI, metadata=PNG_METADATA)
    return path


def draw_grid(images: np.ndarray, path: Path, title: str, row_labels: Sequence[str]) -> Path:
    """Save a grid of images (rows, cols, C, H, W) with a label per row."""
    picture = tile(images)
    rows, cols = images.shape[:2]
    with style():
        fig = Figure(figsize=(0.8 * cols + 1.2, 0.8 * rows + 0.6), layout="constrained")
        ax = fig.subplots()
        ax.imshow(
            picture[..., 0] if picture.shape[-1] == 1 else picture,
            cmap="gray",
            vmin=0,
            vmax=1,
            interpolation="nearest",
        )
        height = images.shape[3] + 2
        ax.set_yticks([r * height + images.shape[3] / 2 for r in range(rows)], list(row_labels))
        ax.set_xticks([])
        ax.set_title(title)
        return _save_png(fig, path)


def draw_tsne(
    embedding: np.ndarray, factors: np.ndarray, names: Sequence[str], path: Path, title: str
) -> Path:
    """Save the embedding (n, 2) once per factor, coloured by that factor's value."""
    with style():
        fig = Figure(figsize=(3.0 * len(names), 3.2), layout="constrained")
        for ax, k in zip(
            fig.subplots(1, len(names), squeeze=False)[0], range(len(names)), strict=True
        ):
            points = ax.scatter(
                embedding[:, 0], embedding[:, 1], c=factors[:, k], s=4, cmap="viridis", linewidths=0
            )
            fig.colorbar(points, ax=ax, shrink=0.7)
            ax.set_title(names[k])
            ax.set_xticks([])
            ax.set_yticks([])
        fig.suptitle(title)
        return _save_png(fig, path)


def draw_rotation(scores: pd.DataFrame, path: Path, title: str) -> Path:
    """Save a bar chart of the headline metrics of the original and the rotated code."""
    shown = scores.loc[[k for k in HEADLINE if k in scores.index]]
    long = shown[["original", "rotated"]].rename(index=HEADLINE).reset_index()
    long = long.melt(id_vars="score", var_name="code", value_name="value")
    with style():
        fig = Figure(figsize=(1.0 * max(len(shown), 2) + 1.5, 3.0), layout="constrained")
        ax = fig.subplots()
        sns.barplot(long, x="score", y="value", hue="code", ax=ax, palette="Set2")
        ax.set_xlabel("")
        ax.set_title(title)
        return _save_png(fig, path)


@dataclass(frozen=True)
class Settings:
    """What the pictures are drawn from: seed, numbers of points and steps, rotation metrics."""

    seed: int = 0
    points: int = 1000
    steps: int = 9
    span: float = 2.0
    metrics: str = "quick"
    rotation_metrics: tuple[str, ...] = tuple(HEADLINE)
    config_dir: Path | None = None

    def rotation(self) -> EvaluationSettings:
        """The rotation experiment's evaluation: the metrics group ``metrics`` (composed with
        Hydra, from ``config_dir`` too when given), its ``rotation_metrics``, this seed."""
        group = evaluation_settings(self.metrics, config_dir=self.config_dir)
        return group.replace(names=self.rotation_metrics, seed=self.seed)


def render(run: TrainedRun, views: Sequence[str], settings: Settings) -> list[Path]:
    """Draw ``views`` (of :data:`VIEWS`) of the run into ``<run_dir>/viz/``; the paths written."""
    out = run.run_dir / VIZ_DIR
    out.mkdir(parents=True, exist_ok=True)
    s = settings
    factors, observations = run.data.sample(max(s.points, 8), np.random.default_rng(s.seed))
    label = f"{describe_run(run.record.config)} (run {run.record.run_id})"
    paths = []
    if "reconstructions" in views:
        shown = observations[:8]
        grid = np.stack([shown, reconstructions(run.module, shown)])
        paths.append(
            draw_grid(
                grid, out / "reconstructions.png", f"reconstructions, {label}", ["data", "decoded"]
            )
        )
    if "traversals" in views:
        grid = traversals(run.module, observations[0], s.steps, s.span)
        paths.append(
            draw_grid(
                grid,
                out / "traversals.png",
                f"latent traversals over +-{s.span} prior sd, {label}",
                [f"z{d}" for d in range(len(grid))],
            )
        )
    if "interpolation" in views:
        pairs = [
            interpolation(run.module, observations[2 * i], observations[2 * i + 1], s.steps)
            for i in range(4)
        ]
        paths.append(
            draw_grid(
                np.stack(pairs),
                out / "interpolation.png",
                f"interpolation, {label}",
                [f"pair {i}" for i in range(4)],
            )
        )
    represent = representation_function(run.module)
    if "tsne" in views:
        embedding = tsne(represent(observations[: s.points]), s.seed)
        paths.append(
            draw_tsne(
                embedding,
                factors[: s.points],
                run.data.factor_names,
                out / "tsne.png",
                f"t-SNE of the codes, {label}",
            )
        )
    if "rotation" in views:
        scores = rotation_scores(run.data, represent, s.rotation())
        with atomic_path(out / "rotation.csv") as temporary:
            scores.to_csv(temporary)
        paths += [
            out / "rotation.csv",
            draw_rotation(scores, out / "rotation.png", f"code vs rotated code, {label}"),
        ]
    return paths


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vae-study-viz",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--run", required=True, help="run id, run folder or record.json path")
    parser.add_argument(
        "--results",
        type=Path,
        default=default_results(),
        help="root of all records, to find a run by id (default: paths.results)",
    )
    parser.add_argument(
        "--only", nargs="+", choices=VIEWS, default=list(VIEWS), help="which pictures (default all)"
    )
    defaults = Settings()
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of every draw")
    parser.add_argument("--points", type=int, default=defaults.points, help="data points for t-SNE")
    parser.add_argument(
        "--steps", type=int, default=defaults.steps, help="steps of traversals and interpolations"
    )
    parser.add_argument(
        "--span",
        type=float,
        default=defaults.span,
        help="traversal range in prior standard deviations",
    )
    parser.add_argument(
        "--metrics",
        default=defaults.metrics,
        help="metrics group for the rotation: conf/metrics/<name>.yaml (default quick)",
    )
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=None,
        help="a folder with metrics/<name>.yaml of your own, searched besides conf/",
    )
    parser.add_argument(
        "--rotation-metrics",
        nargs="+",
        default=list(defaults.rotation_metrics),
        choices=list(HEADLINE),
        help="metrics of the rotation experiment",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point (``vae-study-viz``)."""
    skip_final_collections()
    args = _parser().parse_args(argv)
    try:
        run = load_trained(find_run(args.run, args.results))
    except (OSError, ValueError) as error:
        raise SystemExit(f"vae-study-viz: {error}") from None
    settings = Settings(
        args.seed, args.points, args.steps, args.span, args.metrics,
        tuple(args.rotation_metrics), args.config_dir,
    )  # fmt: skip
    for path in render(run, args.only, settings):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
