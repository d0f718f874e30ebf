"""MNIST (LeCun et al. 1998) read from the four IDX files as distributed.

Files and format: http://yann.lecun.com/exdb/mnist/ ("FILE FORMATS FOR THE MNIST DATABASE"). An
IDX file is a big-endian header, magic ``0x0000 TT DD`` (``TT`` = 0x08 for unsigned bytes, ``DD``
= the number of dimensions), one uint32 per dimension, then the data in C order:
``train-images-idx3-ubyte`` (60000, 28, 28), ``train-labels-idx1-ubyte`` (60000,), and the
``t10k-`` pair with 10000 test examples. Either the ``.gz`` files or their unpacked form are read.

The one factor is the digit (10 values). The digits are not a grid of generative factors:
``sample`` draws real images, and ``sample_observations_from_factors`` picks a random image of
each requested digit. Images are resized (bilinear, Pillow) or zero-padded to ``image_size`` so
the study's 64x64 conv architecture applies; ``image_size=28`` keeps them as they are.
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
from vae_study.data.indexed import SampledImages
from vae_study.errors import ConfigError

PAGE = "http://yann.lecun.com/exdb/mnist/"
PREFIXES = {"train": "train", "test": "t10k"}
IMAGES = "{}-images-idx3-ubyte"
LABELS = "{}-labels-idx1-ubyte"
UNSIGNED_BYTE = 0x08
HINT = download_hint("mnist", PAGE)


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """An unsigned-byte IDX array with ``ndim`` dimensions; header and length are checked."""
    data = read_bytes(path, "dataset.path")
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataFileError(f"dataset.path: '{path}' is not an IDX file (bad magic number).")
    if data[2] != UNSIGNED_BYTE or data[3] != ndim:
        raise DataFileError(
            f"dataset.path: '{path}' holds a {data[3]}-d IDX array of type 0x{data[2]:02x}, "
            f"expected {ndim}-d unsigned bytes (0x08)."
        )
    header = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise DataFileError(
            f"dataset.path: '{path}' is corrupt or truncated: its header announces {shape} "
            f"({expected} bytes) but it has {len(data)} bytes. Delete it and download it again."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def fit_images(images: np.ndarray, size: int, fit: str) -> np.ndarray:
    """(n, 28, 28) uint8 digits as (n, size, size): bilinear ``resize`` or centred zero ``pad``."""
    height = images.shape[1]
    if fit == "resize":
        return resize_images(images, size, Image.Resampling.BILINEAR)
    if fit == "pad" and size >= height:
        before = (size - height) // 2
        after = size - height - before
        return np.pad(images, ((0, 0), (before, after), (before, after)))
    raise ConfigError(
        f"dataset.fit must be 'resize' or 'pad' (pad needs dataset.image_size >= {height}), "
        f"got fit={fit!r} with image_size={size}."
    )


class MNIST(SampledImages):
    """MNIST digits as (1, image_size, image_size) observations; factor: the digit."""

    def __init__(
        self,
        path: str | Path | None,
        split: str = "train",
        image_size: int = 64,
        fit: str = "resize",
    ) -> None:
        if split not in PREFIXES:
            raise ConfigError(f"dataset.split must be 'train' or 'test', got {split!r}.")
        folder = require_path(
            path, "dataset.path", "the folder with the four MNIST IDX files", HINT
        )
        prefix = PREFIXES[split]
        names = [IMAGES.format(prefix), LABELS.format(prefix)]
        images_file, labels_file = (
            find_file(folder, [name, name + ".gz"], "dataset.path", HINT) for name in names
        )
        images = read_idx(images_file, 3)
        labels = read_idx(labels_file, 1)
        if len(images) != len(labels):
            raise DataFileError(
                f"dataset.path: '{images_file}' has {len(images)} images but '{labels_file}' has "
                f"{len(labels)} labels; the files are from different releases or truncated."
            )
        if labels.max(initial=0) > 9:
            raise DataFileError(f"dataset.path: '{labels_file}' has labels above 9.")
        super().__init__(
            ("digit",),
            (10,),
            labels[:, None].astype(np.int64),
            fit_images(images, image_size, fit)[..., None],
            supports_interventions=True,
        )
