"""Tiny data sets written in the real on-disk formats, for the loader tests.

Each writer encodes an image's factors in its pixels, so a test can read back which image a
loader returned. Formats: IDX (MNIST page), JPEG + CelebA's attribute and partition files, HDF5
with 3dshapes.h5's keys, NORB binary matrices, MATLAB ``.mat`` with Cars3D's ``im``, ``.npz``.
"""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import h5py
import numpy as np
import scipy.io
from PIL import Image

from vae_study.data import celeba, mnist, smallnorb

DIGIT_LEVEL = 20  # an MNIST image of digit d is constant DIGIT_LEVEL * (d + 1)


def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte IDX file: magic 0x0000 08 ndim, big-endian uint32 sizes, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_mnist(folder: Path, per_digit: int = 3, gz: bool = True) -> np.ndarray:
    """Train and test IDX files; returns the train labels."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = np.tile(np.arange(10, dtype=np.uint8), per_digit)
    images = np.broadcast_to(
        (DIGIT_LEVEL * (labels + 1))[:, None, None], (len(labels), 28, 28)
    ).astype(np.uint8)
    for prefix, count in (("train", len(labels)), ("t10k", 10)):
        for name, array in ((mnist.IMAGES, images[:count]), (mnist.LABELS, labels[:count])):
            data = idx_bytes(array)
            target = folder / name.format(prefix)
            if gz:
                target.with_name(target.name + ".gz").write_bytes(gzip.compress(data))
            else:
                target.write_bytes(data)
    return labels


def attribute_colour(values: np.ndarray) -> tuple[int, int, int]:
    """The colour a CelebA fixture image gets: its first three attributes, 0 -> 40, 1 -> 220."""
    return tuple(int(40 + 180 * v) for v in values[:3])


def write_celeba(folder: Path, count: int = 6, partition: bool = True) -> np.ndarray:
    """JPEGs of 178x218 plus list_attr_celeba.txt (and list_eval_partition.txt); 0/1 table."""
    images = folder / celeba.IMAGE_FOLDER
    images.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    table = rng.integers(0, 2, size=(count, celeba.NUM_ATTRIBUTES))
    names = [f"Attribute_{k}" for k in range(celeba.NUM_ATTRIBUTES)]
    lines = [str(count), " ".join(names)]
    for i, row in enumerate(table):
        name = f"{i + 1:06d}.jpg"
        Image.new("RGB", (178, 218), attribute_colour(row)).save(images / name, quality=95)
        lines.append(name + "".join(f" {2 * v - 1:2d}" for v in row))
    (folder / celeba.ATTRIBUTES).write_text("\n".join(lines) + "\n")
    if partition:
        splits = "\n".join(f"{i + 1:06d}.jpg {i % 3}" for i in range(count))
        (folder / celeba.PARTITION).write_text(splits + "\n")
    return table


SHAPES3D_SIZES = (2, 3, 1, 2, 2, 3)


def shapes3d_values(sizes: tuple[int, ...] = SHAPES3D_SIZES) -> list[np.ndarray]:
    """Factor values as the file stores them: hues in [0, 1), scales, shapes, angles."""
    return [
        np.arange(sizes[0]) / 10, np.arange(sizes[1]) / 10, np.arange(sizes[2]) / 10,
        np.linspace(0.75, 1.25, sizes[3]), np.arange(sizes[4], dtype=float),
        np.linspace(-30, 30, sizes[5]),
    ]  # fmt: skip


def index_image(index: int, channels: int, size: int = 64) -> np.ndarray:
    """A constant (size, size, channels) image whose value is ``index``."""
    return np.full((size, size, channels), index, dtype=np.uint8)


def write_shapes3d(path: Path, shuffle: bool = False) -> np.ndarray:
    """A 3dshapes.h5 with ``images`` and float ``labels``; image i has value i; returns indices."""
    grid = np.array(list(itertools.product(*[range(s) for s in SHAPES3D_SIZES])))
    order = np.random.default_rng(1).permutation(len(grid)) if shuffle else np.arange(len(grid))
    grid = grid[order]
    values = shapes3d_values()
    labels = np.stack([values[k][grid[:, k]] for k in range(6)], axis=1)
    images = np.stack([index_image(i, 3) for i in range(len(grid))])
    with h5py.File(path, "w") as handle:
        handle.create_dataset("images", data=images)
        handle.create_dataset("labels", data=labels)
    return grid


def norb_bytes(array: np.ndarray) -> bytes:
    """A NORB binary matrix: int32 magic, ndim, max(3, ndim) sizes (little endian), data."""
    magic = 0x1E3D4C55 if array.dtype == np.uint8 else 0x1E3D4C54
    dims = list(array.shape) + [1] * (3 - array.ndim)
    header = np.array([magic, array.ndim, *dims], dtype="<i4").tobytes()
    return header + np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()


NORB_INSTANCES = {"training": (1, 2), "testing": (0, 3)}


def norb_value(category, instance, elevation, azimuth, lighting):
    """The pixel value of a NORB fixture image (first camera) for its factor indices."""
    return 128 * category + 64 * elevation + 32 * azimuth + 16 * lighting + 4 * instance


def write_smallnorb(folder: Path, gz_training: bool = True) -> None:
    """Both chunks with 2 categories, 2 instances each, 2 elevations, 2 azimuths, 2 lightings."""
    folder.mkdir(parents=True, exist_ok=True)
    for chunk in smallnorb.CHUNKS:
        part = "training" if "training" in chunk else "testing"
        rows = np.array(
            list(itertools.product(range(2), NORB_INSTANCES[part], range(2), range(2), range(2)))
        )
        first = np.array([norb_value(*r) for r in rows], dtype=np.uint8)
        dat = np.empty((len(rows), 2, 8, 8), dtype=np.uint8)
        dat[:, 0] = first[:, None, None]
        dat[:, 1] = 255 - first[:, None, None]  # the second camera, never used
        info = np.column_stack([rows[:, 1], rows[:, 2], 2 * rows[:, 3], rows[:, 4]])
        for name, array in (
            ("dat", dat), ("cat", rows[:, 0].astype(np.int32)), ("info", info.astype(np.int32))
        ):  # fmt: skip
            target = folder / f"{chunk}-{name}.mat"
            data = norb_bytes(array)
            if gz_training and part == "training":
                target.with_name(target.name + ".gz").write_bytes(gzip.compress(data))
            else:
                target.write_bytes(data)


def cars_colour(elevation: int, azimuth: int, model: int) -> tuple[int, int, int]:
    return (10 * azimuth, 60 * elevation, 100 * model)


def write_cars3d(folder: Path, models: int = 3, listing: bool = True) -> None:
    """``car_NNN_mesh.mat`` files with ``im`` (8, 8, 3, 24, 4) and, optionally, list.txt."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for model in range(models):
        im = np.empty((8, 8, 3, 24, 4), dtype=np.uint8)
        for azimuth, elevation in itertools.product(range(24), range(4)):
            im[:, :, :, azimuth, elevation] = cars_colour(elevation, azimuth, model)
        name = f"car_{model + 1:03d}_mesh"
        scipy.io.savemat(folder / f"{name}.mat", {"im": im}, do_compression=True)
        names.append(name)
    if listing:
        (folder / "list.txt").write_text("\n".join(names) + "\n")


MPI3D_SIZES = (2, 2, 1, 1, 2, 2, 3)


def write_mpi3d(path: Path, compressed: bool = False) -> None:
    """An mpi3d ``.npz`` with ``images`` in row-major factor order; image i has value i."""
    images = np.stack([index_image(i, 3) for i in range(int(np.prod(MPI3D_SIZES)))])
    (np.savez_compressed if compressed else np.savez)(path, images=images)


def write_scream(path: Path, size: tuple[int, int] = (120, 90)) -> np.ndarray:
    """A smooth RGB picture (width, height) saved as PNG-exact JPEG source; returns its array."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    picture = np.stack([x * 2, y * 2, (x + y)], axis=-1).clip(0, 255).astype(np.uint8)
    Image.fromarray(picture).save(path, quality=100)
    return picture
