"""Scream-dSprites: sprite pixels invert a (crop + colour) / 2 background."""

import numpy as np
import pytest
from data_writers import write_scream

from vae_study.data.dsprites import ScreamDSprites, SpriteRenderer
from vae_study.data.files import DataFileError


def test_background_is_a_crop_mixed_with_a_colour_and_the_sprite_inverts_it(tmp_path):
    write_scream(tmp_path / "scream.jpg")
    data = ScreamDSprites(scream_path=tmp_path / "scream.jpg")
    assert data.observation_shape == (3, 64, 64) and data.scream.shape == (90, 120, 3)
    factors = np.array([[0, 5, 0, 16, 16], [2, 3, 7, 5, 25]])
    images = data.sample_observations_from_factors(factors, np.random.default_rng(0))
    assert images.shape == (2, 3, 64, 64) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    masks = SpriteRenderer().masks(factors)
    scream = data.scream.transpose(2, 0, 1)
    for image, mask in zip(images, masks, strict=True):
        background = np.where(mask, 1 - image, image)  # undo the inversion
        offsets = [
            (top, left)
            for top in range(90 - 64)
            for left in range(120 - 64)
            if np.ptp(
                2 * background - scream[:, top : top + 64, left : left + 64], axis=(1, 2)
            ).max()
            < 1e-5
        ]
        assert len(offsets) == 1  # exactly one crop explains the background
        top, left = offsets[0]
        colour = (2 * background - scream[:, top : top + 64, left : left + 64])[:, 0, 0]
        assert ((colour >= 0) & (colour <= 1)).all()


def test_missing_or_unreadable_picture_is_named(tmp_path):
    with pytest.raises(DataFileError, match=r"dataset\.scream_path\ is\ not\ set") as error:
        ScreamDSprites()
    assert "download scream_dsprites" in str(error.value)
    with pytest.raises(DataFileError, match="no file at"):
        ScreamDSprites(scream_path=tmp_path / "scream.jpg")
    (tmp_path / "scream.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    with pytest.raises(DataFileError, match="not a readable image"):
        ScreamDSprites(scream_path=tmp_path / "scream.jpg")
    write_scream(tmp_path / "small.jpg", size=(60, 60))
    with pytest.raises(DataFileError, match="needs more"):
        ScreamDSprites(scream_path=tmp_path / "small.jpg")
