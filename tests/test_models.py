"""The study's objectives, the hierarchical VAE and the autoencoder baseline."""

from __future__ import annotations

import math
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from torch.utils.data import DataLoader

from vae_study.build import build_module
from vae_study.config import compose_config
from vae_study.data.dsprites import DSprites
from vae_study.data.stream import BatchStream
from vae_study.errors import ConfigError
from vae_study.models.architectures import locatello_conv, mlp
from vae_study.models.autoencoder import Autoencoder
from vae_study.models.hierarchical import HierarchicalVAE
from vae_study.models.module import VAEModule
from vae_study.models.objectives import (
    DIPVAE,
    AnnealedVAE,
    AutoencoderObjective,
    BetaTCVAE,
    BetaVAE,
    FactorVAE,
    Forward,
    Likelihood,
    covariance_of_means,
    shuffle_codes,
    total_correlation,
)

CONF = Path(__file__).resolve().parents[1] / "conf"
ADAM = {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8}
# The grids of unsupervised_study_v1/sweep.py (docs/reference_protocol.md); ours:
# hierarchical_vae reuses the beta grid, autoencoder has L1 weights.
STUDY_GRIDS = {
    "beta_vae": ("beta", [1, 2, 4, 6, 8, 16]),
    "annealed_vae": ("c_max", [5, 10, 25, 50, 75, 100]),
    "factor_vae": ("gamma", [10, 20, 30, 40, 50, 100]),
    "dip_vae_i": ("lambda_od", [1, 2, 5, 10, 20, 50]),
    "dip_vae_ii": ("lambda_od", [1, 2, 5, 10, 20, 50]),
    "beta_tcvae": ("beta", [1, 2, 4, 6, 8, 10]),
    "hierarchical_vae": ("beta", [1, 2, 4, 6, 8, 16]),
    "autoencoder": ("l1", [0, 0.01, 0.1, 1, 10, 100]),
}


def small_mlp(num_latent):
    return mlp((1, 64, 64), num_latent, hidden=(64,), init="pytorch")


def forward_from(mean, log_var, z=None):
    n = len(mean)
    x = torch.zeros(n, 1, 2, 2)
    return Forward(
        x=x, mean=mean, log_var=log_var, z=mean if z is None else z, decoded=x,
        recon=torch.zeros(n), kl=torch.zeros_like(mean),
    )  # fmt: skip


def test_total_correlation_is_near_zero_for_independent_and_positive_for_correlated_codes():
    generator = torch.Generator().manual_seed(0)
    n = 2000
    means = torch.randn(n, 2, generator=generator)
    log_var = torch.full((n, 2), math.log(0.25))
    z = means + 0.5 * torch.randn(n, 2, generator=generator)
    independent = total_correlation(z, means, log_var)
    correlated_means = torch.stack([means[:, 0], means[:, 0]], 1)
    z_correlated = correlated_means + 0.5 * torch.randn(n, 2, generator=generator)
    correlated = total_correlation(z_correlated, correlated_means, log_var)
    # aggregate posterior N(0, 1.25 I) vs correlation 0.8: TC = -0.5 log(1 - 0.64) = 0.51 nats
    assert abs(independent.item()) < 0.05
    assert correlated.item() == pytest.approx(0.51, abs=0.08)


def test_dip_penalties_vanish_on_an_identity_covariance():
    generator = torch.Generator().manual_seed(0)
    raw = torch.randn(256, 4, generator=generator)
    centred = raw - raw.mean(0)
    whitened = centred @ torch.linalg.inv(torch.linalg.cholesky(covariance_of_means(centred))).T
    torch.testing.assert_close(covariance_of_means(whitened), torch.eye(4), atol=1e-5, rtol=0)
    out = forward_from(whitened, torch.full_like(whitened, -30.0))
    assert DIPVAE(10.0, 10.0, "i")(out, 0)["dip_penalty"].item() == pytest.approx(0, abs=1e-8)
    half = forward_from(whitened * math.sqrt(0.5), torch.full_like(whitened, math.log(0.5)))
    assert DIPVAE(10.0, 1.0, "ii")(half, 0)["dip_penalty"].item() == pytest.approx(0, abs=1e-8)
    assert DIPVAE(10.0, 1.0, "i")(half, 0)["dip_penalty"].item() == pytest.approx(10 * 4 * 0.25)


def test_factor_vae_shuffle_keeps_each_marginal_and_breaks_the_dependence():
    generator = torch.Generator().manual_seed(0)
    base = torch.randn(512, 1, generator=generator)
    z = torch.cat([base, base, 2 * base], 1)  # perfectly dependent dimensions
    torch.manual_seed(1)
    shuffled = shuffle_codes(z)
    torch.testing.assert_close(shuffled.sort(0).values, z.sort(0).values)
    correlation = torch.corrcoef(shuffled.T)
    assert correlation[0, 1].abs() < 0.2 and correlation[0, 2].abs() < 0.2


def test_factor_vae_discriminator_terms_and_gradients():
    torch.manual_seed(0)
    composed = compose_config(["model=factor_vae", "train.num_latent=3"])
    objective = instantiate(composed.model.objective, _convert_="all")
    mean = torch.randn(16, 3, requires_grad=True)
    terms = objective(forward_from(mean, torch.zeros(16, 3)), 0)
    assert 0 <= terms["discriminator_accuracy"].item() <= 1
    assert terms["adversary_loss"].item() == pytest.approx(math.log(2), abs=0.1)  # untrained
    # the model's loss moves the codes but not the discriminator; the adversary's the reverse
    terms["loss"].backward(retain_graph=True)
    assert mean.grad is not None and mean.grad.abs().sum() > 0
    assert all(p.grad is None for p in objective.discriminator.parameters())
    mean.grad = None
    terms["adversary_loss"].backward()
    assert mean.grad is None
    assert all(p.grad is not None for p in objective.discriminator.parameters())
    [group] = objective.parameter_groups()
    assert group["betas"] == (0.5, 0.9) and group["lr"] == 1e-4


@pytest.mark.parametrize(("step", "expected"), [(0, 0.0), (50_000, 12.5), (100_000, 25.0),
                                                (200_000, 25.0)])  # fmt: skip
def test_annealed_capacity_schedule(step, expected):
    objective = AnnealedVAE(c_max=25.0, gamma=1000.0, iteration_threshold=100_000)
    assert objective.capacity(step) == pytest.approx(expected)
    kl = torch.full((4, 2), 10.0)  # KL 20 per observation
    out = forward_from(torch.zeros(4, 2), torch.zeros(4, 2))
    out.kl = kl
    assert objective(out, step)["loss"].item() == pytest.approx(1000 * abs(20 - expected))


def test_hierarchical_with_one_layer_is_the_flat_vae():
    x = torch.from_numpy(BatchStream(DSprites(), 16, seed=0).batch(0))
    torch.manual_seed(3)
    flat = VAEModule(small_mlp, 10, Likelihood(), BetaVAE(4.0), ADAM)
    torch.manual_seed(3)
    deep = HierarchicalVAE(small_mlp, 10, Likelihood(), BetaVAE(4.0), ADAM, latent_widths=[10])
    torch.manual_seed(5)
    flat_terms = flat.objective(flat.forward_pass(x), 0)
    torch.manual_seed(5)
    deep_terms = deep.objective(deep.forward_pass(x), 0)
    for name in ("loss", "recon", "kl"):
        torch.testing.assert_close(flat_terms[name], deep_terms[name], rtol=0, atol=0)


def test_hierarchical_layers_representations_and_lower_kl():
    x = torch.from_numpy(BatchStream(DSprites(), 8, seed=0).batch(0))
    torch.manual_seed(0)
    model = HierarchicalVAE(
        small_mlp, 10, Likelihood(), BetaVAE(1.0), ADAM, latent_widths=[12, 6, 4], hidden=32
    )
    out = model.forward_pass(x)
    assert out.z.shape == (8, 4) and len(out.kl_lower) == 2
    assert set(model.diagnostics(out)) == {"kl_layer/1", "kl_layer/2", "kl_layer/3"}
    model.representation = "all"
    assert model.encode(x).shape == (8, 22)
    model.representation = "bottom"
    assert model.encode(x).shape == (8, 12)
    with pytest.raises(ConfigError, match="representation"):
        HierarchicalVAE(small_mlp, 10, Likelihood(), BetaVAE(1.0), ADAM, representation="middle")


def test_autoencoder_tied_weights_share_parameters_and_noise_corrupts():
    torch.manual_seed(0)
    model = Autoencoder(
        small_mlp, 5, Likelihood(), AutoencoderObjective(0.1), ADAM,
        noise="masking", noise_level=0.5, tie_weights=True,
    )  # fmt: skip
    x = torch.ones(4, 1, 64, 64)
    assert 0.4 < (model.corrupt(x) == 0).float().mean() < 0.6
    z = torch.randn(2, 5)
    before = model.decoder(z)
    with torch.no_grad():
        model.encoder.trunk[1].weight.mul_(2.0)  # the first encoder layer is the last decoder's
    assert not torch.allclose(before, model.decoder(z))
    decoder_weights = [n for n, _ in model.decoder.named_parameters() if n.endswith("weight")]
    assert decoder_weights == []  # the decoder owns only biases
    with pytest.raises(ConfigError, match="arch=mlp"):
        Autoencoder(
            lambda d: locatello_conv((1, 64, 64), d, init="reference"), 5, Likelihood(),
            AutoencoderObjective(), ADAM, tie_weights=True,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        (lambda: AnnealedVAE(c_max=-1.0, gamma=1.0, iteration_threshold=1), "c_max"),
        (
            lambda: FactorVAE(
                gamma=-1.0, num_latent=3, discriminator_optimizer={}, discriminator_init="pytorch"
            ),
            "gamma",
        ),
        (lambda: DIPVAE(-1.0, 10.0), "lambda_od"),
        (lambda: DIPVAE(1.0, 1.0, "iii"), "dip_type"),
        (lambda: BetaTCVAE(beta=-1.0), "beta"),
        (lambda: AutoencoderObjective(l1=-1.0), "l1"),
    ],
)
def test_negative_strengths_are_config_errors(objective, message):
    with pytest.raises(ConfigError, match=message):
        objective()


def compose_model(name, strength, *extra):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(
            "train",
            overrides=[f"model={name}", f"model.strength={strength}", "arch=mlp",
                       "arch.hidden=[32]", *extra],
        )  # fmt: skip


@pytest.mark.parametrize("name", sorted(STUDY_GRIDS))
def test_every_model_config_builds_at_every_strength_with_the_study_grid(name):
    key, grid = STUDY_GRIDS[name]
    cfg = compose_model(name, 0)
    assert list(cfg.model.strengths) == grid
    for strength in range(6):
        cfg.model.strength = strength  # what model.strength=<i> sets; the objective reads it
        module = build_module(cfg, (1, 64, 64))
        assert getattr(module.objective, key) == grid[strength]
        assert module.encode(torch.zeros(2, 1, 64, 64)).shape == (2, cfg.train.num_latent)


def test_the_vae_config_is_beta_one():
    module = build_module(compose_model("vae", 0), (1, 64, 64))
    assert isinstance(module.objective, BetaVAE) and module.objective.beta == 1.0


@pytest.mark.parametrize("name", sorted(STUDY_GRIDS))
def test_a_few_dozen_steps_lower_each_models_loss(name):
    strength = 2
    cfg = compose_model(name, strength, "train.optimizer.lr=1e-3")
    L.seed_everything(0, verbose=False)
    module = build_module(cfg, (1, 64, 64))
    trainer = L.Trainer(
        accelerator="cpu", max_steps=60, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip
    losses = []

    class Record(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            losses.append(float(outputs["loss"]))

    trainer.callbacks.append(Record())
    trainer.fit(module, DataLoader(BatchStream(DSprites(), 32, seed=1), batch_size=None))
    first, last = np.mean(losses[:10]), np.mean(losses[-10:])
    assert last < 0.9 * first, (first, last)
