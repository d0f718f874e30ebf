"""Shared fixtures: running the real ``vae-study`` console script on tiny settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CONSOLE_SCRIPT = Path(sys.executable).parent / "vae-study"
# A few conv steps on procedural dSprites, one torch thread, no metrics unless a test asks.
TINY = [
    "experiment=demo", "train.steps=20", "train.threads=1", "metrics=none",
    "trainer.log_every_n_steps=5",
]  # fmt: skip


def run_cli(*overrides: str, results: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "WANDB_MODE": "disabled", "HYDRA_FULL_ERROR": "0"}
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *overrides, f"paths.results={results}"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


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
