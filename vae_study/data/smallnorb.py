"""SmallNORB (LeCun, Huang and Bottou 2004) read from the binary ``.mat`` files of the distribution.

Files (https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/), each as ``.mat`` or as the ``.mat.gz``
it is distributed in: ``smallnorb-5x46789x9x18x6x2x96x96-training-{dat,cat,info}.mat`` and
``smallnorb-5x01235x9x18x6x2x96x96-testing-{dat,cat,info}.mat``. The page's binary matrix format:
little-endian int32 magic (``0x1E3D4C55`` bytes, ``0x1E3D4C54`` int32), int32 number of
dimensions, then max(3, ndim) int32 sizes, then the data in C order. ``dat`` is (24300, 2, 96, 96)
image pairs, ``cat`` (24300,) the category, ``info`` (24300, 4) instance, elevation, azimuth
(0, 2, .., 34) and lighting.

As in disentanglement_lib ``data/ground_truth/norb.py``: both files are used (48,600 images), only
the first camera's image, resized to 64x64 (Lanczos, Pillow), azimuth halved to an index, and the
factors are category (5), elevation (9), azimuth (18) and lighting (6); the instance (10 per
category) is a nuisance drawn at random for each observation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from vae_study.data.files import (
    DataFileError,
    download_hint,
    find_file,
    read_bytes,
    require_path,
    resize_images,
)
from vae_study.data.indexed import GridImages

PAGE = "https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/"
CHUNKS = ("smallnorb-5x46789x9x18x6x2x96x96-training", "smallnorb-5x01235x9x18x6x2x96x96-testing")
PARTS = ("dat", "cat", "info")
FILES = tuple(f"{chunk}-{part}.mat" for chunk in CHUNKS for part in PARTS)
FACTOR_NAMES = ("category", "instance", "elevation", "azimuth", "lighting")
INSTANCE = 1
MAGIC = {0x1E3D4C55: np.uint8, 0x1E3D4C54: np.int32}
HINT = download_hint("smallnorb", PAGE)


def read_binary_matrix(path: Path) -> np.ndarray:
    """A NORB binary matrix (uint8 or int32), with its header and length checked."""
    data = read_bytes(path, "dataset.path")
    if len(data) < 20:
        raise DataFileError(f"dataset.path: '{path}' is too short for a NORB header.")
    magic, ndim = (int(v) for v in np.frombuffer(data, dtype="<i4", count=2))
    if magic not in MAGIC or not 1 <= ndim <= 8:
        raise DataFileError(
            f"dataset.path: '{path}' is not a NORB byte or int matrix (magic 0x{magic:08X}, "
            f"{ndim} dimensions)."
        )
    stored = max(3, ndim)
    shape = tuple(int(d) for d in np.frombuffer(data, dtype="<i4", count=stored, offset=8)[:ndim])
    dtype = np.dtype(MAGIC[magic]).newbyteorder("<")
    header = 8 + 4 * stored
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise DataFileError(
            f"dataset.path: '{path}' is corrupt or truncated: its header announces {shape} "
            f"({expected} bytes) but it has {len(data)} bytes. Delete it and download it again."
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def read_chunk(folder: Path, chunk: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Images (n, size, size, 1) of the first camera and factor rows (n, 5) of one file set."""
    dat, cat, info = (
        read_binary_matrix(find_file(folder, [n, n + ".gz"], "dataset.path", HINT))
        for n in (f"{chunk}-{part}.mat" for part in PARTS)
    )
    n = len(dat)
    if dat.ndim != 4 or dat.shape[1] != 2 or cat.shape != (n,) or info.shape != (n, 4):
        raise DataFileError(
            f"dataset.path: the {chunk} files do not match: dat {dat.shape}, cat {cat.shape}, "
            f"info {info.shape}; expected (N, 2, H, W), (N,), (N, 4)."
        )
    factors = np.column_stack([cat, info]).astype(np.int64)
    if (factors[:, 3] % 2).any():
        raise DataFileError(
            f"dataset.path: {chunk}-info holds odd azimuths; expected 0, 2, .., 34."
        )
    factors[:, 3] //= 2
    images = resize_images(dat[:, 0], size, Image.Resampling.LANCZOS)
    return images[..., None], factors


class SmallNORB(GridImages):
    """SmallNORB as (1, 64, 64) observations; instance is a nuisance factor."""

    def __init__(self, path: str | Path | None, image_size: int = 64) -> None:
        folder = require_path(path, "dataset.path", f"the folder with {', '.join(FILES)}", HINT)
        chunks = [read_chunk(folder, chunk, image_size) for chunk in CHUNKS]
        super().__init__(
            FACTOR_NAMES,
            np.concatenate([factors for _, factors in chunks]),
            np.concatenate([images for images, _ in chunks]),
            f"dataset.path: the SmallNORB files in '{folder}'",
            nuisance=(INSTANCE,),
        )
