"""Which blocks of a level are stored (listings), and whether a shard's index holds together.

Listing is paid for request by request: a store that lists a whole prefix at once (a local
directory, a zip file, S3) costs one request per thousand keys; an HTTP server that answers
directory listings is walked one directory at a time, concurrently, as deep as the chunk
keys go.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Coroutine
from typing import Any

import numpy as np

from ngff_geozarr.core.deep.budget import Spending
from ngff_geozarr.core.deep.levels import Layout
from ngff_geozarr.core.store import StoreHandle, join_key
from ngff_geozarr.core.store.policy import AccessRefusedError, RemoteFaultError
from ngff_geozarr.core.store.retry_store import note_refused

__all__ = ["BudgetReached", "list_blocks", "shard_problem"]

_EMPTY = np.uint64(2**64 - 1)
_KEYS_PER_REQUEST = 1000


class BudgetReached(Exception):
    """The budget refused a request a listing needed."""


async def _walk(handle: StoreHandle, base: str, depth: int, spending: Spending) -> list[str]:
    if not spending.pay(1):
        raise BudgetReached
    # A listing given up after the retries is not an empty directory: it raises.
    names = await handle.list_dir(base, faults=True)
    if names is None:
        return []
    if depth == 1:
        return names
    below = [n for n in names if n.isdigit() or n == "c"]
    found = await _gather_all(
        [_walk(handle, join_key(base, n), depth - 1, spending) for n in below]
    )
    return [f"{n}/{k}" for n, keys in zip(below, found, strict=True) for k in keys]


async def _gather_all(walks: list[Coroutine[Any, Any, list[str]]]) -> list[list[str]]:
    """Run walks concurrently; raise the first failure once every walk has ended."""
    results = await asyncio.gather(*walks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if not isinstance(r, BaseException)]


async def _list_http(handle: StoreHandle, layout: Layout, spending: Spending) -> list[str] | None:
    if not spending.pay(1):
        raise BudgetReached
    top = await handle.list_dir(layout.path)
    if top is None:
        return None  # the server does not list
    if layout.separator != "/":
        return top
    depth = len(layout.shape) + (1 if layout.prefix else 0)
    below = [n for n in top if n.isdigit() or n == "c"]
    try:
        found = await _gather_all(
            [_walk(handle, join_key(layout.path, n), depth - 1, spending) for n in below]
        )
    except RemoteFaultError:
        # A directory below could not be listed: which blocks are stored is not known (the
        # run reports the level unreadable), and must not be taken as "none".
        return None
    except AccessRefusedError as exc:  # the same, and the run reports the refusal
        note_refused(handle.store, exc.key, exc.cause)
        return None
    return [f"{n}/{k}" for n, keys in zip(below, found, strict=True) for k in keys]


def list_blocks(
    handle: StoreHandle, layout: Layout, spending: Spending
) -> frozenset[tuple[int, ...]] | None:
    """Return the grid indices of the blocks (shards or chunks) stored for a level.

    Parameters
    ----------
    handle
        The open store.
    layout
        The level's layout.
    spending
        The budget being spent.

    Returns
    -------
    frozenset of tuple of int or None
        The stored blocks; ``None`` when the store cannot list them.

    Raises
    ------
    BudgetReached
        When the budget refuses a request the listing needs.
    """
    if handle.kind == "http":
        keys = handle.run(_list_http(handle, layout, spending))
    else:
        if not spending.pay(1):
            raise BudgetReached
        try:
            listed = handle.list_keys(layout.path)
        except Exception:  # a store that refuses listings
            return None
        start = f"{layout.path}/" if layout.path else ""
        keys = [k[len(start) :] for k in listed]
        spending.pay(len(keys) // _KEYS_PER_REQUEST)
    if keys is None:
        return None
    found = (layout.index_of(k) for k in keys)
    return frozenset(i for i in found if i is not None)


def shard_problem(data: bytes, layout: Layout) -> str | None:
    """Check a shard's index: readable, every chunk inside the shard, no two overlapping.

    Parameters
    ----------
    data
        The whole shard.
    layout
        Its array's layout (sharded, index codecs ``bytes`` and optionally ``crc32c``).

    Returns
    -------
    str or None
        What is wrong, one clause; ``None`` when the index holds together.

    Examples
    --------
    >>> import numpy as np
    >>> layout = Layout("a", (4,), (4,), (2,), np.dtype("u1"), 0, "[]", "c/", "/")
    >>> index = np.array([0, 2, 2, 2], dtype="<u8").tobytes() + bytes(4)
    >>> shard_problem(b"abcd" + index, layout) is None
    True
    >>> shard_problem(b"ab" + index, layout)
    'chunk 1 lies at bytes 2-4, outside the 2 bytes of chunk data'
    """
    n = math.prod(b // c for b, c in zip(layout.block, layout.inner, strict=True))
    size = 16 * n + (4 if layout.index_checksum else 0)
    if len(data) < size:
        return f"the shard has {len(data)} bytes, fewer than its {size}-byte index"
    raw = data[len(data) - size :] if layout.index_at_end else data[:size]
    entries = np.frombuffer(raw[: 16 * n], dtype="<u8").reshape(n, 2)
    empty = (entries[:, 0] == _EMPTY) & (entries[:, 1] == _EMPTY)
    half = (entries[:, 0] == _EMPTY) ^ (entries[:, 1] == _EMPTY)
    if half.any():
        return f"chunk {int(np.argmax(half))} is marked empty in only one of offset and length"
    first, last = (0, len(data) - size) if layout.index_at_end else (size, len(data))
    spans: list[tuple[int, int, int]] = []
    for i in np.flatnonzero(~empty).tolist():
        offset, length = int(entries[i, 0]), int(entries[i, 1])
        if offset < first or offset + length > last:
            return (
                f"chunk {i} lies at bytes {offset}-{offset + length}, outside the "
                f"{last - first} bytes of chunk data"
            )
        spans.append((offset, offset + length, i))
    spans.sort()
    for (_, end, i), (start, _, j) in itertools.pairwise(spans):
        if start < end:
            return f"chunks {i} and {j} overlap (bytes {start}-{end})"
    return None
