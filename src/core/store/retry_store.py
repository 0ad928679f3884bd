"""A remote store whose every request runs under the remote policy (uses zarr).

:func:`retrying_store` wraps an fsspec-backed store so that each of its requests (reads,
sizes, existence probes, listings, writes and deletes) is retried as
:func:`~ngff_geozarr.core.store.policy.retrying` says, and counted in the fault log that was
current when the store was opened. Chunk reads made by zarr itself go through it too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

from zarr.abc.store import ByteRequest, Store
from zarr.core.buffer import Buffer, BufferPrototype

from ngff_geozarr.core.store.cache import SeeThroughStore
from ngff_geozarr.core.store.policy import (
    FaultLog,
    RemotePolicy,
    current_log,
    remote_policy,
    retrying,
)

__all__ = ["guarded", "note_refused", "retrying_store"]

_T = TypeVar("_T")


class _RetryingStore(SeeThroughStore):
    """A store whose requests are retried under a policy and counted in a log."""

    def __init__(self, store: Store, policy: RemotePolicy, log: FaultLog) -> None:
        super().__init__(store)
        self.policy = policy
        self.log = log

    def _with_store(self, store: Store) -> _RetryingStore:
        return type(self)(store, self.policy, self.log)

    async def call(self, key: str, attempt: Callable[[], Awaitable[_T]]) -> _T:
        """Run one request for ``key`` under this store's policy.

        Parameters
        ----------
        key
            The key (or prefix) the request is for.
        attempt
            Makes one attempt.

        Returns
        -------
        object
            What the first successful attempt returned.
        """
        return await retrying(key, attempt, self.policy, self.log)

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        return await self.call(key, lambda: self._store.get(key, prototype, byte_range))

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        return [await self.get(key, prototype, byte_range) for key, byte_range in key_ranges]

    async def exists(self, key: str) -> bool:
        return await self.call(key, lambda: self._store.exists(key))

    async def getsize(self, key: str) -> int:
        return await self.call(key, lambda: self._store.getsize(key))

    async def set(self, key: str, value: Buffer) -> None:
        await self.call(key, lambda: self._store.set(key, value))

    async def set_if_not_exists(self, key: str, value: Buffer) -> None:
        await self.call(key, lambda: self._store.set_if_not_exists(key, value))

    async def delete(self, key: str) -> None:
        await self.call(key, lambda: self._store.delete(key))

    async def _listed(self, prefix: str, make: Callable[[], AsyncIterator[str]]) -> list[str]:
        async def collect() -> list[str]:
            return [name async for name in make()]

        return await self.call(prefix, collect)

    async def list(self) -> AsyncIterator[str]:
        for name in await self._listed("", self._store.list):
            yield name

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        for name in await self._listed(prefix, lambda: self._store.list_prefix(prefix)):
            yield name

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        for name in await self._listed(prefix, lambda: self._store.list_dir(prefix)):
            yield name


def retrying_store(store: Store) -> Store:
    """Wrap a remote store so that its requests follow the current remote policy.

    Parameters
    ----------
    store
        The fsspec-backed store.

    Returns
    -------
    zarr.abc.store.Store
        The store, wrapped; its retries and failures go to the fault log current now.
    """
    return _RetryingStore(store, remote_policy(), current_log())


async def guarded(store: Store, key: str, attempt: Callable[[], Awaitable[_T]]) -> _T:
    """Run a request made past a store's methods under the policy of its retrying wrapper.

    Parameters
    ----------
    store
        A store, possibly wrapped (by :func:`retrying_store` and others).
    key
        The key or prefix the request is for.
    attempt
        Makes one attempt.

    Returns
    -------
    object
        What the request returned; run once, as it is, when no wrapper retries for the store.
    """
    current: Any = store
    while current is not None:
        if isinstance(current, _RetryingStore):
            return await current.call(key, attempt)
        current = getattr(current, "wrapped", None)
    return await attempt()


def note_refused(store: Store, key: str, cause: str) -> None:
    """Record in the run's fault log that the store refused a request for ``key``.

    For a reader that goes on without what was refused (a chunk, a listing): the run then
    reports the node not read, as for a request given up after the retries. Nothing is
    recorded for a store that no retrying wrapper logs for.

    Parameters
    ----------
    store
        A store, possibly wrapped (by :func:`retrying_store` and others).
    key
        The key or prefix refused.
    cause
        The answer (``"HTTP 403"``).
    """
    current: Any = store
    while current is not None:
        if isinstance(current, _RetryingStore):
            current.log.failed(key, cause, refused=True)
            return
        current = getattr(current, "wrapped", None)
