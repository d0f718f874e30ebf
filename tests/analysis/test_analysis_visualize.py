"""One model's pictures: traversal and interpolation shapes, the CLI, the rotation experiment."""

from __future__ import annotations

import numpy as np
import pytest

from vae_study.analysis.visualize import VIZ_DIR, main, rotation_scores
from vae_study.build import evaluation_settings, load_trained
from vae_study.data.factor_values import FactorValueData
from vae_study.models.pictures import decode, encode, interpolation, reconstructions, traversals
from vae_study.results import find_run

TINY_METRICS = """seed: 0
names: [mig]
gbt_backend: hist
n_jobs: 1
share_samples: true
params:
  mig: {num_train: 300}
"""


@pytest.fixture(scope="module")
def run(trained_run):
    return load_trained(trained_run)


def metrics_dir(tmp_path):
    """A folder of metrics groups of the user's own: ``metrics/tiny.yaml``."""
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "tiny.yaml").write_text(TINY_METRICS)
    return tmp_path


def test_a_run_is_found_by_id_folder_or_record(trained_run):
    results = trained_run.parents[2]
    assert find_run(trained_run.name, results) == trained_run
    assert find_run(str(trained_run), results) == trained_run
    assert find_run(str(trained_run / "record.json"), results) == trained_run
    with pytest.raises(FileNotFoundError, match="no record for run 'nope'"):
        find_run("nope", results)


def test_traversals_have_one_row_per_latent_and_change_only_that_latent(run):
    observation = run.data.sample(1, np.random.default_rng(0))[1][0]
    grid = traversals(run.module, observation, num_steps=5, span=2.0)
    assert grid.shape == (3, 5, 1, 64, 64)
    assert np.isfinite(grid).all() and grid.min() >= 0 and grid.max() <= 1
    code = encode(run.module, observation[None])[0]
    code[1] = 2.0  # latent 1 at +2 prior sd, the others as encoded
    np.testing.assert_allclose(grid[1, -1], decode(run.module, code[None])[0], atol=1e-6)
    assert not np.allclose(grid[0, 0], grid[0, -1])


def test_interpolation_runs_from_one_reconstruction_to_the_other(run):
    observations = run.data.sample(2, np.random.default_rng(1))[1]
    path = interpolation(run.module, observations[0], observations[1], num_steps=7)
    assert path.shape == (7, 1, 64, 64)
    ends = reconstructions(run.module, observations)
    np.testing.assert_allclose(path[[0, -1]], ends, atol=1e-6)


def test_the_cli_draws_every_picture_into_the_run_folder(trained_run, tmp_path):
    main(["--run", trained_run.name, "--results", str(trained_run.parents[2]), "--points", "60",
          "--metrics", "tiny", "--config-dir", str(metrics_dir(tmp_path)),
          "--rotation-metrics", "mig"])  # fmt: skip
    folder = trained_run / VIZ_DIR
    for name in ("reconstructions", "traversals", "interpolation", "tsne", "rotation"):
        assert (folder / f"{name}.png").stat().st_size > 2000, name
    assert (folder / "rotation.csv").read_text().startswith("score,original,rotated,difference")


def test_a_rotated_code_scores_differently(tmp_path):
    data = FactorValueData((4, 5, 6))
    settings = evaluation_settings("tiny", config_dir=metrics_dir(tmp_path))
    settings = settings.replace(params={"mig": {"num_train": 2000}})
    scores = rotation_scores(data, lambda x: np.asarray(x, float), settings)
    assert scores.loc["mig", "original"] > 0.9
    assert scores.loc["mig", "rotated"] < scores.loc["mig", "original"] - 0.3
