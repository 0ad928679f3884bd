"""The pyramid engine on a ``dask.distributed`` cluster: workers read their own input.

The coordinator (the process that calls
:func:`~ngff_geozarr.core.pyramid.engine.write_pyramid`) plans and submits; it reads no
data when the source is addressable by the workers:

- a Zarr array (of a store path or URL), an array of a store
  (:class:`~ngff_geozarr.core.store.ArrayIO`), a TIFF read tile by tile (a
  :class:`~ngff_geozarr.core.inputs.LazyArray` whose reader reopens the file), a dask
  array (e.g. an xarray variable backed by Zarr or a TIFF): anything that pickles into a
  small description (:data:`DESCRIPTION_LIMIT`), which each task carries and reads its own
  region through;
- a memory-mapped file (an uncompressed TIFF, a ``.npy``): described by its file name,
  byte offset, shape, strides and data type (:class:`MappedFile`), mapped again by the
  worker (pickling a memmap would copy its data).

Only an in-memory array is read by the coordinator, one tile at a time, and scattered to
the workers. The reduced pieces of a level's tiles go from the workers that made them to
the worker that assembles the next level's tile, never through the coordinator. Every file
a task reads must be at the same path (or URL) on the workers as on the coordinator.

One task per tile: a tile is one storage block of its level (a shard when sharded, else a
chunk), grown to a multiple of the next level's factors, so the task graph has one task per
output shard, never one per chunk of a shard.
"""

from __future__ import annotations

import mmap
import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np

from ngff_geozarr.core.pyramid.tasks import Array, Piece, Region, Task, run_task

__all__ = ["DESCRIPTION_LIMIT", "DaskExecutor", "MappedFile", "portable_reader"]

DESCRIPTION_LIMIT = 1 * 2**20
"""The largest pickled source a task carries (bytes); a larger one is read by the coordinator."""


@dataclass(frozen=True)
class MappedFile:
    """A memory-mapped array described by its file, mapped again where it is read.

    Parameters
    ----------
    filename
        The file.
    offset
        The byte offset of the array's first element in the file.
    shape
        The array's shape.
    strides
        The array's strides, in bytes.
    dtype
        The array's data type, as its numpy string.
    """

    filename: str
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    dtype: str

    def __getitem__(self, region: Region) -> Array:
        """Read a region (a copy; the mapping is closed on return)."""
        raw = np.memmap(self.filename, dtype=np.uint8, mode="r")
        try:
            array: Array = np.ndarray(
                self.shape, np.dtype(self.dtype), buffer=raw, offset=self.offset,
                strides=self.strides,
            )  # fmt: skip
            return np.array(array[region])
        finally:
            raw._mmap.close()  # type: ignore[attr-defined]


def _mapped_file(array: np.memmap[Any, Any]) -> MappedFile | None:
    """Describe a memmap (or a view of one) by its file, or ``None`` when it has none."""
    handle = getattr(array, "_mmap", None)
    if array.filename is None or handle is None:
        return None
    start = array.offset - array.offset % mmap.ALLOCATIONGRANULARITY
    mapped = np.frombuffer(handle, dtype=np.uint8)
    first = array.__array_interface__["data"][0] - mapped.__array_interface__["data"][0]
    return MappedFile(
        filename=str(array.filename),
        offset=start + first,
        shape=tuple(array.shape),
        strides=tuple(array.strides),
        dtype=array.dtype.str,
    )


def portable_reader(reader: Any) -> Any | None:
    """Return what a task on another process reads ``reader``'s regions through.

    Parameters
    ----------
    reader
        The source or a level array.

    Returns
    -------
    object or None
        ``reader`` itself when it pickles into at most :data:`DESCRIPTION_LIMIT` bytes, a
        :class:`MappedFile` for a memmap, or ``None`` when only the coordinator can read
        it (an in-memory array, or anything that does not pickle).
    """
    if isinstance(reader, np.memmap):
        return _mapped_file(reader)
    if isinstance(reader, np.ndarray):
        return None
    try:
        description = pickle.dumps(reader)
    except Exception:
        return None
    return reader if len(description) <= DESCRIPTION_LIMIT else None


def _run_on_worker(task: Task, data: Array | None, pieces: list[Piece]) -> Piece | None:
    """Run a task on a worker; a dask array source is computed right there, in this task."""
    import dask

    with dask.config.set(scheduler="synchronous"):
        return run_task(task, data, pieces)


class DaskExecutor:
    """Tasks on a ``dask.distributed`` cluster; pieces move from worker to worker.

    Parameters
    ----------
    client
        The caller's ``dask.distributed.Client`` (left open).
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self._portable: dict[int, tuple[Any, Any | None]] = {}

    def portable(self, reader: Any) -> Any | None:
        """Return what tasks read ``reader`` through, or ``None`` when they cannot."""
        key = id(reader)
        if key not in self._portable:  # the reader is kept, so its id is not reused
            self._portable[key] = (reader, portable_reader(reader))
        return self._portable[key][1]

    def submit(self, task: Task, data: Array | None, pieces: list[Any]) -> Any:
        """Submit a task; data read by the coordinator is scattered, pieces stay remote."""
        handed = None if data is None else self.client.scatter(data, hash=False)
        return self.client.submit(_run_on_worker, task, handed, pieces, pure=False)

    def wait_any(self, pending: set[Any]) -> set[Any]:
        """Wait until at least one future is done."""
        from distributed import wait

        done, _ = wait(list(pending), return_when="FIRST_COMPLETED")  # type: ignore[no-untyped-call]
        return set(done)

    def check(self, future: Any) -> None:
        """Raise a failed task's error; a finished task's result stays on its worker."""
        if future.status != "finished":
            future.result()

    def cancel(self, pending: set[Any]) -> None:
        """Cancel the tasks still running."""
        self.client.cancel(list(pending))

    def close(self) -> None:
        """Nothing to release: the client belongs to the caller."""
