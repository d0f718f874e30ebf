"""``vae-study-rescore``: a finished run scored again with other metric settings."""

from __future__ import annotations

import shutil

import pytest

from vae_study.build import evaluation_settings
from vae_study.rescore import main, rescore
from vae_study.results import RunRecord


@pytest.fixture
def run_dir(trained_run, tmp_path):
    copy = tmp_path / "runs" / trained_run.name
    shutil.copytree(trained_run, copy)
    return copy


def group_file(tmp_path, mig_points: int) -> str:
    """A metrics group of the user's own, ``<tmp_path>/metrics/mig<mig_points>.yaml``."""
    (tmp_path / "metrics").mkdir(exist_ok=True)
    (tmp_path / "metrics" / f"mig{mig_points}.yaml").write_text(
        "seed: 0\nnames: []\ngbt_backend: exact\nn_jobs: 1\nshare_samples: true\nparams:\n"
        f"  mig: {{num_train: {mig_points}, num_bins: 20}}\n"
        "  modularity: {num_train: 300, num_test: 100, num_bins: 20}\n"
    )
    return f"mig{mig_points}"


def group(tmp_path, mig_points: int):
    """The settings of :func:`group_file`'s group, and its name."""
    name = group_file(tmp_path, mig_points)
    return evaluation_settings(name, config_dir=tmp_path), name


def test_rescoring_replaces_only_the_named_metrics_and_records_their_settings(run_dir, tmp_path):
    record = RunRecord.read(run_dir / "record.json")
    record.protocol = {"metrics": "quick (reference: study)"}
    record.write(run_dir)
    first = rescore(run_dir, ["mig", "modularity"], *group(tmp_path, 300), n_jobs=1)
    assert first.config["metrics"]["names"] == ["mig", "modularity"]
    assert first.config["metrics"]["params"]["mig"]["num_train"] == 300
    assert first.protocol == {
        "metrics": "quick (reference: study)",
        "metrics.rescored.mig": "mig300 (reference: study)",
        "metrics.rescored.modularity": "mig300 (reference: study)",
    }
    modularity = {k: v for k, v in first.metrics.items() if "modularity" in k}
    assert "modularity" in modularity and "time.modularity" in modularity

    second = rescore(run_dir, ["mig"], *group(tmp_path, 900), n_jobs=1)
    assert second.config["metrics"]["params"]["mig"]["num_train"] == 900
    assert {k: v for k, v in second.metrics.items() if "modularity" in k} == modularity
    assert second.metrics["mig"] != first.metrics["mig"]
    assert RunRecord.read(run_dir / "record.json").metrics == second.metrics

    # the record's own seed and draws: the first settings give the first score again
    third = rescore(run_dir, ["mig"], *group(tmp_path, 300), n_jobs=1)
    assert third.metrics["mig"] == first.metrics["mig"]
    assert run_dir.name == first.run_id  # the trained model keeps its id


def test_unknown_metrics_unfinished_runs_and_baselines_are_refused(run_dir, tmp_path):
    with pytest.raises(ValueError, match="unknown metrics"):
        rescore(run_dir, ["mig", "nope"], *group(tmp_path, 300))
    record = RunRecord.read(run_dir / "record.json")
    record.config["model"]["estimator"] = {"_target_": "sklearn.decomposition.PCA"}
    record.write(run_dir)
    with pytest.raises(ValueError, match="baselines keep no weights"):
        rescore(run_dir, ["mig"], *group(tmp_path, 300))
    record.status = "failed"
    record.write(run_dir)
    with pytest.raises(ValueError, match="is failed, not done"):
        rescore(run_dir, ["mig"], *group(tmp_path, 300))
    with pytest.raises(SystemExit, match="1 of 1 runs were not scored"):
        main([str(run_dir), "--names", "mig", "--metrics", group_file(tmp_path, 300),
              "--config-dir", str(tmp_path)])  # fmt: skip
