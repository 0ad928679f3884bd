"""The opened store: checked, size-capped, concurrency-bounded reads and writes (uses zarr).

:class:`StoreHandle` adds what zarr's stores leave to their callers: every key is checked
before it is used; documents are read with a size cap, as a range request where the store
supports it; a store that refuses listings (object stores behind plain HTTP) is told apart
from an empty group. Build one with :func:`~ngff_geozarr.core.store.open_store`.
"""

from __future__ import annotations

import asyncio
import urllib.parse
import warnings
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import zarr
from zarr.abc.store import RangeByteRequest, Store
from zarr.core.buffer import Buffer, default_buffer_prototype
from zarr.core.sync import sync
from zarr.storage import FsspecStore

from ngff_geozarr.core.errors import (
    NgffGeozarrError,
    NotZarrError,
    ReadOnlyError,
    StoreAccessError,
)
from ngff_geozarr.core.store.arrays import ArrayIO
from ngff_geozarr.core.store.cache import unwrapped
from ngff_geozarr.core.store.compression import Compression, compressors_for
from ngff_geozarr.core.store.keys import MAX_CONCURRENCY, StoreKind, ZarrFormat, check_key
from ngff_geozarr.core.store.policy import AccessRefusedError, RemoteFaultError, refusal
from ngff_geozarr.core.store.retry_store import guarded

__all__ = ["StoreHandle"]

_T = TypeVar("_T")


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
    writes
        How many metadata writes and deletes (documents, groups, arrays created) went
        through this handle: a write that failed before changing anything shows none.
    """

    target: str
    kind: StoreKind
    store: Store
    read_only: bool
    zarr_format: ZarrFormat | None = None
    consolidated: bool = False
    root_documents: dict[str, bytes] = field(default_factory=dict)
    writes: int = 0
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
                refused = refusal(exc) if self.kind in ("http", "s3") else None
                if refused is not None:  # final, and no word on whether the key exists
                    raise AccessRefusedError(key, refused) from exc
                raise StoreAccessError(f"Could not read {key!r} from {self.target}: {exc}") from exc
        return None if buf is None else buf.to_bytes()

    async def read_many(
        self,
        keys: Sequence[str],
        limit: int | None = None,
        *,
        limits: Mapping[str, int] | None = None,
    ) -> list[bytes | None]:
        """Read several keys concurrently (see :meth:`read`); no request outlives the call.

        When a read fails, the reads still running are cancelled and awaited before the
        failure is raised: a request left running would be torn down with the event loop at
        interpreter exit, which prints a traceback per request (s3fs, aiohttp) after the
        one-line error, and would keep retrying an unreachable endpoint in the meantime.

        Parameters
        ----------
        keys
            The keys, each checked with :func:`check_key`.
        limit
            As for :meth:`read`, for every key not in ``limits``.
        limits
            Limits of particular keys (large documents such as consolidated metadata).

        Returns
        -------
        list of bytes or None
            The values in the order of ``keys``.

        Raises
        ------
        UnsafePathError
            When a key would leave the store root (nothing is read then).
        StoreAccessError
            The first failure.
        """
        for key in keys:
            check_key(key)
        own = limits or {}
        tasks = [asyncio.ensure_future(self.read(k, own.get(k, limit))) for k in keys]
        if not tasks:
            return []
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            # On a failure (or when this call is cancelled): stop the others, and wait until
            # they have stopped.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in tasks:
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error
        return [task.result() for task in tasks]

    async def list_dir(self, prefix: str, *, faults: bool = False) -> list[str] | None:
        """List the names directly below a node path.

        Parameters
        ----------
        prefix
            A node path (``""`` for the root); checked with :func:`check_key` first.
        faults
            Raise the failure of a listing the remote policy gave up (after its retries),
            or that the store refused, instead of answering ``None``: for callers that must
            not take a listing that could not be read for an empty one.

        Returns
        -------
        list of str or None
            The names (documents and sub-directories alike), sorted; ``None`` when the store
            cannot list (it does not support listing, refused the request, or returned an
            empty listing for a prefix that holds a node, which every listable store shows).

        Raises
        ------
        RemoteFaultError
            With ``faults``, when the listing still failed after the retries.
        AccessRefusedError
            With ``faults``, when the store refused the listing (HTTP 401 or 403).
        """
        check_key(prefix)
        if not self.store.supports_listing:
            return None
        async with self._limit():
            try:
                if self.kind == "http" and isinstance(unwrapped(self.store), FsspecStore):
                    raw = await self._list_http(prefix)
                else:
                    raw = [name async for name in self.store.list_dir(prefix)]
            except RemoteFaultError:
                if faults:
                    raise
                return None
            except Exception as exc:
                refused = refusal(exc) if faults else None
                if refused is not None:
                    raise AccessRefusedError(prefix, refused) from exc
                return None
        names = {urllib.parse.unquote(n) if self.kind == "http" else n for n in raw}
        return sorted(n.rstrip("/") for n in names if n.rstrip("/")) or None

    async def _list_http(self, prefix: str) -> list[str]:
        """List an HTTP directory asking for its URL with the trailing slash.

        Servers answer ``/dir`` with a redirect to ``/dir/`` (http.server, nginx's autoindex);
        asking for ``/dir/`` at once saves a round trip per group.
        """
        store = unwrapped(self.store)
        assert isinstance(store, FsspecStore)
        base = f"{store.path}/{prefix}".rstrip("/") + "/"
        urls = await guarded(self.store, prefix, lambda: store.fs._ls(base, detail=False))
        return [u[len(base) :] for u in urls if isinstance(u, str) and u.startswith(base)]

    # -- writing ------------------------------------------------------------------------

    def _writable(self) -> None:
        if self.read_only:
            raise ReadOnlyError(f"{self.target} was opened read-only.")
        self.writes += 1

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

        The key is checked, and a read-only store refuses, as for :meth:`write_bytes`.
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
            # The toolkit's own records at the root (a write's, a conversion's journal).
            warnings.filterwarnings("ignore", message=r".*\.ngff-geozarr-.*not recognized.*")
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

    def commit(self) -> None:
        """Make a completed write durable where the store needs it: an ``.ozx`` file.

        An :class:`~ngff_geozarr.core.store.ozx_write.OzxWriteStore` writes its archive and
        renames it over the target here; every other store already holds what was written
        (a no-op). A store closed without a commit writes no ``.ozx`` file.
        """
        from ngff_geozarr.core.store.ozx_write import OzxWriteStore

        if isinstance(self.store, OzxWriteStore):
            self.store.commit()

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
