"""CelebA from JPEGs and the attribute file: preprocessing, cache, splits, no interventions."""

import numpy as np
import pytest
from data_writers import attribute_colour, write_celeba

from vae_study.data.celeba import CelebA
from vae_study.data.files import DataFileError
from vae_study.data.ground_truth import NotAGridError


def test_reads_images_and_attributes_and_caches_them(tmp_path):
    table = write_celeba(tmp_path)
    data = CelebA(tmp_path)
    assert data.factor_sizes == (2,) * 40 and data.factor_names[0] == "Attribute_0"
    assert data.observation_shape == (3, 64, 64) and not data.supports_interventions
    factors, images = data.sample(12, np.random.default_rng(0))
    assert images.shape == (12, 3, 64, 64) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    rows = [np.flatnonzero((table == f).all(axis=1))[0] for f in factors]
    expected = np.array([attribute_colour(table[r]) for r in rows]) / 255
    np.testing.assert_allclose(images.mean(axis=(2, 3)), expected, atol=0.03)
    cache = tmp_path / "celeba_64px_crop148.npy"
    assert np.load(cache, mmap_mode="r").shape == (6, 64, 64, 3)
    written = cache.stat().st_mtime_ns
    CelebA(tmp_path)
    assert cache.stat().st_mtime_ns == written  # reused, not rebuilt


def test_interventions_raise_a_not_implemented_error(tmp_path):
    write_celeba(tmp_path)
    data = CelebA(tmp_path, cache_dir=tmp_path / "cache", image_size=32)
    assert (tmp_path / "cache" / "celeba_32px_crop148.npy").is_file()
    with pytest.raises(NotImplementedError, match="not a grid"):
        data.sample_observations_from_factors(np.zeros((2, 40), dtype=int), None)
    assert issubclass(NotAGridError, NotImplementedError)


def test_split_keeps_the_partition_rows(tmp_path):
    table = write_celeba(tmp_path)
    data = CelebA(tmp_path, split="valid")
    np.testing.assert_array_equal(data.factors, table[1::3])
    assert data.sample(4, np.random.default_rng(0))[1].shape == (4, 3, 64, 64)


def test_missing_files_are_named(tmp_path):
    write_celeba(tmp_path, partition=False)
    with pytest.raises(DataFileError, match=r"list_eval_partition\.txt") as error:
        CelebA(tmp_path, split="train")
    assert "download celeba" in str(error.value)
    (tmp_path / "img_align_celeba" / "000003.jpg").unlink()
    with pytest.raises(DataFileError, match="nothing at"):
        CelebA(tmp_path / "elsewhere")
    with pytest.raises(DataFileError, match=r"000003\.jpg"):
        CelebA(tmp_path)


def test_truncated_files_are_reported(tmp_path):
    write_celeba(tmp_path)
    jpeg = tmp_path / "img_align_celeba" / "000002.jpg"
    jpeg.write_bytes(jpeg.read_bytes()[:200])
    with pytest.raises(DataFileError, match=r"000002\.jpg"):
        CelebA(tmp_path)
    attributes = tmp_path / "list_attr_celeba.txt"
    attributes.write_text("\n".join(attributes.read_text().splitlines()[:-2]))
    with pytest.raises(DataFileError, match="truncated"):
        CelebA(tmp_path)
