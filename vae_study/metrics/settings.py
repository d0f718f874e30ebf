"""A run's evaluation settings: which metrics, with which parameters, on which draws.

One object, built from a metrics config (``cfg.metrics``: a ``conf/metrics/*.yaml`` group with
``names``, ``seed``, ``gbt_backend``, ``n_jobs``, ``share_samples`` and ``params``) and checked
when it is built, before anything is trained: the metric names, every parameter against the
metric functions' signatures and ranges (:func:`vae_study.metrics.plan`), the seed and the
switches. Training, rescoring, the pictures' rotation experiment and the metrics benchmark all
score through it, so a metrics config means the same thing everywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vae_study.data.ground_truth import GroundTruthData
from vae_study.errors import ConfigError
from vae_study.metrics import SettingError, evaluate, plan
from vae_study.metrics.classifiers import check_backend
from vae_study.metrics.sampling import Represent

CONFIG_KEYS = ("seed", "names", "gbt_backend", "n_jobs", "share_samples", "params")


@dataclass(frozen=True)
class EvaluationSettings:
    """The arguments of :func:`vae_study.metrics.evaluate`, checked; see the module docstring."""

    names: tuple[str, ...]
    seed: int
    gbt_backend: str
    n_jobs: int | None
    share_samples: bool
    params: Mapping[str, Mapping[str, Any]]

    @classmethod
    def from_config(cls, metrics: Mapping[str, Any], where: str = "metrics") -> EvaluationSettings:
        """Settings from a metrics config; a one-line :class:`ConfigError` naming the key
        (``where`` is the config's own key, ``metrics`` in a run's config) for any bad value."""
        given = set(metrics)
        if given != set(CONFIG_KEYS):
            missing, extra = sorted(set(CONFIG_KEYS) - given), sorted(given - set(CONFIG_KEYS))
            raise ConfigError(
                f"{where} must have the keys {list(CONFIG_KEYS)}: missing {missing}, "
                f"unknown {extra}"
            )
        seed = metrics["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"{where}.seed must be a non-negative integer, got {seed!r}")
        if not isinstance(metrics["share_samples"], bool):
            raise ConfigError(
                f"{where}.share_samples must be true or false, got {metrics['share_samples']!r}"
            )
        try:
            check_backend(metrics["gbt_backend"])
        except ValueError as error:
            raise ConfigError(f"{where}.gbt_backend: {error}") from None
        n_jobs = metrics["n_jobs"]
        if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int)
                                   or n_jobs == 0):  # fmt: skip
            raise ConfigError(
                f"{where}.n_jobs must be a non-zero integer (-1: all cores) or null, got {n_jobs!r}"
            )
        names = metrics["names"]
        if isinstance(names, str) or not isinstance(names, Sequence):
            raise ConfigError(f"{where}.names must be a list of metric names, got {names!r}")
        params = metrics["params"] or {}
        if not isinstance(params, Mapping):
            raise ConfigError(f"{where}.params must be a mapping, got {params!r}")
        settings = cls(
            names=tuple(names),
            seed=seed,
            gbt_backend=metrics["gbt_backend"],
            n_jobs=n_jobs,
            share_samples=metrics["share_samples"],
            params={str(name): dict(values or {}) for name, values in params.items()},
        )
        try:
            settings.plan()
        except SettingError as error:
            raise ConfigError(f"{where}.{error.key}: {error.detail}") from None
        return settings

    def plan(self) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
        """Each metric's resolved parameters and keys (:func:`vae_study.metrics.plan`)."""
        options = {"gbt_backend": self.gbt_backend, "n_jobs": self.n_jobs}
        return plan(list(self.names), options, self.params)

    def evaluate(self, data: GroundTruthData, represent: Represent) -> dict[str, float]:
        """The scores of ``represent`` on ``data`` (empty when no metric is named)."""
        if not self.names:
            return {}
        return evaluate(
            data, represent, list(self.names), self.seed, gbt_backend=self.gbt_backend,
            n_jobs=self.n_jobs, share_samples=self.share_samples, **self.params,
        )  # fmt: skip

    def replace(self, **changes: Any) -> EvaluationSettings:
        """A copy with some fields changed (``names``, ``params``, ``n_jobs``, ...)."""
        return dataclasses.replace(self, **changes)
