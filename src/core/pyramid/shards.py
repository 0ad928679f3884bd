"""Choose chunks and shards for the reader a pyramid is for (pure, no I/O).

:func:`choose_layout` picks the base chunk and shard shapes from the data's shape, data type,
axis kinds and the reader the pyramid targets; :func:`unshard_small_levels` drops sharding
from the levels too small to fill more than one shard. With the engine's tiles being whole
shards (:mod:`~ngff_geozarr.core.pyramid.engine`), every shard of every level is then
produced by exactly one task in one write, and a resumed run skips whole shards.

Targets
    ``viewer``
        Chunks of about :data:`TARGETS` ``["viewer"].chunk_bytes`` (512 KiB), so that a
        viewer fetches little more than it shows, in shards of about 8 MiB.
    ``archive``
        Chunks of about 4 MiB in shards of about 64 MiB: few objects, each written with one
        request.
    ``gdal``
        2-D chunks of 512 x 512 and no sharding: GDAL 3.12 reads no sharded array.

Non-spatial axes (time, channel, other) get chunks and shards of 1; the spatial axes share
the chunk budget equally (cubes in 3-D, squares in 2-D), as powers of two, clipped to the
data. A shard is the chunk doubled along the spatial axes, one doubling at a time, each to
the axis with the fewest chunks per shard among those the data still needs chunks along:
an axis shorter than its share (a 64-deep volume) passes the rest of the budget on.

The budgets are measured (``benchmarks/layout_cost.py``; figures, command and machine load
in ``benchmarks/README.md``, section ``layout_cost.py``; uint16, Blosc-zstd, 20 ms per
request). A 1024 x 1024 viewport of a 2-D image needs 9 requests in 512 KiB chunks and
fetches 1.2 times its bytes; 128 KiB chunks need 25 requests, 2 MiB chunks 4 requests but
2.1 times the bytes, which costs more than the round trip saved below about 0.7 Gbit/s.
Shards of 8 MiB instead of 64 MiB: zarr-python (3.1.6) fetches the chunks of one shard one
after the other, so a 64 x 512 x 512 viewport took 171 ms in 8 MiB shards and 1,095 ms in
64 MiB shards (298 ms unsharded); a reader that fetches at once pays one round trip for
the shard index either way; 8 MiB shards still write 8 to 13 times fewer objects than
unsharded 512 KiB chunks. The archive's 64 MiB (formerly 512 MiB): the writer holds whole
shards, so its peak RSS grows with them (3-D: 349 MiB unsharded, 627 MiB in 64 MiB shards,
1.2 GiB in 256 MiB shards), and s3fs sends an object of 100 MiB or more as a multipart
upload of 50 MiB parts, so larger shards do not lower the requests per GiB (3-D, 8 MiB
chunks: 26 PUTs per GiB written in 64 MiB shards, 54 in 256 MiB shards).

Examples
--------
>>> choose_layout((40, 4000, 4000), "uint16", ("space", "space", "space"), "viewer")
((40, 64, 64), (40, 256, 256))
>>> choose_layout((3, 4000, 4000), "uint8", ("channel", "space", "space"), "gdal")
((1, 512, 512), None)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from ngff_geozarr.core.errors import PyramidError
from ngff_geozarr.core.pyramid.plan import AxisKind, Level

__all__ = ["TARGETS", "LayoutTarget", "TargetBudget", "choose_layout", "unshard_small_levels"]

LayoutTarget = Literal["viewer", "archive", "gdal"]
"""The reader a pyramid's layout is chosen for."""


@dataclass(frozen=True)
class TargetBudget:
    """The sizes a target wants.

    Parameters
    ----------
    chunk_bytes
        The largest chunk, in bytes (uncompressed).
    shard_bytes
        The largest shard, in bytes (uncompressed), or ``None`` for no sharding.
    """

    chunk_bytes: int
    shard_bytes: int | None


TARGETS: dict[str, TargetBudget] = {
    "viewer": TargetBudget(chunk_bytes=2**19, shard_bytes=2**23),
    "archive": TargetBudget(chunk_bytes=2**22, shard_bytes=2**26),
    "gdal": TargetBudget(chunk_bytes=2**19, shard_bytes=None),
}
"""The budget of each target."""

_MIN_EDGE = 16


def _power(items: int, axes: int, smallest: int) -> int:
    """Return the largest power of two whose ``axes``-th power is at most ``items``."""
    edge = smallest
    while (edge * 2) ** axes <= items:
        edge *= 2
    return edge


def choose_layout(
    shape: Sequence[int],
    dtype: Any,
    kinds: Sequence[AxisKind],
    target: LayoutTarget = "viewer",
) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """Choose the base chunk and shard shapes for a target reader.

    Parameters
    ----------
    shape
        The base's shape.
    dtype
        Its data type.
    kinds
        The kind of each axis.
    target
        ``"viewer"``, ``"archive"`` or ``"gdal"`` (see the module notes).

    Returns
    -------
    tuple
        The chunk shape and the shard shape (a multiple of the chunks), or ``None`` when
        unsharded: for ``gdal``, and when a shard would hold one chunk only.

    Raises
    ------
    PyramidError
        When the target is unknown or the kinds do not match the shape.
    """
    if target not in TARGETS:
        raise PyramidError(f"Expected a target among {', '.join(TARGETS)}. Got {target!r}.")
    dims = tuple(int(n) for n in shape)
    if len(kinds) != len(dims):
        raise PyramidError(f"Expected {len(dims)} axis kinds. Got {list(kinds)}.")
    budget = TARGETS[target]
    itemsize = np.dtype(dtype).itemsize
    spatial = [i for i, k in enumerate(kinds) if k == "space"]
    if target == "gdal":
        spatial = spatial[-2:]
    chunks = [1] * len(dims)
    if spatial:
        edge = _power(budget.chunk_bytes // itemsize, len(spatial), _MIN_EDGE)
        if target == "gdal":
            edge = 512
        for i in spatial:
            chunks[i] = max(1, min(edge, dims[i]))
    if budget.shard_bytes is None or all(c >= n for c, n in zip(chunks, dims, strict=True)):
        return tuple(chunks), None
    shards = list(chunks)
    chunk_bytes = math.prod(chunks) * itemsize
    doublings = max(budget.shard_bytes // chunk_bytes, 1).bit_length() - 1
    needed = {i: -(-dims[i] // chunks[i]) for i in spatial}
    per_axis = dict.fromkeys(spatial, 1)
    for _ in range(doublings):  # the budget goes to the axes that still need chunks
        growing = [i for i in spatial if per_axis[i] < needed[i]]
        if not growing:
            break
        per_axis[min(growing, key=lambda i: (per_axis[i], -i))] *= 2
    for i in spatial:  # no more chunks per shard along an axis than the axis needs
        shards[i] = chunks[i] * min(per_axis[i], needed[i])
    if shards == chunks:  # one chunk per shard: a shard index for nothing
        return tuple(chunks), None
    return tuple(chunks), tuple(shards)


def unshard_small_levels(levels: Sequence[Level]) -> tuple[Level, ...]:
    """Drop sharding from every level that one shard would hold whole.

    :func:`~ngff_geozarr.core.pyramid.plan.plan` already does so for the levels above the
    base; this also unshards a base that small (and levels planned by other means). Such a
    level is a few chunks, which readers without sharding support read.

    Parameters
    ----------
    levels
        The planned levels.

    Returns
    -------
    tuple of Level
        The levels, those that fit in one shard unsharded (their chunks unchanged).
    """
    return tuple(
        replace(level, shards=None)
        if level.shards is not None
        and all(s >= n for s, n in zip(level.shards, level.shape, strict=True))
        else level
        for level in levels
    )
