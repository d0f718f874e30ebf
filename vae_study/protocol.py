"""How far a run is from the reference protocol (Locatello et al. 2019, disentanglement_lib's
``unsupervised_study_v1``), in every respect that changes a number.

The reference protocol of a run is the config this project composes for the same data set, model,
strength and seed with the study's metrics (``metrics=study``), its data read from the reference's
files: our ``conf/`` states the reference settings, each with its source
(``docs/reference_protocol.md``), and ``tests/test_reference_settings.py`` checks them against
disentanglement_lib's. :func:`protocol` compares a run's resolved config with that one, key by key,
over everything its id covers (steps and updates, batch size, optimiser, architecture and
initialisation, latent size, strengths and fixed objective values, metric counts, GBT backend,
sample sharing, the evaluation seed, precision, ...) and adds the data: procedural dSprites is a
departure, since the renderer approximates the archive's images, and so is a file whose factor grid
is not the reference data set's (a subset, a test file). A run of a data set or model the reference
study does not have departs in that one respect.

The result is ``"reference"`` or a mapping from each departing key to ``"value (reference
value)"``; with the metrics group known (a running ``vae-study``), a whole group other than
``study`` is one entry, ``metrics: quick (reference: study)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import cache
from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from vae_study.config import compose_config
from vae_study.data.dsprites import FACTOR_SIZES
from vae_study.results import REFERENCE_DATASETS, REFERENCE_MODELS, identity

REFERENCE = "reference"
REFERENCE_METRICS = "study"
"""The metrics group of the reference protocol (``conf/metrics/study.yaml``)."""
PROCEDURAL = ("dsprites", "color_dsprites", "noisy_dsprites", "scream_dsprites")
NOT_COMPARED = ("seed", "study.name", "dataset.path", "dataset.scream_path")
REFERENCE_FACTOR_SIZES = {
    **dict.fromkeys(PROCEDURAL, FACTOR_SIZES),
    "smallnorb": (5, 9, 18, 6),
    "cars3d": (4, 24, 183),
    "shapes3d": (10, 10, 10, 8, 4, 15),
}
"""Each reference data set's factor sizes (disentanglement_lib ``data/ground_truth/*.py``): a
file of another grid (a subset, a test file) is not the reference's data."""
# scikit-learn's GradientBoostingClassifier and our exact backend fit the same trees
SAME_MODEL_BACKENDS = ({"exact", "sklearn"},)

Protocol = str | dict[str, str]


def _flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for key, value in tree.items():
            out |= _flat(value, f"{prefix}{key}.")
        return out
    return {prefix.rstrip("."): tree}


@cache
def _reference(dataset: str, model: str, strength: int) -> dict[str, Any]:
    cfg = compose_config(
        [
            f"dataset={dataset}",
            f"model={model}",
            f"model.strength={strength}",
            f"metrics={REFERENCE_METRICS}",
        ]
    )
    return _flat(identity(cfg, list(cfg.run_id_ignore)))


def _metrics_group() -> str | None:
    if not HydraConfig.initialized():
        return None
    return HydraConfig.get().runtime.choices.get("metrics")


def _same(key: str, value: Any, reference: Any) -> bool:
    if key == "metrics.gbt_backend":
        return value == reference or any({value, reference} <= s for s in SAME_MODEL_BACKENDS)
    return value == reference


def protocol(
    cfg: DictConfig,
    metrics_group: str | None = None,
    factor_sizes: Sequence[int] | None = None,
) -> Protocol:
    """``"reference"``, or each departure of ``cfg`` from the reference protocol (module doc).
    ``metrics_group``: the metrics group ``cfg`` was composed with; by default the running
    ``vae-study``'s, if any. ``factor_sizes``: those of the data the run reads, a departure
    when they are not the reference data set's (:data:`REFERENCE_FACTOR_SIZES`)."""
    dataset, model = str(cfg.dataset.name), str(cfg.model.name)
    departures: dict[str, str] = {}
    if dataset not in REFERENCE_DATASETS:
        departures["dataset"] = f"{dataset} (not in the reference study)"
    if model not in REFERENCE_MODELS:
        departures["model"] = f"{model} (not in the reference study)"
    if departures:
        return departures
    if dataset in PROCEDURAL and cfg.dataset.get("path") is None:
        departures["dataset.path"] = "null: the procedural renderer (reference: the archive)"
    sizes = REFERENCE_FACTOR_SIZES[dataset]
    if factor_sizes is not None and tuple(factor_sizes) != sizes:
        departures["dataset.factor_sizes"] = f"{tuple(factor_sizes)} (reference {sizes})"
    ours = _flat(identity(cfg, list(cfg.run_id_ignore)))
    reference = _reference(dataset, model, int(cfg.model.strength))
    for key in sorted(set(ours) | set(reference)):
        if key in NOT_COMPARED or _same(key, ours.get(key), reference.get(key)):
            continue
        departures[key] = f"{ours.get(key, 'absent')} (reference {reference.get(key, 'absent')})"
    if ours.get("arch.name") != reference.get("arch.name"):
        departures = {k: v for k, v in departures.items() if not k.startswith("arch.")}
        departures["arch"] = f"{ours.get('arch.name')} (reference {reference.get('arch.name')})"
    group = metrics_group if metrics_group is not None else _metrics_group()
    if group is not None and group != REFERENCE_METRICS:
        departures = {k: v for k, v in departures.items() if not k.startswith("metrics.")}
        departures["metrics"] = f"{group} (reference: {REFERENCE_METRICS})"
    return departures or REFERENCE


RESCORED = "metrics.rescored."


def recorded_metrics_group(value: Protocol) -> str:
    """The metrics group a record's metrics were composed with, as its protocol names it
    (``metrics: quick (reference: study)``); ``study`` where it names none."""
    if value == REFERENCE:
        return REFERENCE_METRICS
    return value.get("metrics", REFERENCE_METRICS).split(" (", 1)[0]


def rescored(value: Protocol | None, names: Sequence[str], group: str) -> Protocol | None:
    """The protocol of a record whose metrics ``names`` were scored again with the params of
    metrics group ``group`` (``vae-study-rescore``): ``metrics.rescored.<name>: <group>
    (reference: study)`` for each name whose group is not the record's own (its ``metrics``
    entry, else ``study``), and no entry for one that is. Unrecorded stays unrecorded."""
    if value is None:
        return None
    departures = {} if value == REFERENCE else dict(value)
    recorded = recorded_metrics_group(value)
    for name in names:
        departures.pop(f"{RESCORED}{name}", None)
        if group != recorded:
            departures[f"{RESCORED}{name}"] = f"{group} (reference: {REFERENCE_METRICS})"
    if not departures:
        return REFERENCE
    return departures


SUMMARY_PREFIX = "departs in: "
SUMMARY_SEPARATOR = "; "
RELATIVE = ("train.steps",)
"""Departing keys whose reference differs between models (FactorVAE's 150,000 iterations, the
others' 300,000): a summary states them as a fraction of the reference, the same for every
model of a study that scales the reference's length (``${iterations:N}``)."""
PER_CONFIGURATION = ("model.strengths", "model.objective.")
"""Departing keys whose values differ between a study's configurations by design (each model's
strength grid and objective values): a summary names them together, as ``model.*``."""


def summary(value: Protocol | None) -> str:
    """One line for a table or a figure: ``reference``, ``unrecorded`` (records of versions
    before the protocol was recorded) or ``departs in: key=value; ...``, each departing key
    with this run's value (the text before its parenthesis; for :data:`RELATIVE` keys, as a
    fraction of the reference's) and the keys of :data:`PER_CONFIGURATION` as one ``model.*``,
    so that the runs of one study share one summary exactly when they depart in the same keys
    with the same values."""
    if value is None:
        return "unrecorded"
    if value == REFERENCE:
        return REFERENCE
    entries = [
        f"{key}={_relative(text) if key in RELATIVE else text.split(' (', 1)[0]}"
        for key, text in sorted(value.items())
        if not key.startswith(PER_CONFIGURATION)
    ]
    if any(key.startswith(PER_CONFIGURATION) for key in value):
        entries.append("model.*")
    return SUMMARY_PREFIX + SUMMARY_SEPARATOR.join(entries)


def _relative(text: str) -> str:
    """``"500 (reference 150000)"`` as ``"1/300 x reference"``; the value alone if the text
    is not two integers."""
    ours, _, rest = text.partition(" (reference ")
    try:
        ratio = Fraction(int(ours), int(rest.rstrip(")")))
    except (ValueError, ZeroDivisionError):
        return ours
    return f"{ratio} x reference"


def departures_of(line: str) -> dict[str, str | None]:
    """The departing keys of a :func:`summary` line and their values (None for a key named
    without one); empty for ``reference`` and ``unrecorded``."""
    if not line.startswith(SUMMARY_PREFIX):
        return {}
    entries = line.removeprefix(SUMMARY_PREFIX).split(SUMMARY_SEPARATOR)
    return {
        key: (value if sep else None) for key, sep, value in (e.partition("=") for e in entries)
    }
