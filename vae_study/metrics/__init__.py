"""The study's scores of a representation: disentanglement metrics, downstream tasks and
unsupervised scores, after Locatello et al. 2019 and google-research/disentanglement_lib
(``evaluation/metrics/*.py``; settings in docs/reference_protocol.md).

One module per metric, each with ``compute_<name>(data, represent, rng, *, <study defaults>)``
and a pure core on arrays; :func:`evaluate` runs a list of them::

    m = cfg.metrics  # conf/metrics/study.yaml or quick.yaml
    scores = evaluate(data, represent, list(m.names), seed, gbt_backend=m.gbt_backend,
                      n_jobs=m.n_jobs, share_samples=m.share_samples, **m.params)

``params`` maps a metric name to keyword overrides of its ``compute_<name>``, e.g.
``mig={"num_train": 1000}``; ``gbt_backend`` and ``n_jobs`` go to every metric that takes them
unless its params set them.

Seeds. Metric ``name`` gets ``np.random.default_rng([seed, zlib.crc32(name)])``, so its value
does not depend on which other metrics run or in what order. The i.i.d. metrics (all but
``beta_vae``) draw from one :class:`~vae_study.metrics.sampling.SharedSample` seeded the same way
with the name ``"shared_sample"``; with ``share_samples=False`` each draws from its own generator
instead, like the reference. The reference's RandomState streams are not reproduced.

Failures. A metric that cannot apply (BetaVAE and FactorVAE scores on data that cannot render
chosen factors) or that raises reports all its keys as NaN, with the reason logged; the others
still run. Unknown metric or parameter names, bad counts and bad options raise ValueError
before anything runs.

Keys (flat; all floats; ``<n>`` is each downstream training size, 10, 100, 1000, 10000 in the
study). The short key ``beta_vae``, ``factor_vae``, ``mig``, ``dci``, ``modularity`` or ``sap``
holds a metric's headline score; the dotted keys hold all its outputs.

=======================================================  =========================================
key                                                      value
=======================================================  =========================================
``beta_vae``, ``beta_vae.eval_accuracy``                 BetaVAE score: evaluation accuracy
``beta_vae.train_accuracy``                              its training accuracy
``factor_vae``, ``factor_vae.eval_accuracy``             FactorVAE score: evaluation accuracy
``factor_vae.train_accuracy``                            its training accuracy
``factor_vae.num_active_dims``                           codes with standard deviation >= 0.05
``mig``                                                  mutual information gap
``dci``, ``dci.disentanglement``                         DCI disentanglement
``dci.completeness``                                     DCI completeness
``dci.informativeness_train``, ``..._test``              mean GBT accuracy over factors
``modularity``                                           modularity
``explicitness.train``, ``explicitness.test``            explicitness (mean ROC-AUC)
``sap``                                                  SAP score
``downstream_lr.<n>.train_accuracy``, ``.test_accuracy`` mean accuracy over factors, n samples
``downstream_lr.<n>.min_train_accuracy``, ``.min_te..``  worst factor's accuracy
``downstream_lr.efficiency``                             test accuracy at 100 / at 10000
``downstream_gbt.*``                                     the same, gradient-boosted trees
``unsupervised.gaussian_total_correlation``              total correlation of the codes' Gaussian
``unsupervised.gaussian_wasserstein_correlation``        W2^2 to the product of its marginals
``unsupervised.gaussian_wasserstein_correlation_norm``   the same over the covariance's trace
``unsupervised.mutual_info_score``                       mean MI between pairs of distinct codes
``time.<metric>``                                        wall seconds of that metric [#]_
=======================================================  =========================================

.. [#] Shared draws are encoded, and shared fits made, inside the first metric that needs them.
"""

from __future__ import annotations

import inspect
import logging
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vae_study.data.ground_truth import GroundTruthData
from vae_study.metrics import (
    beta_vae,
    dci,
    downstream,
    factor_vae,
    mig,
    modularity,
    sap,
    unsupervised,
)
from vae_study.metrics.beta_vae import compute_beta_vae
from vae_study.metrics.checks import check_count
from vae_study.metrics.classifiers import check_backend
from vae_study.metrics.dci import compute_dci
from vae_study.metrics.downstream import compute_downstream_gbt, compute_downstream_lr
from vae_study.metrics.factor_vae import compute_factor_vae
from vae_study.metrics.mig import compute_mig
from vae_study.metrics.modularity import compute_modularity
from vae_study.metrics.sampling import NotApplicableError, Represent, SharedSample
from vae_study.metrics.sap import compute_sap
from vae_study.metrics.unsupervised import compute_unsupervised

__all__ = [
    "METRICS",
    "Metric",
    "NotApplicableError",
    "SettingError",
    "compute_beta_vae",
    "compute_dci",
    "compute_downstream_gbt",
    "compute_downstream_lr",
    "compute_factor_vae",
    "compute_mig",
    "compute_modularity",
    "compute_sap",
    "compute_unsupervised",
    "evaluate",
    "metric_rng",
    "output_keys",
    "plan",
]

log = logging.getLogger(__name__)

SHARED_SAMPLE = "shared_sample"


@dataclass(frozen=True)
class Metric:
    """A registered metric: its compute function and its keys given its resolved parameters."""

    compute: Callable[..., dict[str, float]]
    keys: Callable[[Mapping[str, Any]], tuple[str, ...]]


METRICS: dict[str, Metric] = {
    "beta_vae": Metric(beta_vae.compute_beta_vae, lambda p: beta_vae.KEYS),
    "factor_vae": Metric(factor_vae.compute_factor_vae, lambda p: factor_vae.KEYS),
    "mig": Metric(mig.compute_mig, lambda p: mig.KEYS),
    "dci": Metric(dci.compute_dci, lambda p: dci.KEYS),
    "modularity": Metric(modularity.compute_modularity, lambda p: modularity.KEYS),
    "sap": Metric(sap.compute_sap, lambda p: sap.KEYS),
    "downstream_lr": Metric(
        downstream.compute_downstream_lr,
        lambda p: downstream.output_keys(
            "downstream_lr", downstream.check_sizes(p["num_train"], p["efficiency_sizes"])
        ),
    ),
    "downstream_gbt": Metric(
        downstream.compute_downstream_gbt,
        lambda p: downstream.output_keys(
            "downstream_gbt", downstream.check_sizes(p["num_train"], p["efficiency_sizes"])
        ),
    ),
    "unsupervised": Metric(unsupervised.compute_unsupervised, lambda p: unsupervised.KEYS),
}


def metric_rng(seed: int, name: str) -> np.random.Generator:
    """The generator of metric ``name`` in an evaluation with ``seed``."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _plain(value: Any) -> Any:
    """Config containers (e.g. OmegaConf's) as plain dicts and tuples."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return tuple(_plain(v) for v in value)
    return value


class SettingError(ValueError):
    """A metric setting that cannot be used; ``key`` names it as in a metrics config
    (``names``, ``gbt_backend``, ``params.dci.num_train``, ...)."""

    def __init__(self, key: str, detail: str) -> None:
        super().__init__(f"{key}: {detail}")
        self.key = key
        self.detail = detail


def _check_values(name: str, params: Mapping[str, Any]) -> None:
    """Counts (``num_*``, ``batch_size``) >= 2, a known backend, n_jobs, thresholds >= 0."""
    for key, value in params.items():
        where = f"params.{name}.{key}"
        try:
            if key.startswith("num_") or key == "batch_size":
                for count in value if isinstance(value, tuple) else (value,):
                    check_count(key, count)
            elif key == "gbt_backend":
                check_backend(value)
            elif (
                key == "n_jobs"
                and value is not None
                and (isinstance(value, bool) or not isinstance(value, int) or value == 0)
            ):
                raise ValueError(f"n_jobs must be a non-zero integer or null, got {value!r}")
            elif key == "prune_threshold" and (
                isinstance(value, bool) or not isinstance(value, int | float) or value < 0
            ):
                raise ValueError(f"prune_threshold must be a number >= 0, got {value!r}")
        except ValueError as error:
            raise SettingError(where, str(error)) from None


def _resolve(name: str, options: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Metric ``name``'s keyword arguments: defaults, then global options, then overrides."""
    signature = inspect.signature(METRICS[name].compute)
    defaults = {
        key: p.default
        for key, p in signature.parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and key != "sample"
    }
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise SettingError(
            f"params.{name}", f"{name} has no parameters {unknown}; it takes {sorted(defaults)}"
        )
    params = {**defaults, **{k: v for k, v in options.items() if k in defaults}, **overrides}
    params = {key: _plain(value) for key, value in params.items()}
    _check_values(name, params)
    return params


def _keys(name: str, params: Mapping[str, Any]) -> tuple[str, ...]:
    try:
        return METRICS[name].keys(params)
    except ValueError as error:
        raise SettingError(f"params.{name}", str(error)) from None


def plan(
    names: Sequence[str], options: Mapping[str, Any], overrides: Mapping[str, Any]
) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
    """Each named metric with its resolved parameters and output keys, in order; every
    parameter of every metric in ``overrides`` checked. Raises :class:`SettingError`."""
    if isinstance(names, str) or not all(isinstance(n, str) for n in names):
        raise SettingError("names", f"must be a list of metric names, got {names!r}")
    unknown = sorted(set(names) - set(METRICS))
    if unknown:
        raise SettingError("names", f"unknown metrics {unknown}; known: {sorted(METRICS)}")
    if len(set(names)) != len(names):
        raise SettingError("names", f"metric names repeat: {list(names)}")
    unknown = sorted(set(overrides) - set(METRICS))
    if unknown:
        raise SettingError("params", f"unknown metrics {unknown}; known: {sorted(METRICS)}")
    for name, params in overrides.items():
        if not isinstance(params, Mapping):
            raise SettingError(f"params.{name}", f"must be a mapping, got {params!r}")
    resolved = {name: _resolve(name, options, overrides.get(name, {})) for name in METRICS}
    keys = {name: _keys(name, resolved[name]) for name in {*names, *overrides}}
    return [(name, resolved[name], keys[name]) for name in names]


def output_keys(
    names: Sequence[str], *, gbt_backend: str = "exact", n_jobs: int | None = -1, **overrides: Any
) -> list[str]:
    """The keys :func:`evaluate` returns for these arguments, in its order."""
    planned = plan(names, {"gbt_backend": gbt_backend, "n_jobs": n_jobs}, overrides)
    return [key for name, _, keys in planned for key in (*keys, f"time.{name}")]


def evaluate(
    data: GroundTruthData,
    represent: Represent,
    names: Sequence[str],
    seed: int,
    *,
    gbt_backend: str = "exact",
    n_jobs: int | None = -1,
    share_samples: bool = True,
    **overrides: Mapping[str, Any],
) -> dict[str, float]:
    """Run the metrics ``names`` on ``represent`` over ``data``; a flat dict of floats.

    ``overrides`` maps metric names to parameter overrides; ``gbt_backend`` ("exact", the study's,
    "sklearn", scikit-learn's implementation of the same model, or "hist") and ``n_jobs`` (joblib
    workers, -1 for all cores) go to every metric that takes them. See the module docstring for
    seeds, failures and keys.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    planned = plan(names, {"gbt_backend": gbt_backend, "n_jobs": n_jobs}, overrides)
    shared = (
        SharedSample(data, represent, metric_rng(seed, SHARED_SAMPLE)) if share_samples else None
    )
    scores: dict[str, float] = {}
    for name, params, keys in planned:
        metric = METRICS[name]
        if shared is not None and "sample" in inspect.signature(metric.compute).parameters:
            params = {**params, "sample": shared}
        started = time.perf_counter()
        try:
            values = metric.compute(data, represent, metric_rng(seed, name), **params)
            scores.update({key: float(values[key]) for key in keys})
        except NotApplicableError as error:
            log.warning("metric %s does not apply, its scores are NaN: %s", name, error)
            scores.update(dict.fromkeys(keys, float("nan")))
        except Exception as error:
            log.error(
                "metric %s failed, its scores are NaN: %s: %s",
                name,
                type(error).__name__,
                error,
                exc_info=True,
            )
            scores.update(dict.fromkeys(keys, float("nan")))
        scores[f"time.{name}"] = time.perf_counter() - started
        log.info("metric %s: %.1f s", name, scores[f"time.{name}"])
    return scores
