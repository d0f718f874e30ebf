"""Cars3D (Reed et al. 2015, "Deep Visual Analogy-Making"), read from the ``.mat`` renderings.

Files: the ``cars/`` folder of ``nips2015-analogy-data.tar.gz`` (http://www.scottreed.info/): one
MATLAB file ``car_NNN_mesh.mat`` per car model, whose variable ``im`` is (128, 128, 3, 24, 4)
uint8, indexed (row, column, channel, azimuth, elevation), and ``list.txt`` naming the 183 models.
When ``list.txt`` is absent, every ``*.mat`` of the folder is read in sorted order.

As in disentanglement_lib ``data/ground_truth/cars3d.py``: factors elevation (4), azimuth (24)
and object (183, the model's position in the list), images resized to 64x64 with an antialiasing
filter (Lanczos, Pillow).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import scipy.io
from PIL import Image

from vae_study.data.files import DataFileError, download_hint, require_path, resize_images
from vae_study.data.indexed import GridImages

PAGE = "http://www.scottreed.info/"
LIST = "list.txt"
FACTOR_NAMES = ("elevation", "azimuth", "object")
AZIMUTHS, ELEVATIONS = 24, 4
HINT = download_hint("cars3d", PAGE)


def model_files(folder: Path) -> list[Path]:
    """The car models' files, in ``list.txt`` order; every listed file must exist."""
    listing = folder / LIST
    if not listing.is_file():
        files = sorted(folder.glob("*.mat"))
        if not files:
            raise DataFileError(
                f"dataset.path: '{folder}' holds neither {LIST} nor any car_NNN_mesh.mat. {HINT}"
            )
        return files
    names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    files = [folder / (name if name.endswith(".mat") else f"{name}.mat") for name in names]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise DataFileError(
            f"dataset.path: {len(missing)} of the {len(files)} models listed in '{listing}' are "
            f"missing (first: {missing[0]}). Unpack the whole cars/ folder. {HINT}"
        )
    return files


def read_model(path: Path, size: int) -> np.ndarray:
    """The 96 views of one model as (elevation, azimuth, size, size, 3) uint8."""
    try:
        views = scipy.io.loadmat(path, variable_names=["im"]).get("im")
    except (ValueError, OSError, TypeError, zlib.error) as error:
        raise DataFileError(
            f"dataset.path: '{path}' is corrupt or truncated ({error}). Unpack it again. {HINT}"
        ) from error
    if views is None or views.ndim != 5 or views.shape[2:] != (3, AZIMUTHS, ELEVATIONS):
        raise DataFileError(
            f"dataset.path: '{path}' has no variable 'im' of shape (H, W, 3, 24, 4) "
            f"(found {None if views is None else views.shape})."
        )
    # (H, W, 3, azimuth, elevation) -> (elevation, azimuth, H, W, 3)
    views = np.ascontiguousarray(views.transpose(4, 3, 0, 1, 2), dtype=np.uint8)
    flat = resize_images(views.reshape(-1, *views.shape[2:]), size, Image.Resampling.LANCZOS)
    return flat.reshape(ELEVATIONS, AZIMUTHS, size, size, 3)


class Cars3D(GridImages):
    """Cars3D as (3, 64, 64) observations over elevation, azimuth and car model."""

    def __init__(self, path: str | Path | None, image_size: int = 64) -> None:
        folder = require_path(path, "dataset.path", "the cars/ folder of car_NNN_mesh.mat", HINT)
        files = model_files(folder)
        images = np.stack([read_model(f, image_size) for f in files], axis=2)  # (E, A, O, ...)
        grid = np.meshgrid(
            np.arange(ELEVATIONS), np.arange(AZIMUTHS), np.arange(len(files)), indexing="ij"
        )
        super().__init__(
            FACTOR_NAMES,
            np.stack(grid, axis=-1).reshape(-1, 3),
            images.reshape(-1, image_size, image_size, 3),
            f"dataset.path: '{folder}'",
        )
