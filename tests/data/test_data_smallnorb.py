"""SmallNORB from NORB binary matrices (.mat and .mat.gz): factors, nuisance instance, errors."""

import numpy as np
import pytest
from data_writers import norb_value, write_smallnorb

from vae_study.data.files import DataFileError
from vae_study.data.smallnorb import SmallNORB

INSTANCES = 4  # 2 per chunk in the fixture


def decode(value):
    """(category, instance, elevation, azimuth, lighting) of a fixture pixel value."""
    category, elevation = value // 128, (value % 128) // 64
    azimuth, lighting, instance = (value % 64) // 32, (value % 32) // 16, (value % 16) // 4
    return category, instance, elevation, azimuth, lighting


def test_factors_exclude_the_instance_and_images_match_them(tmp_path):
    write_smallnorb(tmp_path)
    data = SmallNORB(tmp_path)
    assert data.factor_names == ("category", "elevation", "azimuth", "lighting")
    assert data.factor_sizes == (2, 2, 2, 2) and data.observation_shape == (1, 64, 64)
    factors, images = data.sample(64, np.random.default_rng(0))
    assert images.shape == (64, 1, 64, 64) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    values = np.round(images[:, 0, 32, 32] * 255).astype(int)
    decoded = np.array([decode(v) for v in values])
    np.testing.assert_array_equal(decoded[:, [0, 2, 3, 4]], factors)
    assert len(np.unique(decoded[:, 1])) == INSTANCES  # the instance is drawn at random
    np.testing.assert_allclose(images[0], images[0, 0, 32, 32], atol=1 / 255)  # resized, constant
    assert norb_value(1, 3, 1, 1, 1) == 252


def test_missing_and_truncated_files_are_reported(tmp_path):
    write_smallnorb(tmp_path, gz_training=False)
    info = tmp_path / "smallnorb-5x01235x9x18x6x2x96x96-testing-info.mat"
    content = info.read_bytes()
    info.unlink()
    with pytest.raises(DataFileError, match=r"testing-info\.mat") as error:
        SmallNORB(tmp_path)
    assert "download smallnorb" in str(error.value)
    info.write_bytes(content[:-8])
    with pytest.raises(DataFileError, match="corrupt or truncated"):
        SmallNORB(tmp_path)
    info.write_bytes(b"\x00" * 4 + content[4:])
    with pytest.raises(DataFileError, match="magic"):
        SmallNORB(tmp_path)
