"""LazyArray: numpy's basic indexing and transposing, reading only the region a view covers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ngff_geozarr.core.inputs import LazyArray

FULL = np.arange(4 * 5 * 6, dtype=np.int32).reshape(4, 5, 6)


class Recorder:
    """A whole array in memory that remembers every region read from it."""

    def __init__(self, array: np.ndarray) -> None:
        self.array, self.shape, self.dtype = array, array.shape, array.dtype
        self.regions: list[tuple[slice, ...]] = []

    def read(self, region: tuple[slice, ...]) -> np.ndarray:
        assert all(s.step is None and 0 <= s.start <= s.stop for s in region)
        self.regions.append(region)
        return self.array[region].copy()


KEYS: list[Any] = [
    0,
    -1,
    (slice(1, 3),),
    (1, slice(None), 2),
    (Ellipsis, 3),
    (slice(None, None, -1), Ellipsis),
    (slice(3, 0, -2), slice(1, 5, 3), slice(None, None, 2)),
    (slice(2, 2), 0),
    (slice(10, 20),),
    (Ellipsis,),
]


@pytest.mark.parametrize("key", KEYS)
def test_indexing_matches_numpy_and_reads_nothing_until_asked(key: Any) -> None:
    reader = Recorder(FULL)
    view = LazyArray(reader)[key]
    expected = FULL[key]
    assert (view.shape, view.ndim, view.dtype) == (expected.shape, expected.ndim, FULL.dtype)
    assert reader.regions == []
    np.testing.assert_array_equal(np.asarray(view), expected)
    if expected.size:
        # the one region read is the bounding box of the elements the view selects
        picked = np.unravel_index(np.arange(FULL.size).reshape(FULL.shape)[key], FULL.shape)
        box = tuple(slice(int(p.min()), int(p.max()) + 1) for p in picked)
        assert reader.regions == [box]


def test_views_compose_with_transposes() -> None:
    reader = Recorder(FULL)
    lazy = LazyArray(reader)
    expected = FULL.transpose(2, 0, 1)[1:, ::2][..., 3].T[::-1]
    view = lazy.transpose(2, 0, 1)[1:, ::2][..., 3].T[::-1]
    assert view.shape == expected.shape
    np.testing.assert_array_equal(np.asarray(view), expected)
    assert reader.regions == [(slice(0, 3), slice(3, 4), slice(1, 6))]
    np.testing.assert_array_equal(np.transpose(lazy, (1, 2, 0)), FULL.transpose(1, 2, 0))
    np.testing.assert_array_equal(np.asarray(lazy.T), FULL.T)
    np.testing.assert_array_equal(np.asarray(lazy[1, 2, 3]), FULL[1, 2, 3])
    assert np.asarray(lazy[0], dtype=np.float64).dtype == np.float64
    assert len(lazy) == 4
    assert lazy.nbytes == FULL.nbytes
    assert "LazyArray(shape=(4, 5, 6)" in repr(lazy)


@pytest.mark.parametrize(
    ("key", "error"),
    [
        ((0, 0, 0, 0), IndexError),
        ((Ellipsis, Ellipsis), IndexError),
        (4, IndexError),
        ((slice(None), -6), IndexError),
        (np.array([0, 1]), IndexError),
        (None, IndexError),
        (True, IndexError),
    ],
)
def test_unsupported_indices_are_refused(key: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        LazyArray(Recorder(FULL))[key]


def test_bad_transposes_and_views_without_copies_are_refused() -> None:
    lazy = LazyArray(Recorder(FULL))
    with pytest.raises(ValueError, match="axes don't match"):
        lazy.transpose(0, 0, 1)
    with pytest.raises(ValueError, match="without reading"):
        np.asarray(lazy, copy=False)
    with pytest.raises(TypeError):
        len(lazy[0, 0, 0])
