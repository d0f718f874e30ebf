"""Likelihoods, the KL, the beta-VAE objective and the study's architecture."""

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from vae_study.errors import ConfigError
from vae_study.models.architectures import locatello_conv, mlp
from vae_study.models.objectives import (
    BetaVAE,
    Forward,
    Likelihood,
    bernoulli_nll,
    gaussian_kl,
    gaussian_nll,
)


def test_kl_matches_torch_distributions():
    generator = torch.Generator().manual_seed(0)
    mean = torch.randn(32, 10, generator=generator) * 2
    log_var = torch.randn(32, 10, generator=generator)
    expected = kl_divergence(Normal(mean, torch.exp(0.5 * log_var)), Normal(0.0, 1.0))
    torch.testing.assert_close(gaussian_kl(mean, log_var), expected)


def test_bernoulli_nll_hand_computed():
    logits = torch.tensor([[[[0.0, 2.0]]]])  # one observation of two pixels
    x = torch.tensor([[[[1.0, 0.0]]]])
    expected = math.log(2.0) + math.log(1.0 + math.exp(2.0))  # -log 0.5 - log(1 - sigmoid(2))
    torch.testing.assert_close(bernoulli_nll(logits, x), torch.tensor([expected]))


def test_gaussian_nll_hand_computed():
    mean = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    x = torch.tensor([[1.0, 0.0, 4.0], [1.0, 1.0, 1.0]])
    torch.testing.assert_close(gaussian_nll(mean, x), torch.tensor([2.5, 1.5]))
    torch.testing.assert_close(gaussian_nll(mean, x, sigma=0.5), torch.tensor([10.0, 6.0]))
    # it is -log N(x; mean, sigma^2) up to the constant 0.5 * d * log(2 pi sigma^2)
    reference = -Normal(mean, 0.5).log_prob(x).sum(1) - 1.5 * math.log(2 * math.pi * 0.25)
    torch.testing.assert_close(gaussian_nll(mean, x, sigma=0.5), reference)


def forward(beta_batch=8, latent=4, seed=0):
    generator = torch.Generator().manual_seed(seed)
    mean = torch.randn(beta_batch, latent, generator=generator)
    log_var = torch.randn(beta_batch, latent, generator=generator)
    x = torch.rand(beta_batch, 1, 4, 4, generator=generator)
    decoded = torch.randn(beta_batch, 1, 4, 4, generator=generator)
    return Forward(
        x=x,
        mean=mean,
        log_var=log_var,
        z=mean,
        decoded=decoded,
        recon=bernoulli_nll(decoded, x),
        kl=gaussian_kl(mean, log_var),
    )


def test_beta_vae_sums_over_pixels_and_latents_and_averages_over_the_batch():
    out = forward()
    terms = BetaVAE(beta=4.0)(out, step=0)
    recon = torch.nn.functional.binary_cross_entropy_with_logits(
        out.decoded, out.x, reduction="sum"
    ) / len(out.x)
    kl = out.kl.sum() / len(out.x)
    torch.testing.assert_close(terms["recon"], recon)
    torch.testing.assert_close(terms["kl"], kl)
    torch.testing.assert_close(terms["loss"], recon + 4.0 * kl)


def test_beta_zero_is_the_reconstruction_loss():
    out = forward(seed=3)
    terms = BetaVAE(beta=0.0)(out, step=0)
    torch.testing.assert_close(terms["loss"], out.recon.mean())


def test_invalid_settings_raise_config_errors():
    with pytest.raises(ConfigError, match="beta must be >= 0"):
        BetaVAE(beta=-1.0)
    with pytest.raises(ConfigError, match=r"model\.likelihood"):
        Likelihood("poisson")


def test_locatello_conv_shapes_and_size():
    encoder, decoder = locatello_conv((3, 64, 64), 10, init="reference")
    x = torch.rand(5, 3, 64, 64)
    mean, log_var = encoder(x)
    assert mean.shape == log_var.shape == (5, 10)
    assert decoder(mean).shape == (5, 3, 64, 64)
    convs = [m for m in encoder.trunk if isinstance(m, torch.nn.Conv2d)]
    assert [c.kernel_size for c in convs] == [(4, 4), (4, 4), (2, 2), (2, 2)]
    assert [c.out_channels for c in convs] == [32, 32, 64, 64]
    parameters = sum(p.numel() for p in [*encoder.parameters(), *decoder.parameters()])
    encoder_count = (3 * 32 * 16 + 32) + (32 * 32 * 16 + 32) + (32 * 64 * 4 + 64)
    encoder_count += (64 * 64 * 4 + 64) + (1024 * 256 + 256) + 2 * (256 * 10 + 10)
    decoder_count = (10 * 256 + 256) + (256 * 1024 + 1024) + (64 * 64 * 16 + 64)
    decoder_count += (64 * 32 * 16 + 32) + (32 * 32 * 16 + 32) + (32 * 3 * 16 + 3)
    assert parameters == encoder_count + decoder_count == 692_567
    with pytest.raises(ConfigError, match="64x64"):
        locatello_conv((1, 28, 28), 10, init="reference")


def test_mlp_shapes():
    encoder, decoder = mlp((1, 28, 28), 6, hidden=(32, 16), init="pytorch")
    mean, _ = encoder(torch.rand(3, 1, 28, 28))
    assert mean.shape == (3, 6)
    assert decoder(mean).shape == (3, 1, 28, 28)
