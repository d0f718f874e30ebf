"""MPI3D from an .npz with ``images``: row-major lookup, memory map, size checks, errors."""

import numpy as np
import pytest
from data_writers import MPI3D_SIZES, write_mpi3d

from vae_study.data.files import DataFileError
from vae_study.data.mpi3d import MPI3D


@pytest.mark.parametrize("compressed", [False, True])
def test_observations_are_the_row_major_images_of_the_factors(tmp_path, compressed):
    path = tmp_path / "mpi3d_toy.npz"
    write_mpi3d(path, compressed=compressed)
    data = MPI3D(path, factor_sizes=MPI3D_SIZES)
    assert isinstance(data.images, np.memmap) != compressed  # the release is memory-mapped
    assert data.factor_sizes == MPI3D_SIZES and data.observation_shape == (3, 64, 64)
    factors, images = data.sample(25, np.random.default_rng(0))
    assert images.shape == (25, 3, 64, 64) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    strides = np.cumprod((1, *MPI3D_SIZES[::-1]))[-2::-1]
    np.testing.assert_array_equal(np.round(images[:, 1, 5, 5] * 255), factors @ strides)


def test_wrong_size_missing_and_truncated_files_are_reported(tmp_path):
    path = tmp_path / "mpi3d_real.npz"
    with pytest.raises(DataFileError, match=r"mpi3d_real\.npz") as error:
        MPI3D(path, variant="real")
    assert "download mpi3d_real" in str(error.value)
    write_mpi3d(path)
    with pytest.raises(DataFileError, match="1,036,800"):
        MPI3D(path)  # the release's factor sizes do not fit the fixture
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[:-1000])
    with pytest.raises(DataFileError, match="corrupt or truncated"):
        MPI3D(truncated, factor_sizes=MPI3D_SIZES)
