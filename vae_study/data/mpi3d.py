"""MPI3D (Gondal et al. 2019, "On the Transfer of Inductive Bias from Simulation to the Real
World: a New Disentanglement Dataset").

Files: ``mpi3d_toy.npz``, ``mpi3d_realistic.npz``, ``mpi3d_real.npz`` from
https://github.com/rr-learning/disentanglement_dataset, each with ``images`` (1036800, 64, 64, 3)
uint8 in row-major order of the factors (that README: ``reshape([6,6,2,3,3,40,40,64,64,3])``):

================  =====  ==========================================
factor            size   values
================  =====  ==========================================
object_color      6      white, green, red, blue, brown, olive
object_shape      6      cone, cube, cylinder, hexagonal, pyramid, sphere
object_size       2      small, large
camera_height     3      top, center, bottom
background_color  3      purple, sea green, salmon
horizontal_axis   40     0 .. 39
vertical_axis     40     0 .. 39
================  =====  ==========================================

disentanglement_lib ``data/ground_truth/mpi3d.py`` uses 4 colours and 4 shapes for the toy and
realistic sets: that matches the first, 460,800-image release; set ``factor_sizes`` to
``[4, 4, 2, 3, 3, 40, 40]`` for it. The images of an uncompressed ``.npz`` (as released, 12.7 GB)
are memory-mapped in place; a compressed one is read into memory.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vae_study.data.files import DataFileError, download_hint, require_path
from vae_study.data.indexed import GridImages
from vae_study.errors import ConfigError

PAGE = "https://github.com/rr-learning/disentanglement_dataset"
VARIANTS = ("toy", "realistic", "real")
FACTOR_NAMES = (
    "object_color", "object_shape", "object_size", "camera_height", "background_color",
    "horizontal_axis", "vertical_axis",
)  # fmt: skip
FACTOR_SIZES = (6, 6, 2, 3, 3, 40, 40)
MEMBER = "images.npy"
LOCAL_HEADER = 30  # bytes of a zip local file header before its name and extra field

log = logging.getLogger(__name__)


def _member_map(path: Path, archive: zipfile.ZipFile) -> np.ndarray | None:
    """The uncompressed ``images.npy`` member as a read-only memory map, or None if compressed."""
    info = archive.getinfo(MEMBER)
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    with path.open("rb") as stream:
        stream.seek(info.header_offset)
        local = stream.read(LOCAL_HEADER)
        name_length, extra_length = np.frombuffer(local, dtype="<u2", count=2, offset=26)
        stream.seek(info.header_offset + LOCAL_HEADER + int(name_length) + int(extra_length))
        version = np.lib.format.read_magic(stream)
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = read_header(stream)
        offset = stream.tell()
    if fortran:
        return None
    if offset + int(np.prod(shape)) * dtype.itemsize > path.stat().st_size:
        raise EOFError(f"'{MEMBER}' ends before its {shape} images")
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)


def read_images(path: Path) -> np.ndarray:
    """The ``images`` array of an MPI3D ``.npz``, memory-mapped when stored uncompressed."""
    try:
        with zipfile.ZipFile(path) as archive:
            if MEMBER not in archive.namelist():
                raise DataFileError(
                    f"dataset.path: '{path}' lacks the array 'images' of the MPI3D release "
                    f"(found {archive.namelist()})."
                )
            images = _member_map(path, archive)
        if images is None:
            log.info("MPI3D: '%s' is compressed; reading its images into memory", path)
            with np.load(path) as archive:
                images = archive["images"]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise DataFileError(
            f"dataset.path: '{path}' is corrupt or truncated ({error}). Delete it and download "
            "it again."
        ) from error
    return images


class MPI3D(GridImages):
    """MPI3D toy, realistic or real as (3, 64, 64) observations over seven factors."""

    def __init__(
        self,
        path: str | Path | None,
        variant: str = "toy",
        factor_sizes: Sequence[int] = FACTOR_SIZES,
    ) -> None:
        if variant not in VARIANTS:
            raise ConfigError(f"dataset.variant must be one of {VARIANTS}, got {variant!r}.")
        hint = download_hint(f"mpi3d_{variant}", PAGE)
        path = require_path(path, "dataset.path", f"the file mpi3d_{variant}.npz", hint)
        images = read_images(path)
        sizes = tuple(int(s) for s in factor_sizes)
        if len(sizes) != len(FACTOR_NAMES) or images.ndim != 4 or images.shape[3] != 3:
            raise DataFileError(
                f"dataset.path: '{path}' holds images {images.shape} for dataset.factor_sizes "
                f"{list(sizes)}; expected (N, 64, 64, 3) and seven factor sizes."
            )
        if images.shape[0] != np.prod(sizes):
            raise DataFileError(
                f"dataset.path: '{path}' holds {images.shape[0]} images, but "
                f"dataset.factor_sizes={list(sizes)} needs {int(np.prod(sizes))}. The release "
                "has 1,036,800 ([6,6,2,3,3,40,40]); the first release 460,800 ([4,4,2,3,3,40,40])."
            )
        grid = np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij")
        super().__init__(
            FACTOR_NAMES,
            np.stack(grid, axis=-1).reshape(-1, len(sizes)),
            images,
            f"dataset.path: '{path}'",
        )
