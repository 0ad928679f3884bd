"""Writing an RFC-9 single-file OME-Zarr (``.ozx``): spool the chunks, then one ordered pass.

RFC-9 wants every ``zarr.json`` at the start of the file (the root's first, the others after
it in breadth-first order), but a pyramid's metadata is written last (after every array is
complete) and its chunks arrive in whatever order the engine's threads finish them. So the
store written to, :class:`OzxWriteStore`, keeps the two apart while the engine runs:

- metadata documents (small) are held in memory;
- every other key's bytes are appended to one spool file beside the target
  (``.NAME.ozx.spool``), indexed by key (offset, length, CRC-32): nothing but that index is
  held in memory, and no directory of the whole store is created. A chunk written again
  (``resume`` of a level, a rewritten edge chunk) is appended again and the index points at
  the newest copy.

:meth:`OzxWriteStore.commit` then writes the archive in one sequential pass into
``.NAME.ozx.part``: the ``zarr.json`` documents (breadth-first, root first), then every
other entry in key order, each stored uncompressed with ZIP64 sizes, copied from the spool
in pieces of at most 4 MiB (bounded memory); then the central directory in the same order,
the ZIP64 end records and the archive comment (``{"ome": {"version": V, "zipFile":
{"centralDirectory": {"jsonFirst": true}}}}`` when the root declares ``ome.version``).
Only then is the part file renamed over the target (:func:`os.replace`, atomic), and the
spool removed. The chunk bytes are thus written twice (spool, then archive), sequentially,
and while committing the folder holds both (about twice the archive's size free is needed);
a failed or killed write leaves at most the spool and part files, never a complete-looking
target. :meth:`OzxWriteStore.close` without a commit removes both.
"""

from __future__ import annotations

import json
import os
import threading
import zlib
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from zarr.core.buffer import Buffer, default_buffer_prototype
from zarr.storage import MemoryStore

from ngff_geozarr.core.store.keys import METADATA_KEYS
from ngff_geozarr.core.store.ziparchive import central_record, end_records, local_header

__all__ = [
    "OzxWriteStore",
    "archive_comment",
    "metadata_order",
    "single_file_writes",
    "writes_allowed",
]

_COPY_PIECE = 4 * 2**20
_ALLOWED: ContextVar[bool] = ContextVar("ozx_writes_allowed", default=False)


@contextmanager
def single_file_writes() -> Iterator[None]:
    """Allow ``.ozx`` targets to be opened for writing within a ``with`` block.

    Only a writer that commits the store when it succeeds
    (:func:`ngff_geozarr.core.groups.writing`) opens one: any other writer would close it
    uncommitted, and no file would appear. Elsewhere an ``.ozx`` target is refused for
    writing before anything is written.

    Yields
    ------
    None
        Nothing; ``.ozx`` targets may be opened for writing until the block ends.
    """
    token = _ALLOWED.set(True)
    try:
        yield
    finally:
        _ALLOWED.reset(token)


def writes_allowed() -> bool:
    """Tell whether an ``.ozx`` target may be opened for writing here.

    Returns
    -------
    bool
        Whether the caller is inside :func:`single_file_writes`.
    """
    return _ALLOWED.get()


def metadata_order(key: str) -> tuple[int, str]:
    """Sort key of a metadata document: breadth-first (depth, then name), root first.

    Parameters
    ----------
    key
        The document's key (``zarr.json``, ``0/zarr.json``, ...).

    Returns
    -------
    tuple
        Its depth and its key.
    """
    return key.count("/"), key


def archive_comment(root_document: bytes | None) -> bytes:
    """Return the RFC-9 archive comment for a hierarchy whose root document is given.

    Parameters
    ----------
    root_document
        The root ``zarr.json``, or ``None``.

    Returns
    -------
    bytes
        The UTF-8 JSON comment with the root's ``ome.version`` and ``jsonFirst``; empty
        when the root declares no OME version (RFC-9 defines the comment only for one).
    """
    try:
        meta = json.loads(root_document or b"")
        version = meta["attributes"]["ome"]["version"]
    except (ValueError, KeyError, TypeError):
        return b""
    if not isinstance(version, str):
        return b""
    comment = {"ome": {"version": version, "zipFile": {"centralDirectory": {"jsonFirst": True}}}}
    return json.dumps(comment, separators=(",", ":")).encode("utf-8")


def _is_metadata(key: str) -> bool:
    return key.rsplit("/", 1)[-1] in METADATA_KEYS


class _Spool(MutableMapping[str, Buffer]):
    """Metadata in memory, every other value appended to one file; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.documents: dict[str, bytes] = {}
        self.index: dict[str, tuple[int, int, int]] = {}
        self._lock = threading.Lock()
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        self._end = 0

    def __getitem__(self, key: str) -> Buffer:
        with self._lock:
            if key in self.documents:
                data = self.documents[key]
            else:
                offset, length, _ = self.index[key]
                data = os.pread(self._fd, length, offset)
        return default_buffer_prototype().buffer.from_bytes(data)

    def __setitem__(self, key: str, value: Buffer) -> None:
        data = value.to_bytes()
        if _is_metadata(key):
            with self._lock:
                self.documents[key] = data
            return
        crc = zlib.crc32(data)
        with self._lock:
            offset = self._end
            self._end += len(data)
            self.index[key] = (offset, len(data), crc)
        os.pwrite(self._fd, data, offset)

    def __delitem__(self, key: str) -> None:
        with self._lock:
            if key in self.documents:
                del self.documents[key]
            else:
                del self.index[key]

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            keys = [*self.documents, *self.index]
        return iter(keys)

    def __len__(self) -> int:
        return len(self.documents) + len(self.index)

    def __contains__(self, key: object) -> bool:
        return key in self.documents or key in self.index

    def copy_to(self, out: Any, key: str) -> None:
        offset, length, _ = self.index[key]
        done = 0
        while done < length:
            piece = os.pread(self._fd, min(_COPY_PIECE, length - done), offset + done)
            if not piece:
                raise OSError(f"{self.path}: ended before the entry {key!r}")
            out.write(piece)
            done += len(piece)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class OzxWriteStore(MemoryStore):
    """A writable store that becomes an RFC-9 ``.ozx`` file when committed.

    Parameters
    ----------
    path
        The ``.ozx`` file to create; nothing appears there before :meth:`commit`.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._spool_path = self.path.with_name(f".{self.path.name}.spool")
        self._part_path = self.path.with_name(f".{self.path.name}.part")
        self._spool = _Spool(self._spool_path)
        self._committed = False
        super().__init__(self._spool, read_only=False)

    def __repr__(self) -> str:
        return f"OzxWriteStore({str(self.path)!r})"

    def commit(self) -> None:
        """Write the archive in RFC-9 order and put it at :attr:`path` (atomically).

        Raises
        ------
        OSError
            When the file cannot be written; the target is left untouched.
        """
        spool = self._spool
        names = sorted(spool.documents, key=metadata_order)
        names += sorted(spool.index)
        directory: list[bytes] = []
        offset = 0
        try:
            with self._part_path.open("wb") as out:
                for name in names:
                    if name in spool.documents:
                        data = spool.documents[name]
                        size, crc = len(data), zlib.crc32(data)
                    else:
                        data = b""
                        _, size, crc = spool.index[name]
                    header = local_header(name, size, crc)
                    out.write(header)
                    if name in spool.documents:
                        out.write(data)
                    else:
                        spool.copy_to(out, name)
                    directory.append(central_record(name, size, crc, offset))
                    offset += len(header) + size
                listing = b"".join(directory)
                comment = archive_comment(spool.documents.get("zarr.json"))
                out.write(listing)
                out.write(end_records(len(names), offset, len(listing), comment))
                out.flush()
                os.fsync(out.fileno())
            os.replace(self._part_path, self.path)
        except BaseException:
            self._part_path.unlink(missing_ok=True)
            raise
        self._committed = True
        self._discard()

    def _discard(self) -> None:
        self._spool.close()
        self._spool_path.unlink(missing_ok=True)
        self._part_path.unlink(missing_ok=True)

    def close(self) -> None:
        """Release the spool; without a :meth:`commit`, remove it and write nothing."""
        if not self._committed:
            self._discard()
        super().close()
