"""Running the real ``vae-study`` console script on tiny settings (shared by the CLI tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
