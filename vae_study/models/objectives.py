"""Likelihoods, the Gaussian KL and the training objectives of the study.

Reductions follow the reference (disentanglement_lib ``methods/unsupervised/vae.py`` and
``methods/shared/losses.py``): the reconstruction term is summed over pixels and the KL over
latents, then both are averaged over the batch. This keeps beta meaning what the paper means: a
per-pixel mean would silently divide the reconstruction by 4096 and so rescale beta.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from vae_study.errors import ConfigError
from vae_study.models.architectures import initialise


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
            raise ConfigError(f"model.likelihood must be 'bernoulli' or 'gaussian', got '{kind}'")
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


def reparameterize(
    mean: torch.Tensor, log_var: torch.Tensor, eps: torch.Tensor | None = None
) -> torch.Tensor:
    """z = mean + exp(log_var / 2) * eps with eps ~ N(0, I) (Kingma and Welling 2014).

    ``eps`` is drawn from the global generator unless given (a packed member's own noise).
    """
    if eps is None:
        eps = torch.randn_like(mean)
    return mean + torch.exp(0.5 * log_var) * eps


@dataclass
class Forward:
    """What one pass of a VAE over a batch produced; objectives turn it into a loss."""

    x: torch.Tensor  # (n, C, H, W) observations
    mean: torch.Tensor  # (n, D)
    log_var: torch.Tensor  # (n, D)
    z: torch.Tensor  # (n, D) sampled code
    decoded: torch.Tensor  # decoder output: logits or Gaussian mean, shaped like x
    recon: torch.Tensor  # (n,) negative log-likelihood per observation
    kl: torch.Tensor  # (n, D) closed-form KL of the top latent layer to N(0, I)
    # Hierarchical models: one (n,) single-sample estimate of log q(h^l|.) - log p(h^l|h^l+1)
    # per lower layer l = 1 .. L-1 (empty for a flat VAE).
    kl_lower: list[torch.Tensor] = field(default_factory=list)

    def total_kl(self) -> torch.Tensor:
        """Every KL-like term, summed over dimensions and layers, averaged over the batch."""
        kl = self.kl.sum(1).mean()
        for term in self.kl_lower:
            kl = kl + term.mean()
        return kl


Hyperparameters = Mapping[str, "float | torch.Tensor"]


class Objective(nn.Module):
    """A training objective: named loss terms of a forward pass, given its hyperparameters.

    An objective states its numeric hyperparameters at a step (:meth:`hyperparameters`) and its
    terms as a function of a forward pass and those values (:meth:`terms`). The single run calls
    ``terms`` with Python floats; a pack (:mod:`vae_study.packed`) maps the very same ``terms``
    over its members with one tensor per hyperparameter, so every objective without parameters
    of its own is packable as written.

    ``terms`` returns a dict with at least ``loss`` (the model's objective), ``recon`` and ``kl``
    (batch means of the summed terms); every entry is logged. An objective with an adversary
    (FactorVAE) also returns ``adversary_loss``, minimised by the adversary's own parameter
    group (:meth:`parameter_groups`) in the same optimiser step.
    """

    def hyperparameters(self, step: int) -> dict[str, float]:
        """The numbers the objective's terms depend on at training step ``step``."""
        return {}

    def terms(self, out: Forward, hp: Hyperparameters) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def forward(self, out: Forward, step: int) -> dict[str, torch.Tensor]:
        return self.terms(out, self.hyperparameters(step))

    def parameter_groups(self) -> list[dict]:
        """Extra optimiser parameter groups (with their own Adam settings) for this objective."""
        return []

    def packing_key(self) -> tuple:
        """Settings other than the hyperparameters that change the formula (DIP-VAE's type):
        members of one pack must agree on them."""
        return ()


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

    def hyperparameters(self, step: int) -> dict[str, float]:
        return {"beta": self.beta}

    def terms(self, out: Forward, hp: Hyperparameters) -> dict[str, torch.Tensor]:
        recon = out.recon.mean()
        kl = out.total_kl()
        return {"loss": recon + hp["beta"] * kl, "recon": recon, "kl": kl}


class AnnealedVAE(Objective):
    """AnnealedVAE (Burgess et al. 2018, Eq. 8): recon + gamma * |KL - C|.

    The capacity C grows linearly from 0 to ``c_max`` over ``iteration_threshold`` steps, then
    stays (the reference's ``anneal``: C = min(c_max, c_max * step / iteration_threshold)).
    """

    def __init__(self, c_max: float, *, gamma: float, iteration_threshold: int):
        super().__init__()
        self.c_max = _check_non_negative("c_max", c_max)
        self.gamma = _check_non_negative("gamma", gamma)
        if iteration_threshold <= 0:
            raise ConfigError(
                f"model.objective.iteration_threshold must be positive, got {iteration_threshold}"
            )
        self.iteration_threshold = iteration_threshold

    def capacity(self, step: int) -> float:
        return min(self.c_max, self.c_max * step / self.iteration_threshold)

    def hyperparameters(self, step: int) -> dict[str, float]:
        return {"gamma": self.gamma, "capacity": self.capacity(step)}

    def terms(self, out: Forward, hp: Hyperparameters) -> dict[str, torch.Tensor]:
        recon = out.recon.mean()
        kl = out.total_kl()
        loss = recon + hp["gamma"] * (kl - hp["capacity"]).abs()
        capacity = torch.zeros_like(kl) + hp["capacity"]
        return {"loss": loss, "recon": recon, "kl": kl, "capacity": capacity}


def shuffle_codes(z: torch.Tensor) -> torch.Tensor:
    """Permute each latent dimension independently across the batch (FactorVAE, Alg. 2).

    The result has the same marginal in every dimension as ``z`` but independent dimensions: a
    sample of prod_j q(z_j).
    """
    n, d = z.shape
    order = torch.argsort(torch.rand(n, d, device=z.device), dim=0)  # one permutation per column
    return torch.gather(z, 0, order)


def fc_discriminator(
    num_latent: int, width: int = 1000, depth: int = 6, *, init: str
) -> nn.Sequential:
    """The reference's ``fc_discriminator``: 6 dense layers of 1000 with leaky ReLU, 2 logits,
    initialised as ``init`` (:mod:`vae_study.models.architectures`: the reference's TF1 defaults
    are Glorot-uniform kernels and zero biases)."""
    layers: list[nn.Module] = []
    features = num_latent
    for _ in range(depth):
        layers += [nn.Linear(features, width), nn.LeakyReLU(0.2)]
        features = width
    layers.append(nn.Linear(features, 2))
    discriminator = nn.Sequential(*layers)
    initialise([discriminator], init)
    return discriminator


class FactorVAE(Objective):
    """FactorVAE (Kim and Mnih 2018, Eq. 2): recon + KL + gamma * TC, TC from a discriminator.

    TC is estimated as the batch mean of logit_0 - logit_1 of a discriminator that tells codes
    ``z`` (class 0) from codes shuffled per dimension (class 1). As in the reference
    (``vae.py: FactorVAE``), the discriminator sees the same batch, its loss is
    -(0.5 E log p_0(z) + 0.5 E log p_1(shuffled z)), and both parts are updated in the same step
    from the same parameters: the VAE group with the VAE's Adam, the discriminator group with its
    own (``discriminator_optimizer``: the reference's discriminator Adam). The TC term moves only
    the encoder (the discriminator's parameters are held fixed in it) and the discriminator loss
    moves only the discriminator.
    """

    def __init__(
        self,
        gamma: float,
        *,
        num_latent: int,
        discriminator_optimizer: Mapping[str, Any],
        discriminator_init: str,
    ) -> None:
        super().__init__()
        self.gamma = _check_non_negative("gamma", gamma)
        self.discriminator = fc_discriminator(num_latent, init=discriminator_init)
        self.discriminator_optimizer = dict(discriminator_optimizer)

    def parameter_groups(self) -> list[dict]:
        settings = dict(self.discriminator_optimizer)
        settings["betas"] = tuple(settings["betas"])
        return [{"params": list(self.discriminator.parameters()), **settings}]

    def hyperparameters(self, step: int) -> dict[str, float]:
        return {"gamma": self.gamma}

    def terms(self, out: Forward, hp: Hyperparameters) -> dict[str, torch.Tensor]:
        recon = out.recon.mean()
        kl = out.total_kl()
        fixed = {name: p.detach() for name, p in self.discriminator.named_parameters()}
        logits = torch.func.functional_call(self.discriminator, fixed, (out.z,))
        tc = (logits[:, 0] - logits[:, 1]).mean()

        codes = out.z.detach()
        both = self.discriminator(torch.cat([codes, shuffle_codes(codes)]))  # (2n, 2)
        n = len(codes)
        log_p = torch.log_softmax(both, dim=1)
        adversary_loss = -0.5 * (log_p[:n, 0].mean() + log_p[n:, 1].mean())
        accuracy = torch.cat([both[:n].argmax(1) == 0, both[n:].argmax(1) == 1]).float().mean()
        return {
            "loss": recon + kl + hp["gamma"] * tc,
            "recon": recon,
            "kl": kl,
            "tc": tc,
            "adversary_loss": adversary_loss,
            "discriminator_accuracy": accuracy,
        }


def dip_penalty(covariance: torch.Tensor, lambda_od: float, lambda_d: float) -> torch.Tensor:
    """lambda_od * sum(offdiag^2) + lambda_d * sum((diag - 1)^2) (DIP-VAE, Eq. 6-7)."""
    diagonal = torch.diagonal(covariance)
    off_diagonal = covariance - torch.diag(diagonal)
    return lambda_od * off_diagonal.pow(2).sum() + lambda_d * (diagonal - 1).pow(2).sum()


def covariance_of_means(mean: torch.Tensor) -> torch.Tensor:
    """Cov[mu] = E[mu mu^T] - E[mu] E[mu]^T over the batch (biased, as in the reference)."""
    centred = mean - mean.mean(0, keepdim=True)
    return centred.T @ centred / len(mean)


class DIPVAE(Objective):
    """DIP-VAE (Kumar et al. 2018): recon + KL + a penalty pushing a covariance to the identity.

    Type ``i`` penalises Cov[mu(x)]; type ``ii`` penalises Cov[mu(x)] + E[diag sigma^2(x)], the
    covariance of the aggregate posterior. lambda_d = lambda_d_factor * lambda_od; the study uses
    lambda_d_factor = 10 (i) and 1 (ii).
    """

    def __init__(self, lambda_od: float, lambda_d_factor: float, dip_type: str = "i") -> None:
        super().__init__()
        if dip_type not in ("i", "ii"):
            raise ConfigError(f"model.objective.dip_type must be 'i' or 'ii', got '{dip_type}'")
        self.lambda_od = _check_non_negative("lambda_od", lambda_od)
        self.lambda_d = self.lambda_od * _check_non_negative("lambda_d_factor", lambda_d_factor)
        self.dip_type = dip_type

    def hyperparameters(self, step: int) -> dict[str, float]:
        return {"lambda_od": self.lambda_od, "lambda_d": self.lambda_d}

    def packing_key(self) -> tuple:
        return (self.dip_type,)

    def terms(self, out: Forward, hp: Hyperparameters) -> dict[str, torch.Tensor]:
        recon = out.recon.mean()
        kl = out.total_kl()
        covariance = covariance_of_means(out.mean)
        if self.dip_type == "ii":
            covariance = covariance + torch.diag(out.log_var.exp().mean(0))
        penalty = dip_penalty(covariance, hp["lambda_od"], hp["lambda_d"])
        return {"loss": recon + kl + penalty, "recon": recon, "kl": kl, "dip_penalty": penalty}


def gaussian_log_density(
    samples: torch.Tensor, mean: torch.Tensor, log_var: torch.Tensor
) -> torch.Tensor:
    """log N(samples; mean, exp(log_var)) elementwise."""
    return -0.5 * ((samples - mean).pow(2) * torch.exp(-log_var) + log_var + math.log(2 * math.pi))


def total_correlation(z: torch.Tensor, mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """Minibatch estimate of TC(q(z)) = E_j[log q(z_j) - sum_l log q(z_jl)] (Chen et al. 2018).

    q is approximated by the batch mixture (1/n) sum_i q(. | x_i), as in the reference
    (``vae.py: total_correlation``). The reference drops the constant (D - 1) log n that the
    1/n factors contribute; we keep it, so that a batch with independent codes gives about 0
    (the gradient, and so training, is the same either way).
    """
    n, d = z.shape
    log_q = gaussian_log_density(z[:, None, :], mean[None, :, :], log_var[None, :, :])  # (j, i, l)
    log_q_product = torch.logsumexp(log_q, dim=1).sum(1)  # (j,) sum_l log sum_i q(z_jl | x_i)
    log_q_joint = torch.logsumexp(log_q.sum(2), dim=1)  # (j,) log sum_i q(z_j | x_i)
    return (log_q_joint - log_q_product).mean() + (d - 1) * math.log(n)


class BetaTCVAE(Objective):
    """beta-TC-VAE (Chen et al. 2018, Eq. 5 with alpha = gamma = 1): recon + KL + (beta - 1) TC."""

    def __init__(self, beta: float) -> None:
        super().__init__()
        self.beta = _check_non_negative("beta", beta)

    def hyperparameters(self, step: int) -> dict[str, float]:
        return {"beta": self.beta}

    def terms(self, out: Forward, hp: Hyperparameters) -> dict[str, torch.Tensor]:
        recon = out.recon.mean()
        kl = out.total_kl()
        tc = total_correlation(out.z, out.mean, out.log_var)
        return {"loss": recon + kl + (hp["beta"] - 1.0) * tc, "recon": recon, "kl": kl, "tc": tc}


class AutoencoderObjective(Objective):
    """A deterministic autoencoder's loss: recon + l1 * sum |z| (a sparsity penalty on the code)."""

    def __init__(self, l1: float = 0.0) -> None:
        super().__init__()
        self.l1 = _check_non_negative("l1", l1)

    def hyperparameters(self, step: int) -> dict[str, float]:
        return {"l1": self.l1}

    def terms(self, out: Forward, hp: Hyperparameters) -> dict[str, torch.Tensor]:
        recon = out.recon.mean()
        sparsity = out.z.abs().sum(1).mean()
        return {
            "loss": recon + hp["l1"] * sparsity,
            "recon": recon,
            "kl": out.kl.sum(1).mean(),
            "l1": sparsity,
        }
