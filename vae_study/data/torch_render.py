"""The procedural dSprites renderer in torch, on the training device, and a packed batch stream.

:class:`TorchSpriteRenderer` is :class:`vae_study.data.dsprites.SpriteRenderer` step for step in
torch, so a batch is drawn where it is trained on and a step never waits for host images. It
gives the numpy renderer's pixels for the same factors (``tests/test_packed.py``,
``test_render_on_device_gives_the_host_batches``): the geometry is computed in float64 and the
shape tests in float32 with the same operations in the same order; the divisor of the ellipse
is a tensor, never a Python scalar, because CUDA divides by a host scalar as a multiplication by
its reciprocal, which can move a boundary pixel.

:class:`PackedStream` yields one batch per packed member, ``(K, n, C, H, W)``. Member ``k``'s
batch ``t`` is exactly ``BatchStream(data, n, seeds[k]).batch(t)``: the factors, and the
nuisance the variants draw after them (a colour per image for ``ColorDSprites``, the noise of
``NoisyDSprites``), come from ``default_rng([seeds[k], t])`` on the host in the same order; only
the masks, the costly part, are rendered on the device. Other data sets, and every data set when
the device is the CPU (where the numpy renderer, testing each shape only on its own sprites, is
about 5x faster than the torch one), are drawn on the host.
"""

from __future__ import annotations

import numpy as np
import torch

from vae_study.data import dsprites as sprites
from vae_study.data.ground_truth import GroundTruthData
from vae_study.data.stream import BatchStream


class TorchSpriteRenderer:
    """Binary dSprites masks for factor indices, on ``device``; the numpy renderer's pixels."""

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        self.scales = torch.as_tensor(sprites.SCALES, dtype=torch.float64, device=self.device)
        self.orientations = torch.as_tensor(
            sprites.ORIENTATIONS, dtype=torch.float64, device=self.device
        )
        semi_x, semi_y = sprites.ELLIPSE_SEMI_AXES
        self.semi_axes = torch.tensor([semi_x, semi_y], dtype=torch.float32, device=self.device)
        self.offsets = torch.arange(sprites.WINDOW_PX, device=self.device)

    def masks(self, factors: torch.Tensor) -> torch.Tensor:
        """Binary masks, shape (n, 64, 64) bool, for factor indices (n, 5) (int64, any device)."""
        factors = factors.to(self.device)
        n = len(factors)
        shape, scale, orientation, pos_x, pos_y = factors.T
        centre_x = sprites.CENTRE_FIRST_PX + sprites.CENTRE_STEP_PX * pos_x.double()  # (n,)
        centre_y = sprites.CENTRE_FIRST_PX + sprites.CENTRE_STEP_PX * pos_y.double()
        half = sprites.HALF_SIZE_PX * self.scales[scale]
        angle = self.orientations[orientation]

        left = torch.floor(centre_x).long() - sprites.WINDOW_PX // 2  # (n,)
        top = torch.floor(centre_y).long() - sprites.WINDOW_PX // 2
        cols = left[:, None] + self.offsets  # (n, W)
        rows = top[:, None] + self.offsets
        dx = (cols + 0.5 - centre_x[:, None]) / half[:, None]  # (n, W) float64
        dy_up = (centre_y[:, None] - rows - 0.5) / half[:, None]
        cos = torch.cos(angle).float()[:, None, None]  # (n, 1, 1)
        sin = torch.sin(angle).float()[:, None, None]
        dx = dx.float()[:, None, :]  # (n, 1, W)
        dy_up = dy_up.float()[:, :, None]  # (n, W, 1)
        u = cos * dx + sin * dy_up  # (n, W, W): the pixel in the sprite's frame
        v = cos * dy_up - sin * dx

        square = (u.abs() <= 1.0) & (v.abs() <= 1.0)
        ellipse = (u / self.semi_axes[0]).pow(2) + (v / self.semi_axes[1]).pow(2) <= 1.0
        y = v + sprites.HEART_SHIFT
        uu, yy = u * u, y * y
        r = uu + yy - 1.0
        heart = r * r * r <= uu * yy * y
        chosen = shape[:, None, None]
        window = torch.where(chosen == 0, square, torch.where(chosen == 1, ellipse, heart))

        pad = sprites.WINDOW_PX
        side = sprites.IMAGE_SIZE + 2 * pad
        canvas = torch.zeros(n, side, side, dtype=torch.bool, device=self.device)
        batch = torch.arange(n, device=self.device)[:, None, None]
        canvas[batch, (rows + pad)[:, :, None], (cols + pad)[:, None, :]] = window
        return canvas[:, pad : pad + sprites.IMAGE_SIZE, pad : pad + sprites.IMAGE_SIZE]


def renders_on_device(data: GroundTruthData) -> bool:
    """Whether :class:`PackedStream` renders ``data`` on the device (procedural dSprites family)."""
    family = (sprites.DSprites, sprites.ColorDSprites, sprites.NoisyDSprites)
    return type(data) in family and isinstance(data.source, sprites.SpriteRenderer)


class PackedStream:
    """Batches ``(K, n, C, H, W)`` float32 on ``device``: member k's stream seeded by seeds[k]."""

    def __init__(
        self,
        data: GroundTruthData,
        batch_size: int,
        seeds: list[int],
        device: torch.device | str = "cpu",
        render_on_device: bool | None = None,
    ) -> None:
        self.data = data
        self.batch_size = batch_size
        self.seeds = list(seeds)
        self.device = torch.device(device)
        if render_on_device is None:  # on a CPU the numpy renderer is faster (docs/performance.md)
            render_on_device = self.device.type != "cpu"
        use_torch = render_on_device and renders_on_device(data)
        self.renderer = TorchSpriteRenderer(self.device) if use_torch else None
        self.host = [BatchStream(data, batch_size, seed) for seed in self.seeds]

    def batch(self, step: int) -> torch.Tensor:
        """Every member's batch ``step``, stacked on the model axis."""
        if self.renderer is None:
            stacked = np.stack([stream.batch(step) for stream in self.host])
            return torch.from_numpy(stacked).to(self.device, non_blocking=True)
        factors, nuisance = [], []
        for seed in self.seeds:
            rng = np.random.default_rng([seed, step])
            factors.append(self.data.sample_factors(self.batch_size, rng))
            nuisance.append(self._draw_nuisance(rng))
        k, n = len(self.seeds), self.batch_size
        masks = self.renderer.masks(torch.from_numpy(np.concatenate(factors)))
        masks = masks.float().reshape(k, n, 1, sprites.IMAGE_SIZE, sprites.IMAGE_SIZE)
        if type(self.data) is sprites.DSprites:
            return masks
        drawn = torch.from_numpy(np.stack(nuisance)).to(self.device, non_blocking=True)
        if type(self.data) is sprites.ColorDSprites:
            return masks * drawn
        return torch.minimum(masks + drawn, torch.ones((), device=self.device))

    def _draw_nuisance(self, rng: np.random.Generator) -> np.ndarray | None:
        """What the variant's ``colorize`` draws after the factors, drawn the same way."""
        n, size = self.batch_size, sprites.IMAGE_SIZE
        if type(self.data) is sprites.ColorDSprites:
            return rng.uniform(0.5, 1.0, size=(n, 3, 1, 1)).astype(np.float32)
        if type(self.data) is sprites.NoisyDSprites:
            return rng.uniform(0.0, 1.0, size=(n, 3, size, size)).astype(np.float32)
        return None
