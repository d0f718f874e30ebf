"""Likelihoods, the Gaussian KL and the training objectives of the study.

Reductions follow the reference (disentanglement_lib ``methods/unsupervised/vae.py`` and
``methods/shared/losses.py``): the reconstruction term is summed over pixels and the KL over
latents, then both are averaged over the batch. This keeps beta meaning what the paper means: a
per-pixel mean would silently divide the reconstruction by 4096 and so rescale beta.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from vae_study.errors import ConfigError


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log Bernoulli(x; sigmoid(logits)) summed over all but the batch axis, shape (n,).

    The reference's ``bernoulli_loss`` with ``activation="logits"`` and
    ``subtract_true_image_entropy=False``: sigmoid cross-entropy, valid for x in [0, 1].
    """
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def gaussian_nll(mean: torch.Tensor, x: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    """-log N(x; mean, sigma^2 I) without its constant, summed per observation, shape (n,).

    The decoder output is the mean itself (a linear output), for real-valued inputs:
    sum (x - mean)^2 / (2 sigma^2).
    """
    return (x - mean).pow(2).flatten(1).sum(1) / (2.0 * sigma**2)


class Likelihood(nn.Module):
    """The decoder's output distribution p(x | z): its negative log-likelihood and its mean."""

    def __init__(self, kind: str = "bernoulli", sigma: float = 1.0) -> None:
        super().__init__()
        if kind not in ("bernoulli", "gaussian"):
            raise ConfigError(
                f"model.likelihood must be 'bernoulli' or 'gaussian', got '{kind}'"
            )
        if sigma <= 0:
            raise ConfigError(f"model.likelihood_sigma must be positive, got {sigma}")
        self.kind = kind
        self.sigma = sigma

    def nll(self, decoded: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "bernoulli":
            return bernoulli_nll(decoded, x)
        return gaussian_nll(decoded, x, self.sigma)

    def mean(self, decoded: torch.Tensor) -> torch.Tensor:
        """The expected observation: sigmoid of the logits (Bernoulli) or the output (Gaussian)."""
        return torch.sigmoid(decoded) if self.kind == "bernoulli" else decoded


def gaussian_kl(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(log_var)) || N(0, I)) per latent dimension, shape (n, D).

    0.5 (mean^2 + exp(log_var) - log_var - 1), as in the reference's ``compute_gaussian_kl``.
    """
    return 0.5 * (mean.pow(2) + log_var.exp() - log_var - 1.0)


def reparameterize(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """z = mean + exp(log_var / 2) * eps with eps ~ N(0, I) (Kingma and Welling 2014)."""
    return mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)


@dataclass
class Forward:
    """What one pass of a VAE over a batch produced; objectives turn it into a loss."""

    x: torch.Tensor  # (n, C, H, W) observations
    mean: torch.Tensor  # (n, D)
    log_var: torch.Tensor  # (n, D)
    z: torch.Tensor  # (n, D) sampled code
    decoded: torch.Tensor  # decoder output: logits or Gaussian mean, shaped like x
    recon: torch.Tensor  # (n,) negative log-likelihood per observation
    kl: torch.Tensor  # (n, D) KL per observation and latent dimension


class Objective(nn.Module):
    """A training objective: maps a forward pass (and the step) to named loss terms.

    ``__call__`` returns a dict with at least ``loss`` (minimised), ``recon`` and ``kl``
    (batch means of the summed terms); every entry is logged.
    """

    def forward(self, out: Forward, step: int) -> dict[str, torch.Tensor]:
        raise NotImplementedError


def _check_non_negative(name: str, value: float) -> float:
    if value < 0:
        raise ConfigError(
            f"model.objective.{name} must be >= 0, got {value}; pick a value from model.strengths"
        )
    return float(value)


class BetaVAE(Objective):
    """beta-VAE (Higgins et al. 2017): recon + beta * KL. beta = 1 is the plain VAE."""

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        self.beta = _check_non_negative("beta", beta)

    def forward(self, out: Forward, step: int) -> dict[str, torch.Tensor]:
        recon = out.recon.mean()
        kl = out.kl.sum(1).mean()
        return {"loss": recon + self.beta * kl, "recon": recon, "kl": kl}
