"""A data set's runs as the bootstrap sees them: model x strength cells and their resamples.

Each data set of a study is resampled on its own, from a generator seeded with the analysis
seed and the data set's name, so its intervals do not depend on which other data sets the table
holds, and every statistic of one data set (every correlation, the variance split, the
strength comparison) is computed over the same resamples.
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
