"""Fetch a data set's files from their official location, for users with a network.

Nothing in a run downloads: runs read files the user has (``dataset.path``) or render data
procedurally. ``python -m vae_study.data download NAME --dir DIR`` fetches the files from where
their authors publish them, checks what can be checked, unpacks archives the loaders do not read
directly, builds the data set once with the same loader a run uses (so a wrong or truncated file
fails here, with the loader's message), and prints the setting to use.

What is checked, per file (hashes are never made up; where the host publishes none, the size the
official page states and the loader's structural checks are what stands between a bad file and a
run):

* MNIST: the byte sizes stated on http://yann.lecun.com/exdb/mnist/.
* 3D Shapes, MPI3D: the MD5 that Google Cloud Storage sends with the file (``x-goog-hash``).
* dSprites, CelebA, SmallNORB, Cars3D, The Scream: no published hash or size; the transfer's
  length is checked against ``Content-Length`` and the loader checks structure and sizes.

Every download prints the file's SHA-256, so a study can pin the exact files it used.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import tarfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vae_study.data import cars3d, celeba, mnist, mpi3d, shapes3d, smallnorb
from vae_study.data.dsprites import ARCHIVE_NAME, SCREAM_URL, SpriteArchive, load_scream
from vae_study.data.files import DataFileError

BLOCK = 1 << 20
GOOGLE_DRIVE = "https://drive.usercontent.google.com/download?export=download&confirm=t&id={}"


@dataclass(frozen=True)
class RemoteFile:
    url: str
    filename: str
    size: int | None = None  # bytes, as stated by the official page
    host_md5: bool = False  # the host sends the file's MD5 in an ``x-goog-hash`` header


@dataclass(frozen=True)
class Download:
    files: tuple[RemoteFile, ...]
    approx: str  # total size, for the user
    verify: Callable[[Path], object]  # builds the data set from the download folder
    setting: str  # the config override to use, ``{dir}`` = the download folder
    unpack: Callable[[Path, Path], None] | None = None  # (archive, folder), for the first file


def _unpack_zip(archive: Path, folder: Path) -> None:
    with zipfile.ZipFile(archive) as members:
        members.extractall(folder)


def _unpack_cars(archive: Path, folder: Path) -> None:
    """Extract ``data/cars/*`` of ``nips2015-analogy-data.tar.gz`` into ``folder/cars``."""
    (folder / "cars").mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            parts = Path(member.name).parts
            if member.isfile() and len(parts) == 3 and parts[:2] == ("data", "cars"):
                source = tar.extractfile(member)
                with source, (folder / "cars" / parts[2]).open("wb") as out:
                    shutil.copyfileobj(source, out, BLOCK)


def _mnist_files() -> tuple[RemoteFile, ...]:
    sizes = {  # as stated on the MNIST page
        "train-images-idx3-ubyte.gz": 9912422,
        "train-labels-idx1-ubyte.gz": 28881,
        "t10k-images-idx3-ubyte.gz": 1648877,
        "t10k-labels-idx1-ubyte.gz": 4542,
    }
    return tuple(RemoteFile(mnist.PAGE + name, name, size) for name, size in sizes.items())


def _mpi3d(variant: str) -> Download:
    name = f"mpi3d_{variant}.npz"
    url = f"https://storage.googleapis.com/disentanglement_dataset/Final_Dataset/{name}"
    return Download(
        files=(RemoteFile(url, name, host_md5=True),),
        approx="12.7 GB",
        verify=lambda folder: mpi3d.MPI3D(folder / name, variant),
        setting=f"dataset=mpi3d dataset.variant={variant} dataset.path={{dir}}/{name}",
    )


DOWNLOADS = {
    "dsprites": Download(
        files=(
            RemoteFile(
                f"https://github.com/deepmind/dsprites-dataset/raw/master/{ARCHIVE_NAME}",
                ARCHIVE_NAME,
            ),
        ),
        approx="26 MB",
        verify=lambda folder: SpriteArchive(folder / ARCHIVE_NAME),
        setting=f"dataset.path={{dir}}/{ARCHIVE_NAME}",
    ),
    "mnist": Download(
        files=_mnist_files(),
        approx="12 MB",
        verify=lambda folder: [mnist.MNIST(folder, split) for split in mnist.PREFIXES],
        setting="dataset=mnist dataset.path={dir}",
    ),
    "celeba": Download(
        files=(
            RemoteFile(
                GOOGLE_DRIVE.format("0B7EVK8r0v71pZjFTYXZWM3FlRnM")
                + "&resourcekey=0-dYn9z10tMJOBAkviAcfdyQ",
                "img_align_celeba.zip",
            ),
            RemoteFile(GOOGLE_DRIVE.format("0B7EVK8r0v71pblRyaVFSWGxPY0U"), celeba.ATTRIBUTES),
            RemoteFile(GOOGLE_DRIVE.format("0B7EVK8r0v71pY0NSMzRuSXJEVkk"), celeba.PARTITION),
        ),
        approx="1.4 GB, then a 2.5 GB image cache",
        verify=lambda folder: celeba.CelebA(folder),
        setting="dataset=celeba dataset.path={dir}",
        unpack=_unpack_zip,
    ),
    "scream_dsprites": Download(
        files=(RemoteFile(SCREAM_URL, "scream.jpg"),),
        approx="a few MB",
        verify=lambda folder: load_scream(folder / "scream.jpg"),
        setting="dataset=scream_dsprites dataset.scream_path={dir}/scream.jpg",
    ),
    "shapes3d": Download(
        files=(
            RemoteFile(
                "https://storage.googleapis.com/3d-shapes/3dshapes.h5",
                shapes3d.FILENAME,
                host_md5=True,
            ),
        ),
        approx="255 MB",
        verify=lambda folder: shapes3d.Shapes3D(folder / shapes3d.FILENAME, in_memory=False),
        setting=f"dataset=shapes3d dataset.path={{dir}}/{shapes3d.FILENAME}",
    ),
    "smallnorb": Download(
        files=tuple(
            RemoteFile(smallnorb.PAGE + name + ".gz", name + ".gz") for name in smallnorb.FILES
        ),
        approx="several hundred MB; no size is published",
        verify=lambda folder: smallnorb.SmallNORB(folder),
        setting="dataset=smallnorb dataset.path={dir}",
    ),
    "cars3d": Download(
        files=(
            RemoteFile(
                cars3d.PAGE + "files/nips2015-analogy-data.tar.gz", "nips2015-analogy-data.tar.gz"
            ),
        ),
        approx="no size is published",
        verify=lambda folder: cars3d.Cars3D(folder / "cars"),
        setting="dataset=cars3d dataset.path={dir}/cars",
        unpack=_unpack_cars,
    ),
    **{f"mpi3d_{variant}": _mpi3d(variant) for variant in mpi3d.VARIANTS},
}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def host_md5(header: str | None) -> str | None:
    """The hex MD5 in a Google Cloud Storage ``x-goog-hash`` header (``crc32c=..,md5=<b64>``)."""
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "md5":
            return base64.b64decode(value).hex()
    return None


def fetch(remote: RemoteFile, target: Path) -> None:
    """Download ``remote`` to ``target`` (via a ``.part`` file), checking length, size and MD5."""
    partial = target.with_name(target.name + ".part")
    digest = hashlib.md5()
    try:
        with urllib.request.urlopen(remote.url, timeout=60) as response, partial.open("wb") as out:
            kind = response.headers.get("Content-Type", "")
            if kind.startswith("text/html") and not remote.filename.endswith(".html"):
                raise DataFileError(
                    f"{remote.url} answered with a web page instead of {remote.filename} (a "
                    "quota, sign-in or moved file); download it in a browser from the official "
                    "page."
                )
            for block in iter(lambda: response.read(BLOCK), b""):
                digest.update(block)
                out.write(block)
            announced = response.headers.get("Content-Length")
            published = host_md5(response.headers.get("x-goog-hash"))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    size = partial.stat().st_size
    problems = []
    if announced is not None and size != int(announced):
        problems.append(f"{size} bytes arrived of the {announced} announced")
    if remote.size is not None and size != remote.size:
        problems.append(f"{size} bytes, the official page states {remote.size}")
    if remote.host_md5 and published is None:
        print(f"note: the host sent no MD5 for {remote.filename}; relying on the structural check")
    if published is not None and digest.hexdigest() != published:
        problems.append(f"MD5 {digest.hexdigest()}, the host publishes {published}")
    if problems:
        partial.unlink()
        raise DataFileError(f"{remote.url}: {'; '.join(problems)}. Try again.")
    partial.replace(target)


def download(name: str, directory: str | Path) -> Path:
    """Download data set ``name`` into ``directory`` and verify it with its loader."""
    if name not in DOWNLOADS:
        raise SystemExit(f"unknown data set '{name}'; downloadable: {', '.join(DOWNLOADS)}")
    spec = DOWNLOADS[name]
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"downloading {name} (about {spec.approx}) to {folder}")
    for remote in spec.files:
        target = folder / remote.filename
        print(f"  {remote.url}")
        fetch(remote, target)
        print(f"  {target}: sha256 {sha256(target)}")
    if spec.unpack is not None:
        archive = folder / spec.files[0].filename
        spec.unpack(archive, folder)
        archive.unlink()
    spec.verify(folder)
    print(f"verified; use {spec.setting.format(dir=folder)}")
    return folder
