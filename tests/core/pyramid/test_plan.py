"""plan(): shapes, factors, stopping rules and chunking of every level."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ngff_geozarr.core.errors import PyramidError
from ngff_geozarr.core.pyramid.plan import plan


@settings(max_examples=200, deadline=None)
@given(
    shape=st.lists(st.integers(1, 5000), min_size=1, max_size=4),
    chunk=st.integers(1, 300),
    data=st.data(),
)
def test_auto_plan_properties(shape: list[int], chunk: int, data: st.DataObject) -> None:
    ndim = len(shape)
    kinds = data.draw(
        st.lists(st.sampled_from(["space", "time", "channel"]), min_size=ndim, max_size=ndim)
    )
    scale = data.draw(st.lists(st.floats(0.1, 20.0), min_size=ndim, max_size=ndim))
    levels = plan(shape, [chunk] * ndim, scale, kinds)  # type: ignore[arg-type]
    spatial = [i for i, k in enumerate(kinds) if k == "space"]
    assert levels[0].shape == tuple(shape)
    for previous, level in itertools.pairwise(levels):
        # Shapes round up; only spatial axes shrink; at least one axis shrinks per level.
        assert level.shape == tuple(
            math.ceil(n / f) for n, f in zip(previous.shape, level.factors, strict=True)
        )
        assert all(level.factors[i] == 1 for i in range(ndim) if i not in spatial)
        assert any(f > 1 for f in level.factors)
        # The finest shrinkable spatial axis is always halved.
        shrinkable = [i for i in spatial if previous.shape[i] > 1]
        finest = min(shrinkable, key=lambda i: previous.scale[i])
        assert level.factors[finest] == 2
        assert level.scale == tuple(
            s * c for s, c in zip(levels[0].scale, level.cumulative, strict=True)
        )
        assert all(c <= max(1, n) for c, n in zip(level.chunks, level.shape, strict=True))
    last = levels[-1]
    # It stops at the first level where the largest spatial extent fits in one chunk.
    if spatial:
        assert max(last.shape[i] for i in spatial) <= chunk
        for level in levels[:-1]:
            assert max(level.shape[i] for i in spatial) > chunk


def test_z_is_left_alone_until_xy_pixels_reach_its_size() -> None:
    levels = plan((64, 4096, 4096), (64, 256, 256), scale=(4.0, 1.0, 1.0))
    assert [lv.factors for lv in levels[1:]] == [(1, 2, 2), (1, 2, 2), (2, 2, 2), (2, 2, 2)]
    assert levels[2].scale == (4.0, 4.0, 4.0)
    assert levels[-1].shape == (16, 256, 256)


def test_non_power_of_two_anisotropy_halves_z_when_closer_to_isotropic() -> None:
    levels = plan((100, 4096, 4096), (100, 128, 128), scale=(3.0, 1.0, 1.0))
    # xy 1 -> 2 -> 4 while z stays at 3 (3 > 2 * sqrt 2); once xy (4) has passed z (3), z is
    # the finest axis and xy is within sqrt 2 of it: both are halved, z 3 -> 6, xy 4 -> 8.
    assert [lv.factors for lv in levels[1:4]] == [(1, 2, 2), (1, 2, 2), (2, 2, 2)]
    assert levels[3].scale == (6.0, 8.0, 8.0)


def test_isotropic_volume_halves_every_spatial_axis() -> None:
    levels = plan((256, 2048, 2048), (64, 256, 256))
    assert [lv.shape for lv in levels] == [
        (256, 2048, 2048),
        (128, 1024, 1024),
        (64, 512, 512),
        (32, 256, 256),
    ]
    assert levels[3].chunks == (32, 256, 256)
    assert levels[1].offset == (0.5, 0.5, 0.5)
    assert levels[3].offset == (3.5, 3.5, 3.5)


def test_non_spatial_axes_are_never_reduced() -> None:
    levels = plan((5, 3, 1000, 1000), (1, 1, 128, 128), kinds=("time", "channel", "space", "space"))
    assert {lv.shape[:2] for lv in levels} == {(5, 3)}
    assert levels[-1].shape[2:] == (125, 125)


def test_min_extent_and_exact_levels() -> None:
    assert plan((1000, 1000), (64, 64), min_extent=300)[-1].shape == (250, 250)
    assert len(plan((1000, 1000), (64, 64), levels=2)) == 2
    assert len(plan((1000, 1000), (2000, 2000), levels=4)) == 4
    # Exact levels stop early only when nothing can shrink any more.
    assert [lv.shape for lv in plan((2, 3), (1, 1), levels=9)][-1] == (1, 1)


def test_a_thin_z_chunk_does_not_drive_the_pyramid_down() -> None:
    levels = plan((40, 1000, 1000), (1, 256, 256))
    assert levels[-1].shape == (10, 250, 250)
    levels = plan((1000, 100, 100), (1, 64, 64))
    assert levels[-1].shape == (63, 7, 7)


def test_no_spatial_axis_means_a_single_level() -> None:
    assert len(plan((10, 20), (5, 5), kinds=("time", "channel"))) == 1


def test_explicit_factors() -> None:
    levels = plan((30, 100, 100), (8, 32, 32), factors=[(1, 2, 2), (3, 2, 2)])
    assert [lv.shape for lv in levels] == [(30, 100, 100), (30, 50, 50), (10, 25, 25)]
    assert levels[2].cumulative == (3, 4, 4)
    assert levels[2].chunks == (8, 25, 25)


def test_shards_stay_multiples_of_the_chunks_at_every_level() -> None:
    levels = plan((1000, 2048), (64, 64), shards=(256, 256))
    for level in levels:
        if level.shards is None:
            continue
        assert all(s % c == 0 for s, c in zip(level.shards, level.chunks, strict=True))
        grid = zip(level.shards, level.shape, level.chunks, strict=True)
        assert all(s <= -(-n // c) * c for s, n, c in grid)  # no more than the level needs
    assert [lv.shards for lv in levels] == [(256, 256)] * 3 + [(128, 256), (63, 128), None]
    assert plan((100, 2048), (64, 64), shards=(256, 256))[1].shards == (50, 256)  # clipped
    assert plan((100, 100), (64, 64), shards=(128, 128))[0].shards == (128, 128)


def test_levels_of_one_chunk_are_unsharded_but_never_the_base() -> None:
    levels = plan((2048, 2048), (128, 128), shards=(1024, 1024))
    assert [lv.shape[0] for lv in levels] == [2048, 1024, 512, 256, 128]
    assert [lv.shards for lv in levels] == [
        (1024, 1024),  # 16 x 16 chunks in 2 x 2 shards
        (1024, 1024),  # 8 x 8 chunks: one shard, one object
        (512, 512),
        (256, 256),
        None,  # one chunk
    ]
    assert all(lv.chunks == (128, 128) for lv in levels)  # the chunks stay
    small = plan((64, 64), (64, 64), shards=(64, 64), levels=2)
    assert small[0].shards == (64, 64)  # the base keeps the shards asked for
    assert small[1].shards is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shape": (10, 10), "chunks": (5,)}, "chunks as 2 positive integers"),
        ({"shape": (10, -1), "chunks": (5, 5)}, "non-negative"),
        ({"shape": (10, 10), "chunks": (5, 0)}, "chunks as 2 positive integers"),
        ({"shape": (10, 10), "chunks": (5, 5), "shards": (7, 10)}, "multiple of the chunks"),
        ({"shape": (10, 10), "chunks": (5, 5), "scale": (1.0, 0.0)}, "positive numbers"),
        ({"shape": (10, 10), "chunks": (5, 5), "kinds": ("space",)}, "2 axis kinds"),
        ({"shape": (10, 10), "chunks": (5, 5), "levels": 0}, "levels >= 1"),
        ({"shape": (10, 10), "chunks": (5, 5), "min_extent": 0}, "min_extent >= 1"),
        ({"shape": (10, 10), "chunks": (5, 5), "factors": [(2, 0)]}, "factors\\[0\\]"),
        ({"shape": (10, 10), "chunks": (5, 5), "factors": [(2, 2)], "levels": 3}, "levels ="),
        (
            {"shape": (10, 10), "chunks": (5, 5), "factors": [(2, 2)], "min_extent": 3},
            "either factors or min_extent",
        ),
    ],
)
def test_inconsistent_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(PyramidError, match=message):
        plan(**kwargs)  # type: ignore[arg-type]


def test_a_shape_beyond_a_64_bit_index_is_refused() -> None:
    """A declared shape no reader addresses is refused when planned, before any tile exists."""
    with pytest.raises(PyramidError, match=r"at most 9\.22e\+18 elements.*1e\+24 elements"):
        plan((10**12, 10**12), (256, 256))
    assert plan((2**31, 2**31), (256, 256), levels=1)[0].shape == (2**31, 2**31)
