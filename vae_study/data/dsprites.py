"""dSprites (Matthey et al. 2017) and the study's noisy and colour variants.

Factors, in the order of the official archive ``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz``
(deepmind/dsprites-dataset ``README.md``; the constant colour factor is not a latent, as in
disentanglement_lib ``data/ground_truth/dsprites.py``):

===========  =====  ==============================================
factor       size   value of index i
===========  =====  ==============================================
shape        3      square, ellipse, heart
scale        6      0.5 + 0.1 i (6 values linearly spaced in [0.5, 1])
orientation  40     2 pi i / 39 (40 values in [0, 2 pi]: index 39 is index 0's angle)
pos_x        32     i / 31 (left to right)
pos_y        32     i / 31 (top to bottom)
===========  =====  ==============================================

Images come either from :class:`SpriteRenderer`, which draws any requested combination on demand
(no 2.9 GB array, deterministic, vectorised), or from :class:`SpriteArchive`, which reads the
official ``.npz`` when ``path`` points to it. The renderer approximates the official images: a
binary 64x64 canvas, the sprite centred at its position, its size linear in ``scale``. The
official generator is not public, so pixel-exact agreement is not claimed: where a study must
match the paper's numbers, use the archive.

The variants follow disentanglement_lib ``dsprites.py``: ``ColorDSprites`` multiplies the sprite
by one RGB colour per observation drawn from uniform(0.5, 1); ``NoisyDSprites`` adds
uniform(0, 1) noise per pixel and channel and clips at 1, so the sprite stays white and the
background becomes noise. Both draw their nuisance from the same generator after the factors.
``ScreamDSprites`` (same file of the reference, ``ScreamDSprites``) draws the sprite over a patch of
Munch's *The Scream*: the user's ``scream.jpg`` is thumbnailed to fit 350x274 and scaled to [0, 1];
per observation a random 64x64 crop and a uniform(0, 1) RGB colour give the background
(crop + colour) / 2, and sprite pixels take the inverted background, 1 - background.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from vae_study.data.files import DataFileError, download_hint
from vae_study.data.ground_truth import FactorGridData
from vae_study.errors import ConfigError

FACTOR_NAMES = ("shape", "scale", "orientation", "pos_x", "pos_y")
FACTOR_SIZES = (3, 6, 40, 32, 32)
SHAPES = ("square", "ellipse", "heart")
IMAGE_SIZE = 64
ARCHIVE_NAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"

SCALES = np.linspace(0.5, 1.0, 6)
# The archive's metadata lists its orientations as linspace(0, 2 pi, 40): a step of 2 pi / 39,
# both ends included, so index 39 draws the same sprite as index 0.
ORIENTATIONS = np.linspace(0.0, 2 * np.pi, 40)

# Geometry of the renderer, in pixels. Sprite centres lie on a half-pixel grid (9, 10.5, ..,
# 55.5) so that a rotation by a multiple of 90 degrees maps the pixel grid onto itself; the
# half-size keeps the largest square, turned 45 degrees, inside the canvas.
CENTRE_FIRST_PX = 9.0
CENTRE_STEP_PX = 1.5
HALF_SIZE_PX = 6.6
ELLIPSE_SEMI_AXES = (0.62, 1.25)  # (x, y) in units of the half-size: an upright oval
HEART_SHIFT = 0.12  # moves the heart's bounding box centre onto the sprite centre
WINDOW_PX = 24  # every sprite fits a 24x24 window around its centre


def _inside_square(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return (np.abs(u) <= 1.0) & (np.abs(v) <= 1.0)


def _inside_ellipse(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    a, b = ELLIPSE_SEMI_AXES
    return (u / a) ** 2 + (v / b) ** 2 <= 1.0


def _inside_heart(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The classic implicit heart (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, point down."""
    y = v + HEART_SHIFT
    uu, yy = u * u, y * y
    r = uu + yy - 1.0
    return r * r * r <= uu * yy * y


_INSIDE = (_inside_square, _inside_ellipse, _inside_heart)


class SpriteRenderer:
    """Draws binary dSprites masks for any factor combination, vectorised over the batch."""

    factor_sizes = FACTOR_SIZES

    def masks(self, factors: np.ndarray) -> np.ndarray:
        """Binary masks, shape (n, 64, 64) bool, for factor indices of shape (n, 5)."""
        n = len(factors)
        shape, scale, orientation, pos_x, pos_y = factors.T
        centre_x = CENTRE_FIRST_PX + CENTRE_STEP_PX * pos_x  # (n,)
        centre_y = CENTRE_FIRST_PX + CENTRE_STEP_PX * pos_y
        half = HALF_SIZE_PX * SCALES[scale]
        angle = ORIENTATIONS[orientation]

        # A window of pixels around each centre; only these are tested against the shape.
        left = np.floor(centre_x).astype(np.int64) - WINDOW_PX // 2  # (n,)
        top = np.floor(centre_y).astype(np.int64) - WINDOW_PX // 2
        offsets = np.arange(WINDOW_PX)
        cols = left[:, None] + offsets  # (n, W)
        rows = top[:, None] + offsets
        dx = (cols + 0.5 - centre_x[:, None]) / half[:, None]  # (n, W), in units of the half-size
        dy_up = (centre_y[:, None] - rows - 0.5) / half[:, None]  # (n, W), y pointing up
        cos = np.cos(angle).astype(np.float32)[:, None, None]
        sin = np.sin(angle).astype(np.float32)[:, None, None]
        dx = dx.astype(np.float32)[:, None, :]  # (n, 1, W)
        dy_up = dy_up.astype(np.float32)[:, :, None]  # (n, W, 1)

        window = np.empty((n, WINDOW_PX, WINDOW_PX), dtype=bool)
        for index, inside in enumerate(_INSIDE):
            chosen = np.flatnonzero(shape == index)
            if len(chosen):
                # Rotate the pixel into the sprite's frame (the inverse rotation).
                c, s, x, y = cos[chosen], sin[chosen], dx[chosen], dy_up[chosen]
                window[chosen] = inside(c * x + s * y, c * y - s * x)  # (m, W, W)

        pad = WINDOW_PX
        canvas = np.zeros((n, IMAGE_SIZE + 2 * pad, IMAGE_SIZE + 2 * pad), dtype=bool)
        canvas[np.arange(n)[:, None, None], (rows + pad)[:, :, None], (cols + pad)[:, None, :]] = (
            window
        )
        return canvas[:, pad : pad + IMAGE_SIZE, pad : pad + IMAGE_SIZE]


class DSpritesFileError(ConfigError):
    """The dSprites archive is missing, corrupt or not the official file."""


class SpriteArchive:
    """The official dSprites ``.npz``, held bit-packed in memory (377 MB for the full file).

    The images are read from the archive in chunks and packed 8 pixels to a byte, so loading
    never holds the 2.9 GB uint8 array. The factor grid is read from ``latents_classes`` (no
    pickled metadata is loaded) and checked to be the row-major grid the lookup assumes.
    """

    def __init__(self, path: str | Path, chunk_rows: int = 16384) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise DSpritesFileError(
                f"dataset.path: no file at '{self.path}'. Download {ARCHIVE_NAME} with "
                f"`python -m vae_study.data download dsprites --dir DIR`, or set dataset.path=null "
                "to use the procedural renderer."
            )
        try:
            with np.load(self.path) as archive:
                if "imgs" not in archive.files or "latents_classes" not in archive.files:
                    raise DSpritesFileError(
                        f"dataset.path: '{self.path}' is not the dSprites archive: it lacks "
                        f"'imgs' or 'latents_classes' (found {archive.files})."
                    )
                classes = archive["latents_classes"]
                self.factor_sizes = self._grid_sizes(classes)
                self._packed = self._read_packed(archive.zip, chunk_rows, len(classes))
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise DSpritesFileError(
                f"dataset.path: '{self.path}' is corrupt or truncated ({error}). Delete it and "
                "download it again."
            ) from error
        self._strides = np.cumprod((1, *self.factor_sizes[::-1]))[-2::-1]

    def _grid_sizes(self, classes: np.ndarray) -> tuple[int, ...]:
        if not np.issubdtype(classes.dtype, np.integer):
            raise DSpritesFileError(
                f"dataset.path: 'latents_classes' in '{self.path}' has dtype {classes.dtype}, "
                "expected integer factor indices: it is not the official archive."
            )
        if classes.ndim != 2 or classes.shape[1] != 6:
            raise DSpritesFileError(
                f"dataset.path: 'latents_classes' in '{self.path}' has shape {classes.shape}, "
                "expected (N, 6) for (color, shape, scale, orientation, pos_x, pos_y)."
            )
        sizes = tuple(int(s) for s in classes.max(axis=0) + 1)
        grid = np.stack(
            np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"), axis=-1
        ).reshape(-1, 6)
        if sizes[0] != 1 or grid.shape != classes.shape or not np.array_equal(grid, classes):
            raise DSpritesFileError(
                f"dataset.path: '{self.path}' does not hold the full dSprites grid in row-major "
                f"order (factor sizes {sizes}); it is not the official archive."
            )
        return sizes[1:]

    def _read_packed(self, zip_file: zipfile.ZipFile, chunk_rows: int, rows: int) -> np.ndarray:
        with zip_file.open("imgs.npy") as stream:
            version = np.lib.format.read_magic(stream)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read_header(stream)
            if shape != (rows, IMAGE_SIZE, IMAGE_SIZE) or fortran or dtype.itemsize != 1:
                raise DSpritesFileError(
                    f"dataset.path: 'imgs' in '{self.path}' has shape {shape} and dtype {dtype}, "
                    f"expected ({rows}, 64, 64) uint8."
                )
            packed = np.empty((rows, IMAGE_SIZE, IMAGE_SIZE // 8), dtype=np.uint8)
            row_bytes = IMAGE_SIZE * IMAGE_SIZE
            for start in range(0, rows, chunk_rows):
                count = min(chunk_rows, rows - start)
                buffer = stream.read(count * row_bytes)
                if len(buffer) != count * row_bytes:
                    raise EOFError(f"'imgs' ends after {start + len(buffer) // row_bytes} images")
                chunk = np.frombuffer(buffer, dtype=np.uint8).reshape(count, IMAGE_SIZE, IMAGE_SIZE)
                if chunk.max(initial=0) > 1:
                    raise DSpritesFileError(
                        f"dataset.path: 'imgs' in '{self.path}' is not binary (max {chunk.max()})."
                    )
                packed[start : start + count] = np.packbits(chunk, axis=-1)
        return packed

    def masks(self, factors: np.ndarray) -> np.ndarray:
        """Binary masks, shape (n, 64, 64) bool, looked up by factor indices (n, 5)."""
        index = factors @ self._strides
        return np.unpackbits(self._packed[index], axis=-1).astype(bool)


class DSprites(FactorGridData):
    """dSprites as a ground-truth data set: 1 x 64 x 64 binary images.

    ``path=None`` renders images procedurally; a path reads the official archive.
    """

    factor_names = FACTOR_NAMES
    num_channels = 1

    def __init__(self, path: str | Path | None = None) -> None:
        self.source = SpriteRenderer() if path is None else SpriteArchive(path)
        self.factor_sizes = tuple(self.source.factor_sizes)
        self.observation_shape = (self.num_channels, IMAGE_SIZE, IMAGE_SIZE)

    def sample_observations_from_factors(
        self, factors: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        masks = self.source.masks(self.check_factors(factors))
        return self.colorize(masks.astype(np.float32)[:, None], rng)

    def colorize(self, masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Turn (n, 1, H, W) float masks into observations; the plain data set keeps them."""
        return masks


class ColorDSprites(DSprites):
    """Each sprite multiplied by one RGB colour per observation, uniform(0.5, 1)."""

    num_channels = 3

    def colorize(self, masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        colours = rng.uniform(0.5, 1.0, size=(len(masks), 3, 1, 1)).astype(np.float32)
        return masks * colours


class NoisyDSprites(DSprites):
    """Uniform(0, 1) noise added per pixel and channel, clipped at 1: white sprite on noise."""

    num_channels = 3

    def colorize(self, masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        noise = rng.uniform(0.0, 1.0, size=(len(masks), 3, *masks.shape[2:])).astype(np.float32)
        return np.minimum(masks + noise, 1.0)


SCREAM_URL = "https://upload.wikimedia.org/wikipedia/commons/f/f4/The_Scream.jpg"
SCREAM_THUMBNAIL = (350, 274)  # (width, height) the picture is fitted into, as in the reference


def load_scream(path: str | Path | None) -> np.ndarray:
    """The Scream as (H, W, 3) float32 in [0, 1], thumbnailed to fit 350x274 (keeps its aspect)."""
    hint = download_hint("scream_dsprites", SCREAM_URL)
    if path is None:
        raise DataFileError(f"dataset.scream_path is not set: point it to scream.jpg. {hint}")
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataFileError(f"dataset.scream_path: no file at '{path}' (scream.jpg). {hint}")
    try:
        with Image.open(path) as picture:
            image = picture.convert("RGB")
    except OSError as error:
        raise DataFileError(
            f"dataset.scream_path: '{path}' is not a readable image ({error}). {hint}"
        ) from error
    image.thumbnail(SCREAM_THUMBNAIL)
    if min(image.size) <= IMAGE_SIZE:
        raise DataFileError(
            f"dataset.scream_path: '{path}' is {image.width}x{image.height} after fitting it into "
            f"350x274; a {IMAGE_SIZE}x{IMAGE_SIZE} crop needs more. Use the full-size picture."
        )
    return np.asarray(image, dtype=np.float32) / np.float32(255)


class ScreamDSprites(DSprites):
    """The sprite drawn inverted over a random patch of The Scream mixed with a random colour."""

    num_channels = 3

    def __init__(
        self, path: str | Path | None = None, scream_path: str | Path | None = None
    ) -> None:
        super().__init__(path)
        self.scream = load_scream(scream_path)

    def colorize(self, masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(masks)
        height, width, _ = self.scream.shape
        # The reference draws randint(0, H - 64): the last crop position is never used.
        top = rng.integers(0, height - IMAGE_SIZE, size=n)
        left = rng.integers(0, width - IMAGE_SIZE, size=n)
        colours = rng.uniform(0.0, 1.0, size=(n, 1, 1, 3)).astype(np.float32)
        offsets = np.arange(IMAGE_SIZE)
        rows = (top[:, None] + offsets)[:, :, None]  # (n, 64, 1)
        cols = (left[:, None] + offsets)[:, None, :]  # (n, 1, 64)
        background = (self.scream[rows, cols] + colours) / 2  # (n, 64, 64, 3)
        background = background.transpose(0, 3, 1, 2)  # (n, 3, 64, 64)
        return np.where(masks == 1, 1 - background, background)
