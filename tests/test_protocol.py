"""Records say how far a run is from the reference protocol."""

from __future__ import annotations

import numpy as np
import pytest

from vae_study.analysis.cli import differing_keys
from vae_study.config import compose_config
from vae_study.data.dsprites import FACTOR_SIZES
from vae_study.protocol import (
    REFERENCE_FACTOR_SIZES,
    RESCORED,
    departures_of,
    protocol,
    rescored,
    summary,
)
from vae_study.rerun import metrics_group as rerun_metrics_group
from vae_study.results import REFERENCE_DATASETS, RunRecord


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


def test_data_of_another_grid_than_the_reference_data_sets_is_a_departure(archive):
    assert set(REFERENCE_FACTOR_SIZES) == set(REFERENCE_DATASETS)
    cfg = compose_config(["metrics=study", f"dataset.path={archive}"])
    assert protocol(cfg, "study", factor_sizes=FACTOR_SIZES) == "reference"
    assert protocol(cfg, "study", factor_sizes=(3, 2, 2, 2, 2)) == {
        "dataset.factor_sizes": "(3, 2, 2, 2, 2) (reference (3, 6, 40, 32, 32))"
    }


def test_the_demo_departs_in_steps_metrics_and_data():
    departures = protocol(compose_config(["experiment=demo"]), "quick")
    assert departures["train.steps"] == "3000 (reference 300000)"
    assert departures["metrics"] == "quick (reference: study)"
    assert departures["dataset.path"].startswith("null: the procedural renderer")
    assert not any(key.startswith("metrics.") for key in departures)
    line = summary(departures)
    assert line == (
        "departs in: dataset.path=null: the procedural renderer; metrics=quick; "
        "train.steps=1/100 x reference"
    )
    assert departures_of(line) == {
        "dataset.path": "null: the procedural renderer", "metrics": "quick",
        "train.steps": "1/100 x reference",
    }  # fmt: skip


def test_runs_of_one_study_share_a_summary_unless_their_settings_differ(archive):
    def line(*overrides: str) -> str:
        cfg = compose_config(["metrics=study", f"dataset.path={archive}", *overrides])
        return summary(protocol(cfg, "study"))

    # the reference's length scaled alike for every model: FactorVAE's 500 of its 150,000
    short = [
        line(f"model={m}", "train.steps=${iterations:1000}") for m in ("beta_vae", "factor_vae")
    ]
    assert short[0] == short[1] == "departs in: train.steps=1/300 x reference"
    # the same iterations for every model give FactorVAE twice the others' share
    same = [line(f"model={m}", "train.steps=1000") for m in ("beta_vae", "factor_vae")]
    assert differing_keys(same) == ["train.steps"]
    longer = line("train.steps=3000")
    assert differing_keys([short[0], longer]) == ["train.steps"]
    assert differing_keys([short[0], "reference"]) == ["train.steps"]
    assert differing_keys([short[0], line("train.steps=1000", "train.batch_size=32")]) == [
        "train.batch_size"
    ]
    grids = [line(f"model.strength={s}", "model.strengths=[1,3,4,6,8,16]") for s in (1, 2)]
    # one run's beta departs, the other's is the reference's: both depart in the model's grid
    assert grids[0] == grids[1] == "departs in: model.*"
    assert departures_of(grids[0]) == {"model.*": None}


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


def test_a_rescored_record_names_the_metrics_scored_with_another_group():
    quick = {"train.steps": "1000 (reference 300000)", "metrics": "quick (reference: study)"}
    downstream = ["downstream_lr", "downstream_gbt"]
    study = rescored(quick, downstream, "study")
    assert study == quick | {
        "metrics.rescored.downstream_lr": "study (reference: study)",
        "metrics.rescored.downstream_gbt": "study (reference: study)",
    }
    assert summary(study) == (
        "departs in: metrics=quick; metrics.rescored.downstream_gbt=study; "
        "metrics.rescored.downstream_lr=study; train.steps=1/300 x reference"
    )
    assert rescored(study, downstream, "quick") == quick  # back to the record's own group
    assert rescored("reference", ["mig"], "study") == "reference"
    assert rescored("reference", ["mig"], "quick") == {
        "metrics.rescored.mig": "quick (reference: study)"
    }
    assert rescored(None, ["mig"], "study") is None


QUICK = "quick (reference: study)"


@pytest.mark.parametrize(
    ("recorded", "group"),
    [
        ({"metrics": QUICK, "train.steps": "1000 (reference 300000)"}, "quick"),
        ("reference", "study"),
        ({"train.steps": "1000 (reference 300000)"}, "study"),
        ({"metrics": QUICK, f"{RESCORED}mig": "study (reference: study)"}, None),
        (None, None),
    ],
)
def test_a_rerun_judges_its_protocol_with_the_recorded_metrics_group(recorded, group):
    record = RunRecord(run_id="r", study="s", config={}, protocol=recorded)
    assert rerun_metrics_group(record) == group
