"""Run records: one JSON file per run, the only thing runs and the analysis share.

A record lives at ``<paths.results>/<study>/runs/<run_id>/record.json`` and holds ``run_id``,
``study``, ``status`` (``running`` | ``done`` | ``failed``), the resolved ``config``, ``metrics``,
``train`` (final loss terms, steps, seconds), ``versions`` and ``error``. It is written to a
temporary file in the same folder and renamed over the old one, so a reader never sees half a
record, whatever kills the writer.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from omegaconf import DictConfig, OmegaConf

Status = Literal["running", "done", "failed"]
RECORD_NAME = "record.json"


def run_id(cfg: DictConfig, ignore: list[str] | tuple[str, ...] = ()) -> str:
    """A stable 12-hex-digit hash of the resolved config without the ``ignore`` keys.

    ``ignore`` holds dotted keys (``logger``, ``trainer.enable_progress_bar``, ...) that do not
    change what a run computes, so moving a run to another machine or logger keeps its id.
    """
    container = OmegaConf.to_container(cfg, resolve=False)
    for key in ignore:
        *parents, leaf = key.split(".")
        node = container
        for parent in parents:
            node = node.get(parent) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    resolved = OmegaConf.to_container(OmegaConf.create(container), resolve=True)
    text = json.dumps(resolved, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


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
    started: str = field(default_factory=now)
    finished: str | None = None
    host: str = field(default_factory=platform.node)

    def write(self, run_dir: str | Path) -> Path:
        """Atomically write ``record.json`` into ``run_dir`` and return its path."""
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        target = run_dir / RECORD_NAME
        handle, temporary = tempfile.mkstemp(prefix=".record-", suffix=".json", dir=run_dir)
        try:
            with os.fdopen(handle, "w") as stream:
                json.dump(asdict(self), stream, indent=2, allow_nan=True)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    @classmethod
    def read(cls, path: str | Path) -> RunRecord:
        """Read a record file (or the record in a run folder)."""
        path = Path(path)
        if path.is_dir():
            path = path / RECORD_NAME
        return cls(**json.loads(path.read_text()))
