"""Fixture values computed once for all of a test session's pytest-xdist workers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock


def once_per_session(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str,
    fill: Callable[[Path], None],
) -> Path:  # fmt: skip
    """The folder ``name`` in the session's shared temporary folder, filled by ``fill(folder)``
    in whichever worker asks first while the others wait on a file lock."""
    shared = tmp_path_factory.getbasetemp()
    shared = shared if worker_id == "master" else shared.parent
    folder, filled = shared / name, shared / f"{name}.filled"
    with FileLock(shared / f"{name}.lock"):
        if not filled.is_file():
            folder.mkdir(exist_ok=True)
            fill(folder)
            filled.touch()
    return folder
