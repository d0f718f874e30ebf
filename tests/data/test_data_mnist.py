"""MNIST from IDX files (plain and gzipped): shapes, range, labels, interventions, errors."""

import gzip

import numpy as np
import pytest
from data_writers import DIGIT_LEVEL, write_mnist

from vae_study.data.files import DataFileError
from vae_study.data.mnist import MNIST
from vae_study.errors import ConfigError


def digits_of(images):
    """The digit each fixture image shows, read back from its constant intensity."""
    return np.round(images.mean(axis=(1, 2, 3)) * 255 / DIGIT_LEVEL).astype(int) - 1


@pytest.mark.parametrize("gz", [True, False])
def test_reads_idx_files_and_samples_real_images(tmp_path, gz):
    labels = write_mnist(tmp_path, gz=gz)
    data = MNIST(tmp_path)
    assert data.factor_names == ("digit",) and data.factor_sizes == (10,)
    assert data.observation_shape == (1, 64, 64) and data.supports_interventions
    factors, images = data.sample(40, np.random.default_rng(0))
    assert factors.shape == (40, 1) and factors.dtype == np.int64
    assert images.shape == (40, 1, 64, 64) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    np.testing.assert_array_equal(digits_of(images), factors[:, 0])
    assert set(np.unique(data.sample_factors(200, np.random.default_rng(1)))) == set(labels)


def test_sample_observations_from_factors_gives_images_of_the_digit(tmp_path):
    write_mnist(tmp_path)
    data = MNIST(tmp_path, image_size=28)
    wanted = np.array([[7], [0], [9], [7]])
    images = data.sample_observations_from_factors(wanted, np.random.default_rng(0))
    assert images.shape == (4, 1, 28, 28)
    np.testing.assert_array_equal(digits_of(images), wanted[:, 0])


def test_pad_keeps_the_digit_and_adds_a_black_border(tmp_path):
    write_mnist(tmp_path)
    images = MNIST(tmp_path, fit="pad").sample(5, np.random.default_rng(0))[1]
    assert images.shape == (5, 1, 64, 64)
    assert (images[:, :, :18] == 0).all() and (images[:, :, 18:46, 18:46] > 0).all()
    with pytest.raises(ConfigError, match=r"dataset\.fit"):
        MNIST(tmp_path, image_size=20, fit="pad")


def test_test_split_reads_the_t10k_files(tmp_path):
    write_mnist(tmp_path)
    assert len(MNIST(tmp_path, split="test").factors) == 10
    with pytest.raises(ConfigError, match=r"dataset\.split"):
        MNIST(tmp_path, split="validation")


def test_a_missing_file_names_it_and_the_download_command(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataFileError, match="train-labels-idx1-ubyte") as error:
        MNIST(tmp_path)
    assert "python -m vae_study.data download mnist --dir DIR" in str(error.value)
    with pytest.raises(DataFileError, match=r"dataset\.path:\ nothing\ at"):
        MNIST(tmp_path / "nowhere")


def test_truncated_files_are_reported_as_corrupt(tmp_path):
    write_mnist(tmp_path, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-20])  # a cut gzip stream
    with pytest.raises(DataFileError, match="corrupt or truncated"):
        MNIST(tmp_path)
    raw = gzip.decompress((tmp_path / "t10k-images-idx3-ubyte.gz").read_bytes())
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(DataFileError, match="header announces"):
        MNIST(tmp_path, split="test")
