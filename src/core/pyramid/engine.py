"""Write a pyramid: read the source once and cascade every level from that read.

:func:`write_pyramid` streams a source array (numpy, a numpy memmap, a zarr array, a dask
array, or anything with ``shape``, ``dtype`` and ``__getitem__``) into one array per planned
level (:func:`~ngff_geozarr.core.pyramid.plan.plan`), through
:class:`~ngff_geozarr.core.store.StoreHandle`.

How it works
    Each level is cut into *tiles*: whole storage blocks (shards when sharded, else chunks),
    grown where needed to a multiple of the next level's factors so that no block of the
    kernel straddles two tiles. A task reads one base tile from the source, writes it, and
    reduces it (:mod:`~ngff_geozarr.core.pyramid.kernels`) into a piece of the next level.
    The coordinating thread tracks which pieces cover which tile (shapes only); when the
    pieces of a tile of level ``k`` are all made, a task assembles them
    (:mod:`~ngff_geozarr.core.pyramid.tasks`), writes the tile and reduces it into level
    ``k + 1``, and so on up the pyramid. Base tiles are taken in depth-first order of the
    pyramid (all the base tiles under one tile of the coarsest level, recursively),
    ``workers + 1`` in flight at most, so at any time each level holds at most a few tiles:
    peak memory is bounded by the tile size, the number of workers and the number of
    levels, never by the volume.

    Every chunk is written exactly once, as a whole block, so concurrent writes never touch
    the same object. Results do not depend on the executor: threads (the default) and a
    ``dask.distributed.Client`` produce byte-identical stores. On a cluster the workers read
    their own input and pass pieces among themselves
    (:mod:`~ngff_geozarr.core.pyramid.distributed`).

Metadata last, and resume
    ``write_metadata`` is called once every array is complete, and only then; an
    interrupted run never carries the metadata that makes a pyramid look complete. With
    ``resume=True`` the arrays that exist are kept and every tile whose blocks all exist is
    skipped (when an unfinished coarser tile still needs a finished tile's data, it is read
    back from the store, or from the source for the base).
    A tile of level ``k + 1`` is written only after the tiles it summarises, so an existing
    tile means everything below it is done. Local stores write through a temporary file and
    a rename, so a block that exists is whole; the temporary files of writes cut short by a
    killed process are removed on resume.

Examples
--------
>>> import numpy as np
>>> from ngff_geozarr.core.pyramid.plan import plan
>>> from ngff_geozarr.core.store import open_store
>>> data = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)
>>> store = open_store({}, "a")
>>> result = write_pyramid(data, store, plan(data.shape, (16, 16)))
>>> [store.open_array(p).shape for p in result.paths]
[(64, 64), (32, 32), (16, 16)]
"""

from __future__ import annotations

import concurrent.futures
import itertools
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from ngff_geozarr.core.errors import PyramidError
from ngff_geozarr.core.pyramid.distributed import DaskExecutor
from ngff_geozarr.core.pyramid.kernels import METHODS, Method
from ngff_geozarr.core.pyramid.plan import Level
from ngff_geozarr.core.pyramid.tasks import Array, Task, piece_region, read, run_task
from ngff_geozarr.core.store import ArrayIO, Compression, StoreHandle, ZarrFormat, join_key
from ngff_geozarr.core.store.encoded import encoded_chunks
from ngff_geozarr.core.store.writelock import note_partial

__all__ = [
    "OutputOptions",
    "Progress",
    "PyramidResult",
    "SourceArray",
    "default_workers",
    "write_pyramid",
]

_Region = tuple[slice, ...]
_Index = tuple[int, ...]


class SourceArray(Protocol):
    """What the engine needs of a source: a shape, a dtype and region reads.

    numpy arrays and memmaps, zarr arrays and dask arrays all qualify.
    """

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""

    @property
    def dtype(self) -> Any:
        """The array's data type."""

    def __getitem__(self, key: Any) -> Any:
        """Read a region (tuple of slices)."""


@dataclass(frozen=True)
class OutputOptions:
    """How the level arrays are stored.

    Parameters
    ----------
    zarr_format
        3 (the default) or 2. Sharding needs format 3.
    compression
        A named preset of :data:`~ngff_geozarr.core.store.Compression`; the default is
        Blosc-zstd level 5 with byte shuffle.
    compressors
        Explicit compressors as JSON objects of the Zarr format; overrides ``compression``.
    fill_value
        The arrays' fill value; zarr's default (0) when omitted.
    dimension_names
        Names of the dimensions (format 3 ``dimension_names``).
    attributes
        Attributes given to every level array (format 2 writers put ``_ARRAY_DIMENSIONS``
        here).
    chunk_key_separator
        ``"/"`` (nested chunk keys; the default) or ``"."``.
    copy_encoded
        When the source is a Zarr array that stores its chunks as level 0 stores them (same
        format, data type, chunk shape and codecs), copy them as they are instead of
        encoding them again (the default; see :mod:`~ngff_geozarr.core.store.encoded`).
    """

    zarr_format: ZarrFormat = 3
    compression: Compression = "blosc-zstd"
    compressors: tuple[dict[str, Any], ...] | None = None
    fill_value: Any = None
    dimension_names: tuple[str, ...] | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    chunk_key_separator: Literal["/", "."] = "/"
    copy_encoded: bool = True


@dataclass(frozen=True)
class Progress:
    """How far a pyramid write has come, reported after every finished tile.

    Parameters
    ----------
    done
        Tiles finished so far (all levels, skipped tiles excluded).
    total
        Tiles this run processes.
    level
        The level of the tile just finished.
    """

    done: int
    total: int
    level: int


@dataclass(frozen=True)
class PyramidResult:
    """What :func:`write_pyramid` wrote.

    Parameters
    ----------
    levels
        The planned levels, base first.
    paths
        The array path of each level in the store.
    method
        The kernel that produced levels 1 and up.
    tiles_written
        Tiles processed by this run (read or written).
    tiles_skipped
        Tiles found complete on resume and left alone.
    """

    levels: tuple[Level, ...]
    paths: tuple[str, ...]
    method: Method
    tiles_written: int
    tiles_skipped: int


class _Executor(Protocol):
    """Where tasks run: threads of this process, or a dask cluster."""

    def portable(self, reader: Any) -> Any | None: ...

    def submit(self, task: Task, data: Array | None, pieces: list[Any]) -> Any: ...

    def wait_any(self, pending: set[Any]) -> set[Any]: ...

    def check(self, future: Any) -> None: ...

    def cancel(self, pending: set[Any]) -> None: ...

    def close(self) -> None: ...


class _ThreadExecutor:
    """Tasks on a pool of threads; the pieces a task assembles are the results of futures."""

    def __init__(self, workers: int) -> None:
        self.pool = concurrent.futures.ThreadPoolExecutor(workers, "pyramid")

    def portable(self, reader: Any) -> Any | None:
        return reader

    def submit(self, task: Task, data: Array | None, pieces: list[Any]) -> Any:
        return self.pool.submit(run_task, task, data, [p.result() for p in pieces])

    def wait_any(self, pending: set[Any]) -> set[Any]:
        done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
        return set(done)

    def check(self, future: Any) -> None:
        future.result()

    def cancel(self, pending: set[Any]) -> None:
        for future in pending:
            future.cancel()
        concurrent.futures.wait(pending)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


@dataclass
class _Grid:
    """The tiles of one level."""

    shape: tuple[int, ...]
    tile: tuple[int, ...]
    block: tuple[int, ...]

    @property
    def counts(self) -> tuple[int, ...]:
        return tuple(-(-n // t) for n, t in zip(self.shape, self.tile, strict=True))

    def region(self, index: _Index) -> _Region:
        return tuple(
            slice(i * t, min((i + 1) * t, n))
            for i, t, n in zip(index, self.tile, self.shape, strict=True)
        )

    def indices(self) -> Iterator[_Index]:
        yield from np.ndindex(*self.counts)

    def covering(self, region: _Region) -> Iterator[_Index]:
        """Tiles that intersect a region."""
        ranges = [
            range(s.start // t, -(-s.stop // t)) for s, t in zip(region, self.tile, strict=True)
        ]
        for index in np.ndindex(*(len(r) for r in ranges)):
            yield tuple(r[i] for r, i in zip(ranges, index, strict=True))

    def blocks(self, index: _Index) -> Iterator[_Index]:
        """Storage blocks inside a tile."""
        region = self.region(index)
        ranges = [
            range(s.start // b, -(-s.stop // b)) for s, b in zip(region, self.block, strict=True)
        ]
        for offsets in np.ndindex(*(len(r) for r in ranges)):
            yield tuple(r[i] for r, i in zip(ranges, offsets, strict=True))


def _grids(levels: Sequence[Level]) -> list[_Grid]:
    grids = []
    for k, level in enumerate(levels):
        block = level.shards if level.shards is not None else level.chunks
        if k + 1 < len(levels):
            tile = tuple(math.lcm(b, f) for b, f in zip(block, levels[k + 1].factors, strict=True))
        else:
            tile = block
        grids.append(_Grid(level.shape, tile, block))
    return grids


def _check_levels(source: SourceArray | ArrayIO, levels: Sequence[Level]) -> None:
    if not levels:
        raise PyramidError("Expected at least one level. Got none.")
    if tuple(source.shape) != levels[0].shape:
        raise PyramidError(
            f"Expected a source of the base shape {list(levels[0].shape)}. "
            f"Got {list(source.shape)}."
        )
    for k, (previous, level) in enumerate(itertools.pairwise(levels), start=1):
        expected = tuple(-(-n // f) for n, f in zip(previous.shape, level.factors, strict=True))
        if level.shape != expected:
            raise PyramidError(
                f"Expected levels[{k}] of shape {list(expected)} (levels[{k - 1}] reduced by "
                f"{list(level.factors)}). Got {list(level.shape)}."
            )


def _prepare_arrays(
    store: StoreHandle,
    levels: Sequence[Level],
    paths: Sequence[str],
    dtype: np.dtype[Any],
    output: OutputOptions,
    resume: bool,
    write_base: bool,
) -> list[ArrayIO]:
    arrays = []
    for k, (level, path) in enumerate(zip(levels, paths, strict=True)):
        if resume or (k == 0 and not write_base):
            try:
                existing = store.open_array(path)
            except Exception as exc:
                if k == 0 and not write_base:
                    raise PyramidError(f"Expected an existing base array at {path!r}.") from exc
                existing = None
            if existing is not None:
                wanted = (level.shape, dtype, level.chunks, level.shards)
                found = (existing.shape, existing.dtype, existing.chunks, existing.shards)
                if wanted != found:
                    raise PyramidError(
                        f"Expected the array at {path!r} to have shape, dtype, chunks and "
                        f"shards {wanted} to resume. Got {found}."
                    )
                if resume:
                    existing.remove_partial_writes()
                arrays.append(existing)
                continue
        arrays.append(
            store.create_empty_array(
                path,
                shape=level.shape,
                dtype=dtype,
                chunks=level.chunks,
                shards=level.shards,
                compression=output.compression,
                compressors=output.compressors,
                fill_value=output.fill_value,
                dimension_names=output.dimension_names,
                attributes=dict(output.attributes),
                zarr_format=output.zarr_format,
                chunk_key_separator=output.chunk_key_separator,
            )
        )
    return arrays


def default_workers() -> int:
    """Return the number of threads a pyramid is written with by default: the CPUs, plus one.

    Codecs and kernels release the interpreter lock, but every task also spends some time
    holding it (or in a system call); one thread more than the CPUs keeps them busy meanwhile.
    Memory grows with the threads: each holds about one tile and its reduction.

    Returns
    -------
    int
        ``os.cpu_count() + 1``.
    """
    return (os.cpu_count() or 1) + 1


def write_pyramid(
    source: SourceArray | ArrayIO,
    store: StoreHandle,
    levels: Sequence[Level],
    *,
    paths: Sequence[str] | None = None,
    method: Method = "mean",
    output: OutputOptions | None = None,
    workers: int | None = None,
    client: Any = None,
    resume: bool = False,
    write_base: bool = True,
    progress: Callable[[Progress], None] | None = None,
    write_metadata: Callable[[PyramidResult], None] | None = None,
) -> PyramidResult:
    """Write every level of a pyramid from one pass over the source.

    Parameters
    ----------
    source
        The base data: a numpy array or memmap, a zarr array, a dask array, anything with
        ``shape``, ``dtype`` and ``__getitem__`` taking a tuple of slices, or an array of a
        store (:class:`~ngff_geozarr.core.store.ArrayIO`).
    store
        The output store, opened writable.
    levels
        The plan (:func:`~ngff_geozarr.core.pyramid.plan.plan`); ``levels[0].shape`` must be
        the source's shape.
    paths
        The array path of each level; ``"0"``, ``"1"``, ... when omitted.
    method
        The kernel producing levels 1 and up (see
        :data:`~ngff_geozarr.core.pyramid.kernels.METHODS`).
    output
        How the arrays are stored (format, codecs, fill value, dimension names).
    workers
        Threads to run tasks on (when no ``client``); :func:`default_workers` when omitted.
    client
        A ``dask.distributed.Client`` to run tasks on instead of threads. The workers read
        the source themselves when they can reach it (a Zarr array, a TIFF or memory-mapped
        file at the same path, a dask array; see
        :mod:`~ngff_geozarr.core.pyramid.distributed`); an in-memory array is read here and
        scattered. The workers must be able to reach ``store``.
    resume
        Keep existing arrays and skip the tiles already written (see the module notes).
    write_base
        Write level 0 too (the default); ``False`` when ``store`` already holds the base at
        ``paths[0]`` and ``source`` is that array: only the levels above it are written.
    progress
        Called in the calling thread after every finished tile.
    write_metadata
        Called last, once every level is complete, with the result; a run that stops early
        (error, interruption) never calls it.

    Returns
    -------
    PyramidResult
        The levels, their paths and tile counts.

    Raises
    ------
    PyramidError
        When the source does not match the plan, the method is unknown, or resumed arrays
        do not match the plan.
    """
    level_list = tuple(levels)
    _check_levels(source, level_list)
    if method not in METHODS:
        raise PyramidError(f"Expected a method among {', '.join(METHODS)}. Got {method!r}.")
    dtype = np.dtype(source.dtype)
    if dtype.kind not in "biuf":
        raise PyramidError(f"Expected boolean, integer or float data. Got {dtype}.")
    level_paths = tuple(paths) if paths is not None else tuple(str(k) for k in range(len(levels)))
    if len(level_paths) != len(level_list) or len(set(level_paths)) != len(level_paths):
        raise PyramidError(
            f"Expected {len(level_list)} distinct array paths. Got {list(level_paths)}."
        )
    for path in level_paths:
        join_key(path)
    options = output or OutputOptions()
    # Named in the store's write record (when the write holds one) before the first array.
    note_partial(store, [p for k, p in enumerate(level_paths) if write_base or k > 0])
    arrays = _prepare_arrays(store, level_list, level_paths, dtype, options, resume, write_base)
    grids = _grids(level_list)
    top = len(level_list) - 1

    done: list[set[_Index]] = []
    for k, (grid, array) in enumerate(zip(grids, arrays, strict=True)):
        if k == 0 and not write_base:
            done.append(set(grid.indices()))
        elif resume:
            stored = array.stored_blocks()
            done.append({i for i in grid.indices() if all(b in stored for b in grid.blocks(i))})
        else:
            done.append(set())

    def leaf_tasks() -> Iterator[tuple[int, _Index, bool]]:
        """(level, tile, write?) for the tasks that start from stored data, depth first."""
        visited: set[tuple[int, _Index]] = set()

        def visit(k: int, index: _Index, needed: bool) -> Iterator[tuple[int, _Index, bool]]:
            if (k, index) in visited:
                return
            visited.add((k, index))
            if index in done[k]:
                if needed:
                    yield (k, index, False)
                return
            if k == 0:
                yield (0, index, True)
                return
            footprint = tuple(
                slice(s.start * f, min(s.stop * f, n))
                for s, f, n in zip(
                    grids[k].region(index), level_list[k].factors, grids[k - 1].shape, strict=True
                )
            )
            for child in grids[k - 1].covering(footprint):
                yield from visit(k - 1, child, True)

        for index in grids[top].indices():
            yield from visit(top, index, False)

    leaves = list(leaf_tasks())
    to_finish = sum(math.prod(grids[k].counts) - len(done[k]) for k in range(1, top + 1))
    total = len(leaves) + to_finish
    skipped = sum(len(d) for d in done[1:]) + (len(done[0]) if write_base else 0)

    executor: _Executor
    if client is not None:
        executor = DaskExecutor(client)
        window = 2 * max(1, sum(client.nthreads().values()))
    else:
        threads = workers or default_workers()
        executor = _ThreadExecutor(threads)
        window = threads + 1

    encoded = encoded_chunks(source, arrays[0]) if write_base and options.copy_encoded else None

    def make_task(level: int, index: _Index, write: bool) -> Task:
        reader = executor.portable(source if level == 0 else arrays[level])
        return Task(
            level=level,
            region=grids[level].region(index),
            reader=reader,
            target=arrays[level] if write else None,
            factors=level_list[level + 1].factors if level < top else None,
            method=method,
            # a source only this process reads is handed over decoded, never copied as stored
            encoded=encoded if level == 0 and write and reader is not None else None,
        )

    def submit_leaf(level: int, index: _Index, write: bool) -> tuple[Any, Task]:
        task = make_task(level, index, write)
        data = None
        if task.reader is None:  # only this process can read it (an in-memory array)
            data = read(source if level == 0 else arrays[level], task.region)
        return executor.submit(task, data, []), task

    # The tiles above the base waiting for pieces: the futures that make them, and how many
    # of their samples are still missing. The coordinator tracks shapes only, never data.
    waiting: dict[tuple[int, _Index], tuple[list[Any], int]] = {}
    in_flight: dict[Any, tuple[Task, bool]] = {}
    finished = 0
    leaf_iter = iter(leaves)
    leaves_in_flight = 0
    try:
        while True:
            while leaves_in_flight < window:
                leaf = next(leaf_iter, None)
                if leaf is None:
                    break
                future, task = submit_leaf(*leaf)
                in_flight[future] = (task, True)
                leaves_in_flight += 1
            if not in_flight:
                break
            for future in executor.wait_any(set(in_flight)):
                task, is_leaf = in_flight.pop(future)
                leaves_in_flight -= is_leaf
                executor.check(future)
                finished += 1
                if progress is not None:
                    progress(Progress(done=finished, total=total, level=task.level))
                if task.factors is None:
                    continue
                for index in _completed(task, future, grids[task.level + 1], waiting):
                    pieces, _ = waiting.pop((task.level + 1, index))
                    parent = make_task(task.level + 1, index, True)
                    in_flight[executor.submit(parent, None, pieces)] = (parent, False)
    except BaseException:
        executor.cancel(set(in_flight))
        raise
    finally:
        executor.close()
    if waiting:  # pragma: no cover - a bug, not a user error
        raise RuntimeError(f"Pyramid tiles left incomplete: {sorted(waiting)}.")
    result = PyramidResult(
        levels=level_list,
        paths=level_paths,
        method=method,
        tiles_written=finished,
        tiles_skipped=skipped,
    )
    if write_metadata is not None:
        write_metadata(result)
    return result


def _completed(
    task: Task,
    future: Any,
    grid: _Grid,
    waiting: dict[tuple[int, _Index], tuple[list[Any], int]],
) -> Iterator[_Index]:
    """Record a finished task's piece with the tiles it covers; yield those it completes."""
    assert task.factors is not None
    region = piece_region(task.region, task.factors)
    level = task.level + 1
    for index in grid.covering(region):
        tile = grid.region(index)
        overlap = math.prod(
            min(a.stop, b.stop) - max(a.start, b.start) for a, b in zip(region, tile, strict=True)
        )
        size = math.prod(s.stop - s.start for s in tile)
        pieces, missing = waiting.get((level, index), ([], size))
        pieces.append(future)
        waiting[(level, index)] = (pieces, missing - overlap)
        if missing == overlap:
            yield index
