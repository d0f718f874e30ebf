"""The download helper, run against local ``file://`` URLs (this machine has no network)."""

import base64
import dataclasses
import hashlib
import io
import tarfile

import pytest
from data_writers import write_cars3d, write_mnist

from vae_study.data import download as downloads
from vae_study.data.files import DataFileError


def local(spec, folder):
    """``spec`` with each file's URL pointing to the same name in ``folder``."""
    files = tuple(dataclasses.replace(f, url=(folder / f.filename).as_uri()) for f in spec.files)
    return dataclasses.replace(spec, files=files)


def test_every_configured_file_data_set_can_be_downloaded():
    names = {"mnist", "celeba", "scream_dsprites", "shapes3d", "smallnorb", "cars3d"}
    assert names | {"mpi3d_toy", "mpi3d_realistic", "mpi3d_real"} <= set(downloads.DOWNLOADS)


def test_mnist_download_checks_the_published_sizes(tmp_path, monkeypatch, capsys):
    source = tmp_path / "server"
    write_mnist(source)
    spec = local(downloads.DOWNLOADS["mnist"], source)
    monkeypatch.setitem(downloads.DOWNLOADS, "mnist", spec)
    with pytest.raises(DataFileError, match="the official page states 9912422"):
        downloads.download("mnist", tmp_path / "data")
    assert not list((tmp_path / "data").glob("*.part"))
    sized = tuple(
        dataclasses.replace(f, size=(source / f.filename).stat().st_size) for f in spec.files
    )
    monkeypatch.setitem(downloads.DOWNLOADS, "mnist", dataclasses.replace(spec, files=sized))
    downloads.download("mnist", tmp_path / "data")
    assert "use dataset=mnist dataset.path=" in capsys.readouterr().out


def test_cars_archive_is_unpacked_into_cars_and_verified(tmp_path, monkeypatch):
    source = tmp_path / "server"
    write_cars3d(source / "data" / "cars")
    with tarfile.open(source / "nips2015-analogy-data.tar.gz", "w:gz") as tar:
        tar.add(source / "data", arcname="data")
        tar.addfile(tarfile.TarInfo("data/shapes48.mat"), io.BytesIO(b""))
    spec = local(downloads.DOWNLOADS["cars3d"], source)
    monkeypatch.setitem(downloads.DOWNLOADS, "cars3d", spec)
    downloads.download("cars3d", tmp_path / "data")
    assert sorted(p.name for p in (tmp_path / "data" / "cars").iterdir())[-1] == "list.txt"
    assert not (tmp_path / "data" / "nips2015-analogy-data.tar.gz").exists()


def test_the_md5_a_storage_host_publishes_is_read_from_its_header():
    digest = hashlib.md5(b"data").digest()
    header = f"crc32c=AAAAAA==,md5={base64.b64encode(digest).decode()}"
    assert downloads.host_md5(header) == digest.hex()
    assert downloads.host_md5("crc32c=AAAAAA==") is None
    assert downloads.host_md5(None) is None
