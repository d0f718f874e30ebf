"""A deterministic autoencoder: the non-variational baseline.

The encoder's mean head is the code; there is no sampling and no KL. The usual ways to keep an
autoencoder from learning the identity are options: the bottleneck (``train.num_latent``), an L1
sparsity penalty on the code (``AutoencoderObjective.l1``), denoising (``noise``: Gaussian noise
of standard deviation ``noise_level``, or masking that zeroes each input value with probability
``noise_level``; the loss reconstructs the clean input), and, for the MLP architecture, tied
weights (each decoder layer uses the transpose of its mirror encoder layer).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from vae_study.errors import ConfigError
from vae_study.models.module import Networks, VAEModule
from vae_study.models.objectives import Forward, Likelihood, Objective

NOISES = ("none", "gaussian", "masking")


class TiedLinear(nn.Module):
    """A linear layer whose weight is the transpose of another layer's; it owns only its bias."""

    def __init__(self, mirror: nn.Linear) -> None:
        super().__init__()
        self.mirror = [mirror]  # a list keeps the mirror out of this module's parameters
        self.bias = nn.Parameter(torch.zeros(mirror.in_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.mirror[0].weight.t(), self.bias)


def tied_decoder(encoder: nn.Module, decoder: nn.Sequential) -> nn.Sequential:
    """Replace each linear layer of an MLP decoder by the transpose of its mirror encoder layer."""
    encoder_linears = [m for m in encoder.modules() if isinstance(m, nn.Linear)]
    encoder_linears = encoder_linears[:-1]  # the log-variance head has no mirror
    decoder_positions = [i for i, m in enumerate(decoder) if isinstance(m, nn.Linear)]
    shapes_mirror = all(
        decoder[i].weight.shape == e.weight.t().shape
        for i, e in zip(decoder_positions, reversed(encoder_linears), strict=False)
    )
    if (
        any(not isinstance(m, nn.Linear | nn.ReLU | nn.Unflatten) for m in decoder)
        or len(decoder_positions) != len(encoder_linears)
        or not shapes_mirror
    ):
        raise ConfigError(
            "model.module.tie_weights=true needs arch=mlp (a decoder that mirrors the encoder's "
            "linear layers); set it to false for other architectures"
        )
    tied = list(decoder)
    for position, mirror in zip(decoder_positions, reversed(encoder_linears), strict=True):
        tied[position] = TiedLinear(mirror)
    return nn.Sequential(*tied)


class Autoencoder(VAEModule):
    """A deterministic autoencoder trained under ``AutoencoderObjective``; see the module doc."""

    def __init__(
        self,
        networks: Networks,
        num_latent: int,
        likelihood: Likelihood,
        objective: Objective,
        optimizer: dict[str, Any],
        noise: str = "none",
        noise_level: float = 0.0,
        tie_weights: bool = False,
        summary_window: int = 100,
    ) -> None:
        if noise not in NOISES:
            raise ConfigError(f"model.module.noise must be one of {NOISES}, got '{noise}'")
        if noise_level < 0 or (noise == "masking" and noise_level >= 1):
            raise ConfigError(
                f"model.module.noise_level must be >= 0 (and < 1 for masking), got {noise_level}"
            )
        super().__init__(networks, num_latent, likelihood, objective, optimizer, summary_window)
        self.noise = noise
        self.noise_level = noise_level
        if tie_weights:
            self.decoder = tied_decoder(self.encoder, self.decoder)

    def corrupt(self, x: torch.Tensor) -> torch.Tensor:
        if self.noise == "gaussian":
            return x + self.noise_level * torch.randn_like(x)
        if self.noise == "masking":
            return x * (torch.rand_like(x) >= self.noise_level)
        return x

    def forward_pass(self, x: torch.Tensor) -> Forward:
        code = self.encode(self.corrupt(x))
        decoded = self.decoder(code)
        zeros = torch.zeros_like(code)
        return Forward(
            x=x,
            mean=code,
            log_var=zeros,
            z=code,
            decoded=decoded,
            recon=self.likelihood.nll(decoded, x),
            kl=zeros,
        )
