"""The study's composed settings are the reference's, written out here from disentanglement_lib
(``config/unsupervised_study_v1/``: ``model_configs/shared.gin``, ``sweep.py`` and
``metric_configs/*.gin``), so that an edit of ``conf/`` that moves the protocol away from the
paper fails here, not only in :mod:`vae_study.protocol` (which judges runs against ``conf/``).
"""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from vae_study.config import compose_config

TRAINING = {  # shared.gin
    "train.batch_size": 64,  # model.batch_size
    "train.num_latent": 10,  # encoder.num_latent
    "train.optimizer.lr": 1e-4,  # vae/AdamOptimizer
    "train.optimizer.betas": [0.9, 0.999],
    "train.optimizer.eps": 1e-8,
    "model.likelihood": "bernoulli",  # reconstruction_loss.loss_fn = @bernoulli_loss
    "arch.name": "locatello_conv",  # @conv_encoder, @deconv_decoder
    "arch.init": "reference",  # tf.layers' defaults: Glorot-uniform kernels, zero biases
}
GLOBAL_STEPS = 300_000  # model.training_steps
MODELS = {  # sweep.py, get_default_models: the swept key, its grid and the fixed values
    "beta_vae": ("beta", [1.0, 2.0, 4.0, 6.0, 8.0, 16.0], {}),
    "annealed_vae": ("c_max", [5.0, 10.0, 25.0, 50.0, 75.0, 100.0],
                     {"iteration_threshold": 100_000, "gamma": 1000.0}),
    "factor_vae": ("gamma", [10.0, 20.0, 30.0, 40.0, 50.0, 100.0],
                   {"discriminator_optimizer": {"lr": 1e-4, "betas": [0.5, 0.9], "eps": 1e-8},
                    "discriminator_init": "reference"}),
    "dip_vae_i": ("lambda_od", [1.0, 2.0, 5.0, 10.0, 20.0, 50.0],
                  {"lambda_d_factor": 10.0, "dip_type": "i"}),
    "dip_vae_ii": ("lambda_od", [1.0, 2.0, 5.0, 10.0, 20.0, 50.0],
                   {"lambda_d_factor": 1.0, "dip_type": "ii"}),
    "beta_tcvae": ("beta", [1.0, 2.0, 4.0, 6.0, 8.0, 10.0], {}),
}  # fmt: skip
METRICS = {  # metric_configs/*.gin; evaluation.random_seed = 0 in every one
    "beta_vae": {"batch_size": 64, "num_train": 10_000, "num_eval": 5000},
    "factor_vae": {"batch_size": 64, "num_train": 10_000, "num_eval": 5000,
                   "num_variance_estimate": 10_000, "prune_threshold": 0.05},
    "mig": {"num_train": 10_000, "num_bins": 20},
    "dci": {"num_train": 10_000, "num_test": 5000},
    "modularity": {"num_train": 10_000, "num_test": 5000, "num_bins": 20},
    "sap": {"num_train": 10_000, "num_test": 5000},
    "downstream_lr": {"num_train": [10, 100, 1000, 10_000], "num_test": 5000},
    "downstream_gbt": {"num_train": [10, 100, 1000, 10_000], "num_test": 5000},
    "unsupervised": {"num_train": 10_000, "num_bins": 20},
}  # fmt: skip


@pytest.mark.parametrize("model", list(MODELS))
def test_every_model_of_the_study_trains_as_the_reference(model):
    key, grid, fixed = MODELS[model]
    cfg = compose_config([f"model={model}", "model.strength=3", "metrics=study"])
    for dotted, value in TRAINING.items():
        found = OmegaConf.select(cfg, dotted)
        assert (OmegaConf.to_container(found) if OmegaConf.is_config(found) else found) == value
    per_iteration = cfg.model.get("global_steps_per_iteration", 1)
    assert cfg.train.steps * per_iteration == GLOBAL_STEPS
    assert list(cfg.model.strengths) == grid and cfg.model.objective[key] == grid[3]
    objective = OmegaConf.to_container(cfg.model.objective, resolve=True)
    for name, value in fixed.items():
        assert objective[name] == value, name


def test_the_study_scores_as_the_reference():
    metrics = compose_config(["metrics=study"]).metrics
    assert metrics.seed == 0 and not metrics.share_samples  # fresh draws per metric, seed 0
    assert metrics.gbt_backend in ("exact", "sklearn")  # GradientBoostingClassifier()'s trees
    for name, params in METRICS.items():
        assert name in metrics.names
        for key, value in params.items():
            assert OmegaConf.to_container(metrics.params[name])[key] == value, (name, key)
