"""The hierarchical VAE's loss is the negative ELBO of its generative chain, term by term.

For L = 3 latent layers the loss (beta = 1) is compared with a direct evaluation of
log p(x | h1) + log p(h1 | h2) + log p(h2 | h3) + log p(h3) - log q(h1 | x) - log q(h2 | h1)
- log q(h3 | h2) on samples of the same posterior, written with ``torch.distributions``: they
agree exactly on the same samples when the top layer's KL is taken in closed form on both
sides, and to Monte-Carlo error when it is sampled here. An importance-weighted bound (Burda et
al. 2016) with many samples lies above the ELBO.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from vae_study.models.architectures import mlp
from vae_study.models.hierarchical import HierarchicalVAE
from vae_study.models.objectives import BetaVAE, Likelihood

ADAM = {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8}
WIDTHS = [8, 6, 4]
SAMPLES = 200
SHAPE = (1, 8, 8)


def model() -> HierarchicalVAE:
    torch.manual_seed(0)
    return HierarchicalVAE(
        lambda d: mlp(SHAPE, d, hidden=(32,), init="pytorch"), WIDTHS[0], Likelihood(),
        BetaVAE(1.0), ADAM, latent_widths=WIDTHS, hidden=16,
    )  # fmt: skip


def observations(n: int, seed: int) -> torch.Tensor:
    """Binary images (n, 1, 8, 8): the Bernoulli likelihood's domain."""
    rng = np.random.default_rng(seed)
    return torch.from_numpy((rng.random((n, *SHAPE)) < 0.3).astype(np.float32))


def gaussian(mean: torch.Tensor, log_var: torch.Tensor) -> Normal:
    return Normal(mean, torch.exp(0.5 * log_var))


@torch.no_grad()
def log_weights(vae: HierarchicalVAE, x: torch.Tensor, *, closed_top: bool = False) -> torch.Tensor:
    """log p(x, h) - log q(h | x) for one h ~ q(h | x) per observation, (n,): the chain written
    out with torch.distributions, independently of the module's loss. Each layer's noise is
    ``torch.randn_like`` in the chain's order, so under one seed it is the module's sample.
    ``closed_top``: log p(h^L) - log q(h^L | h^{L-1}) replaced by its expectation, -KL(q || N(0,
    I)), as the module's loss has it."""
    q = [gaussian(*vae.encoder(x))]
    h = [q[0].mean + q[0].stddev * torch.randn_like(q[0].mean)]
    for layer in vae.up:
        q.append(gaussian(*layer(h[-1])))
        h.append(q[-1].mean + q[-1].stddev * torch.randn_like(q[-1].mean))
    prior = Normal(torch.zeros_like(h[-1]), torch.ones_like(h[-1]))
    sampled = len(q) - 1 if closed_top else len(q)  # the layers whose log q is sampled
    log_q = sum(q[level].log_prob(h[level]).sum(1) for level in range(sampled))
    if closed_top:
        log_p = -kl_divergence(q[-1], prior).sum(1)
    else:
        log_p = prior.log_prob(h[-1]).sum(1)
    for level, layer in enumerate(vae.down):
        log_p = log_p + gaussian(*layer(h[level + 1])).log_prob(h[level]).sum(1)
    log_p = log_p + Bernoulli(logits=vae.decoder(h[0])).log_prob(x).flatten(1).sum(1)
    return log_p - log_q


@torch.no_grad()
def negative_elbo_terms(vae: HierarchicalVAE, x: torch.Tensor) -> torch.Tensor:
    """The module's own loss per observation, (n,): reconstruction and every KL-like term."""
    out = vae.forward_pass(x)
    return out.recon + out.kl.sum(1) + sum(out.kl_lower)


def test_on_the_same_samples_the_loss_is_the_chain_evaluated_directly():
    vae, x = model(), observations(64, seed=1)
    torch.manual_seed(5)
    loss = negative_elbo_terms(vae, x)
    torch.manual_seed(5)
    direct = -log_weights(vae, x, closed_top=True)
    torch.testing.assert_close(loss, direct, rtol=1e-5, atol=1e-4)
    torch.manual_seed(6)
    assert (negative_elbo_terms(vae, x) - loss).abs().max() > 1e-2  # the samples do matter


def test_the_loss_is_the_negative_elbo_of_the_chain():
    vae, x = model(), observations(64, seed=1)
    with torch.no_grad():
        losses = torch.stack([vae.objective(vae.forward_pass(x), 0)["loss"]
                              for _ in range(SAMPLES)])  # fmt: skip
    elbos = torch.stack([log_weights(vae, x).mean() for _ in range(SAMPLES)])
    error = math.sqrt(losses.var() / SAMPLES + elbos.var() / SAMPLES)
    assert abs(losses.mean() + elbos.mean()) < 4 * error, (losses.mean(), elbos.mean(), error)


def test_an_importance_weighted_bound_lies_above_the_models_elbo():
    vae, x = model(), observations(16, seed=2)
    weights = torch.stack([log_weights(vae, x) for _ in range(SAMPLES)])  # (K, n)
    iwae = torch.logsumexp(weights, 0) - math.log(SAMPLES)
    losses = torch.stack([negative_elbo_terms(vae, x) for _ in range(SAMPLES)])  # (K, n)
    elbo, error = -losses.mean(0), losses.std(0) / math.sqrt(SAMPLES)
    assert torch.all(iwae > elbo - 3 * error)
    assert float((iwae - elbo).mean()) > 10 * float(error.mean())
