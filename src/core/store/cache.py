"""Metadata documents of a remote store, fetched once (uses zarr).

A validation reads every metadata document of a hierarchy, then its checks open arrays (zarr
reads their documents again) and may open the store a second time (to read coordinate
values): over HTTP or S3, each of those is another round trip for a document already read.
A read-only handle of a remote store therefore keeps the documents it read, by key: their
bytes, or that they are absent. Within :func:`read_once`, every read-only handle opened on
the same remote target with the same options shares one such cache, so a document is fetched
once per ``with`` block however many times the store is opened.

Only metadata documents (the keys named in
:data:`~ngff_geozarr.core.store.keys.METADATA_KEYS`) are kept, and only whole ones (a read
cut at a size limit is not); chunks are never kept. A failed request is not remembered.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from typing import Any

from zarr.abc.store import (
    ByteRequest,
    OffsetByteRequest,
    RangeByteRequest,
    Store,
)
from zarr.core.buffer import Buffer, BufferPrototype
from zarr.storage import WrapperStore

from ngff_geozarr.core.zarr_format import is_metadata_key

__all__ = [
    "DocumentCache",
    "SeeThroughStore",
    "cached_store",
    "is_document_key",
    "read_once",
    "unwrapped",
]


class DocumentCache:
    """Whole metadata documents of one store, by key: their bytes, or ``None`` when absent.

    Examples
    --------
    >>> cache = DocumentCache()
    >>> cache.put("zarr.json", b"{}")
    >>> cache.get("zarr.json"), cache.get(".zattrs")
    ((True, b'{}'), (False, None))
    """

    def __init__(self) -> None:
        self._values: dict[str, bytes | None] = {}

    def get(self, key: str) -> tuple[bool, bytes | None]:
        """Look a key up.

        Parameters
        ----------
        key
            The store key.

        Returns
        -------
        tuple of (bool, bytes or None)
            Whether the key is known, and its whole value (``None``: known to be absent).
        """
        if key in self._values:
            return True, self._values[key]
        return False, None

    def put(self, key: str, value: bytes | None) -> None:
        """Remember a key's whole value, or that it is absent.

        Parameters
        ----------
        key
            The store key.
        value
            Its whole value, or ``None`` when the store does not hold it.
        """
        self._values[key] = value

    def __len__(self) -> int:
        return len(self._values)


is_document_key = is_metadata_key
"""Tell whether a key names a metadata document (the same as ``is_metadata_key``)."""


def _cut(value: bytes, byte_range: ByteRequest | None) -> bytes:
    """Return the part of a whole value a request asks for."""
    if byte_range is None:
        return value
    if isinstance(byte_range, RangeByteRequest):
        return value[byte_range.start : byte_range.end]
    if isinstance(byte_range, OffsetByteRequest):
        return value[byte_range.offset :]
    return value[-byte_range.suffix :] if byte_range.suffix else b""


def _whole(byte_range: ByteRequest | None, received: int) -> bool:
    """Tell whether a read returned the whole value: no range, or a range from 0 not filled."""
    if byte_range is None:
        return True
    return (
        isinstance(byte_range, RangeByteRequest)
        and byte_range.start == 0
        and received < byte_range.end
    )


class SeeThroughStore(WrapperStore[Store]):
    """A wrapper of a store that names itself as the store it wraps and exposes it.

    The wrappers of this package (the document cache, the retrying store) derive from it:
    messages show the user's store, not the wrapper, and :func:`unwrapped` finds the store
    that does the I/O through any stack of them.

    Parameters
    ----------
    store
        The store wrapped.
    """

    def __repr__(self) -> str:
        return repr(self._store)

    def __str__(self) -> str:
        return str(self._store)

    @property
    def wrapped(self) -> Store:
        """The store this one wraps."""
        return self._store


class _CachingStore(SeeThroughStore):
    """A read-only store that answers metadata documents it has read from its cache."""

    def __init__(self, store: Store, cache: DocumentCache | None = None) -> None:
        super().__init__(store)
        self._cache = cache if cache is not None else DocumentCache()

    def _with_store(self, store: Store) -> _CachingStore:
        return type(self)(store, self._cache)

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        if not is_document_key(key):
            return await self._store.get(key, prototype, byte_range)
        known, whole = self._cache.get(key)
        if known:
            return None if whole is None else prototype.buffer.from_bytes(_cut(whole, byte_range))
        buf = await self._store.get(key, prototype, byte_range)
        if buf is None:
            self._cache.put(key, None)
            return None
        value = buf.to_bytes()
        if _whole(byte_range, len(value)):
            self._cache.put(key, value)
        return buf

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        pairs = list(key_ranges)
        if not any(is_document_key(key) for key, _ in pairs):
            return await self._store.get_partial_values(prototype, pairs)
        return [await self.get(key, prototype, byte_range) for key, byte_range in pairs]

    async def exists(self, key: str) -> bool:
        known, whole = self._cache.get(key) if is_document_key(key) else (False, None)
        if known:
            return whole is not None
        return await self._store.exists(key)

    async def getsize(self, key: str) -> int:
        known, whole = self._cache.get(key) if is_document_key(key) else (False, None)
        if known and whole is not None:
            return len(whole)
        return await self._store.getsize(key)


_SHARED: contextvars.ContextVar[dict[tuple[str, str], DocumentCache] | None] = (
    contextvars.ContextVar("ngff_geozarr_shared_documents", default=None)
)


@contextlib.contextmanager
def read_once() -> Iterator[None]:
    """Share the metadata documents read from remote targets for the time of a ``with`` block.

    Within the block, every store opened read-only on the same ``http(s)://`` or ``s3://``
    target with the same options answers the documents any of them has read from a shared
    cache: each document is fetched at most once (a validation opens the store again for
    coordinate values, and zarr reads array metadata again when an array is opened). What is
    written to the target by others during the block is not seen; use it around one reading
    job (a validation, a report), not around a program that also writes.

    Yields
    ------
    None
        Nothing; blocks nest (the outermost one's cache is used).
    """
    if _SHARED.get() is not None:
        yield
        return
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def cached_store(store: Store, target: str, options: dict[str, Any]) -> Store:
    """Wrap a read-only remote store so that it fetches each metadata document once.

    Parameters
    ----------
    store
        The remote store, opened read-only.
    target
        The target as the user named it (the cache is shared by equal targets within
        :func:`read_once`).
    options
        The storage options it was opened with (part of what makes targets equal).

    Returns
    -------
    zarr.abc.store.Store
        The store, wrapped.
    """
    shared = _SHARED.get()
    if shared is None:
        return _CachingStore(store)
    key = (target.rstrip("/"), repr(sorted(options.items(), key=lambda item: str(item[0]))))
    cache = shared.setdefault(key, DocumentCache())
    return _CachingStore(store, cache)


def unwrapped(store: Store) -> Store:
    """Return the store a cached store wraps; any other store as it is.

    Parameters
    ----------
    store
        A store, wrapped by :func:`cached_store` or not.

    Returns
    -------
    zarr.abc.store.Store
        The store that does the I/O (under every wrapper that has a ``wrapped`` store).
    """
    while isinstance(getattr(store, "wrapped", None), Store):
        store = store.wrapped  # type: ignore[attr-defined]
    return store
