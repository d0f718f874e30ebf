"""The study's networks start as the reference's: TensorFlow 1's default initialisers.

disentanglement_lib's ``architectures.py`` builds every layer with ``tf.layers`` defaults:
``glorot_uniform_initializer`` kernels, U(+-sqrt(6 / (fan_in + fan_out))), and zero biases.
TensorFlow computes the fans from its own kernel layout: (in, out) for a dense kernel,
(kh, kw, in, out) for a convolution and (kh, kw, out, in) for a transposed one, the receptive
field times the second-to-last and the last axis. The layers below are the reference's, written
in that layout by hand.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from vae_study.models.architectures import locatello_conv
from vae_study.models.objectives import fc_discriminator

LATENTS = 10
# (kind, TensorFlow kernel shape) of conv_encoder, deconv_decoder and fc_discriminator
ENCODER = [
    ("conv", (4, 4, 1, 32)), ("conv", (4, 4, 32, 32)), ("conv", (2, 2, 32, 64)),
    ("conv", (2, 2, 64, 64)), ("dense", (1024, 256)), ("dense", (256, LATENTS)),
    ("dense", (256, LATENTS)),
]  # fmt: skip
DECODER = [
    ("dense", (LATENTS, 256)), ("dense", (256, 1024)), ("deconv", (4, 4, 64, 64)),
    ("deconv", (4, 4, 32, 64)), ("deconv", (4, 4, 32, 32)), ("deconv", (4, 4, 1, 32)),
]  # fmt: skip
DISCRIMINATOR = (
    [("dense", (LATENTS, 1000))] + [("dense", (1000, 1000))] * 5 + [("dense", (1000, 2))]
)


def glorot_bound(shape: tuple[int, ...]) -> float:
    receptive = math.prod(shape[:-2])
    fan_in, fan_out = receptive * shape[-2], receptive * shape[-1]
    return math.sqrt(6.0 / (fan_in + fan_out))


def layers(*modules: nn.Module) -> list[nn.Module]:
    kinds = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)
    return [layer for module in modules for layer in module.modules() if isinstance(layer, kinds)]


def reference_networks(init: str) -> list[tuple[nn.Module, list]]:
    torch.manual_seed(0)
    encoder, decoder = locatello_conv((1, 64, 64), LATENTS, init=init)
    discriminator = fc_discriminator(LATENTS, init=init)
    return [(encoder, ENCODER), (decoder, DECODER), (discriminator, DISCRIMINATOR)]


def test_every_layer_is_glorot_uniform_with_zero_biases_as_in_tensorflow():
    for network, expected in reference_networks("reference"):
        found = layers(network)
        assert len(found) == len(expected)
        for layer, (kind, shape) in zip(found, expected, strict=True):
            assert layer.weight.numel() == math.prod(shape), (kind, shape)
            bound = glorot_bound(shape)
            weights = layer.weight.detach().abs()
            assert weights.max() <= bound * (1 + 1e-6), (kind, shape)
            assert weights.max() >= 0.95 * bound, (kind, shape)  # fills the interval
            variance = float(layer.weight.detach().var())
            assert variance == pytest.approx(bound**2 / 3, rel=0.15), (kind, shape)
            assert torch.count_nonzero(layer.bias) == 0, (kind, shape)


def test_arch_init_pytorch_keeps_pytorchs_defaults():
    ratios = []
    for network, expected in reference_networks("pytorch"):
        for layer, (kind, shape) in zip(layers(network), expected, strict=True):
            fan_in = layer.weight[0].numel()  # PyTorch's: the second axis times the kernel
            bound = 1 / math.sqrt(fan_in)
            assert layer.weight.detach().abs().max() <= bound * (1 + 1e-6)
            assert torch.count_nonzero(layer.bias) > 0, (kind, shape)
            ratios.append(bound / glorot_bound(shape))
    # docs/reference_protocol.md: 0.41 in the discriminator's output layer, 4.1 in its first
    assert min(ratios) == pytest.approx(0.41, abs=0.005)
    assert max(ratios) == pytest.approx(4.1, abs=0.05)
