"""Make a source array's Zarr ``fill_value`` mean what its ``_FillValue`` says, in place.

CF §2.5.1: ``_FillValue`` "is considered to be a special value that indicates undefined or
missing data, and is returned when reading values that were not written". In Zarr a chunk
that was never written reads as the array's ``fill_value``; xarray writing Zarr v3 keeps
``_FillValue`` as an attribute and leaves ``fill_value`` at 0 (integers) or NaN (floats), so
``geozarr pyramid`` in place would leave the source array flagged by
``geozarr.cf.fill-value`` / ``geozarr.cf.fill-value-nan``.

:func:`align_fill_value` fixes that without changing a single decoded value: every chunk
(shard) that zarr skipped as "all fill" reads as the *old* ``fill_value`` -- valid data for
an integer array -- so it is first written out explicitly, holding exactly what it reads as
now; a present shard is rewritten whole (an inner chunk may be missing). Only then is the
array document rewritten with the new ``fill_value``. Each step leaves the array reading the
same values, so an interrupted run is harmless and running again finishes it.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np

from geozarr.cf.variables import FILL_VALUE, decode_fill_value
from geozarr.writing.cf_variables import json_fill
from geozarr.writing.grid import GeoWriteError
from ngff_geozarr.core.hierarchy import Node
from ngff_geozarr.core.store import StoreHandle, join_key

__all__ = ["align_fill_value", "fill_mismatch"]


def _same(a: float | int, b: float | int | None) -> bool:
    if b is None:
        return False
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return bool(a == b)


def fill_mismatch(node: Node) -> float | int | None:
    """Return the ``_FillValue`` an array's Zarr ``fill_value`` should become, if it differs.

    Parameters
    ----------
    node
        An array node.

    Returns
    -------
    float, int or None
        The decoded ``_FillValue`` when the array has one (a number) that its ``fill_value``
        is not; ``None`` when the two agree or there is nothing to align.
    """
    if node.node_type != "array" or FILL_VALUE not in node.attributes:
        return None
    wanted = decode_fill_value(node.attributes[FILL_VALUE])
    if wanted is None:
        return None
    if _same(wanted, decode_fill_value(node.metadata.get("fill_value"))):
        return None
    return wanted


def _materialise(store: StoreHandle, path: str) -> int:
    """Write every block that is absent (or, sharded, every block) as it reads now."""
    array = store.open_array(path)
    block = array.block_shape
    present = array.stored_blocks()
    grid = [range(-(-n // b)) for n, b in zip(array.shape, block, strict=True)]
    written = 0
    for index in itertools.product(*grid):
        if index in present and array.shards is None:
            continue  # a stored chunk holds every value it decodes to
        region = tuple(
            slice(i * b, min((i + 1) * b, n))
            for i, b, n in zip(index, block, array.shape, strict=True)
        )
        array.write(region, array.read(region))  # ArrayIO writes even all-fill blocks
        written += 1
    return written


def align_fill_value(store: StoreHandle, node: Node) -> int:
    """Set an array's Zarr ``fill_value`` to its ``_FillValue`` without changing its values.

    Parameters
    ----------
    store
        The store, opened for writing.
    node
        The array (its metadata as read before this call).

    Returns
    -------
    int
        How many chunks (shards) were written to keep the values; 0 as well when nothing
        needed aligning.
    """
    wanted = fill_mismatch(node)
    if wanted is None:
        return 0
    written = _materialise(store, node.path)
    key = join_key(node.path, "zarr.json" if node.zarr_format == 3 else ".zarray")
    raw = store.run(store.read(key))
    if raw is None:
        raise GeoWriteError(f"{store.target}: no array document at {key!r}.")
    document: dict[str, Any] = json.loads(raw)
    dtype = np.dtype(store.open_array(node.path).dtype)
    document["fill_value"] = json_fill(wanted, dtype)
    store.write_bytes(key, json.dumps(document, indent=2).encode())
    return written
