"""Fetch a data set's files from their official location, for users with a network.

Nothing in a run downloads: runs read files the user has (``dataset.path``) or render data
procedurally. ``python -m vae_study.data download dsprites --dir DIR`` fetches the archive, checks
its content (the full factor grid of binary images, via the same loader a run uses), and prints
its SHA-256 so it can be pinned.
"""

from __future__ import annotations

import hashlib
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from vae_study.data.dsprites import ARCHIVE_NAME, SpriteArchive


@dataclass(frozen=True)
class Download:
    url: str
    filename: str
    approx_mb: int


DOWNLOADS = {
    "dsprites": Download(
        url=f"https://github.com/deepmind/dsprites-dataset/raw/master/{ARCHIVE_NAME}",
        filename=ARCHIVE_NAME,
        approx_mb=26,
    ),
}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(name: str, directory: str | Path) -> Path:
    """Download data set ``name`` into ``directory``, verify it, and return the file's path."""
    if name not in DOWNLOADS:
        raise SystemExit(f"unknown data set '{name}'; downloadable: {', '.join(DOWNLOADS)}")
    spec = DOWNLOADS[name]
    target = Path(directory) / spec.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    print(f"downloading {spec.url} (about {spec.approx_mb} MB) to {target}")
    with urllib.request.urlopen(spec.url, timeout=60) as response, partial.open("wb") as out:
        shutil.copyfileobj(response, out)
    SpriteArchive(partial)  # raises a DSpritesFileError naming the problem if it is not the file
    partial.replace(target)
    print(f"verified {target} (sha256 {sha256(target)}); use dataset.path={target}")
    return target
