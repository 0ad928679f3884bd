"""Read the values of small 1-D coordinate arrays: the one place validation reads chunk data.

The values are read through the store layer (``StoreHandle.open_array``). Only arrays of at
most :data:`MAX_COORDINATE_VALUES` elements are read; a larger or unreadable array gives a
one-sentence reason instead, and a declared shape is never allocated before its size is
checked.
"""

from __future__ import annotations

import math
import os
from typing import Any

from geozarr.context import Values
from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.hierarchy import Node
from ngff_geozarr.core.store import StoreHandle, open_store

__all__ = ["MAX_COORDINATE_VALUES", "CoordinateReader", "read_small_array"]

MAX_COORDINATE_VALUES = 1_000_000
"""Largest coordinate array whose values are read (elements)."""


def read_small_array(handle: StoreHandle, node: Node, limit: int | None = None) -> Values:
    """Read a small 1-D array's values.

    Parameters
    ----------
    handle
        The opened store.
    node
        The array (its metadata tells the shape before anything is read).
    limit
        Most elements read; :data:`MAX_COORDINATE_VALUES` when omitted.

    Returns
    -------
    numpy.ndarray or str
        The values, or why they were not read.
    """
    limit = MAX_COORDINATE_VALUES if limit is None else limit
    shape = None if node.array is None else tuple(node.array.shape)
    if shape is None or len(shape) != 1:
        return "not a 1-D array with readable metadata"
    if math.prod(shape) > limit:
        return f"{shape[0]} values, more than the {limit} read for checks"
    try:
        values: Values = handle.open_array(node.path).read((slice(0, shape[0]),))
    except Exception as exc:  # a corrupt chunk is a finding, whatever the codec raises
        return f"the chunks could not be read ({type(exc).__name__}: {str(exc)[:80]})"
    return values


class CoordinateReader:
    """Reads small arrays of one target, opening the store on first use; close it after.

    Parameters
    ----------
    target
        The store.
    storage_options
        Options for remote stores.
    """

    def __init__(
        self, target: str | os.PathLike[str], storage_options: dict[str, Any] | None = None
    ) -> None:
        self._target = os.fspath(target)
        self._options = storage_options
        self._handle: StoreHandle | str | None = None

    def __call__(self, node: Node) -> Values:
        """Read a node's values (see :func:`read_small_array`)."""
        if self._handle is None:
            try:
                self._handle = open_store(self._target, "r", storage_options=self._options)
            except NgffGeozarrError as exc:
                self._handle = f"the store could not be reopened ({exc})"
        if isinstance(self._handle, str):
            return self._handle
        return read_small_array(self._handle, node)

    def close(self) -> None:
        """Close the store if it was opened."""
        if isinstance(self._handle, StoreHandle):
            self._handle.close()
        self._handle = None
