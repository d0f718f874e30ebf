"""Pictures of what a model learned, as arrays: reconstructions, latent traversals,
interpolations, and a tiler that lays image grids out as one picture.

Pure functions of a trained module and observations (channels first, values in [0, 1]); the
figures (:mod:`vae_study.analysis.visualize`) and the W&B image panels
(:mod:`vae_study.tracking`) draw them.
"""

from __future__ import annotations

import numpy as np
import torch

from vae_study.models.module import VAEModule


def _tensor(module: VAEModule, array: np.ndarray) -> torch.Tensor:
    parameter = next(module.parameters())
    return torch.as_tensor(array).to(parameter.device, parameter.dtype)


@torch.no_grad()
def encode(module: VAEModule, observations: np.ndarray) -> np.ndarray:
    """The codes (encoder means) of observations (n, C, H, W): (n, D)."""
    return module.encode(_tensor(module, observations)).cpu().numpy()


@torch.no_grad()
def decode(module: VAEModule, codes: np.ndarray) -> np.ndarray:
    """The expected observations p(x | z) of codes (n, D): (n, C, H, W)."""
    decoded = module.decoder(_tensor(module, codes))
    return module.likelihood.mean(decoded).cpu().numpy()


def reconstructions(module: VAEModule, observations: np.ndarray) -> np.ndarray:
    """Decoded codes of observations (n, C, H, W): (n, C, H, W)."""
    return decode(module, encode(module, observations))


def traversals(
    module: VAEModule, observation: np.ndarray, num_steps: int = 9, span: float = 2.0
) -> np.ndarray:
    """One row per latent: the observation's code with that latent set to each of ``num_steps``
    values evenly spaced in [-span, span] (prior standard deviations), decoded: (D, steps, C, H, W).
    """
    code = encode(module, observation[None])[0]  # (D,)
    dims = len(code)
    codes = np.tile(code, (dims, num_steps, 1))  # (D, steps, D)
    values = np.linspace(-span, span, num_steps, dtype=code.dtype)
    for d in range(dims):
        codes[d, :, d] = values
    images = decode(module, codes.reshape(dims * num_steps, dims))
    return images.reshape(dims, num_steps, *images.shape[1:])


def interpolation(
    module: VAEModule, first: np.ndarray, second: np.ndarray, num_steps: int = 9
) -> np.ndarray:
    """Codes (1 - t) z_a + t z_b of two observations for t evenly spaced in [0, 1], decoded:
    (steps, C, H, W)."""
    z_a, z_b = encode(module, np.stack([first, second]))
    t = np.linspace(0.0, 1.0, num_steps, dtype=z_a.dtype)[:, None]
    return decode(module, (1 - t) * z_a + t * z_b)


def tile(images: np.ndarray, pad: int = 2) -> np.ndarray:
    """A grid (rows, cols, C, H, W) of images in [0, 1] as one picture (H', W', C), white gaps."""
    rows, cols, channels, height, width = images.shape
    canvas = np.ones((rows * (height + pad) - pad, cols * (width + pad) - pad, channels))
    for r in range(rows):
        for c in range(cols):
            top, left = r * (height + pad), c * (width + pad)
            canvas[top : top + height, left : left + width] = images[r, c].transpose(1, 2, 0)
    return np.clip(canvas, 0.0, 1.0)
