"""3D Shapes (Burgess and Kim 2018; introduced in Kim and Mnih 2018, "Disentangling by
Factorising").

The file is ``3dshapes.h5`` from https://github.com/deepmind/3d-shapes (hosted at
https://storage.googleapis.com/3d-shapes/3dshapes.h5): dataset ``images`` (480000, 64, 64, 3)
uint8 and ``labels`` (480000, 6) float64 holding the factor *values*. Factors, in the order of
disentanglement_lib ``data/ground_truth/shapes3d.py`` and the file:

===========  =====  ==================================================
factor       size   values in ``labels`` (3d-shapes ``README.md``)
===========  =====  ==================================================
floor_hue    10     linearly spaced in [0, 1]
wall_hue     10     linearly spaced in [0, 1]
object_hue   10     linearly spaced in [0, 1]
scale        8      linearly spaced
shape        4      0, 1, 2, 3
orientation  15     linearly spaced in [-30, 30]
===========  =====  ==================================================

Each column's values are ranked (``np.unique``) to factor indices, so the lookup does not depend
on the order of the rows. The file is 255 MiB (compressed HDF5). ``in_memory=True`` reads the
images once (5.9 GB uint8); ``in_memory=False`` reads each batch from the file instead (slower,
little memory).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from vae_study.data.files import DataFileError, download_hint, require_path
from vae_study.data.indexed import GridImages

PAGE = "https://github.com/deepmind/3d-shapes"
FILENAME = "3dshapes.h5"
FACTOR_NAMES = ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
HINT = download_hint("shapes3d", PAGE)


class H5Images:
    """An HDF5 image dataset read batch by batch (h5py wants increasing, unique rows)."""

    def __init__(self, dataset: h5py.Dataset) -> None:
        self.dataset = dataset
        self.shape = dataset.shape

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        unique, inverse = np.unique(rows, return_inverse=True)
        return self.dataset[unique][inverse]


def label_indices(labels: np.ndarray) -> np.ndarray:
    """Factor values (N, K) as indices (N, K): the rank of each value within its column."""
    indices = np.empty(labels.shape, dtype=np.int64)
    for k in range(labels.shape[1]):
        indices[:, k] = np.unique(labels[:, k], return_inverse=True)[1].reshape(-1)
    return indices


class Shapes3D(GridImages):
    """3D Shapes as (3, 64, 64) observations over its six factors."""

    def __init__(self, path: str | Path | None, in_memory: bool = True) -> None:
        path = require_path(path, "dataset.path", f"the file {FILENAME}", HINT)
        try:
            handle = h5py.File(path, "r")
        except OSError as error:
            raise DataFileError(
                f"dataset.path: '{path}' is not a readable HDF5 file; it is corrupt or truncated "
                f"({error}). Delete it and download it again. {HINT}"
            ) from error
        if "images" not in handle or "labels" not in handle:
            raise DataFileError(
                f"dataset.path: '{path}' lacks the datasets 'images' and 'labels' of "
                f"{FILENAME} (found {sorted(handle)})."
            )
        images, labels = handle["images"], handle["labels"]
        if images.ndim != 4 or images.shape[1:] != (64, 64, 3) or images.dtype != np.uint8:
            raise DataFileError(
                f"dataset.path: 'images' in '{path}' is {images.shape} {images.dtype}, expected "
                "(N, 64, 64, 3) uint8."
            )
        if labels.shape != (images.shape[0], len(FACTOR_NAMES)):
            raise DataFileError(
                f"dataset.path: 'labels' in '{path}' has shape {labels.shape}, expected "
                f"({images.shape[0]}, {len(FACTOR_NAMES)})."
            )
        try:
            store = images[...] if in_memory else H5Images(images)
            factors = label_indices(labels[...])
        except OSError as error:
            raise DataFileError(
                f"dataset.path: '{path}' could not be read ({error}); it is corrupt or truncated."
            ) from error
        if in_memory:
            handle.close()
        super().__init__(FACTOR_NAMES, factors, store, f"dataset.path: '{path}'")
