"""Cars3D from MATLAB renderings with the variable ``im``: factors, list.txt, errors."""

import numpy as np
import pytest
from data_writers import cars_colour, write_cars3d

from vae_study.data.cars3d import Cars3D
from vae_study.data.files import DataFileError


@pytest.mark.parametrize("listing", [True, False])
def test_observations_show_the_requested_view_of_the_requested_car(tmp_path, listing):
    write_cars3d(tmp_path, listing=listing)
    data = Cars3D(tmp_path)
    assert data.factor_names == ("elevation", "azimuth", "object")
    assert data.factor_sizes == (4, 24, 3) and data.observation_shape == (3, 64, 64)
    factors, images = data.sample(20, np.random.default_rng(0))
    assert images.shape == (20, 3, 64, 64) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    expected = np.array([cars_colour(*f) for f in factors]) / 255
    np.testing.assert_allclose(images[:, :, 32, 32], expected, atol=1 / 255)


def test_missing_and_truncated_models_are_reported(tmp_path):
    with pytest.raises(DataFileError, match=r"list\.txt") as error:
        Cars3D(tmp_path)
    assert "download cars3d" in str(error.value)
    write_cars3d(tmp_path)
    model = tmp_path / "car_002_mesh.mat"
    content = model.read_bytes()
    model.unlink()
    with pytest.raises(DataFileError, match=r"car_002_mesh\.mat"):
        Cars3D(tmp_path)
    model.write_bytes(content[: len(content) // 2])
    with pytest.raises(DataFileError, match="corrupt or truncated"):
        Cars3D(tmp_path)
