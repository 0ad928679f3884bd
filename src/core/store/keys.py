"""Keys, kinds and limits of a store: what every layer may know without loading zarr.

A key is checked before it is used, so nothing outside the store root is ever read
(:func:`check_key`, :func:`join_key`). Models import these checks to validate the paths
their metadata refers to; this module imports neither zarr nor anything that does.
"""

from __future__ import annotations

from typing import Literal

from ngff_geozarr.core.errors import UnsafePathError

__all__ = [
    "CONSOLIDATED_LIMIT",
    "DOCUMENT_LIMIT",
    "MAX_CONCURRENCY",
    "METADATA_KEYS",
    "StoreKind",
    "StoreMode",
    "ZarrFormat",
    "check_key",
    "join_key",
]

StoreKind = Literal["local", "zip", "memory", "http", "s3"]
"""Where a store lives."""
StoreMode = Literal["r", "r+", "a", "w-"]
"""How a store is opened: read only; read/write an existing one; read/write, created when
missing; create a new one, refusing an existing non-empty target. There is deliberately no
mode that silently erases an existing store."""
ZarrFormat = Literal[2, 3]
"""A Zarr format version."""

METADATA_KEYS = ("zarr.json", ".zgroup", ".zarray", ".zattrs", ".zmetadata")
"""The names of Zarr metadata documents in formats 3 and 2."""

DOCUMENT_LIMIT = 16 * 2**20
"""Largest metadata document read (bytes); a larger one is reported, not parsed."""
CONSOLIDATED_LIMIT = 128 * 2**20
"""Largest document that may hold consolidated metadata (a root ``zarr.json`` or
``.zmetadata``): it aggregates a whole hierarchy."""
MAX_CONCURRENCY = 256
"""Most requests one store has in flight at once. A level of N nodes costs about
N / MAX_CONCURRENCY round trips; the HTTP and S3 clients are given as many connections."""


def check_key(key: str) -> str:
    """Return ``key`` when it names something inside the store root, else raise.

    A key is a ``/``-separated sequence of non-empty names, none of which is ``.`` or ``..``
    or holds a backslash or NUL; it does not start with ``/``. ``""`` is the root.

    Parameters
    ----------
    key
        The key to check.

    Returns
    -------
    str
        ``key``, unchanged.

    Raises
    ------
    UnsafePathError
        When the key is absolute, climbs with ``..`` or is otherwise not a plain key.

    Examples
    --------
    >>> check_key("labels/0/zarr.json")
    'labels/0/zarr.json'
    >>> check_key("../etc/passwd")
    Traceback (most recent call last):
    ...
    ngff_geozarr.core.errors.UnsafePathError: Expected a key inside the store. Got '../etc/passwd'.
    """
    if key == "":
        return key
    names = key.split("/")
    if key.startswith("/") or any(n in ("", ".", "..") or "\\" in n or "\x00" in n for n in names):
        raise UnsafePathError(f"Expected a key inside the store. Got {key!r}.")
    return key


def join_key(base: str, *relative: str) -> str:
    """Join a node path and relative references into a checked key.

    Parameters
    ----------
    base
        A node path (``""`` for the root).
    *relative
        Relative references, such as a dataset path read from metadata.

    Returns
    -------
    str
        The joined key.

    Raises
    ------
    UnsafePathError
        When any part is absolute or would leave the store root.

    Examples
    --------
    >>> join_key("", "0")
    '0'
    >>> join_key("image", "labels", "zarr.json")
    'image/labels/zarr.json'
    """
    parts = [p for p in (base, *relative) if p != ""]
    for p in parts:
        check_key(p)
    return "/".join(parts)
