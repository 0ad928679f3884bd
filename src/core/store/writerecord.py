"""The record a writer keeps in the store, and fingerprints of the sources it reads.

See :mod:`~ngff_geozarr.core.store.writelock` for how a write holds and leaves its record.
A fingerprint is what a resumed run must find again: the path, size and modification time of
a file (:func:`path_fingerprint`), or the shape, data type and chunks of arrays read from the
store itself (:func:`array_fingerprint`).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ngff_geozarr.core.store.opening import StoredRecord

__all__ = [
    "STALE_LEASES",
    "WRITE_RECORD_KEY",
    "WriteRecord",
    "array_fingerprint",
    "declared_fingerprint",
    "declared_source",
    "fingerprint_of",
    "path_fingerprint",
    "process_start",
    "show_fingerprint",
]

_FORMAT = 1
WRITE_RECORD_KEY = ".ngff-geozarr-write.json"
"""Where a writer keeps its record (and, on a local directory, its lock), at the store root."""
STALE_LEASES = 3
"""How many leases a record with one (:attr:`WriteRecord.lease`) may go without a renewal
before it is taken for stale: more than one, so that a renewal held up by a slow network or
a busy process does not give a live writer's store away."""
_DECLARED: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "declared_source", default=None
)


@dataclass(frozen=True)
class WriteRecord(StoredRecord):
    """What a writer records in the store while it writes (read it with :meth:`read`).

    Parameters
    ----------
    operation
        What writes (``"ngff pyramid"``).
    command
        How to complete the write when it is interrupted, as a phrase
        (```ngff pyramid out.zarr --resume```).
    pid
        The writer's process id.
    host
        The writer's host name.
    started
        When the write started (UTC, ISO 8601).
    source
        The fingerprint of the source (see :func:`path_fingerprint`,
        :func:`array_fingerprint`), ``None`` when it has none.
    partial
        The arrays (store paths) the write creates or completes.
    process_start
        The writer's start time as the kernel counts it (``/proc``), to tell a reused
        process id from the writer; ``None`` where unknown.
    lease
        Seconds the record stays alive without a renewal, for a writer that renews it
        (on S3, see :mod:`~ngff_geozarr.core.store.lease`); ``None`` for one that does not
        (a local write, which holds a lock instead; a record written before leases were).
    """

    key: ClassVar[str] = WRITE_RECORD_KEY
    mark: ClassVar[str] = "ngff-geozarr-write"
    version: ClassVar[int] = _FORMAT
    what: ClassVar[str] = "write record"

    operation: str
    command: str
    pid: int
    host: str
    started: str
    source: Mapping[str, Any] | None = None
    partial: tuple[str, ...] = ()
    process_start: str | None = None
    lease: float | None = None

    def to_bytes(self) -> bytes:
        """Serialise the record as a JSON document.

        Returns
        -------
        bytes
            The document.
        """
        record = {
            self.mark: self.version,
            "operation": self.operation,
            "command": self.command,
            "pid": self.pid,
            "host": self.host,
            "started": self.started,
            "process_start": self.process_start,
            "source": dict(self.source) if self.source is not None else None,
            "partial": list(self.partial),
        }
        if self.lease is not None:
            record["lease"] = self.lease
        return (json.dumps(record, indent=1, sort_keys=True) + "\n").encode()

    @classmethod
    def _from_document(cls, document: dict[str, Any]) -> WriteRecord:
        source = document.get("source")
        start = document.get("process_start")
        lease = document.get("lease")
        return cls(
            operation=str(document["operation"]),
            command=str(document["command"]),
            pid=int(document["pid"]),
            host=str(document["host"]),
            started=str(document["started"]),
            source=dict(source) if isinstance(source, dict) else None,
            partial=tuple(str(p) for p in document.get("partial") or ()),
            process_start=str(start) if start is not None else None,
            lease=float(lease) if isinstance(lease, int | float) and lease > 0 else None,
        )

    def describe(self) -> str:
        """Say who wrote the record, for a message.

        Returns
        -------
        str
            ``"`ngff pyramid` (process 123 on host-a, started 2026-...)"``.
        """
        return f"`{self.operation}` (process {self.pid} on {self.host}, started {self.started})"

    def alive(self, age: float | None = None) -> bool:
        """Whether the writer is known to be still running.

        On this host its process is asked. On another host, a record with a
        :attr:`lease` is alive while it was renewed within :data:`STALE_LEASES` leases;
        one without a lease (written before leases were, or by a writer that holds a lock
        instead) cannot be asked.

        Parameters
        ----------
        age
            Seconds since the record was last written, by the store's clock (see
            :class:`~ngff_geozarr.core.store.lease.Found`); ``None`` when unknown.

        Returns
        -------
        bool
            ``True`` when the process runs on this host and is the one that wrote the record
            (same start time where known), or when its lease, on another host, is fresh;
            ``False`` otherwise (this process's own record included).
        """
        if self.host != socket.gethostname():
            return self.lease is not None and age is not None and age < STALE_LEASES * self.lease
        if self.pid == os.getpid():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # it exists, under another user
        start = process_start(self.pid)
        return self.process_start is None or start is None or start == self.process_start


def process_start(pid: int) -> str | None:
    """Return a process's start time in clock ticks since boot (Linux), else ``None``.

    Parameters
    ----------
    pid
        The process id.

    Returns
    -------
    str or None
        The start time, as ``/proc/PID/stat`` gives it.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def path_fingerprint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Fingerprint a source named by a path: what a resumed run must find again.

    Parameters
    ----------
    path
        A file or directory (a URL is kept as it is).

    Returns
    -------
    dict
        ``path`` (absolute), and for a file its ``size`` and ``mtime_ns``; for a directory
        (a Zarr store, a folder of TIFFs) the size and modification time of each entry at
        its top.
    """
    text = os.fspath(path)
    if "://" in text:
        return {"url": text}
    text, _, inner = text.partition("::")  # a Zarr input's STORE::PATH
    absolute = os.path.abspath(text)
    found: dict[str, Any] = {"path": absolute, **({"array": inner} if inner else {})}
    try:
        info = os.stat(absolute)
    except OSError:
        return found
    if os.path.isdir(absolute):
        entries: dict[str, list[int]] = {}
        with contextlib.suppress(OSError):
            for entry in sorted(os.scandir(absolute), key=lambda e: e.name):
                st = entry.stat()
                entries[entry.name] = [st.st_size, st.st_mtime_ns] if entry.is_file() else []
        found["entries"] = entries
    else:
        found.update(size=info.st_size, mtime_ns=info.st_mtime_ns)
    return found


def fingerprint_of(data: Any) -> dict[str, Any] | None:
    """Fingerprint a writer's input when it names its file: a path, a ``.npy`` memmap.

    Parameters
    ----------
    data
        What a writer was given.

    Returns
    -------
    dict or None
        :func:`path_fingerprint` of the file; ``None`` for data held in memory.
    """
    if isinstance(data, str | os.PathLike):
        return path_fingerprint(data)
    filename = getattr(data, "filename", None)
    if isinstance(data, np.memmap) and isinstance(filename, str | os.PathLike):
        return path_fingerprint(filename)
    return None


@contextlib.contextmanager
def declared_source(path: str | os.PathLike[str]) -> Iterator[None]:
    """Name the source file of the writes in a ``with`` block (a command line's input).

    A writer given opened data cannot tell which file it came from; the command that opened
    it declares the file, and every :func:`write_lock` taken in the block records (and on
    resume checks) its :func:`path_fingerprint`.

    Parameters
    ----------
    path
        The input as the user named it.

    Yields
    ------
    None
        The block runs with the source declared.
    """
    token = _DECLARED.set(path_fingerprint(path))
    try:
        yield
    finally:
        _DECLARED.reset(token)


def array_fingerprint(arrays: Mapping[str, Any]) -> dict[str, Any]:
    """Fingerprint source arrays read from the store itself (the base of a pyramid).

    Parameters
    ----------
    arrays
        Arrays by store path, each with ``shape``, ``dtype`` and ``chunks`` (an
        :class:`~ngff_geozarr.core.store.ArrayIO`).

    Returns
    -------
    dict
        ``{"arrays": {path: {"shape", "dtype", "chunks"}}}``.
    """
    return {
        "arrays": {
            path: {
                "shape": [int(n) for n in a.shape],
                "dtype": str(a.dtype),
                "chunks": [int(n) for n in a.chunks],
            }
            for path, a in sorted(arrays.items())
        }
    }


def show_fingerprint(fingerprint: Mapping[str, Any]) -> str:
    """Say what a fingerprint names, for a message.

    Parameters
    ----------
    fingerprint
        A fingerprint.

    Returns
    -------
    str
        The path and size, or the arrays and their shapes.
    """
    name = fingerprint.get("path") or fingerprint.get("url")
    if name is not None:
        size = fingerprint.get("size")
        return f"{name}, {size} bytes" if size is not None else str(name)
    arrays = fingerprint.get("arrays")
    if isinstance(arrays, dict):
        return "; ".join(
            f"{p}: {a.get('dtype')} {a.get('shape')}"
            for p, a in arrays.items()
            if isinstance(a, dict)
        )
    return json.dumps(fingerprint, sort_keys=True)[:200]


def declared_fingerprint() -> Mapping[str, Any] | None:
    """Return the fingerprint :func:`declared_source` set for the writes running now.

    Returns
    -------
    Mapping or None
        The fingerprint, ``None`` outside a :func:`declared_source` block.
    """
    return _DECLARED.get()
