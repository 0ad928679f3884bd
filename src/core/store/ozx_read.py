"""Reading a zip archive (``.ozx``) by byte ranges (HTTP, S3, local), never the whole file.

:class:`RangedZipStore` is a read-only zarr store over any ``read(start, end)`` coroutine.
Opening it costs three requests: the file's size (``HEAD``), its tail (the end records and
the comment, at most 64 KiB + 98 bytes), then the central directory. Each entry is then
read on demand: its local header and data in one range request (the header's length is
taken from the central directory's, with room for a ZIP64 extra field; a longer one costs a
second request), the data's start remembered, so that a partial read of a shard (its index,
one inner chunk) is one range request of just those bytes.

Only stored (uncompressed) entries can be read partially; a deflated entry is read whole
and inflated (RFC-9 recommends against ZIP-level compression, and the validator says so).
"""

from __future__ import annotations

import asyncio
import os
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from zarr.abc.store import (
    ByteRequest,
    OffsetByteRequest,
    RangeByteRequest,
    Store,
    SuffixByteRequest,
)
from zarr.core.buffer import Buffer, BufferPrototype

from ngff_geozarr.core.store.ziparchive import (
    ZipEntry,
    ZipFormatError,
    ZipLayout,
    local_header_length,
    parse_central_directory,
    parse_tail,
    read_layout,
    tail_length,
)

__all__ = [
    "RangedZipStore",
    "Reader",
    "archive_layout",
    "local_zip_store",
    "remote_zip_store",
]

Reader = Callable[[int, int], Awaitable[bytes]]
"""``read(start, end)``: the file's bytes ``[start, end)``."""

_HEADER_ROOM = 30 + 20 + 16  # fixed part, a ZIP64 extra field, some slack
_SHORT_TAIL = 4096


class RangedZipStore(Store):
    """A read-only store of the entries of a zip archive read by byte ranges.

    Build one with :meth:`open_archive` (or :func:`http_zip_store`).

    Parameters
    ----------
    read
        Reads a byte range of the archive.
    layout
        The archive's layout (read once, when opened).
    name
        What the store is called (the URL).
    """

    supports_writes = False
    supports_deletes = False
    supports_partial_writes = False
    supports_listing = True

    def __init__(
        self,
        read: Reader,
        layout: ZipLayout,
        name: str,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(read_only=True)
        self._read = read
        self._on_close = on_close
        self.layout = layout
        self.name = name
        self._entries: dict[str, ZipEntry] = {}
        for entry in layout.entries:  # a name listed twice: the last record wins (as zipfile)
            if not entry.name.endswith("/"):
                self._entries[entry.name] = entry
        self._data_start: dict[str, int] = {}

    def close(self) -> None:
        """Release the archive (closes a local file)."""
        if self._on_close is not None:
            self._on_close()
            self._on_close = None
        super().close()

    @classmethod
    async def open_archive(
        cls,
        read: Reader,
        size: int,
        name: str,
        on_close: Callable[[], None] | None = None,
    ) -> RangedZipStore:
        """Read an archive's tail and central directory (two reads) and open it.

        Parameters
        ----------
        read
            Reads a byte range of the archive.
        size
            The archive's size.
        name
            What the store is called.
        on_close
            Called once when the store is closed.

        Returns
        -------
        RangedZipStore
            The store.
        """
        # Most archives' comments are short: a small tail first, the longest one if needed.
        n = min(size, _SHORT_TAIL)
        try:
            tail = parse_tail(await read(size - n, size), size)
        except ZipFormatError:
            if n == size:
                raise
            n = tail_length(size)
            tail = parse_tail(await read(size - n, size), size)
        directory = b""
        if tail.cd_size:
            directory = await read(tail.cd_offset, tail.cd_offset + tail.cd_size)
        entries = parse_central_directory(directory)
        layout = ZipLayout(size, entries, tail.comment, tail.zip64, tail.split)
        return cls(read, layout, name, on_close)

    def __repr__(self) -> str:
        return f"RangedZipStore({self.name!r})"

    def __eq__(self, value: object) -> bool:
        return isinstance(value, RangedZipStore) and value.name == self.name

    async def _start_and_head(self, entry: ZipEntry, whole: bool) -> tuple[int, bytes]:
        """Return where the entry's data starts, and any data bytes read on the way.

        The first read of an entry fetches its local header, and with ``whole`` its data in
        the same request; a partial read fetches the header alone.
        """
        known = self._data_start.get(entry.name)
        if known is not None:
            return known, b""
        guess = _HEADER_ROOM + len(entry.name.encode("utf-8"))
        upto = min(entry.offset + guess + (entry.compressed_size if whole else 0), self.layout.size)
        raw = await self._read(entry.offset, upto)
        length = local_header_length(raw)
        self._data_start[entry.name] = entry.offset + length
        return entry.offset + length, raw[length:]

    async def _whole(self, entry: ZipEntry) -> bytes:
        start, head = await self._start_and_head(entry, whole=True)
        if len(head) < entry.compressed_size:
            rest = await self._read(start + len(head), start + entry.compressed_size)
            head += rest
        data = head[: entry.compressed_size]
        if entry.method == 8:
            return zlib.decompress(data, -15)
        if entry.method != 0:
            raise OSError(f"{entry.name}: compression method {entry.method} is not supported")
        return data

    async def get(
        self,
        key: str,
        prototype: BufferPrototype,
        byte_range: ByteRequest | None = None,
    ) -> Buffer | None:
        """Read an entry, or a byte range of it; ``None`` when absent.

        Parameters
        ----------
        key
            The entry's name.
        prototype
            The buffer type to return.
        byte_range
            The part to read.

        Returns
        -------
        Buffer or None
            The bytes.
        """
        entry = self._entries.get(key)
        if entry is None:
            return None
        size = entry.size
        if byte_range is None or entry.method != 0:
            data = await self._whole(entry)
            if byte_range is not None:
                start, end = _bounds(byte_range, size)
                data = data[start:end]
            return prototype.buffer.from_bytes(data)
        start, end = _bounds(byte_range, size)
        if end <= start:
            return prototype.buffer.from_bytes(b"")
        begin, _ = await self._start_and_head(entry, whole=False)
        return prototype.buffer.from_bytes(await self._read(begin + start, begin + end))

    async def get_partial_values(
        self,
        prototype: BufferPrototype,
        key_ranges: Iterable[tuple[str, ByteRequest | None]],
    ) -> list[Buffer | None]:
        """Read several entries or ranges concurrently.

        Parameters
        ----------
        prototype
            The buffer type to return.
        key_ranges
            The keys and ranges.

        Returns
        -------
        list
            The bytes, ``None`` for absent keys.
        """
        return list(await asyncio.gather(*(self.get(k, prototype, r) for k, r in key_ranges)))

    async def exists(self, key: str) -> bool:
        """Tell whether the archive holds an entry.

        Parameters
        ----------
        key
            The entry's name.

        Returns
        -------
        bool
            Whether it is there.
        """
        return key in self._entries

    async def set(self, key: str, value: Buffer) -> None:
        """Refuse: the store is read-only.

        Parameters
        ----------
        key, value
            Ignored.
        """
        self._check_writable()

    async def delete(self, key: str) -> None:
        """Refuse: the store is read-only.

        Parameters
        ----------
        key
            Ignored.
        """
        self._check_writable()

    async def list(self) -> AsyncIterator[str]:
        """List every entry's name.

        Yields
        ------
        str
            A key.
        """
        for key in self._entries:
            yield key

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        """List the names that start with a prefix.

        Parameters
        ----------
        prefix
            The prefix.

        Yields
        ------
        str
            A key.
        """
        for key in self._entries:
            if key.startswith(prefix):
                yield key

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        """List the names directly below a prefix (keys and sub-prefixes).

        Parameters
        ----------
        prefix
            The prefix (``""`` for the root).

        Yields
        ------
        str
            A child's name.
        """
        base = prefix.rstrip("/") + "/" if prefix.strip("/") else ""
        seen: set[str] = set()
        for key in self._entries:
            if key.startswith(base):
                child = key[len(base) :].split("/", 1)[0]
                if child and child not in seen:
                    seen.add(child)
                    yield child


def _bounds(byte_range: ByteRequest, size: int) -> tuple[int, int]:
    if isinstance(byte_range, RangeByteRequest):
        return max(0, byte_range.start), min(size, byte_range.end)
    if isinstance(byte_range, OffsetByteRequest):
        return max(0, byte_range.offset), size
    if isinstance(byte_range, SuffixByteRequest):
        return max(0, size - byte_range.suffix), size
    raise TypeError(f"unexpected byte range {byte_range!r}")


async def _open_remote(url: str, protocol: str, options: dict[str, Any]) -> RangedZipStore:
    import fsspec

    fs = fsspec.filesystem(protocol, asynchronous=True, **options)
    await fs.set_session()
    info = await fs._info(url)
    size = info.get("size")
    if not isinstance(size, int):
        raise OSError(f"{url}: the server gives no size for the file (no range reads)")

    async def read(start: int, end: int) -> bytes:
        data = await fs._cat_file(url, start=start, end=end)
        return bytes(data)

    return await RangedZipStore.open_archive(read, size, url)


def remote_zip_store(url: str, options: dict[str, Any]) -> Store:
    """Open an ``http(s)://`` or ``s3://`` zip archive (``.ozx``) as a read-only store.

    Parameters
    ----------
    url
        The archive's URL.
    options
        The file system's options (see
        :func:`~ngff_geozarr.core.store.remote.http_options`,
        :func:`~ngff_geozarr.core.store.remote.s3_options`).

    Returns
    -------
    zarr.abc.store.Store
        The store (three requests made: size, tail, central directory).
    """
    from zarr.core.sync import sync

    protocol = "s3" if url.startswith("s3://") else "http"
    return sync(_open_remote(url, protocol, options))


def archive_layout(target: str, storage_options: dict[str, Any] | None = None) -> ZipLayout:
    """Read the layout of a local, ``http(s)://`` or ``s3://`` zip archive (tail, directory).

    Parameters
    ----------
    target
        A path, ``file://``, ``http(s)://`` or ``s3://`` URL of a zip archive.
    storage_options
        Options for the remote file system.

    Returns
    -------
    ZipLayout
        The archive's central directory, comment and end records.

    Raises
    ------
    ZipFormatError
        When the file is not a zip archive.
    OSError
        When it cannot be read.
    """
    if target.startswith(("http://", "https://", "s3://")):
        from ngff_geozarr.core.store.remote import http_options, s3_options

        options = storage_options or {}
        is_s3 = target.startswith("s3://")
        store = remote_zip_store(target, s3_options(options) if is_s3 else http_options(options))
        assert isinstance(store, RangedZipStore)
        return store.layout
    path = target.removeprefix("file://")
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size

        def read(start: int, end: int) -> bytes:
            fh.seek(start)
            return fh.read(end - start)

        return read_layout(read, size)


def local_zip_store(path: str) -> RangedZipStore:
    """Open a local zip archive (``.ozx``) as a read-only store of its entries.

    The same reader as over HTTP, on positioned reads of the file: the archive is checked
    for nothing but its records (a split or odd archive is still read, for the validator to
    say what is wrong with it).

    Parameters
    ----------
    path
        The archive.

    Returns
    -------
    RangedZipStore
        The store; closing it closes the file.

    Raises
    ------
    ZipFormatError
        When the file is not a zip archive.
    """
    from zarr.core.sync import sync

    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size

        async def read(start: int, end: int) -> bytes:
            return os.pread(fd, max(0, end - start), start)

        return sync(RangedZipStore.open_archive(read, size, path, lambda: os.close(fd)))
    except BaseException:
        os.close(fd)
        raise
