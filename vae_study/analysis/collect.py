"""The study table: every run record of a study as one tidy pandas table, one row per run.

Records live at ``<results>/<study>/runs/<run_id>/record.json`` (:mod:`vae_study.results`). The
table holds the runs whose status is ``done``; the others are counted (a ``running`` record that
no process is running counts as ``interrupted``, :func:`vae_study.results.status_now`), and
records that cannot be read (bad JSON, missing fields) are listed with the reason, never fatal.

Columns, in order: the identifiers :data:`ID_COLUMNS` (``model_num`` only when a record has it;
``hyperparameter`` names what ``strength_value`` is, e.g. ``beta``),
every metric key of :mod:`vae_study.metrics` as it is (``mig``,
``downstream_gbt.100.test_accuracy``, ...), then the training summaries ``train.steps``,
``train.seconds`` and ``train.final.<term>`` (each loss term averaged over the last training
steps). Rows are sorted by data set, model, strength, seed and run id, so the same records always
give the same table.

Records are read with :meth:`vae_study.results.RunRecord.read`, the one reader of every tool,
which checks each field's type: a record the table calls unreadable is one the relaunch reruns
and the status reports, never a done run. 12,600 records take seconds.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from vae_study.atomic import atomic_path
from vae_study.protocol import summary
from vae_study.results import (
    RECORD_NAME,
    STATUSES,
    RunRecord,
    status_now,
    swept_hyperparameter,
)

ID_COLUMNS = (
    "study", "dataset", "model", "strength", "hyperparameter", "strength_value", "seed",
    "model_num", "run_id", "protocol",
)  # fmt: skip
TABLE_NAME = "study_table"


@dataclass(frozen=True)
class Collection:
    """A study's records: the table of done runs, the count per status, the unreadable files."""

    table: pd.DataFrame
    counts: dict[str, int]
    unreadable: list[tuple[Path, str]]

    def summary(self) -> str:
        """One line per fact: how many records of each status, then each unreadable file."""
        total = sum(self.counts.values()) + len(self.unreadable)
        parts = ", ".join(f"{self.counts.get(s, 0)} {s}" for s in STATUSES)
        lines = [f"{total} records: {parts}, {len(self.unreadable)} unreadable"]
        lines += [f"  unreadable {path}: {reason}" for path, reason in self.unreadable]
        return "\n".join(lines)


def run_row(record: dict[str, Any]) -> dict[str, Any]:
    """The table row of a done record: identifiers, metrics, training summaries.

    Raises ``KeyError``, ``TypeError`` or ``IndexError`` when a field the row needs is missing.
    """
    config = record["config"]
    model = config["model"]
    hyperparameter, _ = swept_hyperparameter(model)
    strength = int(model["strength"])
    row: dict[str, Any] = {
        "study": record["study"],
        "dataset": config["dataset"]["name"],
        "model": model["name"],
        "strength": strength,
        "hyperparameter": hyperparameter,
        "strength_value": float(model["strengths"][strength]),
        "seed": int(config["seed"]),
    }
    model_num = record.get("model_num", config.get("model_num"))
    if model_num is not None:
        row["model_num"] = int(model_num)
    row["run_id"] = record["run_id"]
    row["protocol"] = summary(record.get("protocol"))
    row.update({key: float(value) for key, value in record["metrics"].items()})
    train = record.get("train") or {}
    for key in ("steps", "seconds"):
        if key in train:
            row[f"train.{key}"] = train[key]
    row.update({f"train.final.{k}": float(v) for k, v in (train.get("final") or {}).items()})
    return row


def _order(table: pd.DataFrame) -> pd.DataFrame:
    ids = [c for c in ID_COLUMNS if c in table.columns]
    train = sorted(c for c in table.columns if c.startswith("train."))
    metrics = sorted(set(table.columns) - set(ids) - set(train))
    table = table[ids + metrics + train]
    if "model_num" in table.columns:
        table = table.astype({"model_num": "Int64"})
    return table.sort_values(["dataset", "model", "strength", "seed", "run_id"], kind="stable")


def collect(runs_dir: str | Path) -> Collection:
    """Read every ``<runs_dir>/<run_id>/record.json`` into a :class:`Collection`."""
    runs_dir = Path(runs_dir)
    rows: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    unreadable: list[tuple[Path, str]] = []
    entries = os.scandir(runs_dir) if runs_dir.is_dir() else []
    for name in sorted(entry.name for entry in entries if entry.is_dir()):
        path = runs_dir / name / RECORD_NAME
        try:
            record = asdict(RunRecord.read(path))
            if record["status"] == "done":
                rows.append(run_row(record))
        except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
            unreadable.append((path, f"{type(error).__name__}: {error}"))
            continue
        counts[status_now(path.parent, record["status"])] += 1
    table = _order(pd.DataFrame(rows)) if rows else pd.DataFrame(columns=list(ID_COLUMNS))
    return Collection(table.reset_index(drop=True), dict(counts), unreadable)


def write_table(table: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    """Write the table as ``study_table.csv`` and ``study_table.parquet`` (pyarrow)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv, parquet = out_dir / f"{TABLE_NAME}.csv", out_dir / f"{TABLE_NAME}.parquet"
    with atomic_path(csv) as temporary:
        table.to_csv(temporary, index=False)
    with atomic_path(parquet) as temporary:
        table.to_parquet(temporary, engine="pyarrow", index=False)
    return [csv, parquet]
