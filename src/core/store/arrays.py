"""Region reads and writes of one array, for writers that stream data (uses zarr)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from zarr.core.sync import sync

from ngff_geozarr.core.store.keys import ZarrFormat

__all__ = ["ArrayIO"]

# A write interrupted by a killed process leaves ``<key>.<32 hex digits>.partial`` behind in a
# local store (zarr writes to a temporary file and renames it into place).
_PARTIAL_WRITE = re.compile(r"\.[0-9a-f]{32}\.partial$")


@dataclass(frozen=True, eq=False)
class ArrayIO:
    """Region reads and writes of one array of a store, for writers that stream data.

    Build one with :meth:`StoreHandle.create_empty_array` or :meth:`StoreHandle.open_array`.
    It holds an opened zarr array, so repeated writes do not re-read its metadata, and it can
    be pickled (to send it to dask workers) when its store can.

    Every chunk written is stored, even one that holds only the fill value, so a chunk (or a
    shard) that exists is one that was written: :meth:`stored_blocks` is what a resumed run
    relies on to skip finished work.

    Parameters
    ----------
    path
        The array's path in the store.
    shape
        Its shape.
    dtype
        Its data type.
    chunks
        Its chunk shape (the inner chunks when sharded).
    shards
        Its shard shape, or ``None`` when unsharded.
    zarr_format
        Its Zarr format.
    """

    path: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    zarr_format: ZarrFormat
    _array: Any = field(repr=False)

    @property
    def zarr_array(self) -> Any:
        """The opened zarr array, for writers that copy stored chunks as they are."""
        return self._array

    @property
    def block_shape(self) -> tuple[int, ...]:
        """The shape of one stored object: the shard shape when sharded, else the chunk shape.

        A region aligned on this grid is written without reading anything back.
        """
        return self.shards if self.shards is not None else self.chunks

    def read(self, region: tuple[slice, ...]) -> npt.NDArray[Any]:
        """Read a region.

        Parameters
        ----------
        region
            One slice (with explicit start and stop, step 1) per dimension.

        Returns
        -------
        numpy.ndarray
            The values; missing chunks read as the fill value.
        """
        return np.asarray(self._array[region])

    def write(self, region: tuple[slice, ...], data: npt.NDArray[Any]) -> None:
        """Write a region.

        Writes are safe from several threads at once when each region covers whole blocks
        (see :attr:`block_shape`) and no two regions share a block; a region covering part
        of a block makes zarr read, merge and rewrite that block.

        Parameters
        ----------
        region
            One slice per dimension.
        data
            The values, of the region's shape.
        """
        self._array[region] = data

    def stored_blocks(self) -> frozenset[tuple[int, ...]]:
        """Return the grid indices of the blocks (shards or chunks) that exist in the store.

        Returns
        -------
        frozenset of tuple of int
            Indices in the grid of :attr:`block_shape`.
        """
        store = self._array.store
        prefix = f"{self.path}/" if self.path else ""

        async def listing() -> set[str]:
            return {k[len(prefix) :] async for k in store.list_prefix(prefix)}

        present = sync(listing())
        grid = [-(-n // b) for n, b in zip(self.shape, self.block_shape, strict=True)]
        encode = self._array.metadata.encode_chunk_key
        return frozenset(
            index
            for index in itertools.product(*(range(g) for g in grid))
            if encode(index) in present
        )

    def remove_partial_writes(self) -> int:
        """Delete the temporary files a killed writer left behind in a local store.

        Returns
        -------
        int
            How many were deleted.
        """
        store = self._array.store
        prefix = f"{self.path}/" if self.path else ""

        async def clean() -> int:
            keys = [k async for k in store.list_prefix(prefix) if _PARTIAL_WRITE.search(k)]
            for key in keys:
                await store.delete(key)
            return len(keys)

        return sync(clean())
