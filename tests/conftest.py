"""Shared fixtures: running the real ``vae-study`` console script on tiny settings."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cli_runner import CONSOLE_SCRIPT, TINY, run_cli


@pytest.fixture
def console_script() -> Path:
    return CONSOLE_SCRIPT


@pytest.fixture
def tiny() -> list[str]:
    return list(TINY)


@pytest.fixture
def cli(tmp_path):
    """``cli(*overrides)`` runs ``vae-study`` with results under ``tmp_path``."""

    def call(*overrides: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return run_cli(*overrides, results=tmp_path, timeout=timeout)

    call.results = tmp_path
    return call
