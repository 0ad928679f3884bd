"""The pyramid engine's unit of work: obtain one tile, maybe write it, maybe reduce it.

A task is self-contained so that it runs the same on a thread and on a dask worker in
another process: it carries the reader of its tile (the source, or a level array of the
store) and the level array it writes, never the coordinator's state. Its tile comes from
one of three places:

- the tile's own region of ``task.reader`` (the source for the base, a stored level on
  resume), read by the task itself, so that a worker reads its own input;
- ``data`` handed over whole (an in-memory source read by the coordinator);
- the reduced *pieces* of the finer level's tiles, assembled here: on a cluster they travel
  from worker to worker and never through the coordinator.

The assembly places every piece where it belongs in the tile, so a tile is the same array
whichever executor produced its pieces: results are byte-identical across executors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ngff_geozarr.core.pyramid.kernels import Method, downsample
from ngff_geozarr.core.pyramid.stages import Stage, active
from ngff_geozarr.core.store import ArrayIO
from ngff_geozarr.core.store.encoded import EncodedChunks

__all__ = [
    "Array",
    "Index",
    "Piece",
    "Region",
    "Task",
    "assemble",
    "piece_region",
    "read",
    "reduce",
    "run_task",
]

Array = npt.NDArray[Any]
Region = tuple[slice, ...]
Index = tuple[int, ...]
_SLAB_BYTES = 2 * 2**20  # input bytes reduced at once within a tile


@dataclass(frozen=True)
class Piece:
    """A reduced tile, ready to be placed into the tiles of the next level it covers."""

    level: int
    start: Index
    data: Array


@dataclass(frozen=True)
class Task:
    """One unit of work: a tile of one level, where its data comes from and where it goes.

    Parameters
    ----------
    level
        The tile's level.
    region
        The tile's region of that level.
    reader
        What the tile is read from when neither data nor pieces are given (the source, or a
        level array of the store); ``None`` otherwise.
    target
        The level array the tile is written to, or ``None`` (the tile is stored already).
    factors
        The next level's factors, or ``None`` at the top (nothing to reduce).
    method
        The reduction kernel.
    encoded
        Copies the source's stored chunks into the target as they are, when the source
        stores them as the target does; ``None`` otherwise.
    """

    level: int
    region: Region
    reader: Any
    target: ArrayIO | None
    factors: tuple[int, ...] | None
    method: Method
    encoded: EncodedChunks | None = None


def piece_region(region: Region, factors: tuple[int, ...]) -> Region:
    """Return the region of the next level that the reduction of a tile's region fills."""
    return tuple(slice(s.start // f, -(-s.stop // f)) for s, f in zip(region, factors, strict=True))


def run_task(task: Task, data: Array | None = None, pieces: Sequence[Piece] = ()) -> Piece | None:
    """Run a task (in a worker thread or on a dask worker).

    Parameters
    ----------
    task
        The task.
    data
        The tile itself, when the coordinator read it.
    pieces
        The reduced pieces that make up the tile, when it is a tile above the base that no
        stored data provides.

    Returns
    -------
    Piece or None
        The tile reduced into the next level, or ``None`` at the top.
    """
    times = active()  # stage times, only while a recording is active
    begin = time.perf_counter()
    stage: Stage = "assemble" if pieces else "read"
    copier = task.encoded if task.target is not None else None
    fetched = None
    if pieces:
        tile = assemble(task.region, pieces)
    elif data is not None:
        tile = data
    else:
        fetched = None if copier is None else copier.fetch(task.region)
        tile = read(task.reader, task.region) if fetched is None else fetched.values
    now = time.perf_counter()
    if times is not None:
        times.add(task.level, stage, now - begin, tile.nbytes)
    if task.target is not None:
        if copier is not None and fetched is not None:
            copier.store(fetched)  # the source's bytes, not encoded again
        else:
            task.target.write(task.region, tile)
        begin, now = now, time.perf_counter()
        if times is not None:
            times.add(task.level, "write", now - begin, tile.nbytes)
    if task.factors is None:
        return None
    start = tuple(s.start for s in piece_region(task.region, task.factors))
    reduced = reduce(tile, task.factors, task.method)
    if times is not None:
        times.add(task.level, "reduce", time.perf_counter() - now, tile.nbytes)
    return Piece(task.level + 1, start, reduced)


def assemble(region: Region, pieces: Sequence[Piece]) -> Array:
    """Copy the overlap of every piece with a tile's region into one array of the tile."""
    shape = tuple(s.stop - s.start for s in region)
    tile = np.empty(shape, dtype=pieces[0].data.dtype)
    filled = 0
    for piece in pieces:
        extent = tuple(slice(s, s + n) for s, n in zip(piece.start, piece.data.shape, strict=True))
        overlap = tuple(
            slice(max(a.start, b.start), min(a.stop, b.stop))
            for a, b in zip(extent, region, strict=True)
        )
        into = tuple(
            slice(o.start - t.start, o.stop - t.start) for o, t in zip(overlap, region, strict=True)
        )
        out_of = tuple(
            slice(o.start - e.start, o.stop - e.start) for o, e in zip(overlap, extent, strict=True)
        )
        tile[into] = piece.data[out_of]
        filled += math.prod(o.stop - o.start for o in overlap)
    if filled != math.prod(shape):  # pragma: no cover - a bug, not a user error
        raise RuntimeError(f"Tile {region} assembled from pieces covering {filled} samples.")
    return tile


def reduce(data: Array, factors: tuple[int, ...], method: Method) -> Array:
    """Reduce a tile slab by slab along its first axis, so kernel temporaries stay small.

    Blocks are independent, so the result is the same as one call on the whole tile; the
    Gaussian blur is not block-local and always takes the whole tile.
    """
    step = factors[0] if data.ndim else 1
    plane = data[0].nbytes if data.ndim and data.shape[0] else 0
    rows = max(1, _SLAB_BYTES // max(1, plane * step)) * step
    if method == "gaussian" or data.ndim == 0 or rows >= data.shape[0]:
        return downsample(data, factors, method)
    out_shape = tuple(-(-n // f) for n, f in zip(data.shape, factors, strict=True))
    out = np.empty(out_shape, dtype=data.dtype)
    for first in range(0, data.shape[0], rows):
        piece = downsample(data[first : first + rows], factors, method)
        out[first // step : first // step + piece.shape[0]] = piece
    return out


def read(reader: Any, region: Region) -> Array:
    """Read a region from the source or from a level array, as a contiguous array."""
    values = reader.read(region) if isinstance(reader, ArrayIO) else reader[region]
    return np.ascontiguousarray(np.asarray(values))
