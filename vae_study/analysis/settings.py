"""The analysis stage's settings: ``conf/analysis/default.yaml``, read with OmegaConf.

That file holds every default (the bootstrap's resamples, level, seed and interval method, the
half-width the sample-size estimate aims at, the processes that work at once);
:func:`load_settings` applies the command line's overrides to it and checks each value's range.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from omegaconf import OmegaConf

from vae_study.analysis.bootstrap import METHODS
from vae_study.config import CONF_DIR

SETTINGS_FILE = CONF_DIR / "analysis" / "default.yaml"


@dataclass(frozen=True)
class AnalysisSettings:
    """How every interval of the analysis is computed (``conf/analysis/default.yaml``)."""

    resamples: int
    level: float
    seed: int
    interval: str
    target_half_width: float
    n_jobs: int

    def __post_init__(self) -> None:
        if self.resamples < 2:
            raise ValueError(f"bootstrap.resamples: {self.resamples} (need at least 2)")
        if not 0 < self.level < 1:
            raise ValueError(f"bootstrap.level: {self.level} (need 0 < level < 1)")
        if self.interval not in METHODS:
            raise ValueError(f"bootstrap.interval: {self.interval!r} (one of {', '.join(METHODS)})")
        if not self.target_half_width > 0:
            raise ValueError(f"target_half_width: {self.target_half_width} (need > 0)")
        if self.n_jobs < 1:
            raise ValueError(f"n_jobs: {self.n_jobs} (need at least 1)")


def load_settings(path: str | Path = SETTINGS_FILE, **overrides: object) -> AnalysisSettings:
    """The settings in ``path``, with ``overrides`` (fields of :class:`AnalysisSettings`; None
    leaves the file's value) applied.

    Raises ``ValueError`` naming the setting when a value is out of range.
    """
    node = OmegaConf.load(path)
    settings = AnalysisSettings(
        resamples=int(node.bootstrap.resamples),
        level=float(node.bootstrap.level),
        seed=int(node.bootstrap.seed),
        interval=str(node.bootstrap.interval),
        target_half_width=float(node.target_half_width),
        n_jobs=int(node.n_jobs),
    )
    return replace(settings, **{k: v for k, v in overrides.items() if v is not None})
