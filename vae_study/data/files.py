"""Reading a data set's files: the user-facing errors and the small readers the loaders share.

Every loader reads files the user already has (``dataset.path``); nothing here downloads. A file
that is missing, truncated or not the expected file stops the run at load time with a
:class:`DataFileError` naming the config key, the file, what was found and what to do.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from vae_study.errors import ConfigError


class DataFileError(ConfigError):
    """A data set's file is missing, corrupt, truncated or not the file the loader expects."""


def download_hint(name: str, page: str) -> str:
    """The sentence every missing-file error ends with."""
    return f"Get it with `python -m vae_study.data download {name} --dir DIR`, or from {page}."


def require_path(path: str | Path | None, key: str, expected: str, hint: str) -> Path:
    """``path`` as a Path if it exists, else a DataFileError naming ``key`` and the files."""
    if path is None:
        raise DataFileError(f"{key} is not set: point it to {expected}. {hint}")
    path = Path(path).expanduser()
    if not path.exists():
        raise DataFileError(f"{key}: nothing at '{path}'; expected {expected}. {hint}")
    return path


def find_file(folder: Path, names: Iterable[str], key: str, hint: str) -> Path:
    """The first of ``names`` present in ``folder``, else a DataFileError listing them all."""
    names = list(names)
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise DataFileError(f"{key}: '{folder}' lacks {' or '.join(repr(n) for n in names)}. {hint}")


def read_bytes(path: Path, key: str) -> bytes:
    """The file's bytes, decompressed when it ends in ``.gz``; a truncated archive is an error."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as stream:
                return stream.read()
        return path.read_bytes()
    except (EOFError, OSError, zlib.error) as error:
        raise DataFileError(
            f"{key}: '{path}' is corrupt or truncated ({error}). Delete it and download it again."
        ) from error


def resize_images(images: np.ndarray, size: int, resample: Image.Resampling) -> np.ndarray:
    """Resize uint8 images (n, H, W) or (n, H, W, C) to (n, size, size[, C]) with Pillow."""
    if images.shape[1:3] == (size, size):
        return np.ascontiguousarray(images, dtype=np.uint8)
    out = np.empty((len(images), size, size, *images.shape[3:]), dtype=np.uint8)
    for i, image in enumerate(images):
        out[i] = np.asarray(Image.fromarray(image).resize((size, size), resample))
    return out
