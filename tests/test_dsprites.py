"""The dSprites renderer, the archive loader and the study's variants."""

import zipfile

import numpy as np
import pytest

from vae_study.data import dsprites
from vae_study.data.dsprites import (
    FACTOR_SIZES,
    ColorDSprites,
    DSprites,
    DSpritesFileError,
    NoisyDSprites,
    SpriteRenderer,
)

SQUARE, ELLIPSE, HEART = 0, 1, 2


def render(*rows):
    return SpriteRenderer().masks(np.array(rows, dtype=np.int64)).astype(float)


def centre_of_mass(mask):
    rows, cols = np.nonzero(mask)
    return cols.mean(), rows.mean()


def test_sample_shapes_dtypes_and_range():
    data = DSprites()
    factors, images = data.sample(50, np.random.default_rng(0))
    assert data.factor_sizes == FACTOR_SIZES == (3, 6, 40, 32, 32)
    assert factors.shape == (50, 5) and factors.dtype == np.int64
    assert (factors >= 0).all() and (factors < np.array(FACTOR_SIZES)).all()
    assert images.shape == (50, 1, 64, 64) and images.dtype == np.float32
    assert set(np.unique(images)) == {0.0, 1.0}
    assert (images.reshape(50, -1).sum(1) > 0).all()


def test_sampling_is_deterministic_for_a_seeded_generator():
    first = DSprites().sample(20, np.random.default_rng(7))
    second = DSprites().sample(20, np.random.default_rng(7))
    third = DSprites().sample(20, np.random.default_rng(8))
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], third[0])


def test_pos_x_moves_the_centre_of_mass_right_and_pos_y_down():
    xs = [centre_of_mass(render([HEART, 3, 7, px, 10])[0])[0] for px in range(32)]
    ys = [centre_of_mass(render([HEART, 3, 7, 10, py])[0])[1] for py in range(32)]
    assert np.all(np.diff(xs) > 0) and np.all(np.diff(ys) > 0)
    assert xs[-1] - xs[0] > 40


@pytest.mark.parametrize("shape", [SQUARE, ELLIPSE, HEART])
def test_scale_grows_the_area_monotonically(shape):
    areas = [render([shape, s, 3, 16, 16])[0].sum() for s in range(6)]
    assert np.all(np.diff(areas) > 0)
    assert areas[-1] / areas[0] == pytest.approx(4.0, rel=0.25)  # area ~ scale^2, 1 / 0.5


def test_the_factor_values_are_the_archives():
    """The archive's metadata (deepmind/dsprites-dataset): scales linspace(0.5, 1, 6),
    orientations linspace(0, 2 pi, 40), positions linspace(0, 1, 32)."""
    np.testing.assert_allclose(dsprites.SCALES, [0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    np.testing.assert_allclose(dsprites.ORIENTATIONS, 2 * np.pi * np.arange(40) / 39)
    assert FACTOR_SIZES == (3, 6, 40, 32, 32)


@pytest.mark.parametrize("shape", [SQUARE, ELLIPSE, HEART])
def test_the_last_orientation_is_the_first_angle_as_in_the_archive(shape):
    for scale, px, py in [(0, 0, 31), (3, 16, 16), (5, 31, 5)]:
        first, last = render([shape, scale, 0, px, py], [shape, scale, 39, px, py])
        np.testing.assert_array_equal(first, last)


def test_a_square_turned_a_quarter_turn_lies_between_its_neighbouring_orientations():
    """Orientation i is 2 pi i / 39: 90 degrees falls between indices 9 (83 deg) and 10 (92 deg),
    so a square (90-degree symmetric) differs from upright at both, and less at 10."""
    upright, at_9, at_10 = render([SQUARE, 5, 0, 16, 16], [SQUARE, 5, 9, 16, 16],
                                  [SQUARE, 5, 10, 16, 16])  # fmt: skip
    assert 0 < (upright != at_10).sum() < (upright != at_9).sum()


@pytest.mark.parametrize("shape", [SQUARE, ELLIPSE, HEART])
def test_centres_follow_the_position_grid_and_extents_the_scale(shape):
    """Centre of a sprite: linear in its position index over the canvas (pos 0 to 31 map to
    pixel centres 9 to 55.5); extent: linear in scale, so scale 1 is twice scale 0.5 across
    (the archive's scales, linspace(0.5, 1, 6))."""
    for index in (0, 7, 16, 31):
        mask = render([shape, 2, 0, index, 31 - index])[0]
        x, y = centre_of_mass(mask)
        expected_x = dsprites.CENTRE_FIRST_PX + dsprites.CENTRE_STEP_PX * index - 0.5
        expected_y = dsprites.CENTRE_FIRST_PX + dsprites.CENTRE_STEP_PX * (31 - index) - 0.5
        assert abs(x - expected_x) < 0.6
        assert abs(y - expected_y) < (1.2 if shape == HEART else 0.6)
    widths = []
    for scale in range(6):
        columns = np.nonzero(render([shape, scale, 0, 16, 16])[0].any(axis=0))[0]
        widths.append(columns.max() - columns.min() + 1)
    assert np.all(np.diff(widths) >= 0)
    # width = k * scale: a sprite centred on the half-pixel grid spans an even number of
    # pixels, so each width is within a pixel of the proportional fit
    k = np.dot(dsprites.SCALES, widths) / np.dot(dsprites.SCALES, dsprites.SCALES)
    assert np.abs(np.array(widths) - k * dsprites.SCALES).max() <= 1.0


def test_rotation_changes_asymmetric_sprites():
    square_upright, square_45 = render([SQUARE, 5, 0, 16, 16], [SQUARE, 5, 5, 16, 16])
    heart_upright, heart_180 = render([HEART, 5, 0, 16, 16], [HEART, 5, 20, 16, 16])
    assert (square_upright != square_45).sum() > 10
    assert (heart_upright != heart_180).sum() > 10
    # a point-down heart has more mass above its centre than below
    rows = np.nonzero(heart_upright)[0]
    assert np.mean(rows < rows.mean()) > 0.5


def test_the_three_shapes_differ():
    square, ellipse, heart = render(*[[s, 5, 0, 16, 16] for s in range(3)])
    for a, b in [(square, ellipse), (square, heart), (ellipse, heart)]:
        assert (a != b).sum() > 20


def test_a_batch_renders_each_of_its_sprites_as_alone():
    factors = DSprites().sample_factors(2_000, np.random.default_rng(0))
    masks = SpriteRenderer().masks(factors)
    assert masks.shape == (2_000, 64, 64)
    for i in (0, 7, 1999):
        np.testing.assert_array_equal(masks[i], SpriteRenderer().masks(factors[i : i + 1])[0])


def test_color_variant_keeps_the_sprite_and_colours_each_observation():
    factors = np.array([[SQUARE, 5, 0, 16, 16]] * 4)
    mask = render(factors[0])[0]
    images = ColorDSprites().sample_observations_from_factors(factors, np.random.default_rng(0))
    assert images.shape == (4, 3, 64, 64)
    assert (images[:, :, mask == 0] == 0).all()  # background stays black
    colours = images[:, :, 32, 32]  # a sprite pixel
    assert ((colours >= 0.5) & (colours <= 1.0)).all()
    np.testing.assert_array_equal(images[0] > 0, np.broadcast_to(mask > 0, (3, 64, 64)))
    assert len({tuple(c) for c in colours.round(5)}) == 4


def test_noisy_variant_keeps_the_sprite_white_and_draws_fresh_noise():
    factors = np.array([[ELLIPSE, 5, 0, 16, 16]] * 2)
    mask = render(factors[0])[0]
    images = NoisyDSprites().sample_observations_from_factors(factors, np.random.default_rng(0))
    assert images.shape == (2, 3, 64, 64)
    assert (images[:, :, mask == 1] == 1).all()
    background = images[:, :, mask == 0]
    assert 0.45 < background.mean() < 0.55 and background.min() >= 0
    assert not np.array_equal(images[0], images[1])


def test_invalid_factors_are_rejected():
    with pytest.raises(ValueError, match="orientation"):
        DSprites().sample_observations_from_factors(
            np.array([[0, 0, 40, 0, 0]]), np.random.default_rng(0)
        )


def write_archive(path, sizes=(1, 3, 2, 2, 2, 2)):
    """A small archive in the official layout: uint8 ``imgs``, row-major ``latents_classes``."""
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"), -1).reshape(-1, 6)
    rendered = grid[:, 1:] * np.array([1, 5, 10, 31, 31]) // np.maximum(np.array(sizes[1:]) - 1, 1)
    imgs = SpriteRenderer().masks(rendered).astype(np.uint8)
    np.savez_compressed(path, imgs=imgs, latents_classes=grid, latents_values=grid.astype(float))
    return grid, imgs


def test_archive_gives_the_images_of_the_requested_factors(tmp_path):
    path = tmp_path / "dsprites.npz"
    grid, imgs = write_archive(path)
    data = DSprites(path=path)
    assert data.factor_sizes == (3, 2, 2, 2, 2)
    factors = grid[[5, 17, 40], 1:]
    images = data.sample_observations_from_factors(factors, np.random.default_rng(0))
    np.testing.assert_array_equal(images[:, 0], imgs[[5, 17, 40]].astype(np.float32))


def test_archive_errors_name_the_problem(tmp_path):
    with pytest.raises(DSpritesFileError, match="no file at"):
        DSprites(path=tmp_path / "missing.npz")
    path = tmp_path / "dsprites.npz"
    write_archive(path)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DSpritesFileError, match="corrupt or truncated"):
        DSprites(path=truncated)
    other = tmp_path / "other.npz"
    np.savez(other, something=np.zeros(3))
    with pytest.raises(DSpritesFileError, match="not the dSprites archive"):
        DSprites(path=other)
    assert zipfile.is_zipfile(path)
