"""A data set's runs as the bootstrap sees them: model x strength cells and their resamples.

Each data set of a study is resampled on its own, from a generator seeded with the analysis
seed and the data set's name, so its intervals do not depend on which other data sets the table
holds, and every statistic of one data set (every correlation, the variance split, the
strength comparison) is computed over the same resamples.

A cell of one run has no seed variation to resample: :func:`replication` says how a data set's
cells are filled, and what that leaves out of its intervals.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from vae_study.analysis.bootstrap import Resampling
from vae_study.analysis.settings import AnalysisSettings

CELL = ("model", "strength")


def design_cells(runs: pd.DataFrame) -> np.ndarray:
    """Each run's model x strength cell, numbered in sorted order: (n,) int."""
    return runs.groupby(list(CELL), sort=True).ngroup().to_numpy()


def resampling(runs: pd.DataFrame, settings: AnalysisSettings) -> Resampling:
    """The stratified resamples of one data set's ``runs`` (rows in the table's order)."""
    names = runs["dataset"].unique()
    if len(names) != 1:
        raise ValueError(f"runs of one data set expected, got {sorted(map(str, names))}")
    rng = np.random.default_rng([settings.seed, zlib.crc32(str(names[0]).encode())])
    return Resampling.draw(
        design_cells(runs),
        resamples=settings.resamples,
        level=settings.level,
        method=settings.interval,
        rng=rng,
    )


def replication(runs: pd.DataFrame) -> tuple[str, str | None]:
    """How one data set's ``runs`` fill its model x strength cells: a description, and a warning
    when some cells have a single run (whose seed variation no interval contains) or all do (no
    intervals at all; :attr:`~vae_study.analysis.bootstrap.Resampling.replicated`)."""
    name = str(runs["dataset"].iloc[0])
    sizes = runs.groupby(list(CELL), sort=True).size()
    smallest, largest = int(sizes.min()), int(sizes.max())
    filled = f"{smallest}" if smallest == largest else f"{smallest} to {largest}"
    runs_word = "run" if largest == 1 else "runs"
    description = f"{name}: {len(sizes)} model × strength cells of {filled} {runs_word}"
    single = int((sizes == 1).sum())
    if largest < 2:
        return description, (
            f"{name}: no intervals (dotted cells), every model × strength cell has one run (train "
            "two or more seeds per configuration)"
        )
    if single:
        return description, (
            f"{name}: {single} of {len(sizes)} model × strength cells have one run, whose seed "
            "variation the intervals leave out"
        )
    return description, None


def replications(table: pd.DataFrame) -> list[tuple[str, str | None]]:
    """:func:`replication` of each data set of ``table``, by sorted name."""
    groups = sorted(table.groupby("dataset"), key=lambda item: str(item[0]))
    return [replication(runs) for _, runs in groups]


def replication_warnings(table: pd.DataFrame) -> list[str]:
    """:func:`replication`'s warnings for the data sets of ``table``, by sorted name."""
    return [warning for _, warning in replications(table) if warning is not None]
