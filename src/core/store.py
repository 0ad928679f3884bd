"""Open a target as a Zarr store: local directory, ``.zip``, memory, ``http(s)://``, ``s3://``.

This is the only module of the toolkit that imports zarr. Everything else reaches a store
through :class:`StoreHandle`, which adds what zarr's stores leave to their callers:

- every key is checked before it is used, so nothing outside the store root is ever read
  (:func:`check_key`, :func:`join_key`);
- documents are read with a size cap, as a range request where the store supports it;
- a store that refuses listings (object stores behind plain HTTP) is told apart from an
  empty group;
- the root's Zarr format and consolidated metadata are detected once, on opening.

Remote targets need the ``remote`` extra (fsspec, s3fs, aiohttp). ``s3://`` is anonymous
unless credentials are given in ``storage_options`` or found in the usual environment
variables (``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ...); the endpoint comes from
``storage_options`` (``endpoint_url``) or ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import stat
import urllib.parse
import urllib.request
import warnings
from collections.abc import Coroutine, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import zarr
from zarr.abc.store import RangeByteRequest, Store
from zarr.core.buffer import Buffer, default_buffer_prototype
from zarr.core.sync import sync
from zarr.storage import FsspecStore, LocalStore, MemoryStore, ZipStore

from ngff_geozarr.core.errors import (
    NgffGeozarrError,
    NotZarrError,
    ReadOnlyError,
    StoreAccessError,
    TargetError,
    TargetNotFoundError,
    UnsafePathError,
    UnsupportedTargetError,
)

__all__ = [
    "COMPRESSIONS",
    "CONSOLIDATED_LIMIT",
    "DOCUMENT_LIMIT",
    "MAX_CONCURRENCY",
    "METADATA_KEYS",
    "ArrayIO",
    "Compression",
    "StoreHandle",
    "StoreKind",
    "StoreMode",
    "ZarrFormat",
    "check_key",
    "compressors_for",
    "join_key",
    "open_store",
]

_T = TypeVar("_T")

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

Compression = str
"""A compression preset for arrays written by the toolkit: ``NAME`` or ``NAME:LEVEL``.

- ``"blosc-zstd"``: Blosc with the zstd compressor, level 5, byte shuffle (the default: shuffle
  groups the bytes of multi-byte samples, which is what makes 16-bit microscopy data
  compress); levels 1-9;
- ``"blosc-lz4"``: Blosc with lz4, level 5, byte shuffle: faster, larger; levels 1-9;
- ``"zstd"``: plain zstd, level 3 (what zarr-python writes by default); levels 1-22;
- ``"none"``: no compression (takes no level).

``"zstd:1"`` or ``"blosc-zstd:3"`` trade size for speed; :func:`compressors_for` turns a preset
into the JSON codec objects of a Zarr format.
"""
COMPRESSIONS: tuple[str, ...] = ("blosc-zstd", "blosc-lz4", "zstd", "none")
"""The names of the compression presets, the default first."""

_LEVELS = {"blosc-zstd": (5, 1, 9), "blosc-lz4": (5, 1, 9), "zstd": (3, 1, 22)}
"""Default, lowest and highest level of each preset that takes one."""

# A write interrupted by a killed process leaves ``<key>.<32 hex digits>.partial`` behind in a
# local store (zarr writes to a temporary file and renames it into place).
_PARTIAL_WRITE = re.compile(r"\.[0-9a-f]{32}\.partial$")

DOCUMENT_LIMIT = 16 * 2**20
"""Largest metadata document read (bytes); a larger one is reported, not parsed."""
CONSOLIDATED_LIMIT = 128 * 2**20
"""Largest document that may hold consolidated metadata (a root ``zarr.json`` or
``.zmetadata``): it aggregates a whole hierarchy."""
MAX_CONCURRENCY = 256
"""Most requests one store has in flight at once. A level of N nodes costs about
N / MAX_CONCURRENCY round trips; the HTTP and S3 clients are given as many connections."""

_ROOT_PROBE = ("zarr.json", ".zgroup", ".zarray", ".zattrs", ".zmetadata")
_ROOT_LIMITS = {"zarr.json": CONSOLIDATED_LIMIT, ".zmetadata": CONSOLIDATED_LIMIT}
_REMOTE_EXTRA = "install the 'remote' extra: pip install 'ngff-geozarr[remote]'"


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


@dataclass(eq=False)
class StoreHandle:
    """A Zarr store opened from a target, with what was detected at its root.

    Build one with :func:`open_store`. Use it as a context manager, or call :meth:`close`.

    Parameters
    ----------
    target
        The target as the user named it.
    kind
        Where the store lives.
    store
        The zarr-python store.
    read_only
        Whether writes are refused.
    zarr_format
        The root's Zarr format; ``None`` for a new, empty store.
    consolidated
        Whether the root holds consolidated metadata (``.zmetadata`` in format 2,
        ``consolidated_metadata`` in the root ``zarr.json`` in format 3).
    root_documents
        The root's metadata documents read while opening, by key (absent keys omitted), so
        that readers need not fetch them again.
    """

    target: str
    kind: StoreKind
    store: Store
    read_only: bool
    zarr_format: ZarrFormat | None = None
    consolidated: bool = False
    root_documents: dict[str, bytes] = field(default_factory=dict)
    _semaphore: asyncio.Semaphore | None = field(default=None, repr=False)

    # -- running coroutines -------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run a coroutine on the event loop zarr uses for this store's I/O.

        Parameters
        ----------
        coro
            The coroutine, typically built from this handle's async methods.

        Returns
        -------
        object
            What the coroutine returns.
        """
        return sync(coro)

    def _limit(self) -> asyncio.Semaphore:
        # Created lazily, on zarr's loop, bounding the requests in flight at once.
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(MAX_CONCURRENCY)
        return self._semaphore

    # -- reading ------------------------------------------------------------------------

    async def read(self, key: str, limit: int | None = None) -> bytes | None:
        """Read the value of a key, or ``None`` when it does not exist.

        Parameters
        ----------
        key
            The key; checked with :func:`check_key` first.
        limit
            Read at most ``limit + 1`` bytes (a range request where the store supports it),
            so a caller can tell an oversized value from one that fits without reading it
            whole.

        Returns
        -------
        bytes or None
            The value (possibly cut at ``limit + 1`` bytes), or ``None`` when absent.

        Raises
        ------
        UnsafePathError
            When the key would leave the store root.
        StoreAccessError
            When the store fails the request (network error, permission denied).
        """
        check_key(key)
        byte_range = None if limit is None else RangeByteRequest(0, limit + 1)
        if limit is not None and self.kind in ("local", "zip", "memory"):
            # Sizes are free to ask here, and a ranged read of a local file allocates the
            # whole range up front: read whole what fits, cut only what does not.
            try:
                size = await self.store.getsize(key)
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError, KeyError):
                return None
            except OSError as exc:  # permission denied, a link out of the store
                raise StoreAccessError(f"Could not read {key!r} from {self.target}: {exc}") from exc
            if size <= limit:
                byte_range = None
        async with self._limit():
            try:
                buf: Buffer | None = await self.store.get(
                    key, prototype=default_buffer_prototype(), byte_range=byte_range
                )
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                return None
            except NgffGeozarrError:
                raise
            except Exception as exc:
                raise StoreAccessError(f"Could not read {key!r} from {self.target}: {exc}") from exc
        return None if buf is None else buf.to_bytes()

    async def list_dir(self, prefix: str) -> list[str] | None:
        """List the names directly below a node path.

        Parameters
        ----------
        prefix
            A node path (``""`` for the root); checked with :func:`check_key` first.

        Returns
        -------
        list of str or None
            The names (documents and sub-directories alike), sorted; ``None`` when the store
            cannot list (it does not support listing, refused the request, or returned an
            empty listing for a prefix that holds a node, which every listable store shows).
        """
        check_key(prefix)
        if not self.store.supports_listing:
            return None
        async with self._limit():
            try:
                if self.kind == "http" and isinstance(self.store, FsspecStore):
                    raw = await self._list_http(prefix)
                else:
                    raw = [name async for name in self.store.list_dir(prefix)]
            except Exception:
                return None
        names = {urllib.parse.unquote(n) if self.kind == "http" else n for n in raw}
        return sorted(n.rstrip("/") for n in names if n.rstrip("/")) or None

    async def _list_http(self, prefix: str) -> list[str]:
        """List an HTTP directory asking for its URL with the trailing slash.

        Servers answer ``/dir`` with a redirect to ``/dir/`` (http.server, nginx's autoindex);
        asking for ``/dir/`` at once saves a round trip per group.
        """
        assert isinstance(self.store, FsspecStore)
        base = f"{self.store.path}/{prefix}".rstrip("/") + "/"
        urls = await self.store.fs._ls(base, detail=False)
        return [u[len(base) :] for u in urls if isinstance(u, str) and u.startswith(base)]

    # -- writing ------------------------------------------------------------------------

    def _writable(self) -> None:
        if self.read_only:
            raise ReadOnlyError(f"{self.target} was opened read-only.")

    def write_bytes(self, key: str, value: bytes) -> None:
        """Write one value (a metadata document, usually).

        Parameters
        ----------
        key
            The key; checked with :func:`check_key` first.
        value
            The bytes to store.

        Raises
        ------
        ReadOnlyError
            When the store was opened read-only.
        """
        self._writable()
        check_key(key)
        self.run(self.store.set(key, default_buffer_prototype().buffer.from_bytes(value)))

    def delete(self, key: str) -> None:
        """Delete one key (a missing key is not an error).

        Parameters
        ----------
        key
            The key; checked with :func:`check_key` first.

        Raises
        ------
        ReadOnlyError
            When the store was opened read-only.
        """
        self._writable()
        check_key(key)
        self.run(self.store.delete(key))

    def list_keys(self, prefix: str = "") -> list[str]:
        """List every key below a node path, sorted (chunks included: may be many).

        Parameters
        ----------
        prefix
            A node path (``""`` for the whole store); checked with :func:`check_key` first.

        Returns
        -------
        list of str
            The keys, relative to the store root.
        """
        check_key(prefix)
        start = f"{prefix}/" if prefix else ""

        async def collect() -> list[str]:
            return [key async for key in self.store.list_prefix(start)]

        return sorted(self.run(collect()))

    def create_group(
        self, path: str, attributes: dict[str, Any] | None = None, *, zarr_format: ZarrFormat = 3
    ) -> None:
        """Create (or overwrite the metadata of) a group.

        Parameters
        ----------
        path
            The group's path (``""`` for the root).
        attributes
            Its attributes.
        zarr_format
            The Zarr format of the group's metadata.
        """
        self._writable()
        check_key(path)
        zarr.create_group(
            store=self.store,
            path=path,
            attributes=attributes or {},
            zarr_format=zarr_format,
            overwrite=True,
        )

    def consolidate(self, path: str = "", *, zarr_format: ZarrFormat | None = None) -> None:
        """Write consolidated metadata for the group at ``path``: every node below it, in it.

        Format 3 gets ``consolidated_metadata`` inside the group's ``zarr.json`` (zarr-python's
        form, ``must_understand: false``, so readers without it ignore it); format 2 a
        ``.zmetadata`` document. Call it after the last metadata write: nodes written later
        are missing from it until it is written again.

        Parameters
        ----------
        path
            The group's path (``""`` for the root).
        zarr_format
            The hierarchy's Zarr format; detected when omitted.
        """
        self._writable()
        check_key(path)
        with warnings.catch_warnings():
            # zarr-python notes that format 3 has no consolidated metadata in its spec yet.
            warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
            zarr.consolidate_metadata(self.store, path=path or None, zarr_format=zarr_format)

    def create_array(
        self,
        path: str,
        data: npt.ArrayLike,
        *,
        chunks: Sequence[int] | None = None,
        shards: Sequence[int] | None = None,
        attributes: dict[str, Any] | None = None,
        dimension_names: Sequence[str] | None = None,
        fill_value: Any = None,
        zarr_format: ZarrFormat = 3,
    ) -> None:
        """Create an array and write ``data`` into it.

        Parameters
        ----------
        path
            The array's path.
        data
            Its content; its shape and dtype become the array's.
        chunks
            Chunk shape (inner chunks when sharded); zarr's default when omitted.
        shards
            Shard shape (Zarr format 3 only); unsharded when omitted.
        attributes
            The array's attributes.
        dimension_names
            Names of the dimensions (``dimension_names`` in format 3; in format 2 the caller
            writes ``_ARRAY_DIMENSIONS`` into the attributes).
        fill_value
            The fill value; zarr's default for the dtype when omitted.
        zarr_format
            The Zarr format of the array.
        """
        self._writable()
        check_key(path)
        values = np.asarray(data)
        arr = zarr.create_array(
            store=self.store,
            name=path,
            shape=values.shape,
            dtype=values.dtype,
            chunks=tuple(chunks) if chunks is not None else "auto",
            shards=tuple(shards) if shards is not None else None,
            attributes=attributes or {},
            dimension_names=tuple(dimension_names) if dimension_names is not None else None,
            fill_value=fill_value,
            zarr_format=zarr_format,
            overwrite=True,
        )
        arr[...] = values

    def create_empty_array(
        self,
        path: str,
        *,
        shape: Sequence[int],
        dtype: npt.DTypeLike,
        chunks: Sequence[int],
        shards: Sequence[int] | None = None,
        compression: Compression = "blosc-zstd",
        compressors: Sequence[dict[str, Any]] | None = None,
        fill_value: Any = None,
        dimension_names: Sequence[str] | None = None,
        attributes: dict[str, Any] | None = None,
        zarr_format: ZarrFormat = 3,
        chunk_key_separator: Literal["/", "."] = "/",
    ) -> ArrayIO:
        """Create an array without writing any chunk, replacing any array at ``path``.

        Parameters
        ----------
        path
            The array's path.
        shape
            Its shape; nothing of that size is allocated.
        dtype
            Its data type.
        chunks
            Chunk shape (inner chunks when sharded).
        shards
            Shard shape (Zarr format 3 only), a multiple of ``chunks``; unsharded when omitted.
        compression
            A preset (see :data:`Compression`), used unless ``compressors`` is given.
        compressors
            Compressors as JSON objects, in the form of the Zarr format (``{"name": ...,
            "configuration": ...}`` in format 3, numcodecs' ``{"id": ...}`` in format 2).
        fill_value
            The fill value; zarr's default for the dtype when omitted.
        dimension_names
            Names of the dimensions (format 3; in format 2 the caller writes
            ``_ARRAY_DIMENSIONS`` into the attributes).
        attributes
            The array's attributes.
        zarr_format
            The Zarr format of the array.
        chunk_key_separator
            The separator in chunk keys: ``"/"`` (nested keys, as OME-Zarr 0.4 requires in
            format 2; the default encoding of format 3) or ``"."``.

        Returns
        -------
        ArrayIO
            The new array, opened for region writes.

        Raises
        ------
        ValueError
            When ``shards`` is given for Zarr format 2, or the preset is unknown.
        """
        self._writable()
        check_key(path)
        if shards is not None and zarr_format != 3:
            raise ValueError("Expected no shards for Zarr format 2 (sharding is format 3 only).")
        encoding = {
            "name": "default" if zarr_format == 3 else "v2",
            "separator": chunk_key_separator,
        }
        codecs: Any = list(compressors) if compressors is not None else None
        if compressors is None:
            codecs = compressors_for(compression, zarr_format)
        zarr.create_array(
            store=self.store,
            name=path,
            shape=tuple(shape),
            dtype=np.dtype(dtype),
            chunks=tuple(chunks),
            shards=tuple(shards) if shards is not None else None,
            compressors=codecs,
            fill_value=fill_value,
            attributes=attributes or {},
            dimension_names=tuple(dimension_names) if dimension_names is not None else None,
            zarr_format=zarr_format,
            chunk_key_encoding=encoding,  # type: ignore[arg-type]
            overwrite=True,
        )
        return self.open_array(path)

    def open_array(self, path: str) -> ArrayIO:
        """Open an existing array for region reads and writes.

        Parameters
        ----------
        path
            The array's path.

        Returns
        -------
        ArrayIO
            The array (writable unless the store was opened read-only).

        Raises
        ------
        NotZarrError
            When ``path`` holds no array.
        """
        check_key(path)
        try:
            arr = zarr.open_array(
                store=self.store, path=path, mode="r" if self.read_only else "r+"
            ).with_config({"write_empty_chunks": True})
        except (FileNotFoundError, ValueError, TypeError, KeyError) as exc:
            raise NotZarrError(f"{self.target}: no array at {path!r} ({exc}).") from exc
        shards = getattr(arr, "shards", None)
        return ArrayIO(
            path=path,
            shape=tuple(arr.shape),
            dtype=np.dtype(arr.dtype),
            chunks=tuple(arr.chunks),
            shards=tuple(shards) if shards is not None else None,
            zarr_format=arr.metadata.zarr_format,
            _array=arr,
        )

    # -- lifetime -----------------------------------------------------------------------

    def close(self) -> None:
        """Release the store (closes a zip file; a no-op for most kinds)."""
        self.store.close()

    def __enter__(self) -> StoreHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def compressors_for(
    compression: Compression, zarr_format: ZarrFormat
) -> list[dict[str, Any]] | None:
    """Return the compressors of a preset, as JSON objects of the Zarr format.

    Parameters
    ----------
    compression
        A preset, ``NAME`` or ``NAME:LEVEL`` (see :data:`Compression`).
    zarr_format
        The Zarr format the objects are for: ``{"name": ..., "configuration": ...}`` codecs
        in format 3, numcodecs' ``{"id": ...}`` in format 2.

    Returns
    -------
    list of dict or None
        The compressors; None for ``"none"``.

    Raises
    ------
    ValueError
        When the name is not a preset's or the level is out of the preset's range.

    Examples
    --------
    >>> compressors_for("zstd:1", 3)
    [{'name': 'zstd', 'configuration': {'level': 1, 'checksum': False}}]
    >>> compressors_for("blosc-lz4", 2)
    [{'id': 'blosc', 'cname': 'lz4', 'clevel': 5, 'shuffle': 1, 'blocksize': 0}]
    """
    name, sep, level_text = str(compression).partition(":")
    if name not in COMPRESSIONS:
        raise ValueError(
            f"Expected a compression among {', '.join(COMPRESSIONS)} (NAME or NAME:LEVEL). "
            f"Got {compression!r}."
        )
    if name == "none":
        if sep:
            raise ValueError(f"Expected no level for compression 'none'. Got {compression!r}.")
        return None
    default, low, high = _LEVELS[name]
    level = default
    if sep:
        try:
            level = int(level_text)
        except ValueError:
            level = low - 1
        if not low <= level <= high:
            raise ValueError(
                f"Expected a level from {low} to {high} for {name!r}. Got {compression!r}."
            )
    if name == "zstd":
        if zarr_format == 3:
            return [{"name": "zstd", "configuration": {"level": level, "checksum": False}}]
        return [{"id": "zstd", "level": level}]
    cname = name.removeprefix("blosc-")
    if zarr_format == 3:
        config = {"cname": cname, "clevel": level, "shuffle": "shuffle"}
        return [{"name": "blosc", "configuration": config}]
    return [{"id": "blosc", "cname": cname, "clevel": level, "shuffle": 1, "blocksize": 0}]


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
        return text, *_local_store(path, mode, read_only)
    if scheme in ("http", "https"):
        if not read_only:
            raise ReadOnlyError(f"{text}: http(s) targets are read-only.")
        options = {"get_client": _http_client, **storage_options}
        return text, "http", _fsspec_store(text, options, read_only=True)
    if scheme == "s3":
        return text, "s3", _fsspec_store(text, _s3_options(storage_options), read_only)
    if scheme:
        raise UnsupportedTargetError(
            f"{text}: unsupported scheme {scheme!r}; expected a path, file://, http(s):// or s3://."
        )
    return text, *_local_store(Path(text), mode, read_only)


class _ConfinedLocalStore(LocalStore):
    """A local store whose keys never resolve outside its root.

    ``check_key`` refuses ``..``; a symbolic link inside the directory could still lead out
    (a downloaded store whose chunk links to a private file would have that file read, shown
    in a report's thumbnail, or overwritten). Every key is resolved here and refused with
    ``PermissionError`` when it leaves the root; the handle turns that into a read failure
    of that key only. Links that stay inside the root are followed.
    """

    _real_root: str | None = None
    _plain_dirs: set[str] | None = None
    _PLAIN_DIRS_KEPT = 100_000

    def _inside(self, real: str, root: str) -> bool:
        return real == root or real.startswith(root.rstrip(os.sep) + os.sep)

    def _confine(self, key: str) -> Path:
        root = self._real_root or os.path.realpath(self.root)
        if self._real_root is None and os.path.isdir(root):
            self._real_root, self._plain_dirs = root, set()
        plain = self._plain_dirs if self._plain_dirs is not None else set()
        parts = [p for p in key.split("/") if p]
        path = root
        # One lstat per component not seen before (directories known to be plain are
        # remembered): a link anywhere on the way is resolved and must stay inside.
        for i, part in enumerate(parts):
            path = os.path.join(path, part)
            last = i == len(parts) - 1
            if not last and path in plain:
                continue
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                break  # absent: nothing further to follow
            if stat.S_ISLNK(mode):
                if not self._inside(os.path.realpath(os.path.join(root, key)), root):
                    raise PermissionError(
                        f"{key!r} leads outside the store root (a symbolic link)."
                    )
                break
            if not last and len(plain) < self._PLAIN_DIRS_KEPT:
                plain.add(path)
        return self.root / key

    async def get(self, key: str, *args: Any, **kwargs: Any) -> Buffer | None:
        self._confine(key)
        return await super().get(key, *args, **kwargs)

    def get_sync(self, key: str, *args: Any, **kwargs: Any) -> Buffer | None:
        self._confine(key)
        return super().get_sync(key, *args, **kwargs)

    async def get_partial_values(self, prototype: Any, key_ranges: Any) -> list[Buffer | None]:
        pairs = list(key_ranges)
        for key, _ in pairs:
            self._confine(key)
        return await super().get_partial_values(prototype, pairs)

    async def getsize(self, key: str) -> int:
        self._confine(key)
        return await super().getsize(key)

    async def exists(self, key: str) -> bool:
        self._confine(key)
        return await super().exists(key)

    async def _set(self, key: str, value: Buffer, exclusive: bool = False) -> None:
        self._confine(key)
        await super()._set(key, value, exclusive=exclusive)

    def set_sync(self, key: str, value: Buffer) -> None:
        self._confine(key)
        super().set_sync(key, value)

    async def delete(self, key: str) -> None:
        self._confine(key)
        await super().delete(key)

    def delete_sync(self, key: str) -> None:
        self._confine(key)
        super().delete_sync(key)

    async def delete_dir(self, prefix: str) -> None:
        self._confine(prefix)
        await super().delete_dir(prefix)

    async def list_dir(self, prefix: str) -> Any:
        self._confine(prefix)
        async for name in super().list_dir(prefix):
            yield name


def _local_store(path: Path, mode: StoreMode, read_only: bool) -> tuple[StoreKind, Store]:
    exists = path.exists()
    if not exists and mode in ("r", "r+"):
        raise TargetNotFoundError(f"{path}: no such file or directory.")
    if path.suffix.lower() == ".zip" and (path.is_file() or not exists):
        zip_mode: Literal["r", "a", "w"] = "r" if read_only else ("a" if exists else "w")
        try:
            return "zip", sync(ZipStore.open(path, mode=zip_mode, read_only=read_only))
        except Exception as exc:
            raise NotZarrError(f"{path}: not a readable zip file ({exc}).") from exc
    if exists and not path.is_dir():
        raise NotZarrError(
            f"{path}: a file, not a Zarr store (expected a directory, a .zip file, or a JSON "
            "metadata document where the command accepts one)."
        )
    return "local", _ConfinedLocalStore(path, read_only=read_only)


def _fsspec_store(url: str, options: dict[str, Any], read_only: bool) -> Store:
    try:
        import fsspec  # noqa: F401
    except ImportError as exc:
        raise UnsupportedTargetError(f"{url}: {_REMOTE_EXTRA}.") from exc
    try:
        return FsspecStore.from_url(url.rstrip("/"), storage_options=options, read_only=read_only)
    except ImportError as exc:
        raise UnsupportedTargetError(f"{url}: {_REMOTE_EXTRA} ({exc}).") from exc
    except Exception as exc:
        raise StoreAccessError(f"{url}: {exc}") from exc


_CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


async def _http_client(**kwargs: Any) -> Any:
    """Create the aiohttp session of an HTTP store, with MAX_CONCURRENCY connections.

    aiohttp allows 100 connections by default, which would cap the requests in flight below
    the reader's bound.
    """
    import aiohttp

    connector = aiohttp.TCPConnector(limit=MAX_CONCURRENCY, limit_per_host=MAX_CONCURRENCY)
    return aiohttp.ClientSession(connector=connector, **kwargs)


def _s3_options(options: dict[str, Any]) -> dict[str, Any]:
    """Fill in s3fs options: anonymous unless credentials are given; endpoint from the env."""
    opts = dict(options)
    # botocore keeps 10 connections by default: too few for concurrent metadata reads.
    config = dict(opts.get("config_kwargs") or {})
    config.setdefault("max_pool_connections", MAX_CONCURRENCY)
    opts["config_kwargs"] = config
    has_credentials = any(k in opts for k in ("key", "secret", "token", "profile")) or any(
        os.environ.get(v) for v in _CREDENTIAL_VARIABLES
    )
    opts.setdefault("anon", not has_credentials)
    endpoint = opts.pop("endpoint_url", None) or os.environ.get(
        "AWS_ENDPOINT_URL_S3", os.environ.get("AWS_ENDPOINT_URL")
    )
    if endpoint:
        client_kwargs = dict(opts.get("client_kwargs") or {})
        client_kwargs.setdefault("endpoint_url", endpoint)
        opts["client_kwargs"] = client_kwargs
    return opts


def _probe_root(handle: StoreHandle, *, must_exist: bool, must_be_new: bool) -> None:
    """Read the root's metadata documents at once; set the format and consolidation flags."""

    async def fetch_all() -> list[bytes | None]:
        limits = [_ROOT_LIMITS.get(k, DOCUMENT_LIMIT) for k in _ROOT_PROBE]
        reads = (handle.read(k, limit) for k, limit in zip(_ROOT_PROBE, limits, strict=True))
        return list(await asyncio.gather(*reads))

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
