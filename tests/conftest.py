"""Shared fixtures: running the real ``vae-study`` console script on tiny settings."""

from __future__ import annotations

import os
import subprocess

import pytest
from cli_runner import TINY, run_cli


def pytest_configure(config: pytest.Config) -> None:
    distributing = not hasattr(config, "workerinput") and getattr(config.option, "numprocesses", 0)
    if distributing:
        return  # xdist's controller runs no test: it imports neither torch nor the metrics
    import torch
    from compiled_kernels import compile_kernels

    if os.environ.get("PYTEST_XDIST_WORKER"):
        torch.set_num_threads(1)  # one worker per core: in-process tests take one thread each
    compile_kernels()


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
