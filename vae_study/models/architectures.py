"""Encoder and decoder networks.

``locatello_conv`` is the study's pair for 64x64 images (disentanglement_lib
``methods/shared/architectures.py``: ``conv_encoder`` and ``deconv_decoder``). Where the paper's
table and the reference code differ we follow the code, which trained the released models:
layers 3 and 4 of the encoder use 2x2 kernels (the table says 4x4). TensorFlow's "same" padding
becomes ``padding=1`` for the 4x4 stride-2 layers and ``padding=0`` for the 2x2 stride-2 ones, so
each layer halves (or, in the decoder, doubles) the resolution exactly as in the reference.

``mlp`` is a small fully connected pair for flat or small inputs and for tests.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

from vae_study.errors import ConfigError


class GaussianEncoder(nn.Module):
    """A trunk followed by two linear heads: the mean and log-variance of q(z | x)."""

    def __init__(self, trunk: nn.Module, trunk_features: int, num_latent: int) -> None:
        super().__init__()
        self.trunk = trunk
        self.mean = nn.Linear(trunk_features, num_latent)
        self.log_var = nn.Linear(trunk_features, num_latent)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(x)
        return self.mean(h), self.log_var(h)


def locatello_conv(
    observation_shape: Sequence[int], num_latent: int
) -> tuple[GaussianEncoder, nn.Module]:
    """The study's convolutional encoder and deconvolutional decoder for (C, 64, 64) inputs."""
    if len(observation_shape) != 3 or tuple(observation_shape[1:]) != (64, 64):
        raise ConfigError(
            "arch=locatello_conv needs (C, 64, 64) images, the data set gives observations of "
            f"shape {tuple(observation_shape)}; use arch=mlp or a 64x64 data set."
        )
    channels = observation_shape[0]
    trunk = nn.Sequential(
        nn.Conv2d(channels, 32, 4, stride=2, padding=1), nn.ReLU(),  # (32, 32, 32)
        nn.Conv2d(32, 32, 4, stride=2, padding=1), nn.ReLU(),  # (32, 16, 16)
        nn.Conv2d(32, 64, 2, stride=2), nn.ReLU(),  # (64, 8, 8)
        nn.Conv2d(64, 64, 2, stride=2), nn.ReLU(),  # (64, 4, 4)
        nn.Flatten(),  # (1024,)
        nn.Linear(1024, 256), nn.ReLU(),
    )  # fmt: skip
    decoder = nn.Sequential(
        nn.Linear(num_latent, 256), nn.ReLU(),
        nn.Linear(256, 1024), nn.ReLU(),
        nn.Unflatten(1, (64, 4, 4)),
        nn.ConvTranspose2d(64, 64, 4, stride=2, padding=1), nn.ReLU(),  # (64, 8, 8)
        nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.ReLU(),  # (32, 16, 16)
        nn.ConvTranspose2d(32, 32, 4, stride=2, padding=1), nn.ReLU(),  # (32, 32, 32)
        nn.ConvTranspose2d(32, channels, 4, stride=2, padding=1),  # (C, 64, 64) logits
    )  # fmt: skip
    return GaussianEncoder(trunk, 256, num_latent), decoder


def mlp(
    observation_shape: Sequence[int], num_latent: int, hidden: Sequence[int] = (256, 256)
) -> tuple[GaussianEncoder, nn.Module]:
    """A fully connected encoder and a mirrored decoder, ReLU between layers."""
    if not hidden or any(h <= 0 for h in hidden):
        raise ConfigError(f"arch.hidden must be a non-empty list of positive sizes, got {hidden}")
    features = math.prod(observation_shape)
    widths = [features, *hidden]
    trunk: list[nn.Module] = [nn.Flatten()]
    for n_in, n_out in itertools.pairwise(widths):
        trunk += [nn.Linear(n_in, n_out), nn.ReLU()]
    widths = [num_latent, *reversed(hidden)]
    decoder: list[nn.Module] = []
    for n_in, n_out in itertools.pairwise(widths):
        decoder += [nn.Linear(n_in, n_out), nn.ReLU()]
    decoder += [nn.Linear(widths[-1], features), nn.Unflatten(1, tuple(observation_shape))]
    return GaussianEncoder(nn.Sequential(*trunk), hidden[-1], num_latent), nn.Sequential(*decoder)
