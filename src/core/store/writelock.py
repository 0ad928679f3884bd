"""One writer at a time, and a record of the write that a killed writer leaves behind.

A command that writes a store (``create``, ``pyramid``, ``convert --in-place``, of both
conventions) holds :data:`LOCK_KEY` at the store's root for the whole write. The record in it
says who writes (process id, host, start time), the command that completes the write, the
fingerprint of the source it reads and the arrays it is writing. It is removed last, after the
root metadata and the consolidated metadata; so:

- **a second writer is refused** (:class:`~ngff_geozarr.core.errors.WriteLockError`, one line,
  exit code 2) while the first is alive, and nothing of the first's is touched. On a local
  directory the record file is held with an exclusive ``flock`` for the time of the write:
  the kernel releases it when the process ends, however it ends, so a killed writer never
  leaves a lock that is still held;
- **a killed writer leaves its record**, which is recognised as stale (the lock is free, or
  its process id is not alive on this host): a new write is refused with the command that
  completes the interrupted one, ``--resume`` takes the record over, and ``validate`` reports
  it (:data:`INTERRUPTED_WRITE_RULE`, an error: the store never looks complete) naming the
  partial arrays and the command;
- **``--resume`` with another source is refused**: the record holds the source's fingerprint
  (path, size and modification time of a file; the shape, data type and chunks of arrays
  read from the store itself), and a resumed run whose source differs stops before writing.

A write that fails before it has changed anything (a refused option, an image with levels
already) leaves the store as it found it: its record is withdrawn (the previous one put back).

On S3 the record is the lock: it is created with a conditional PUT that fails when it exists
(``If-None-Match``), so of writers started at once only one proceeds; a stale record is
taken over by a PUT conditional on the version read (``If-Match``), so of two ``--resume``
runs only one wins. A writer on another host is told alive by its lease: it renews its
record every quarter of :data:`~ngff_geozarr.core.store.lease.LEASE_SECONDS` and a record
left unrenewed for :data:`~ngff_geozarr.core.store.writerecord.STALE_LEASES` leases is
stale (see :mod:`~ngff_geozarr.core.store.lease`). A writer whose record another took over
(once its lease ran out) fails with :class:`~ngff_geozarr.core.errors.WriteLockError` at its
next change of the record or at its release, instead of ending as if complete.

Limitation: other remote stores (a file system that cannot write conditionally) get the
record (so an interrupted write is visible, and ``--resume`` checks its source) but no
mutual exclusion: two writers started at once on the same target are not told apart. Zip
files (whose keys cannot be deleted) and in-memory stores get neither.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import os
import socket
import threading
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ngff_geozarr.core.errors import WriteLockError
from ngff_geozarr.core.report import Issue
from ngff_geozarr.core.store import lease as lease_module
from ngff_geozarr.core.store.cache import unwrapped
from ngff_geozarr.core.store.handle import StoreHandle
from ngff_geozarr.core.store.lease import Lease, ObjectKey, object_key
from ngff_geozarr.core.store.opening import read_target
from ngff_geozarr.core.store.writerecord import (
    WRITE_RECORD_KEY,
    WriteRecord,
    declared_fingerprint,
    process_start,
    show_fingerprint,
)

__all__ = [
    "INTERRUPTED_WRITE_RULE",
    "LOCK_KEY",
    "WriteLock",
    "held_lock",
    "interrupted_write_issues",
    "note_partial",
    "read_write_record",
    "write_lock",
    "write_record_issue",
]

LOCK_KEY = WRITE_RECORD_KEY
"""Where a writer keeps its record (and, on a local directory, its lock), at the store root."""
INTERRUPTED_WRITE_RULE = "target.write-interrupted"
"""The rule ``validate`` reports a left-over write record under."""
_HELD: dict[str, int] = {}  # lock files (S3 records) this process holds, with how many times
_HELD_LOCK = threading.Lock()
_BY_HANDLE: dict[int, WriteLock] = {}  # the write each open handle is in, by id


def read_write_record(handle: StoreHandle) -> WriteRecord | None:
    """Read the store's write record, if it holds one that parses (deprecated).

    .. deprecated::
       Use :meth:`.writerecord.WriteRecord.read`.
    """
    warnings.warn(
        "read_write_record is deprecated; use WriteRecord.read", DeprecationWarning, stacklevel=2
    )
    return WriteRecord.read(handle)


def _local_root(handle: StoreHandle) -> Path | None:
    if handle.kind != "local":
        return None
    root = getattr(unwrapped(handle.store), "root", None)
    return Path(root) if root is not None else None


def _held_elsewhere(path: Path) -> bool:
    """Whether another process holds the lock file at ``path`` (``False`` when absent)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


@dataclass(eq=False)
class WriteLock:
    """A write in progress: the record in the store, and the lock held on it.

    Build one with :func:`write_lock`.

    Parameters
    ----------
    handle
        The store written.
    record
        This write's record.
    previous
        The raw record found when the write started (an interrupted run's), put back when
        this write fails before changing anything.
    """

    handle: StoreHandle
    record: WriteRecord
    previous: bytes | None = None
    _fd: int | None = field(default=None, repr=False)
    _path: Path | None = field(default=None, repr=False)
    _writes: int = field(default=0, repr=False)
    _nested: bool = field(default=False, repr=False)
    _held: str | None = field(default=None, repr=False)
    _lease: Lease | None = field(default=None, repr=False)

    def _put(self, raw: bytes | None) -> None:
        if self._lease is not None:
            self._lease.put(raw)
            return
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            if raw:
                os.pwrite(self._fd, raw, 0)
            os.fsync(self._fd)
            return
        counted = self.handle.writes  # the record's own writes change nothing of the data
        if raw is None:
            self.handle.delete(LOCK_KEY)
        else:
            self.handle.write_bytes(LOCK_KEY, raw)
        self.handle.writes = counted

    def set_partial(self, paths: Sequence[str]) -> None:
        """Record more arrays the write creates or completes (``validate`` names them).

        Parameters
        ----------
        paths
            Their store paths, added to those recorded.
        """
        if self._nested:
            return
        if self._lease is not None:
            self._lease.check()
        merged = tuple(dict.fromkeys((*self.record.partial, *paths)))
        if merged != self.record.partial:
            self.record = dataclasses.replace(self.record, partial=merged)
            self._put(self.record.to_bytes())

    def set_source(self, source: Mapping[str, Any]) -> None:
        """Record the source's fingerprint once it is known; check it when resuming.

        Parameters
        ----------
        source
            The fingerprint (:func:`.writerecord.path_fingerprint`,
            :func:`.writerecord.array_fingerprint`).

        Raises
        ------
        WriteLockError
            When this write resumes an interrupted one that read another source (nothing
            of this write's was written yet when it is called before the first write).
        """
        if self._nested:
            return
        if self._lease is not None:
            self._lease.check()
        _check_source(self.handle.target, self.previous, source)
        self.record = dataclasses.replace(self.record, source=dict(source))
        self._put(self.record.to_bytes())

    def release(self, *, complete: bool) -> None:
        """End the write: remove the record when it completed, else leave it (resumable).

        A write that failed before any change to the store puts the previous record back
        (none: the store is as it was).

        Parameters
        ----------
        complete
            Whether every write, the root metadata last, succeeded.

        Raises
        ------
        WriteLockError
            When the write completed but another writer had taken the store over (S3).
        """
        if self._nested:
            if self._held is not None:
                _forget(self._held)
            return
        if self._lease is not None:
            self._release_lease(complete=complete)
            return
        changed = self.handle.writes > self._writes
        try:
            if complete:
                if self._path is not None:
                    self._path.unlink(missing_ok=True)  # while the lock is held
                else:
                    self.handle.delete(LOCK_KEY)
            elif not changed:
                if self.previous is None and self._path is not None:
                    self._path.unlink(missing_ok=True)
                else:
                    self._put(self.previous)
        finally:
            if self._fd is not None:
                os.close(self._fd)  # releases the lock
                self._fd = None
            if self._path is not None:
                _forget(str(self._path))

    def _release_lease(self, *, complete: bool) -> None:
        lease = self._lease
        assert lease is not None
        changed = self.handle.writes > self._writes
        try:
            lease.stop()
            if complete:
                lease.put(None)
            elif lease.lost is None and not changed:
                lease.put(_put_back(self.previous))
        finally:
            if self._held is not None:
                _forget(self._held)
                self._held = None


def _put_back(raw: bytes | None) -> bytes | None:
    """Return an interrupted write's record as it is put back: without its lease.

    Its writer no longer renews it; with its lease it would look alive, from another host,
    for a while.
    """
    try:
        found = WriteRecord.from_bytes(raw) if raw else None
    except ValueError:
        return raw
    return raw if found is None else dataclasses.replace(found, lease=None).to_bytes()


def _forget(key: str) -> None:
    with _HELD_LOCK:
        _HELD[key] -= 1
        if not _HELD[key]:
            del _HELD[key]


def _open_locked(path: Path) -> tuple[int, bytes]:
    """Open the lock file and take its lock, or raise when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raw = _read_fd(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise _Busy(raw) from None
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:  # not a file its last holder removed while this waited
            return fd, _read_fd(fd)
        os.close(fd)
    raise WriteLockError(f"{path}: could not take the write lock (it kept being replaced).")


def _read_fd(fd: int) -> bytes:
    chunks = []
    offset = 0
    while chunk := os.pread(fd, 65536, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


class _Busy(Exception):
    def __init__(self, raw: bytes) -> None:
        super().__init__("busy")
        self.raw = raw


def _fingerprint(found: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Copy a source fingerprint to record; ``None`` when there is none."""
    return None if found is None else dict(found)


def _busy_message(target: str, raw: bytes | None) -> str:
    try:
        who = WriteRecord.from_bytes(raw or b"").describe()
    except ValueError:
        who = "another process"
    return (
        f"{target}: another writer is at work on it: {who}; nothing was written. "
        "Wait until it ends."
    )


@contextlib.contextmanager
def write_lock(
    handle: StoreHandle,
    operation: str,
    command: str,
    *,
    resume: bool,
    source: Mapping[str, Any] | None = None,
    partial: Sequence[str] = (),
    interrupted_ok: bool = False,
) -> Iterator[WriteLock]:
    """Hold the store for one write, keeping the record of it there until the write is done.

    On a normal exit of the block the record is removed: call this around the last write
    (the root metadata, consolidated metadata included). On an error the lock is released
    and the record kept, so the store is marked interrupted and resumable.

    Parameters
    ----------
    handle
        The store, opened writable.
    operation
        What writes (``"ngff pyramid"``), for messages.
    command
        How to complete the write if it is interrupted, as a phrase
        (```ngff pyramid out.ome.zarr --resume```).
    resume
        Whether this write completes an interrupted one: a stale record is taken over (and
        its source compared with ``source``).
    source
        The fingerprint of what the write reads (:func:`.writerecord.path_fingerprint`,
        :func:`.writerecord.array_fingerprint`), or ``None``.
    partial
        The arrays the write creates or completes, when known already (see
        :meth:`WriteLock.set_partial`).
    interrupted_ok
        Take over the record of an interrupted write without ``resume`` (a command that
        completes any interrupted run of its own, such as an in-place conversion).

    Yields
    ------
    WriteLock
        The write in progress.

    Raises
    ------
    WriteLockError
        When another writer holds the store; when an interrupted write's record is found and
        neither ``resume`` nor ``interrupted_ok`` is given; when ``resume`` is given and the
        interrupted run's source differs from ``source``; on S3, at the end of the block,
        when another writer took the store over while this one was held up (see
        :mod:`~ngff_geozarr.core.store.lease`).
    """
    declared = declared_fingerprint()
    record = WriteRecord(
        operation=operation,
        command=command,
        pid=os.getpid(),
        host=socket.gethostname(),
        started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        source=_fingerprint(declared or source),
        partial=tuple(partial),
        process_start=process_start(os.getpid()),
    )
    if handle.kind in ("memory", "zip"):  # no other process; a zip cannot delete a key
        yield WriteLock(handle, record, _nested=True)
        return
    lock = _acquire(handle, record, resume=resume, interrupted_ok=interrupted_ok)
    outer = _BY_HANDLE.get(id(handle))
    _BY_HANDLE[id(handle)] = outer or lock
    try:
        yield lock
    except BaseException:
        lock.release(complete=False)
        raise
    finally:
        if outer is None:
            _BY_HANDLE.pop(id(handle), None)
    lock.release(complete=True)


def held_lock(handle: StoreHandle) -> WriteLock | None:
    """Return the write a store handle is in (:func:`write_lock`), if any.

    Parameters
    ----------
    handle
        The store.

    Returns
    -------
    WriteLock or None
        The outermost write in progress on this handle.
    """
    return _BY_HANDLE.get(id(handle))


def note_partial(handle: StoreHandle, paths: Sequence[str]) -> None:
    """Record arrays a write is creating or completing, when the store is in one.

    Called by the pyramid engine before it writes the first chunk, so that ``validate``
    names the partial arrays of an interrupted write.

    Parameters
    ----------
    handle
        The store.
    paths
        The arrays' store paths.
    """
    lock = held_lock(handle)
    if lock is not None:
        lock.set_partial(paths)


def _acquire(
    handle: StoreHandle, record: WriteRecord, *, resume: bool, interrupted_ok: bool
) -> WriteLock:
    key = object_key(handle, LOCK_KEY)
    if key is not None:
        return _acquire_object(handle, key, record, resume=resume, interrupted_ok=interrupted_ok)
    root = _local_root(handle)
    path = root / LOCK_KEY if root is not None else None
    fd: int | None = None
    raw: bytes | None
    if path is not None:
        with _HELD_LOCK:
            if str(path) in _HELD:  # this process writes the store already (a nested write)
                _HELD[str(path)] += 1
                return WriteLock(handle, record, _nested=True, _held=str(path))
        try:
            fd, raw = _open_locked(path)
        except _Busy as busy:
            raise WriteLockError(_busy_message(handle.target, busy.raw)) from None
    else:
        raw = handle.run(handle.read(LOCK_KEY))
    try:
        _check_previous(handle.target, raw, record, resume=resume, interrupted_ok=interrupted_ok)
        lock = WriteLock(handle, record, previous=raw or None, _fd=fd, _path=path)
        lock._put(record.to_bytes())
    except BaseException:
        if fd is not None:
            os.close(fd)
        raise
    lock._writes = handle.writes
    if path is not None:
        with _HELD_LOCK:
            _HELD[str(path)] = 1
    return lock


def _acquire_object(
    handle: StoreHandle,
    key: ObjectKey,
    record: WriteRecord,
    *,
    resume: bool,
    interrupted_ok: bool,
) -> WriteLock:
    """Take the record on S3: create it, or replace a stale one, conditionally."""
    with _HELD_LOCK:
        if key.url in _HELD:  # this process writes the store already (a nested write)
            _HELD[key.url] += 1
            return WriteLock(handle, record, _nested=True, _held=key.url)
    record = dataclasses.replace(record, lease=lease_module.LEASE_SECONDS)
    raw = record.to_bytes()
    previous: bytes | None = None
    for _ in range(20):
        etag = key.create(raw)
        if etag is not None:
            break
        found = key.read()
        if found is None:
            continue  # removed since: create it again
        if found.raw == raw:  # this very record: a create retried after its answer was lost
            etag = found.etag
            break
        _check_previous(
            handle.target,
            found.raw,
            record,
            resume=resume,
            interrupted_ok=interrupted_ok,
            age=found.age,
        )
        etag = key.replace(raw, found.etag)
        if etag is not None:
            previous = found.raw
            break
        # another writer changed it since it was read: judge its record again
    else:
        raise WriteLockError(
            f"{handle.target}: could not take the write lock (its record kept changing)."
        )
    lease = Lease(key, raw, etag, record.lease or lease_module.LEASE_SECONDS)
    lock = WriteLock(handle, record, previous=previous, _held=key.url, _lease=lease)
    lock._writes = handle.writes
    with _HELD_LOCK:
        _HELD[key.url] = 1
    lease.start()
    return lock


def _check_previous(
    target: str,
    raw: bytes | None,
    record: WriteRecord,
    *,
    resume: bool,
    interrupted_ok: bool,
    age: float | None = None,
) -> None:
    """Refuse to start over a live writer, an interrupted write, or another source."""
    if not raw:
        return
    try:
        previous = WriteRecord.from_bytes(raw)
    except ValueError:
        return  # cut while it was written, before the write changed anything
    if previous.alive(age):  # a lock that does not hold (another host's share, no flock)
        raise WriteLockError(_busy_message(target, raw))
    if not (resume or interrupted_ok):
        partial = f" (partial: {', '.join(previous.partial)})" if previous.partial else ""
        raise WriteLockError(
            f"{target}: a write was interrupted here{partial}: {previous.describe()}. "
            f"Complete it with {previous.command}; nothing was written."
        )
    if resume and record.source is not None:
        _check_source(target, raw, record.source)


def _check_source(target: str, raw: bytes | None, source: Mapping[str, Any]) -> None:
    """Refuse a source that is not the one the interrupted run (its raw record) read."""
    try:
        previous = WriteRecord.from_bytes(raw or b"")
    except ValueError:
        return
    if previous.source is not None and dict(previous.source) != dict(source):
        raise WriteLockError(
            f"{target}: --resume expects the source of the interrupted run "
            f"({show_fingerprint(previous.source)}); got another ({show_fingerprint(source)}). "
            "Nothing was written."
        )


def write_record_issue(handle: StoreHandle) -> Issue | None:
    """Report the write a store's record names: in progress, or interrupted part way.

    Parameters
    ----------
    handle
        The store, open for reading.

    Returns
    -------
    Issue or None
        An error (:data:`INTERRUPTED_WRITE_RULE`) naming the partial arrays, and the command
        that completes an interrupted write; ``None`` when the store holds no write record.
    """
    record = WriteRecord.read(handle)
    if record is None:
        return None
    key = object_key(handle, LOCK_KEY) if record.lease is not None else None
    found = key.read() if key is not None else None
    root = _local_root(handle)
    age = found.age if found is not None else None
    running = record.alive(age) or (root is not None and _held_elsewhere(root / LOCK_KEY))
    partial = f" Partial: {', '.join(repr(p) for p in record.partial)}." if record.partial else ""
    if running:
        message = (
            f"A write is in progress: {record.describe()}; the store is incomplete until "
            f"it ends.{partial}"
        )
    else:
        message = (
            f"A write was interrupted part way: {record.describe()}; the store is "
            f"incomplete.{partial} Complete it with {record.command}."
        )
    return Issue.error(INTERRUPTED_WRITE_RULE, "", "", message)


def interrupted_write_issues(
    target: str | os.PathLike[str], storage_options: dict[str, Any] | None = None
) -> list[Issue]:
    """Report a write in progress, or interrupted, in a store (deprecated).

    .. deprecated::
       Use :func:`ngff_geozarr.core.validation.interruption_issues`, which reports an
       interrupted in-place conversion as well; this reports :func:`write_record_issue` only.
    """
    warnings.warn(
        "interrupted_write_issues is deprecated; use "
        "ngff_geozarr.core.validation.interruption_issues",
        DeprecationWarning,
        stacklevel=2,
    )
    found = read_target(target, storage_options, write_record_issue)
    return [] if found is None else [found]
