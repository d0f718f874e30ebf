"""CelebA (Liu et al. 2015, "Deep Learning Face Attributes in the Wild"), aligned and cropped.

Files as distributed on the official page (https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html):
``img_align_celeba/`` (202,599 JPEGs of 178x218, from ``img_align_celeba.zip``),
``Anno/list_attr_celeba.txt`` (first line: the number of images; second line: the 40 attribute
names; then one line per image: file name and 40 values in {-1, 1}) and, optionally,
``Eval/list_eval_partition.txt`` (file name and 0 = train, 1 = valid, 2 = test). The two text
files are found either in ``dataset.path`` itself or in its ``Anno/`` and ``Eval/`` folders.

Factors: the 40 binary attributes (-1 -> 0, 1 -> 1), in the file's order. They are labels of real
photographs, not a grid, so ``sample_observations_from_factors`` raises ``NotAGridError`` and the
intervention metrics report themselves as not applicable.

Preprocessing, as in many VAE papers on CelebA (e.g. the DFC-VAE, and the PyTorch-VAE
collection): a centred 148x148 crop (rows 35..182, columns 15..162 of the 218x178 image) resized
to ``image_size`` (bilinear, Pillow), RGB. Decoding 202,599 JPEGs takes minutes, so the first use
writes them, preprocessed, to a uint8 cache ``celeba_{size}px_crop{crop}.npy`` (2.49 GB at 64x64)
in ``dataset.cache_dir`` (default: ``dataset.path``); later runs memory-map it. The cache is
recognised by its name and shape only: delete it after changing the images.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from vae_study.data.files import DataFileError, download_hint, find_file, require_path
from vae_study.data.indexed import RowSubset, SampledImages
from vae_study.errors import ConfigError

PAGE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
IMAGE_FOLDER = "img_align_celeba"
ATTRIBUTES = "list_attr_celeba.txt"
PARTITION = "list_eval_partition.txt"
SPLITS = {"train": 0, "valid": 1, "test": 2}
NUM_ATTRIBUTES = 40
HINT = download_hint("celeba", PAGE)

log = logging.getLogger(__name__)


def read_attributes(path: Path) -> tuple[list[str], tuple[str, ...], np.ndarray]:
    """File names, attribute names and the (N, 40) 0/1 table of ``list_attr_celeba.txt``."""
    lines = path.read_text().splitlines()
    try:
        count = int(lines[0])
        names = tuple(lines[1].split())
    except (IndexError, ValueError) as error:
        raise DataFileError(
            f"dataset.path: '{path}' does not start with the image count and the attribute names "
            "(the two header lines of list_attr_celeba.txt)."
        ) from error
    rows = [line.split() for line in lines[2:] if line.strip()]
    if len(names) != NUM_ATTRIBUTES or len(rows) != count:
        raise DataFileError(
            f"dataset.path: '{path}' announces {count} images and has {len(rows)} rows of "
            f"{len(names)} attributes; expected {count} rows of {NUM_ATTRIBUTES}. The file is "
            "truncated or not list_attr_celeba.txt."
        )
    try:
        values = np.array([row[1:] for row in rows], dtype=np.int64)
    except ValueError as error:
        raise DataFileError(f"dataset.path: '{path}' has malformed rows ({error}).") from error
    if values.shape != (count, NUM_ATTRIBUTES) or not np.isin(values, (-1, 1)).all():
        raise DataFileError(
            f"dataset.path: '{path}' must hold {NUM_ATTRIBUTES} values in {{-1, 1}} per row."
        )
    return [row[0] for row in rows], names, (values > 0).astype(np.int64)


def read_partition(path: Path, files: list[str]) -> np.ndarray:
    """The split (0, 1, 2) of each image of ``files``, from ``list_eval_partition.txt``."""
    split = dict(line.split() for line in path.read_text().splitlines() if line.strip())
    missing = [name for name in files if name not in split]
    if missing:
        raise DataFileError(
            f"dataset.path: '{path}' lacks {len(missing)} images of the attribute file "
            f"(first: {missing[0]}); it is truncated or from another release."
        )
    return np.array([int(split[name]) for name in files], dtype=np.int64)


def preprocess(path: Path, size: int, crop: int) -> np.ndarray:
    """One JPEG as (size, size, 3) uint8: centred ``crop`` x ``crop`` square, then resized."""
    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
    except OSError as error:  # includes PIL.UnidentifiedImageError and truncated JPEGs
        raise DataFileError(
            f"dataset.path: '{path}' is not a readable image ({error}). Restore it from "
            f"img_align_celeba.zip. {HINT}"
        ) from error
    width, height = rgb.size
    if min(width, height) < crop:
        raise DataFileError(
            f"dataset.crop={crop} is larger than '{path}' ({width}x{height}); the aligned images "
            "are 178x218."
        )
    left, top = (width - crop) // 2, (height - crop) // 2
    square = rgb.crop((left, top, left + crop, top + crop))
    return np.asarray(square.resize((size, size), Image.Resampling.BILINEAR))


def build_cache(paths: list[Path], target: Path, size: int, crop: int) -> None:
    """Decode every image (threads: Pillow releases the GIL) into a uint8 ``.npy``, atomically.

    The temporary file is named by process, so runs that start together on a fresh data set each
    build and rename their own copy instead of writing into one file.
    """
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    log.info(
        "CelebA: decoding %d images into %s (%.2f GB, once)",
        len(paths), target, len(paths) * size * size * 3 / 1e9,
    )  # fmt: skip
    cache = np.lib.format.open_memmap(
        partial, mode="w+", dtype=np.uint8, shape=(len(paths), size, size, 3)
    )
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        images = pool.map(lambda p: preprocess(p, size, crop), paths, chunksize=256)
        for i, image in enumerate(images):
            cache[i] = image
    cache.flush()
    del cache
    partial.replace(target)


def load_cache(target: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    """The cached images as a read-only memory map, or None if absent or not of ``shape``."""
    try:
        cache = np.load(target, mmap_mode="r")
    except (OSError, ValueError):
        return None
    return cache if cache.shape == shape and cache.dtype == np.uint8 else None


class CelebA(SampledImages):
    """CelebA faces as (3, image_size, image_size) observations; factors: the 40 attributes."""

    def __init__(
        self,
        path: str | Path | None,
        split: str = "all",
        image_size: int = 64,
        crop: int = 148,
        cache_dir: str | Path | None = None,
    ) -> None:
        if split != "all" and split not in SPLITS:
            raise ConfigError(f"dataset.split must be all, train, valid or test, got {split!r}.")
        folder = require_path(
            path,
            "dataset.path",
            f"the CelebA folder holding {IMAGE_FOLDER}/ and {ATTRIBUTES}",
            HINT,
        )
        attributes = find_file(folder, [ATTRIBUTES, f"Anno/{ATTRIBUTES}"], "dataset.path", HINT)
        files, names, table = read_attributes(attributes)
        image_folder = folder / IMAGE_FOLDER
        paths = [image_folder / name for name in files]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise DataFileError(
                f"dataset.path: {len(missing)} of the {len(paths)} images listed in '{attributes}' "
                f"are missing from '{image_folder}' (first: {missing[0].name}). Unpack "
                f"img_align_celeba.zip there. {HINT}"
            )
        cache_folder = Path(cache_dir).expanduser() if cache_dir is not None else folder
        target = cache_folder / f"celeba_{image_size}px_crop{crop}.npy"
        shape = (len(paths), image_size, image_size, 3)
        images = load_cache(target, shape)
        if images is None:
            try:
                cache_folder.mkdir(parents=True, exist_ok=True)
                build_cache(paths, target, image_size, crop)
            except PermissionError as error:
                raise ConfigError(
                    f"dataset.cache_dir: cannot write the image cache '{target}' ({error}); set "
                    "dataset.cache_dir to a writable folder."
                ) from error
            images = load_cache(target, shape)
        if split != "all":
            partition = find_file(folder, [PARTITION, f"Eval/{PARTITION}"], "dataset.path", HINT)
            keep = np.flatnonzero(read_partition(partition, files) == SPLITS[split])
            images, table = RowSubset(images, keep), table[keep]
        super().__init__(names, (2,) * NUM_ATTRIBUTES, table, images, supports_interventions=False)
