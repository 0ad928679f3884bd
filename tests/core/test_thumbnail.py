from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image
from tests.core.conftest import CountingArray

from ngff_geozarr.core.thumbnail import (
    choose_level,
    encode_png,
    intensity_rgba,
    labels_rgba,
    middle_slice,
    overlay,
    read_slice,
)


def decode(png: bytes) -> npt.NDArray[np.uint8]:
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "RGBA"
        return np.asarray(image)


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (17, 256), (300, 7)])
def test_png_round_trips_through_a_real_decoder(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    rgba = rng.integers(0, 256, (*shape, 4), dtype=np.uint8)
    assert np.array_equal(decode(encode_png(rgba)), rgba)


def test_png_compression_level_changes_the_size_not_the_pixels() -> None:
    # Smooth pictures (as tiles and thumbnails are) compress better at a higher level.
    ramp = np.broadcast_to(np.arange(256, dtype=np.uint8)[:, None, None], (256, 256, 4))
    rgba = (ramp + np.arange(256, dtype=np.uint8)[None, :, None] // 3).astype(np.uint8)
    fast, small = encode_png(rgba, level=1), encode_png(rgba, level=9)
    assert np.array_equal(decode(fast), rgba)
    assert np.array_equal(decode(small), rgba)
    assert len(small) < len(fast)
    assert encode_png(rgba) == encode_png(rgba, level=6)


def test_choose_level_takes_the_coarsest_level_still_big_enough() -> None:
    shapes = [(64, 2048, 4096), (64, 1024, 2048), (64, 512, 1024), (64, 256, 512), (64, 128, 256)]
    assert choose_level(shapes, (1, 2)) == 3
    assert choose_level(shapes, (1, 2), min_side=1024) == 1
    # An image smaller than the target size everywhere: its finest level.
    assert choose_level([(100, 200), (50, 100)], (0, 1)) == 0


def test_read_slice_reads_only_the_middle_plane_and_subsamples() -> None:
    data = np.arange(5 * 3 * 1200 * 40).reshape(5, 3, 1200, 40)
    array = CountingArray(data)
    plane, cropped = read_slice(array, (2, 3), max_side=512)
    assert not cropped
    (region,) = array.regions
    assert region[:2] == (slice(2, 3), slice(1, 2))
    # One stride on both axes: the picture keeps the plane's 30:1 aspect ratio.
    assert plane.shape == (400, 14)
    assert np.array_equal(plane, data[2, 1, ::3, ::3])


def test_read_slice_with_columns_before_rows_transposes() -> None:
    data = np.arange(6 * 4).reshape(6, 4)
    assert np.array_equal(read_slice(CountingArray(data), (1, 0))[0], data.T)


def test_huge_sides_are_cropped_to_their_centre_not_read_whole() -> None:
    data = np.arange(3 * 5000).reshape(3, 5000)
    array = CountingArray(data)
    plane, cropped = read_slice(array, (0, 1), max_side=100, crop_above=1000)
    assert cropped
    (region,) = array.regions
    assert region[1] == slice(2450, 2550)
    assert np.array_equal(plane, data[:, 2450:2550])


def test_intensity_contrast_ignores_nan_and_nodata() -> None:
    values = np.array([[0.0, 50.0, 100.0], [np.nan, -9999.0, 100.0]])
    rgba = intensity_rgba(values, nodata=-9999.0, quantiles=(0.0, 1.0))
    assert rgba[..., 3].tolist() == [[255, 255, 255], [0, 0, 255]]
    assert rgba[0, :, 0].tolist() == [0, 128, 255]
    # Nodata does not stretch the contrast: 0 stays black although -9999 is lower.
    integer = intensity_rgba(np.array([[0, 10], [5, 0]], dtype=np.int16), nodata=0)
    assert integer[..., 3].tolist() == [[0, 255], [255, 0]]


def test_constant_and_empty_slices_do_not_divide_by_zero() -> None:
    assert intensity_rgba(np.full((2, 2), 7.0))[..., 3].min() == 255
    assert intensity_rgba(np.full((2, 2), np.nan))[..., 3].max() == 0


def test_labels_palette_is_stable_and_background_transparent() -> None:
    labels = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint32)
    rgba = labels_rgba(labels)
    assert rgba[0, 0, 3] == 0
    assert np.array_equal(rgba[0, 1], rgba[1, 1])
    assert not np.array_equal(rgba[0, 1, :3], rgba[0, 2, :3])
    assert np.array_equal(labels_rgba(np.array([[2]]))[0, 0], rgba[0, 2])


def test_overlay_composites_over_the_base() -> None:
    base = np.zeros((1, 2, 4), dtype=np.uint8)
    base[..., 3] = 255
    top = np.zeros((1, 2, 4), dtype=np.uint8)
    top[0, 1] = (255, 0, 0, 255)
    out = overlay(base, top)
    assert out[0, 0].tolist() == [0, 0, 0, 255]
    assert out[0, 1].tolist() == [255, 0, 0, 255]


def test_middle_slice_of_a_one_element_axis() -> None:
    assert middle_slice((1, 8, 8), (1, 2))[0][0] == slice(0, 1)
