"""Classical baselines (PCA, ICA, sparse coding) and the linear-mixture data set."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hydra.utils import instantiate
from sklearn.decomposition import MiniBatchDictionaryLearning

from vae_study.build import build_data
from vae_study.config import compose_config
from vae_study.data.dsprites import DSprites
from vae_study.data.linear_mixture import LinearMixture
from vae_study.metrics import compute_dci, compute_mig
from vae_study.models.baselines import check_baseline, fit_baseline


def fitted(model: str, dataset: str = "linear_mixture", *overrides: str):
    cfg = compose_config([f"model={model}", f"dataset={dataset}", *overrides])
    data = build_data(cfg)
    estimator = instantiate(cfg.model.estimator)
    check_baseline(estimator, data.observation_shape, cfg.model.fit_samples)
    fitted, final = fit_baseline(estimator, data, cfg.model.fit_samples, np.random.default_rng(0))
    return data, fitted, final


def scores(data, fitted):
    represent = fitted.represent
    mig = compute_mig(data, represent, np.random.default_rng(1), num_train=3000)["mig"]
    dci = compute_dci(data, represent, np.random.default_rng(2), num_train=300, num_test=200,
                      gbt_backend="exact")["dci.disentanglement"]  # fmt: skip
    return mig, dci


def test_ica_recovers_the_sources_of_a_linear_mixture_and_pca_does_not():
    data, ica, _ = fitted("ica", "linear_mixture", "dataset.levels=5")
    ica_mig, ica_dci = scores(data, ica)
    _, pca, _ = fitted("pca", "linear_mixture", "dataset.levels=5")
    pca_mig, pca_dci = scores(data, pca)
    assert ica_mig > 0.7 and ica_dci > 0.7
    assert ica_mig > pca_mig + 0.4 and ica_dci > pca_dci + 0.4


def test_ica_on_dsprites_gives_unit_variance_codes_despite_its_constant_pixels():
    data, ica, final = fitted("ica", "dsprites", "model.strength=0")
    assert final["constant_inputs"] > 0  # the corner pixels never light up
    _, observations = data.sample(1000, np.random.default_rng(5))
    codes = ica.represent(observations)
    assert codes.shape == (1000, 10)
    np.testing.assert_allclose(codes.std(0), 1.0, atol=0.2)


def test_sparse_codes_are_sparse_for_a_large_alpha():
    short = ["model.fit_samples=1000", "model.estimator.max_iter=5"]
    _, _, small_final = fitted("sparse_coding", "linear_mixture", "model.strength=0", *short)
    _, large, large_final = fitted("sparse_coding", "linear_mixture", "model.strength=5", *short)
    assert isinstance(large.estimator, MiniBatchDictionaryLearning)
    assert large.estimator.alpha == 3.0
    assert large_final["code_zero_fraction"] > 0.5
    assert large_final["code_zero_fraction"] > small_final["code_zero_fraction"]


class CountingData:
    """A data set that counts the observations drawn from it."""

    def __init__(self, data):
        self.data, self.drawn = data, 0
        self.observation_shape = data.observation_shape

    def sample(self, n, rng):
        self.drawn += n
        return self.data.sample(n, rng)


def test_fitting_draws_only_fit_samples_observations():
    counting = CountingData(DSprites())
    cfg = compose_config(["model=pca", "model.strength=0"])
    estimator = instantiate(cfg.model.estimator)
    fitted, final = fit_baseline(
        estimator, counting, cfg.model.fit_samples, np.random.default_rng(0)
    )
    assert counting.drawn == cfg.model.fit_samples == 500
    varying = int(fitted.varying.sum())
    assert 0 < varying < 64 * 64 and final["constant_inputs"] == 64 * 64 - varying
    assert estimator.components_.shape == (10, varying)


def test_linear_mixture_is_a_linear_image_of_its_sources():
    data = LinearMixture(num_factors=3, levels=5, dim=6, noise=0.0)
    factors = np.array([[0, 2, 4], [4, 4, 4]])
    x = data.sample_observations_from_factors(factors, np.random.default_rng(0))
    expected = np.array([[-1, 0, 1], [1, 1, 1]]) @ data.mixing.T
    np.testing.assert_allclose(x, expected, rtol=1e-5)
    assert data.observation_shape == (6,) and data.factor_sizes == (5, 5, 5)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model=pca", "train.num_latent=30"], "n_components must lie in 1..20"),
        (["model=sparse_coding", "model.strengths=[-1,1,1,1,1,1]"], "must be >= 0"),
        (["model=sparse_coding", "model.estimator.alpha=-0.5"], "model.estimator.alpha"),
    ],
)
def test_invalid_baseline_settings_stop_with_one_line(cli, overrides, message):
    result = cli("dataset=linear_mixture", "metrics=none", "logger=none", *overrides)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_a_baseline_record_has_the_same_metric_keys_as_a_vae(cli):
    common = ["dataset=linear_mixture", "metrics=quick", "metrics.names=[mig,modularity]",
              "metrics.n_jobs=1", "logger=none", "study.name=keys"]  # fmt: skip
    vae = cli(*common, "arch=mlp", "arch.hidden=[32]", "model.likelihood=gaussian",
              "train.steps=5", "trainer.enable_progress_bar=false")  # fmt: skip
    ica = cli(*common, "model=ica", "model.strength=0")
    assert vae.returncode == 0 and ica.returncode == 0, vae.stderr + ica.stderr
    found = {json.loads(p.read_text())["config"]["model"]["name"]: json.loads(p.read_text())
             for p in cli.results.glob("keys/runs/*/record.json")}  # fmt: skip
    assert set(found) == {"beta_vae", "ica"}
    assert set(found["ica"]["metrics"]) == set(found["beta_vae"]["metrics"])
    assert found["ica"]["status"] == "done" and found["ica"]["train"]["fit_samples"] == 500
