"""3D Shapes from an HDF5 file with the real keys: label ranks, lookup, lazy reading, errors."""

import numpy as np
import pytest
from data_writers import SHAPES3D_SIZES, write_shapes3d

from vae_study.data.files import DataFileError
from vae_study.data.shapes3d import FACTOR_NAMES, Shapes3D


@pytest.mark.parametrize(("shuffle", "in_memory"), [(False, True), (True, True), (True, False)])
def test_observations_are_the_images_of_the_requested_factors(tmp_path, shuffle, in_memory):
    grid = write_shapes3d(tmp_path / "3dshapes.h5", shuffle=shuffle)
    data = Shapes3D(tmp_path / "3dshapes.h5", in_memory=in_memory)
    assert data.factor_names == FACTOR_NAMES and data.factor_sizes == SHAPES3D_SIZES
    assert data.observation_shape == (3, 64, 64) and data.supports_interventions
    factors, images = data.sample(30, np.random.default_rng(0))
    assert images.shape == (30, 3, 64, 64) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    rows = np.round(images[:, 0, 0, 0] * 255).astype(int)  # image i has value i
    np.testing.assert_array_equal(grid[rows], factors)
    wanted = np.array([[1, 2, 0, 1, 0, 2], [0, 0, 0, 0, 1, 1], [1, 2, 0, 1, 0, 2]])
    again = data.sample_observations_from_factors(wanted, np.random.default_rng(0))
    np.testing.assert_array_equal(grid[np.round(again[:, 0, 0, 0] * 255).astype(int)], wanted)


def test_missing_wrong_and_truncated_files_are_reported(tmp_path):
    with pytest.raises(DataFileError, match=r"3dshapes\.h5") as error:
        Shapes3D(tmp_path / "3dshapes.h5")
    assert "download shapes3d" in str(error.value)
    path = tmp_path / "3dshapes.h5"
    write_shapes3d(path)
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DataFileError, match="corrupt or truncated"):
        Shapes3D(truncated)
    import h5py

    with h5py.File(tmp_path / "other.h5", "w") as handle:
        handle.create_dataset("imgs", data=np.zeros((2, 64, 64, 3), np.uint8))
    with pytest.raises(DataFileError, match="lacks the datasets"):
        Shapes3D(tmp_path / "other.h5")
    with h5py.File(path, "a") as handle:  # drop one image: no longer the full grid
        images, labels = handle["images"][1:], handle["labels"][1:]
        del handle["images"], handle["labels"]
        handle["images"], handle["labels"] = images, labels
    with pytest.raises(DataFileError, match="full grid"):
        Shapes3D(path)
