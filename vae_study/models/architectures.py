"""Encoder and decoder networks.

``locatello_conv`` is the study's pair for 64x64 images (disentanglement_lib
``methods/shared/architectures.py``: ``conv_encoder`` and ``deconv_decoder``). Where the paper's
table and the reference code differ we follow the code, which trained the released models:
layers 3 and 4 of the encoder use 2x2 kernels (the table says 4x4). TensorFlow's "same" padding
becomes ``padding=1`` for the 4x4 stride-2 layers and ``padding=0`` for the 2x2 stride-2 ones, so
each layer halves (or, in the decoder, doubles) the resolution exactly as in the reference.

Initialisation (``init``): ``reference`` is what the reference's layers get from TensorFlow 1
with no initializer given (``tf.layers.conv2d``, ``conv2d_transpose`` and ``dense``):
Glorot-uniform kernels, U(+-sqrt(6 / (fan_in + fan_out))), and zero biases
(:func:`glorot_zero`). ``pytorch`` keeps PyTorch's defaults (kaiming-uniform weights with
bound 1/sqrt(fan_in), non-zero biases), whose weight scale differs from the reference's by a
factor of 0.4 to 4 per layer. ``locatello_conv`` defaults to ``reference``; ``mlp``, which is
not a reference architecture, to ``pytorch``.

``mlp`` is a small fully connected pair for flat or small inputs and for tests.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

from vae_study.errors import ConfigError

INITS = ("reference", "pytorch")


def glorot_zero(module: nn.Module) -> nn.Module:
    """Glorot-uniform weights and zero biases in every linear and (transposed) convolution layer
    of ``module``: TensorFlow 1's defaults (``glorot_uniform_initializer``, ``zeros``).

    PyTorch's ``xavier_uniform_`` computes the fans from the weight's first two axes and the
    kernel size; for a transposed convolution it swaps them relative to TensorFlow's kernel
    layout, which leaves fan_in + fan_out, and so the bound, unchanged.
    """
    for layer in module.modules():
        if isinstance(layer, nn.Linear | nn.Conv2d | nn.ConvTranspose2d):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


def initialise(modules: Sequence[nn.Module], init: str) -> None:
    """Apply ``init`` (``reference`` or ``pytorch``, see the module docstring) to ``modules``."""
    if init not in INITS:
        raise ConfigError(f"arch.init must be one of {INITS}, got {init!r}")
    if init == "reference":
        for module in modules:
            glorot_zero(module)


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
    observation_shape: Sequence[int], num_latent: int, *, init: str
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
    encoder = GaussianEncoder(trunk, 256, num_latent)
    initialise([encoder, decoder], init)
    return encoder, decoder


def mlp(
    observation_shape: Sequence[int],
    num_latent: int,
    *,
    hidden: Sequence[int],
    init: str,
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
    encoder = GaussianEncoder(nn.Sequential(*trunk), hidden[-1], num_latent)
    decoder_net = nn.Sequential(*decoder)
    initialise([encoder, decoder_net], init)
    return encoder, decoder_net
