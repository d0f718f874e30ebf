"""Records say how far a run is from the reference protocol."""

from __future__ import annotations

import numpy as np
import pytest

from vae_study.config import compose_config
from vae_study.protocol import protocol, summary


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A file the dSprites loader accepts as the archive (a small grid in its format)."""
    path = tmp_path_factory.mktemp("data") / "dsprites.npz"
    sizes = (1, 3, 2, 2, 2, 2)
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"), -1)
    grid = grid.reshape(-1, 6)
    np.savez(path, imgs=np.zeros((len(grid), 64, 64), np.uint8), latents_classes=grid)
    return path


@pytest.mark.parametrize("model", ["beta_vae", "factor_vae", "dip_vae_ii", "annealed_vae"])
def test_the_study_settings_with_the_archive_are_the_reference(archive, model):
    cfg = compose_config([f"model={model}", "metrics=study", f"dataset.path={archive}"])
    assert protocol(cfg, "study") == "reference" == summary(protocol(cfg, "study"))


def test_the_demo_departs_in_steps_metrics_and_data():
    departures = protocol(compose_config(["experiment=demo"]), "quick")
    assert departures["train.steps"] == "3000 (reference 300000)"
    assert departures["metrics"] == "quick (reference: study)"
    assert departures["dataset.path"].startswith("null: the procedural renderer")
    assert not any(key.startswith("metrics.") for key in departures)
    assert summary(departures) == "departs in: dataset.path, metrics, train.steps"


@pytest.mark.parametrize(
    ("overrides", "key", "text"),
    [
        (["model=factor_vae", "train.steps=300000"], "train.steps", "300000 (reference 150000)"),
        (["arch.init=pytorch"], "arch.init", "pytorch (reference reference)"),
        (["model.strengths=[1,3,4,6,8,16]", "model.strength=1"], "model.objective.beta",
         "3 (reference 2.0)"),
        (["metrics.gbt_backend=hist"], "metrics.gbt_backend", "hist (reference exact)"),
        (["metrics.share_samples=true"], "metrics.share_samples", "True (reference False)"),
        (["metrics.seed=3"], "metrics.seed", "3 (reference 0)"),
        (["train.batch_size=32"], "train.batch_size", "32 (reference 64)"),
        (["trainer.precision=bf16-mixed"], "trainer.precision", "bf16-mixed (reference 32-true)"),
        (["arch=mlp"], "arch", "mlp (reference locatello_conv)"),
        (["model=hierarchical_vae"], "model", "hierarchical_vae (not in the reference study)"),
        (["dataset=mnist"], "dataset", "mnist (not in the reference study)"),
    ],
)  # fmt: skip
def test_each_departure_is_named_with_its_value_and_the_references(archive, overrides, key, text):
    cfg = compose_config(["metrics=study", f"dataset.path={archive}", *overrides])
    assert protocol(cfg, "study")[key] == text
