"""Plan a multiscale pyramid: the shape, factors and chunking of every level (pure, no I/O).

:func:`plan` turns a base shape, its chunking and per-axis physical pixel sizes into the list
of levels a pyramid writer produces. Nothing is read or allocated.

Automatic mode
    Only spatial axes (kind ``"space"``) are downsampled, by 2. An axis is halved at a level
    when its current physical pixel size is within a factor of √2 of the finest spatial pixel
    size among the axes that can still shrink: halving it then brings the voxel closer to
    isotropic than leaving it. With x and y at 1 µm and z at 4 µm, levels 1 and 2 halve x and
    y only (2 µm, then 4 µm); from level 3 on, when the xy pixel size has reached z's, all three
    are halved together. Levels are added until the largest spatial extent fits in one chunk
    (is at most the largest spatial chunk extent: a z chunk of 1 does not drive xy down to
    nothing), or, when ``min_extent`` is given, until the largest spatial extent is at most
    ``min_extent``; ``levels`` asks for an exact number of levels instead.

Explicit mode
    ``factors`` gives each level's integer factor per axis, relative to the level before.

Shapes round up: a level of extent ``n`` reduced by ``f`` has ``ceil(n / f)`` samples, the
last of which summarises a partial block (see :mod:`ngff_geozarr.core.pyramid.kernels`).
Every level keeps the base chunk shape, clipped to its own shape; shards likewise, rounded so
that they stay a multiple of the chunk shape.

Examples
--------
>>> levels = plan((40, 1000, 1000), (16, 256, 256), scale=(4.0, 1.0, 1.0))
>>> [lv.shape for lv in levels]
[(40, 1000, 1000), (40, 500, 500), (40, 250, 250)]
>>> levels[2].scale
(4.0, 4.0, 4.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ngff_geozarr.core.errors import PyramidError

__all__ = [
    "AxisKind",
    "Level",
    "plan",
]

AxisKind = Literal["space", "time", "channel", "other"]
"""What an axis measures; only ``"space"`` axes are downsampled in automatic mode."""

_ISOTROPY_TOLERANCE = math.sqrt(2.0)
_MAX_ELEMENTS = 2**63 - 1
"""The most elements a level may hold: what a signed 64-bit index addresses."""


@dataclass(frozen=True)
class Level:
    """One level of a planned pyramid.

    Parameters
    ----------
    index
        0 for the base, then 1, 2, ...
    shape
        The level's shape.
    factors
        Per-axis factor relative to the previous level (all 1 for the base).
    cumulative
        Per-axis factor relative to the base.
    chunks
        The chunk shape (inner chunks when sharded).
    shards
        The shard shape, or ``None`` when unsharded. A level above the base that is a single
        chunk is unsharded: it is one object either way, and readers without sharding support
        read it. (A level of several chunks stays one shard: one object, not several; RFC-9
        wants every array of several chunks in an ``.ozx`` sharded.)
    scale
        Physical size of one sample per axis: the base scale times ``cumulative``.
    offset
        Where the centre of the level's first sample lies, relative to the centre of the
        base's first sample, in physical units per axis: ``(cumulative - 1) / 2 * base scale``
        (a sample summarises a block of base samples and sits at the block's centre).
    """

    index: int
    shape: tuple[int, ...]
    factors: tuple[int, ...]
    cumulative: tuple[int, ...]
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    scale: tuple[float, ...]
    offset: tuple[float, ...]


def _positive_ints(name: str, values: Sequence[int], ndim: int) -> tuple[int, ...]:
    items = tuple(values)
    if len(items) != ndim or not all(isinstance(v, int) and v >= 1 for v in items):
        raise PyramidError(f"Expected {name} as {ndim} positive integers. Got {list(items)}.")
    return items


def _make_level(
    index: int,
    shape: tuple[int, ...],
    factors: tuple[int, ...],
    cumulative: tuple[int, ...],
    chunks: tuple[int, ...],
    shards: tuple[int, ...] | None,
    scale: tuple[float, ...],
) -> Level:
    level_chunks = tuple(max(1, min(c, n)) for c, n in zip(chunks, shape, strict=True))
    level_shards = None
    if shards is not None:
        level_shards = tuple(
            min(s, -(-n // c) * c) for s, n, c in zip(shards, shape, level_chunks, strict=True)
        )
        if index > 0 and all(n <= c for n, c in zip(shape, chunks, strict=True)):
            level_shards = None  # one chunk: a shard index adds nothing, and any reader reads it
    return Level(
        index=index,
        shape=shape,
        factors=factors,
        cumulative=cumulative,
        chunks=level_chunks,
        shards=level_shards,
        scale=tuple(s * f for s, f in zip(scale, cumulative, strict=True)),
        offset=tuple((f - 1) / 2 * s for s, f in zip(scale, cumulative, strict=True)),
    )


def _auto_factors(
    shape: tuple[int, ...], pixel: tuple[float, ...], spatial: list[int]
) -> tuple[int, ...]:
    """Halve the spatial axes whose pixel size is within √2 of the finest shrinkable one."""
    shrinkable = [i for i in spatial if shape[i] > 1]
    finest = min(pixel[i] for i in shrinkable)
    return tuple(
        2 if i in shrinkable and pixel[i] <= finest * _ISOTROPY_TOLERANCE else 1
        for i in range(len(shape))
    )


def plan(
    shape: Sequence[int],
    chunks: Sequence[int],
    scale: Sequence[float] | None = None,
    kinds: Sequence[AxisKind] | None = None,
    *,
    shards: Sequence[int] | None = None,
    factors: Sequence[Sequence[int]] | None = None,
    levels: int | None = None,
    min_extent: int | None = None,
) -> tuple[Level, ...]:
    """Plan the levels of a pyramid.

    Parameters
    ----------
    shape
        The base's shape.
    chunks
        The chunk shape of every level (clipped to each level's shape).
    scale
        Physical size of one base sample per axis; 1 on every axis when omitted.
    kinds
        The kind of each axis; every axis is spatial when omitted.
    shards
        The shard shape (a multiple of ``chunks``), or ``None`` for no sharding. Levels above
        the base that are a single chunk are unsharded.
    factors
        Explicit per-level, per-axis integer factors, each relative to the level before;
        automatic mode when omitted.
    levels
        The number of levels, base included. In automatic mode: exactly this many, unless
        no spatial axis can shrink any further. With ``factors``: must equal
        ``len(factors) + 1`` when given.
    min_extent
        Automatic mode: stop once the largest spatial extent is at most this.

    Returns
    -------
    tuple of Level
        The levels, base first.

    Raises
    ------
    PyramidError
        When an argument is inconsistent (lengths, non-positive values, shards that are not a
        multiple of the chunks, ``factors`` together with ``min_extent``, ...), or the shape
        holds more elements than a 64-bit index addresses.

    Examples
    --------
    >>> [lv.shape for lv in plan((3, 100, 100), (1, 64, 64), kinds=("channel", "space", "space"))]
    [(3, 100, 100), (3, 50, 50)]
    >>> [lv.factors for lv in plan((8, 8), (8, 8), factors=[(1, 2), (2, 2)])]
    [(1, 1), (1, 2), (2, 2)]
    """
    base = tuple(shape)
    ndim = len(base)
    if not all(isinstance(n, int) and n >= 0 for n in base):
        raise PyramidError(f"Expected a shape of non-negative integers. Got {list(base)}.")
    if math.prod(base) > _MAX_ELEMENTS:  # what a 64-bit index addresses, as Zarr readers do
        raise PyramidError(
            f"Expected at most {_MAX_ELEMENTS:.3g} elements (a 64-bit index). Got the shape "
            f"{list(base)}: {math.prod(base):.3g} elements."
        )
    chunk_shape = _positive_ints("chunks", chunks, ndim)
    shard_shape = None if shards is None else _positive_ints("shards", shards, ndim)
    if shard_shape is not None and any(
        s % c for s, c in zip(shard_shape, chunk_shape, strict=True)
    ):
        raise PyramidError(
            f"Expected shards that are a multiple of the chunks {list(chunk_shape)}. "
            f"Got {list(shard_shape)}."
        )
    pixel0 = tuple(float(s) for s in scale) if scale is not None else (1.0,) * ndim
    if len(pixel0) != ndim or not all(math.isfinite(s) and s > 0 for s in pixel0):
        raise PyramidError(f"Expected a scale of {ndim} positive numbers. Got {list(pixel0)}.")
    axis_kinds = tuple(kinds) if kinds is not None else ("space",) * ndim
    if len(axis_kinds) != ndim:
        raise PyramidError(f"Expected {ndim} axis kinds. Got {list(axis_kinds)}.")
    if levels is not None and (not isinstance(levels, int) or levels < 1):
        raise PyramidError(f"Expected levels >= 1. Got {levels!r}.")
    if min_extent is not None and (not isinstance(min_extent, int) or min_extent < 1):
        raise PyramidError(f"Expected min_extent >= 1. Got {min_extent!r}.")

    ones = (1,) * ndim
    result = [_make_level(0, base, ones, ones, chunk_shape, shard_shape, pixel0)]

    def add(step: tuple[int, ...]) -> None:
        last = result[-1]
        new_shape = tuple(-(-n // f) for n, f in zip(last.shape, step, strict=True))
        cumulative = tuple(c * f for c, f in zip(last.cumulative, step, strict=True))
        result.append(
            _make_level(len(result), new_shape, step, cumulative, chunk_shape, shard_shape, pixel0)
        )

    if factors is not None:
        if min_extent is not None:
            raise PyramidError("Expected either factors or min_extent. Got both.")
        steps = [_positive_ints(f"factors[{i}]", f, ndim) for i, f in enumerate(factors)]
        if levels is not None and levels != len(steps) + 1:
            raise PyramidError(
                f"Expected levels = len(factors) + 1 = {len(steps) + 1}. Got {levels}."
            )
        for step in steps:
            add(step)
        return tuple(result)

    spatial = [i for i, kind in enumerate(axis_kinds) if kind == "space"]
    while spatial and any(result[-1].shape[i] > 1 for i in spatial):
        current = result[-1]
        if levels is not None:
            if len(result) >= levels:
                break
        elif min_extent is not None:
            if max(current.shape[i] for i in spatial) <= min_extent:
                break
        elif max(current.shape[i] for i in spatial) <= max(chunk_shape[i] for i in spatial):
            break
        add(_auto_factors(current.shape, current.scale, spatial))
    return tuple(result)
