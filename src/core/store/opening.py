"""Open a target as a store: parse the target, build the store, detect what its root holds.

A target is a local directory, a ``.zip`` or ``.ozx`` file (an ``.ozx`` URL, ``http(s)://``
or ``s3://``, is read by range requests: :mod:`~ngff_geozarr.core.store.ozx_read`), a
``file://``, ``http(s)://`` or ``s3://`` URL, a mutable mapping (held in memory) or a zarr
store. Opening reads the root's metadata documents at once (one round trip for a remote
store) and records the Zarr format and whether the root holds consolidated metadata (uses
zarr).
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

from zarr.abc.store import Store
from zarr.storage import LocalStore, MemoryStore, ZipStore

from ngff_geozarr.core.errors import (
    NgffGeozarrError,
    NotZarrError,
    ReadOnlyError,
    StoreAccessError,
    TargetError,
    TargetNotFoundError,
    UnsupportedTargetError,
)
from ngff_geozarr.core.store.cache import cached_store
from ngff_geozarr.core.store.handle import StoreHandle
from ngff_geozarr.core.store.keys import (
    CONSOLIDATED_LIMIT,
    DOCUMENT_LIMIT,
    StoreKind,
    StoreMode,
)
from ngff_geozarr.core.store.local import local_store
from ngff_geozarr.core.store.remote import fsspec_store, http_options, s3_options
from ngff_geozarr.core.store.retry_store import retrying_store

__all__ = ["StoredRecord", "open_store", "opened", "read_record", "read_target"]

_T = TypeVar("_T")

_ROOT_PROBE = ("zarr.json", ".zgroup", ".zarray", ".zattrs", ".zmetadata")
_ROOT_LIMITS = {"zarr.json": CONSOLIDATED_LIMIT, ".zmetadata": CONSOLIDATED_LIMIT}


def open_store(
    target: str | os.PathLike[str] | MutableMapping[str, Any] | Store,
    mode: StoreMode = "r",
    *,
    storage_options: dict[str, Any] | None = None,
) -> StoreHandle:
    """Open a target as a Zarr store and detect its format and consolidated metadata.

    Parameters
    ----------
    target
        A local directory, a ``.zip`` file, a ``file://``, ``http(s)://`` or ``s3://`` URL, a
        mutable mapping (held in memory, as zarr's ``MemoryStore`` does) or a zarr store.
    mode
        See :data:`StoreMode`. ``http(s)://`` targets are read-only.
    storage_options
        Options for the remote file system (fsspec): ``endpoint_url``, ``key``, ``secret``,
        ``anon``, headers, ...

    Returns
    -------
    StoreHandle
        The opened store.

    Raises
    ------
    TargetNotFoundError
        When a local path does not exist (in modes ``"r"`` and ``"r+"``).
    NotZarrError
        When, in modes ``"r"`` and ``"r+"``, the root holds no Zarr metadata document; or in
        mode ``"w-"``, when the target already exists and is not empty.
    UnsupportedTargetError
        For an unknown URL scheme, or a remote one without the ``remote`` extra.
    StoreAccessError
        When the store cannot be reached.
    ReadOnlyError
        When a writable mode is asked of an ``http(s)://`` target.
    """
    read_only = mode == "r"
    name, kind, store = _make_store(target, mode, read_only, storage_options or {})
    handle = StoreHandle(target=name, kind=kind, store=store, read_only=read_only)
    try:
        _probe_root(handle, must_exist=mode in ("r", "r+"), must_be_new=mode == "w-")
    except BaseException:
        handle.close()
        raise
    return handle


@contextmanager
def opened(
    target: str | os.PathLike[str] | MutableMapping[str, Any] | Store | StoreHandle,
    mode: StoreMode,
    storage_options: dict[str, Any] | None = None,
) -> Iterator[StoreHandle]:
    """Open a target for the time of a ``with`` block, or use an opened store as it is.

    Parameters
    ----------
    target
        What :func:`open_store` takes, or an opened store (left open on exit: its owner
        closes it).
    mode
        The opening mode (see :data:`StoreMode`).
    storage_options
        Options for remote targets.

    Yields
    ------
    StoreHandle
        The store, closed on exit when this function opened it.
    """
    if isinstance(target, StoreHandle):
        yield target
        return
    store = open_store(target, mode, storage_options=storage_options)
    try:
        yield store
    finally:
        store.close()


def _make_store(
    target: str | os.PathLike[str] | MutableMapping[str, Any] | Store,
    mode: StoreMode,
    read_only: bool,
    storage_options: dict[str, Any],
) -> tuple[str, StoreKind, Store]:
    if isinstance(target, Store):
        kind: StoreKind = (
            "local"
            if isinstance(target, LocalStore)
            else "zip"
            if isinstance(target, ZipStore)
            else "memory"
        )
        return repr(target), kind, target
    if isinstance(target, MutableMapping):
        return "<memory>", "memory", MemoryStore(target, read_only=read_only)
    text = os.fspath(target)
    scheme = urllib.parse.urlsplit(text).scheme.lower() if "://" in text else ""
    if scheme == "file":
        path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(text).path))
        return text, *local_store(path, mode, read_only)
    if scheme in ("http", "https"):
        if not read_only:
            raise ReadOnlyError(f"{text}: http(s) targets are read-only.")
        if urllib.parse.urlsplit(text).path.lower().endswith(".ozx"):
            store = retrying_store(_remote_ozx(text, http_options(storage_options)))
            return text, "http", cached_store(store, text, storage_options)
        store = retrying_store(fsspec_store(text, http_options(storage_options), read_only=True))
        return text, "http", cached_store(store, text, storage_options)
    if scheme == "s3" and read_only and text.lower().endswith(".ozx"):
        store = retrying_store(_remote_ozx(text, s3_options(storage_options)))
        return text, "s3", cached_store(store, text, storage_options)
    if scheme == "s3":
        store = retrying_store(fsspec_store(text, s3_options(storage_options), read_only))
        # Each metadata document is fetched once (per read_once block) when only read.
        return text, "s3", cached_store(store, text, storage_options) if read_only else store
    if scheme:
        raise UnsupportedTargetError(
            f"{text}: unsupported scheme {scheme!r}; expected a path, file://, http(s):// or s3://."
        )
    return text, *local_store(Path(text), mode, read_only)


def _remote_ozx(url: str, options: dict[str, Any]) -> Store:
    """Open a remote ``.ozx`` file by range requests (tail, central directory, entries)."""
    try:
        import fsspec  # noqa: F401
    except ImportError as exc:
        raise UnsupportedTargetError(
            f"{url}: install the 'remote' extra: pip install 'ngff-geozarr[remote]'."
        ) from exc
    from ngff_geozarr.core.store.ozx_read import remote_zip_store
    from ngff_geozarr.core.store.ziparchive import ZipFormatError

    try:
        return remote_zip_store(url, options)
    except ZipFormatError as exc:
        raise NotZarrError(f"{url}: not a readable zip file ({exc}).") from exc
    except FileNotFoundError as exc:
        raise TargetNotFoundError(f"{url}: not found.") from exc
    except Exception as exc:
        raise StoreAccessError(f"{url}: cannot be read ({exc}).") from exc


def _probe_root(handle: StoreHandle, *, must_exist: bool, must_be_new: bool) -> None:
    """Read the root's metadata documents at once; set the format and consolidation flags."""

    async def fetch_all() -> list[bytes | None]:
        return await handle.read_many(_ROOT_PROBE, DOCUMENT_LIMIT, limits=_ROOT_LIMITS)

    try:
        values = handle.run(fetch_all())
    except StoreAccessError as exc:  # connection refused, permission denied, ...
        cause = exc.__cause__ or exc
        raise StoreAccessError(f"{handle.target}: cannot be read ({cause}).") from exc
    except TargetError:
        raise
    except Exception as exc:
        raise StoreAccessError(f"{handle.target}: cannot be read ({exc}).") from exc
    docs = {k: v for k, v in zip(_ROOT_PROBE, values, strict=True) if v is not None}
    handle.root_documents = docs
    if must_be_new:
        non_empty = bool(docs) or bool(handle.run(handle.list_dir("")) or [])
        if non_empty:
            raise NotZarrError(f"{handle.target}: already exists and is not empty.")
        return
    if "zarr.json" in docs:
        handle.zarr_format = 3
        handle.consolidated = _has_inline_consolidated(docs["zarr.json"])
    elif ".zgroup" in docs or ".zarray" in docs:
        handle.zarr_format = 2
        handle.consolidated = ".zmetadata" in docs
    elif must_exist:
        raise NotZarrError(
            f"{handle.target}: not a Zarr hierarchy (no zarr.json, .zgroup or .zarray at its root)."
        )


def _has_inline_consolidated(document: bytes) -> bool:
    try:
        meta = json.loads(document)
    except (ValueError, RecursionError):
        return False
    return isinstance(meta, dict) and isinstance(meta.get("consolidated_metadata"), dict)


def read_record(handle: StoreHandle, key: str, parse: Callable[[bytes], _T]) -> _T | None:
    """Read a record the toolkit keeps at a fixed key (a journal, a write record).

    Parameters
    ----------
    handle
        The store.
    key
        The record's key.
    parse
        Makes the record of its bytes; raises :class:`ValueError` when they are not one.

    Returns
    -------
    object or None
        The record; ``None`` when there is none, or only one cut while it was written.
    """
    raw = handle.run(handle.read(key))
    if not raw:
        return None
    try:
        return parse(raw)
    except ValueError:
        return None


class StoredRecord:
    """A record the toolkit keeps at a fixed key of a store: a JSON document with a format mark.

    The base of the conversion journal and the write record. A subclass names its
    :attr:`key`, its :attr:`mark` (the document's member that holds :attr:`version`) and
    what it is called in messages (:attr:`what`), and builds itself from the parsed document
    (``_from_document``); parsing, and reading from a store, are done here, once for all.
    """

    key: ClassVar[str]
    """The record's key, at the store's root."""
    mark: ClassVar[str]
    """The member of the document that holds its format's version."""
    version: ClassVar[int] = 1
    """The format's version this code reads and writes."""
    what: ClassVar[str] = "record"
    """What the record is called in messages."""

    @classmethod
    def _from_document(cls, document: dict[str, Any]) -> Self:
        raise NotImplementedError

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        """Parse a record's bytes.

        Parameters
        ----------
        raw
            The JSON document.

        Returns
        -------
        StoredRecord
            The record, of the class this is called on.

        Raises
        ------
        ValueError
            When the bytes are no such record (cut while written: nothing was changed yet).
        """
        try:
            document = json.loads(raw)
            if document.get(cls.mark) != cls.version:
                raise ValueError(f"not a {cls.what} of this format")
            return cls._from_document(document)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise ValueError(f"unreadable {cls.what}: {exc}") from exc

    @classmethod
    def read(cls, handle: StoreHandle) -> Self | None:
        """Read the store's record of this kind, if it holds one that parses.

        Parameters
        ----------
        handle
            The store to look in (its root holds the record).

        Returns
        -------
        StoredRecord or None
            The record; ``None`` when there is none, or only one cut while it was written
            (nothing was changed then).
        """
        return read_record(handle, cls.key, cls.from_bytes)


def read_target(
    target: str | os.PathLike[str],
    storage_options: dict[str, Any] | None,
    read: Callable[[StoreHandle], _T],
) -> _T | None:
    """Open a target for reading and apply ``read`` to it, for checks that never fail.

    Parameters
    ----------
    target
        The store, as the user named it.
    storage_options
        Options for remote stores.
    read
        What to read of the open store.

    Returns
    -------
    object or None
        What ``read`` returned; ``None`` when the target is no store this can open (the
        validator says why).
    """
    try:
        with open_store(os.fspath(target), "r", storage_options=storage_options) as handle:
            return read(handle)
    except NgffGeozarrError:
        return None
