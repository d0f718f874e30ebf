"""Run records: one JSON file per run, the only thing runs and the analysis share.

A record lives at ``<paths.results>/<study>/runs/<run_id>/record.json`` and holds ``run_id``,
``study``, ``status`` (``running`` | ``done`` | ``failed`` | ``interrupted``), the resolved
``config``, ``metrics``, ``train`` (final loss terms, steps, seconds), ``versions``, ``error``,
``model_num`` (the reference study's number for the same run, when it has one) and ``protocol``
(``"reference"``, or how the run departs from the reference protocol:
:mod:`vae_study.protocol`). It is written atomically (:func:`vae_study.atomic.write_atomically`),
so a reader never sees half a record, whatever kills the writer. Every tool reads it with
:meth:`RunRecord.read`, which checks the type of every field: a record that is not what a run
writes is unreadable everywhere alike.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import logging
import platform
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from omegaconf import DictConfig, OmegaConf

from vae_study.atomic import write_text

Status = Literal["running", "done", "failed", "interrupted"]
STATUSES = ("done", "failed", "running", "interrupted")
RECORD_NAME = "record.json"
LOCK_NAME = "run.lock"
WEIGHTS_NAME = "model.pt"

log = logging.getLogger(__name__)


def identity(cfg: DictConfig, ignore: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """The resolved config without the ``ignore`` keys: what a run's id is a hash of.

    ``ignore`` holds dotted keys (``logger``, ``trainer.enable_progress_bar``, ...) that do not
    change what a run computes, so moving a run to another machine or logger keeps its id. They
    are dropped before resolving, so interpolations under them are never evaluated.
    """
    container = OmegaConf.to_container(cfg, resolve=False)
    for key in ignore:
        *parents, leaf = key.split(".")
        node = container
        for parent in parents:
            node = node.get(parent) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    return OmegaConf.to_container(OmegaConf.create(container), resolve=True)


def hash_identity(resolved: dict[str, Any]) -> str:
    """A stable 12-hex-digit hash of a resolved config (see :func:`identity`)."""
    text = json.dumps(resolved, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def run_id(cfg: DictConfig, ignore: list[str] | tuple[str, ...] = ()) -> str:
    """A run's id: the hash of its resolved config without the ``ignore`` keys."""
    return hash_identity(identity(cfg, ignore))


def study_folder(results: str | Path, study: str) -> Path:
    """Where a study keeps its runs, table and figures: ``<results>/<study>``."""
    return Path(results) / study


def runs_folder(results: str | Path, study: str) -> Path:
    """The folder of a study's run folders: ``<results>/<study>/runs``."""
    return study_folder(results, study) / "runs"


def run_folder(results: str | Path, study: str, identifier: str) -> Path:
    """A run's folder, named by its id: ``<results>/<study>/runs/<run_id>``."""
    return runs_folder(results, study) / identifier


def find_run(run: str, results: str | Path) -> Path:
    """The folder of ``run``: a run folder or record path, or a run id under ``results``."""
    path = Path(run)
    if path.is_file() and path.name == RECORD_NAME:
        return path.parent
    if (path / RECORD_NAME).is_file():
        return path
    matches = sorted(Path(results).glob(f"*/runs/{run}/{RECORD_NAME}"))
    if len(matches) != 1:
        found = "no" if not matches else f"{len(matches)}"
        raise FileNotFoundError(f"{found} record for run {run!r} under {results}/*/runs/")
    return matches[0].parent


# The reference's orders (unsupervised_study_v1/sweep.py: h.product([datasets, arch, models,
# seeds]), first factor slowest), keyed by our config names.
REFERENCE_DATASETS = (
    "dsprites", "color_dsprites", "noisy_dsprites", "scream_dsprites", "smallnorb", "cars3d",
    "shapes3d",
)  # fmt: skip
REFERENCE_MODELS = (
    "beta_vae", "factor_vae", "dip_vae_i", "dip_vae_ii", "beta_tcvae", "annealed_vae",
)  # fmt: skip
REFERENCE_SEEDS = 50


def reference_model_num(dataset: str, model: str, strength: int, seed: int) -> int | None:
    """The reference study's ``model_num`` of a run, or None if the run is not in that study.

    model_num = 1800 * dataset + 300 * model + 50 * strength + seed, in the reference's orders
    of data sets and models, so records line up with the released models and the paper.
    """
    if dataset not in REFERENCE_DATASETS or model not in REFERENCE_MODELS:
        return None
    if not (0 <= strength < 6 and 0 <= seed < REFERENCE_SEEDS):
        return None
    return (
        1800 * REFERENCE_DATASETS.index(dataset)
        + 300 * REFERENCE_MODELS.index(model)
        + 50 * strength
        + seed
    )


def swept_hyperparameter(model: Mapping[str, Any]) -> tuple[str, Any]:
    """The name and value of the hyperparameter a model config's strength selects: the key of
    its objective (or the model itself, or its estimator) whose value is ``strengths[strength]``,
    e.g. ``("beta", 4.0)``; ``("strength", index)`` when no key holds it."""
    strength = int(model["strength"])
    value = model["strengths"][strength]
    for part in (model.get("objective"), model, model.get("estimator")):
        for key, held in (part or {}).items():
            if key not in ("strength", "strengths", "_target_") and held == value:
                return str(key), value
    return "strength", strength


def describe_run(cfg: Mapping[str, Any]) -> str:
    """``beta_vae (beta = 4.0) on dsprites, seed 3``: a run config's model, swept value, data set
    and seed, as run logs and picture titles name a run."""
    name, value = swept_hyperparameter(cfg["model"])
    return (
        f"{cfg['model']['name']} ({name} = {value}) on {cfg['dataset']['name']}, seed {cfg['seed']}"
    )


def package_versions() -> dict[str, str]:
    """Versions that can change a run's numbers: Python and the numerical libraries."""
    versions = {"python": platform.python_version()}
    for name in ("vae-study", "torch", "lightning", "scikit-learn", "numpy", "scipy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


PYTORCH_INIT = "pytorch"
"""The initialisation of runs recorded before ``arch.init`` existed (``architectures.INITS``)."""


@dataclass
class RunRecord:
    """What a run writes about itself; see the module docstring for the fields."""

    run_id: str
    study: str
    config: dict[str, Any]
    status: Status = "running"
    metrics: dict[str, float] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=package_versions)
    error: str | None = None
    model_num: int | None = None
    protocol: str | dict[str, str] | None = None
    started: str = field(default_factory=now)
    finished: str | None = None
    host: str = field(default_factory=platform.node)

    def trained_config(self) -> dict[str, Any]:
        """The config the run trained with, as a model or a rerun is rebuilt from it: the
        record's own, with what records written before a setting existed leave implicit. The
        initialisation became a setting (``arch.init``, FactorVAE's ``discriminator_init``)
        with the reference's as the study's; earlier runs initialised as PyTorch does."""
        config = copy.deepcopy(self.config)
        arch = config.get("arch")
        if isinstance(arch, dict) and "_target_" in arch:
            arch.setdefault("init", PYTORCH_INIT)
        objective = config.get("model", {}).get("objective", {})
        if objective.get("_target_", "").endswith(".FactorVAE"):
            objective.setdefault("discriminator_init", PYTORCH_INIT)
        return config

    def write(self, run_dir: str | Path) -> Path:
        """Atomically write ``record.json`` into ``run_dir`` and return its path."""
        text = json.dumps(asdict(self), indent=2, allow_nan=True)
        return write_text(Path(run_dir) / RECORD_NAME, text)

    @classmethod
    def read(cls, path: str | Path) -> RunRecord:
        """Read a record file (or the record in a run folder); :class:`RecordError` when it is
        not valid JSON or a field is missing, unknown or of the wrong type."""
        path = Path(path)
        if path.is_dir():
            path = path / RECORD_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RecordError(f"not a JSON record: {error}") from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> RunRecord:
        """A record from its JSON object, every field's type checked (see :meth:`read`)."""
        if not isinstance(data, dict):
            raise RecordError(f"a record is a JSON object, found {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        missing = sorted({"run_id", "study", "config", "status"} - set(data))
        unknown = sorted(set(data) - known)
        if missing or unknown:
            raise RecordError(f"missing fields {missing}, unknown fields {unknown}")
        for name, types in FIELD_TYPES.items():
            if name in data and not isinstance(data[name], types):
                raise RecordError(f"{name} must be {types}, found {type(data[name]).__name__}")
        if data["status"] not in STATUSES:
            raise RecordError(f"status must be one of {STATUSES}, found {data['status']!r}")
        bad = [k for k, v in data.get("metrics", {}).items() if not _is_number(v)]
        if bad:
            raise RecordError(f"metrics must be numbers, found {bad[:3]}")
        return cls(**data)


class RecordError(ValueError):
    """A record file that is not what a run writes (bad JSON, missing or mistyped fields)."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "run_id": str,
    "study": str,
    "config": dict,
    "status": str,
    "metrics": dict,
    "train": dict,
    "versions": dict,
    "error": (str, type(None)),
    "model_num": (int, type(None)),
    "protocol": (str, dict, type(None)),
    "started": str,
    "finished": (str, type(None)),
    "host": str,
}


def finished_record(record_path: Path) -> RunRecord | None:
    """The run's record if it says ``done``; an unreadable record counts as not done."""
    try:
        record = RunRecord.read(record_path)
    except FileNotFoundError:
        return None
    except RecordError as error:
        log.warning("record %s is unreadable (%s): running again", record_path, error)
        return None
    return record if record.status == "done" else None


@contextmanager
def exclusive(run_dir: Path) -> Iterator[bool]:
    """Hold the run's lock file while the block runs; yields False if another process holds it.

    The lock (``flock``) dies with its process, so a killed run never leaves a stale lock, and
    two launches of the same run at once train it once.
    """
    with (run_dir / LOCK_NAME).open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def lock_held(run_dir: Path) -> bool:
    """Whether a process is running the run in ``run_dir`` right now (it holds the run's lock).

    The lock file is opened for reading, so a results folder one may only read can be asked.
    """
    try:
        lock = (run_dir / LOCK_NAME).open("rb")
    except FileNotFoundError:
        return False
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False


def status_now(run_dir: Path, status: Status) -> Status:
    """The status of the run in ``run_dir`` whose record says ``status``: a ``running`` record
    whose lock nobody holds was left by a process killed before it could write (a relaunch
    resumes the run), so it is ``interrupted``; one whose lock cannot be read stays ``running``."""
    if status != "running":
        return status
    try:
        held = lock_held(run_dir)
    except OSError:  # a lock file one may not read (another user's): no telling
        return status
    return status if held else "interrupted"
