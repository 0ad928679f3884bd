"""A write record held on S3 by conditional requests, and renewed as a lease (uses s3fs).

An object store has no lock that its holder's death releases, as ``flock`` does on a local
directory. What S3 offers instead is the conditional write: a PUT with ``If-None-Match: *``
creates a key only when it does not exist, and a PUT or DELETE with ``If-Match: ETAG`` changes
it only when it is still the version that ETag names. :func:`object_key` finds the key of a
store's write record on S3; :class:`ObjectKey` does those requests on it, and :class:`Lease`
keeps a writer's record alive:

- **taking the store** is creating the record (one writer wins when several start at once);
  a stale record (its writer killed) is replaced conditionally on the ETag it was read with,
  so that of two writers taking it over only one wins;
- **liveness across hosts** is the lease: while it writes, the writer rewrites its record
  every :data:`LEASE_SECONDS` / 4 from a daemon thread, conditionally on the ETag it last
  wrote. A reader judges the record by its ``LastModified`` against the ``Date`` of the same
  answer: both are the store's clock, so the clocks of writers and readers never have to
  agree. The record carries its writer's lease length; it is stale after
  :data:`~ngff_geozarr.core.store.writerecord.STALE_LEASES` leases without a renewal
  (which leaves room for a renewal delayed by a slow network or a busy process);
- **a writer taken over** (its record replaced or removed by another, once its lease ran
  out unseen: a process paused for longer than that) finds out at its next renewal, or at
  its next change of the record or its release, whichever comes first:
  :meth:`Lease.check` then raises :class:`~ngff_geozarr.core.errors.WriteLockError`.

Other stores (other fsspec file systems, which cannot write conditionally) are not served
here: :func:`object_key` answers ``None`` and the caller keeps its plain writes.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ngff_geozarr.core.errors import StoreAccessError, WriteLockError
from ngff_geozarr.core.store.cache import unwrapped
from ngff_geozarr.core.store.handle import StoreHandle
from ngff_geozarr.core.store.writerecord import STALE_LEASES

__all__ = ["LEASE_SECONDS", "Found", "Lease", "ObjectKey", "object_key"]

LEASE_SECONDS = 60.0
"""How long a writer's record on S3 stays alive without a renewal, in seconds (it is renewed
every quarter of that; readers take it for stale after
:data:`~ngff_geozarr.core.store.writerecord.STALE_LEASES` of them). Read when a write starts
and recorded in its record: tests may lower it."""

_LOST = ("PreconditionFailed", "NoSuchKey", "404", "412")
_TAKEN = (
    "another writer replaced or removed its record (its lease ran out while this write was "
    "held up, and the store was taken over)"
)


@dataclass(frozen=True)
class Found:
    """A record as read from the store.

    Parameters
    ----------
    raw
        Its bytes.
    etag
        The ETag of the version read.
    age
        Seconds since it was last written, by the store's clock (its ``LastModified``
        against the ``Date`` of the answer); ``None`` when the store did not say.
    """

    raw: bytes
    etag: str
    age: float | None


def object_key(handle: StoreHandle, key: str) -> ObjectKey | None:
    """Find a key of a store on S3, to read and write it conditionally.

    Parameters
    ----------
    handle
        The store.
    key
        The key, from the store's root.

    Returns
    -------
    ObjectKey or None
        The key; ``None`` for a store not on S3 (local, zip, memory, other file systems).
    """
    if handle.kind != "s3":
        return None
    store = unwrapped(handle.store)
    fs, root = getattr(store, "fs", None), getattr(store, "path", None)
    try:
        import s3fs
    except ImportError:  # pragma: no cover - an s3 store needs it
        return None
    if not isinstance(fs, s3fs.S3FileSystem) or not isinstance(root, str):
        return None
    return ObjectKey(handle, fs, f"{root.rstrip('/')}/{key}")


def _code(exc: BaseException) -> str:
    """Return the S3 error code behind an s3fs error (``PreconditionFailed``), or ``""``."""
    response = getattr(exc.__cause__, "response", None)
    error = response.get("Error", {}) if isinstance(response, Mapping) else {}
    return str(error.get("Code", ""))


def _not_ours(exc: BaseException) -> bool:
    """Whether a conditional request failed because the key is no longer the version named."""
    return isinstance(exc, FileNotFoundError) or _code(exc) in _LOST


@dataclass(frozen=True)
class ObjectKey:
    """One key of a store on S3, read with its ETag and written conditionally.

    Build one with :func:`object_key`.

    Parameters
    ----------
    handle
        The store (whose event loop runs the requests).
    fs
        The store's ``s3fs.S3FileSystem``.
    path
        The key's full path, ``bucket/prefix/key``.
    """

    handle: StoreHandle
    fs: Any
    path: str

    @property
    def url(self) -> str:
        """The key as a URL (``s3://bucket/prefix/key``)."""
        return f"s3://{self.path}"

    def _fail(self, doing: str, exc: BaseException) -> StoreAccessError:
        return StoreAccessError(f"Could not {doing} {self.url}: {exc}")

    def read(self) -> Found | None:
        """Read the key with its ETag and age.

        Returns
        -------
        Found or None
            What it holds; ``None`` when it does not exist.

        Raises
        ------
        StoreAccessError
            When the store fails the request.
        """
        bucket, key, _ = self.fs.split_path(self.path)

        async def get() -> tuple[bytes, Mapping[str, Any]]:
            answer = await self.fs._call_s3("get_object", Bucket=bucket, Key=key)
            async with answer["Body"] as body:
                return await body.read(), answer

        try:
            raw, answer = self.handle.run(get())
        except FileNotFoundError:
            return None
        except Exception as exc:
            raise self._fail("read", exc) from exc
        headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        modified, date = answer.get("LastModified"), headers.get("date")
        age = None
        if modified is not None:
            now = email.utils.parsedate_to_datetime(date).timestamp() if date else time.time()
            age = max(0.0, now - modified.timestamp())
        return Found(raw, str(answer["ETag"]), age)

    def create(self, raw: bytes) -> str | None:
        """Create the key, only if it does not exist (``If-None-Match: *``).

        Parameters
        ----------
        raw
            Its value.

        Returns
        -------
        str or None
            The ETag written; ``None`` when the key exists.

        Raises
        ------
        StoreAccessError
            When the store fails the request.
        """
        try:
            answer = self.handle.run(self.fs._pipe_file(self.path, raw, mode="create"))
        except FileExistsError:
            return None
        except Exception as exc:
            raise self._fail("create", exc) from exc
        return str(answer["ETag"])

    def replace(self, raw: bytes, etag: str) -> str | None:
        """Rewrite the key, only if it is still the version ``etag`` names (``If-Match``).

        Parameters
        ----------
        raw
            Its new value.
        etag
            The version expected.

        Returns
        -------
        str or None
            The new ETag; ``None`` when the key is another version, or gone.

        Raises
        ------
        StoreAccessError
            When the store fails the request otherwise.
        """
        try:
            answer = self.handle.run(self.fs._pipe_file(self.path, raw, IfMatch=etag))
        except Exception as exc:
            if _not_ours(exc):
                return None
            raise self._fail("write", exc) from exc
        return str(answer["ETag"])

    def delete(self, etag: str) -> bool:
        """Delete the key, only if it is still the version ``etag`` names.

        A store that refuses a conditional delete has the key read and compared first
        (which leaves a moment between the two requests).

        Parameters
        ----------
        etag
            The version expected.

        Returns
        -------
        bool
            Whether it was deleted; ``False`` when it is another version, or gone.

        Raises
        ------
        StoreAccessError
            When the store fails the request otherwise.
        """
        bucket, key, _ = self.fs.split_path(self.path)
        call = self.fs._call_s3
        try:
            self.handle.run(call("delete_object", Bucket=bucket, Key=key, IfMatch=etag))
        except Exception as exc:
            if _not_ours(exc):
                return False
            found = self.read()  # a store without conditional deletes
            if found is None or found.etag != etag:
                return False
            try:
                self.handle.run(call("delete_object", Bucket=bucket, Key=key))
            except Exception as again:
                raise self._fail("delete", again) from again
        return True


@dataclass(eq=False)
class Lease:
    """A writer's record on S3, renewed from a daemon thread while the writer holds it.

    Parameters
    ----------
    key
        Where the record is.
    raw
        The record as written.
    etag
        The ETag written.
    seconds
        The lease length (:data:`LEASE_SECONDS` when the write started).
    """

    key: ObjectKey
    raw: bytes
    etag: str
    seconds: float
    lost: str | None = field(default=None, init=False)
    """Why the record is no longer this writer's (``None`` while it is)."""
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _renewed: float = field(default_factory=time.monotonic, repr=False)

    def start(self) -> None:
        """Start renewing the record every quarter of the lease."""
        self._thread = threading.Thread(
            target=self._renew_loop, name=f"lease {self.key.url}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing (and wait for a renewal under way)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.seconds / 4):
            with self._guard:
                if self.lost is not None or self._stop.is_set():
                    return
                try:
                    etag = self.key.replace(self.raw, self.etag)
                except StoreAccessError:
                    if time.monotonic() - self._renewed > STALE_LEASES * self.seconds:
                        self.lost = (
                            "its lease could not be renewed in time (the store did not answer), "
                            "so another writer may have taken the store over"
                        )
                        return
                    continue  # try again at the next turn
                if etag is None:
                    self.lost = _TAKEN
                    return
                self.etag, self._renewed = etag, time.monotonic()

    def check(self) -> None:
        """Raise when the record is no longer this writer's.

        Raises
        ------
        WriteLockError
            When another writer took the store over.
        """
        if self.lost is not None:
            raise WriteLockError(
                f"{self.key.handle.target}: this write lost its hold on the store: "
                f"{self.lost}. It stopped; the store is not known to be complete."
            )

    def put(self, raw: bytes | None) -> None:
        """Rewrite the record (``None``: remove it), if it is still this writer's.

        Parameters
        ----------
        raw
            The new record.

        Raises
        ------
        WriteLockError
            When another writer took the store over (nothing is written then).
        """
        with self._guard:
            self.check()
            if raw is None:
                done = self.key.delete(self.etag)
                etag = self.etag
            else:
                new = self.key.replace(raw, self.etag)
                done, etag = new is not None, new or self.etag
            if not done:
                self.lost = _TAKEN
                self.check()
            self.etag = etag
            if raw is not None:
                self.raw = raw
