"""Experiment tracking around one run: the curve logger, the resolved config, the final record.

``logger`` is a Lightning logger (``conf/logger/*.yaml``): CSV curves in the run folder
(:class:`CSVCurves`), or
Weights & Biases, offline unless an API key is configured (:func:`vae_study.config.wandb_mode`;
upload later with ``wandb sync <run_dir>/wandb/offline-run-*``). Each run is one W&B run with the
run's id as its W&B id, so a resumed run continues its own W&B run; several runs of one process
(a pack's members) each get their own (``reinit: create_new``). A run is finished explicitly,
with its status and error, even when training fails; a finished VAE's run also gets image panels
of reconstructions and latent traversals.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from hydra.utils import instantiate
from lightning.pytorch.loggers import Logger, WandbLogger
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, OmegaConf

from vae_study.atomic import write_text
from vae_study.data.ground_truth import GroundTruthData
from vae_study.models.module import VAEModule
from vae_study.models.pictures import reconstructions, tile, traversals
from vae_study.results import RunRecord

CURVES_NAME = "metrics.csv"


class QuietWandbLogger(WandbLogger):
    """Lightning's ``WandbLogger`` without the ``anonymous=None`` it always passes to
    ``wandb.init``: W&B no longer has that setting and warns on every run that it has no effect.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self._wandb_init.get("anonymous") is None:
            del self._wandb_init["anonymous"]


class CSVCurves(Logger):
    """Training curves as ``<save_dir>/<name>/metrics.csv``: a ``step`` column, then one column
    per logged value; the resolved config as ``hparams.yaml`` beside it.

    Each logging step appends one line and flushes it. A resumed run first cuts the file back to
    the steps before its checkpoint (:meth:`cut`, atomically), dropping a line a kill left half
    written, so the curve of a run holds every logged step once, however often it was resumed.
    """

    def __init__(self, save_dir: str, name: str = "csv") -> None:
        super().__init__()
        self._save_dir = str(save_dir)
        self._name = name
        self._columns: list[str] | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> str:
        return ""

    @property
    def save_dir(self) -> str:
        return self._save_dir

    @property
    def log_dir(self) -> str:
        return str(Path(self._save_dir) / self._name)

    @property
    def path(self) -> Path:
        return Path(self.log_dir) / CURVES_NAME

    @rank_zero_only
    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        write_text(Path(self.log_dir) / "hparams.yaml", OmegaConf.to_yaml(OmegaConf.create(params)))

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        values = {key: float(value) for key, value in metrics.items() if key != "epoch"}
        if self._columns is None:
            self._columns = self._existing_columns() or ["step", *sorted(values)]
            if not self.path.is_file():
                write_text(self.path, ",".join(self._columns) + "\n")
        extra = sorted(set(values) - set(self._columns))
        if extra:
            self._columns += extra
            self._rewrite(self._rows())
        row = {"step": step, **values}
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(",".join(_cell(row.get(c)) for c in self._columns) + "\n")
            stream.flush()

    def cut(self, step: int) -> None:
        """Keep the rows of steps before ``step`` (a resumed run's first step) and nothing else."""
        if self.path.is_file():
            self._columns = self._existing_columns()
            self._rewrite([row for row in self._rows() if int(float(row["step"])) < step])

    def _existing_columns(self) -> list[str] | None:
        if not self.path.is_file():
            return None
        with self.path.open(encoding="utf-8") as stream:
            header = stream.readline().rstrip("\n")
        return header.split(",") if header else None

    def _rows(self) -> list[dict[str, str]]:
        """The complete rows of the file; a torn last line is left out."""
        with self.path.open(encoding="utf-8", newline="") as stream:
            text = stream.read()
        lines = text.split("\n")
        header = lines[0].split(",")
        # the last element is "" after a final newline, or the line a kill left half written
        return [
            dict(zip(header, line.split(","), strict=True))
            for line in lines[1:-1]
            if line.count(",") == len(header) - 1
        ]

    def _rewrite(self, rows: list[dict[str, str]]) -> None:
        columns = self._columns or ["step"]
        lines = [",".join(columns), *(",".join(row.get(c, "") for c in columns) for row in rows)]
        write_text(self.path, "\n".join(lines) + "\n")

    def save(self) -> None:
        """Lines are flushed as they are logged: nothing is held back."""

    def finalize(self, status: str) -> None:
        """Nothing to close: every line is on disk already."""


def _cell(value: float | int | None) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def cut_curves(logger: Logger | None, step: int) -> None:
    """A resumed run's curves cut back to the steps before ``step`` (:meth:`CSVCurves.cut`);
    other loggers keep their own history (W&B resumes its run by id)."""
    if isinstance(logger, CSVCurves):
        logger.cut(step)


def make_logger(logger: DictConfig | None, config: dict[str, Any]) -> Logger | None:
    """The configured logger (None for ``logger=none``), with the run's resolved config
    recorded (``hparams.yaml`` for CSV, W&B's config)."""
    if not logger:
        return None
    made = instantiate(logger)
    made.log_hyperparams(config)
    return made


def pictures(module: VAEModule, data: GroundTruthData, seed: int) -> dict[str, np.ndarray]:
    """Image panels of a trained VAE on image data: 8 observations over their reconstructions,
    and the latent traversals of the first one (one row per latent, +-2 prior std)."""
    _, observations = data.sample(8, np.random.default_rng(seed))
    if observations.ndim != 4:
        return {}
    pairs = np.stack([observations, reconstructions(module, observations)])  # (2, 8, C, H, W)
    return {
        "reconstructions": tile(pairs),
        "traversals": tile(traversals(module, observations[0])),
    }


def finish(
    logger: Logger | None,
    record: RunRecord,
    module: VAEModule | None = None,
    data: GroundTruthData | None = None,
) -> None:
    """Close a W&B run with the record's outcome: the metrics as summary, status, error, and for
    a trained VAE the image panels of :func:`pictures` (CSV curves need no closing)."""
    if not isinstance(logger, WandbLogger):
        return
    run = logger.experiment
    if record.status == "done" and module is not None and data is not None:
        import wandb

        panels = pictures(module, data, seed=0)
        run.log({f"pictures/{name}": wandb.Image(image) for name, image in panels.items()})
    run.summary.update({f"metrics/{name}": value for name, value in record.metrics.items()})
    run.summary.update({f"train/final_{k}": v for k, v in record.train.get("final", {}).items()})
    run.summary["status"] = record.status
    if record.error:
        run.summary["error"] = record.error
    run.finish(exit_code=0 if record.status == "done" else 1)
