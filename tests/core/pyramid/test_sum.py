"""The ``sum`` kernel: NaN-aware block totals, saturating integers, partial edge blocks."""

from __future__ import annotations

import numpy as np
import pytest

from ngff_geozarr.core.pyramid import METHODS, PyramidError, downsample


def test_float_sum_ignores_nan_and_keeps_all_nan_blocks() -> None:
    data = np.array(
        [[1.0, np.nan, np.nan, 2.5], [3.0, np.nan, np.nan, np.nan], [5.0, 6.0, 7.0, np.nan]],
        dtype=np.float32,
    )
    out = downsample(data, (2, 2), "sum")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[4.0, 2.5], [11.0, 7.0]])
    assert np.isnan(downsample(np.full((2, 2), np.nan), (2, 2), "sum")[0, 0])


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int64])
def test_integer_sum_matches_reference_and_saturates(dtype: type) -> None:
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype)
    data = rng.integers(info.min, info.max, (7, 9), dtype=dtype, endpoint=True)
    out = downsample(data, (2, 3), "sum")
    wide = data.astype(object)
    expected = np.array(
        [
            [
                min(max(int(wide[i : i + 2, j : j + 3].sum()), info.min), info.max)
                for j in range(0, 9, 3)
            ]
            for i in range(0, 7, 2)
        ],
        dtype=dtype,
    )
    np.testing.assert_array_equal(out, expected)


def test_sum_is_listed_and_refuses_booleans() -> None:
    assert "sum" in METHODS
    with pytest.raises(PyramidError, match="use 'mode'"):
        downsample(np.ones((2, 2), bool), (2, 2), "sum")
