"""Fixtures of the analysis tests: settings, a small synthetic study and a tiny trained run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from synthetic_study import VERSIONS, write_small_study

from vae_study.analysis.settings import AnalysisSettings, load_settings
from vae_study.results import RunRecord


@pytest.fixture(scope="session")
def settings() -> AnalysisSettings:
    """The analysis settings of ``conf/analysis/default.yaml``, with 200 resamples (quicker), in
    the test's own process."""
    return load_settings(resamples=200, n_jobs=1)


@pytest.fixture(scope="session")
def small_study(tmp_path_factory) -> Path:
    """Results root with study "synthetic": dSprites and Noisy-dSprites fully crossed (3 models x
    3 strengths x 3 seeds each), and a data set with only two runs."""
    results = tmp_path_factory.mktemp("results")
    write_small_study(results)
    return results


TINY_MODEL = [
    "dataset=dsprites", "model=beta_vae", "model.strength=2", "arch=mlp", "arch.hidden=[32]",
    "train.num_latent=3", "metrics=none", "logger=none", "seed=3",
]  # fmt: skip


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """A run folder as ``vae-study`` leaves it: record and ``model.pt`` of a tiny MLP beta-VAE
    on dSprites (3 latents), trained for three Adam steps."""
    from omegaconf import OmegaConf

    from vae_study.build import build_module
    from vae_study.config import compose_config
    from vae_study.data.dsprites import DSprites
    from vae_study.results import WEIGHTS_NAME

    cfg = compose_config(TINY_MODEL)
    torch.manual_seed(0)
    data = DSprites()
    module = build_module(cfg, data.observation_shape)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    for step in range(3):
        batch = data.sample(16, np.random.default_rng(step))[1]
        loss = module.objective(module.forward_pass(torch.as_tensor(batch)), step)["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    run_dir = tmp_path_factory.mktemp("results") / "viz" / "runs" / "tinymlp00001"
    record = RunRecord(
        run_id=run_dir.name,
        study="viz",
        config=OmegaConf.to_container(cfg, resolve=True),
        status="done",
        metrics={"mig": 0.1},
        train={"steps": 3, "seconds": 0.1, "final": {"loss": loss.item()}},
        versions=VERSIONS,
    )
    record.write(run_dir)
    torch.save(module.state_dict(), run_dir / WEIGHTS_NAME)
    return run_dir
