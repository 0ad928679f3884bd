"""One remote policy for every request to a remote store: timeouts, bounded retries, a count.

Every request an ``http(s)://`` or ``s3://`` store makes, read or write, goes through
:func:`retrying`:

- each request has a connect and a read timeout (:attr:`RemotePolicy.timeout`, set on the
  HTTP client and on botocore), so a server that accepts a connection and never answers
  ends the request instead of hanging the run;
- a request that fails in a way that may heal (a 5xx or 429 answer, a reset or refused
  connection, a body shorter than its ``Content-Length``, a timeout: :func:`is_transient`)
  is tried again up to :attr:`RemotePolicy.retries` times, after an exponential backoff with
  jitter, or after the wait the answer's ``Retry-After`` asks for when it is longer (up to
  :data:`RETRY_AFTER_LIMIT`); "not found" and "forbidden" answers are final at once;
- a request that still fails raises :class:`RemoteFaultError`, which readers turn into a
  ``zarr.store.unreadable`` issue (the run's verdict is then "incomplete"), never into
  "absent";
- a request the store refuses (HTTP 401 or 403, S3 ``AccessDenied``: :func:`refusal`) is
  not retried; the store handle raises :class:`AccessRefusedError`, which readers turn into
  the same issue (:func:`unreadable_issue`, naming the key and the status): a refused key may
  well exist, so it is never reported "missing" either.

The policy comes from :func:`set_remote_policy` (the command line's ``--timeout`` and
``--retries``), else from the environment variables ``NGFF_GEOZARR_TIMEOUT`` (seconds) and
``NGFF_GEOZARR_RETRIES``, else the defaults. Within :func:`watching`, the retries and the
failures of every store opened in the block are counted in one :class:`FaultLog`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime
import email.utils
import math
import os
import random
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ngff_geozarr.core.errors import NgffGeozarrError, StoreAccessError, causes
from ngff_geozarr.core.report import UNREADABLE_NODE_RULE, Issue

__all__ = [
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "RETRIES_VARIABLE",
    "RETRY_AFTER_LIMIT",
    "TIMEOUT_VARIABLE",
    "AccessRefusedError",
    "FaultLog",
    "PolicyError",
    "RemoteFaultError",
    "RemotePolicy",
    "current_log",
    "describe",
    "is_transient",
    "refusal",
    "remote_policy",
    "retry_after",
    "retrying",
    "set_remote_policy",
    "unreadable_issue",
    "watching",
]

_T = TypeVar("_T")

DEFAULT_TIMEOUT = 30.0
"""Seconds a request may wait to connect, and between two reads of its answer."""
DEFAULT_RETRIES = 3
"""How many times a request that failed transiently is tried again."""
TIMEOUT_VARIABLE = "NGFF_GEOZARR_TIMEOUT"
"""Environment variable giving the timeout in seconds."""
RETRIES_VARIABLE = "NGFF_GEOZARR_RETRIES"
"""Environment variable giving the number of retries."""


class PolicyError(NgffGeozarrError, ValueError):
    """A timeout or a number of retries that is not usable (not a number, out of range)."""


class RemoteFaultError(StoreAccessError):
    """A remote request still failed after the policy's retries (or failed on a timeout).

    Parameters
    ----------
    key
        The store key the request was for.
    cause
        What the last attempt met, one phrase.
    attempts
        How many attempts were made.
    """

    def __init__(self, key: str, cause: str, attempts: int) -> None:
        super().__init__(f"{key!r} could not be read: {cause} (after {attempts} attempt(s))")
        self.key = key
        self.cause = cause
        self.attempts = attempts


class AccessRefusedError(StoreAccessError):
    """A remote store refused a request (HTTP 401 or 403): final, never retried.

    It says nothing of whether the key exists (an object store without the right to list
    answers 403 for a key that is absent as for one that is not readable).

    Parameters
    ----------
    key
        The store key the request was for.
    cause
        The answer, one phrase (``"HTTP 403"``).
    """

    def __init__(self, key: str, cause: str) -> None:
        super().__init__(f"{key!r} was refused: {cause}")
        self.key = key
        self.cause = cause


@dataclass(frozen=True, slots=True)
class RemotePolicy:
    """Timeouts and retries of remote requests.

    Parameters
    ----------
    timeout
        Seconds a request may wait to connect, and between two reads of its answer (> 0).
    retries
        How many times a transiently failed request is tried again (>= 0).
    backoff
        Seconds before the first retry; doubled for each further one.
    max_backoff
        The longest wait between two attempts.

    Raises
    ------
    PolicyError
        When a value is out of range.

    Examples
    --------
    >>> RemotePolicy(timeout=5, retries=2).retries
    2
    >>> 0.05 <= RemotePolicy(backoff=0.1).delay(0) <= 0.1
    True
    """

    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    backoff: float = 0.2
    max_backoff: float = 5.0

    def __post_init__(self) -> None:
        if not (isinstance(self.timeout, int | float) and 0 < self.timeout < math.inf):
            raise PolicyError(f"Expected a timeout in seconds above 0. Got {self.timeout!r}.")
        if isinstance(self.retries, bool) or not isinstance(self.retries, int):
            raise PolicyError(f"Expected a whole number of retries. Got {self.retries!r}.")
        if not 0 <= self.retries <= 100:
            raise PolicyError(f"Expected 0 to 100 retries. Got {self.retries}.")

    def delay(self, attempt: int) -> float:
        """Return the wait before retry ``attempt + 1``: exponential, with jitter.

        Parameters
        ----------
        attempt
            How many retries were made before this one.

        Returns
        -------
        float
            Seconds, between half and all of ``backoff * 2**attempt`` (capped at
            ``max_backoff``), so that clients failing together do not retry together.
        """
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** min(attempt, 30))
        return ceiling * random.uniform(0.5, 1.0)  # jitter, not secrecy

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> RemotePolicy:
        """Build the policy the environment variables ask for; defaults for the others.

        Parameters
        ----------
        environ
            The variables; ``os.environ`` when omitted.

        Returns
        -------
        RemotePolicy
            The policy.

        Raises
        ------
        PolicyError
            When a variable is set to something that is not a usable value.
        """
        env = os.environ if environ is None else environ
        timeout, retries = DEFAULT_TIMEOUT, DEFAULT_RETRIES
        raw_timeout = env.get(TIMEOUT_VARIABLE, "").strip()
        raw_retries = env.get(RETRIES_VARIABLE, "").strip()
        try:
            timeout = float(raw_timeout) if raw_timeout else timeout
            retries = int(raw_retries) if raw_retries else retries
            return cls(timeout=timeout, retries=retries)
        except (ValueError, PolicyError) as exc:
            raise PolicyError(
                f"{TIMEOUT_VARIABLE}={raw_timeout!r}, {RETRIES_VARIABLE}={raw_retries!r}: "
                f"expected seconds above 0 and 0 to 100 retries ({exc})."
            ) from None


_POLICY: RemotePolicy | None = None


def set_remote_policy(policy: RemotePolicy | None) -> None:
    """Set the policy of the stores opened from now on in this process.

    Parameters
    ----------
    policy
        The policy; ``None`` to go back to the environment's.
    """
    global _POLICY
    _POLICY = policy


def remote_policy() -> RemotePolicy:
    """Return the policy a store opened now uses.

    Returns
    -------
    RemotePolicy
        The one set with :func:`set_remote_policy`, else the environment's.

    Raises
    ------
    PolicyError
        When the environment variables are not usable.
    """
    return _POLICY if _POLICY is not None else RemotePolicy.from_environment()


@dataclass
class FaultLog:
    """What the remote requests of one run met: retries made, and requests given up.

    Parameters
    ----------
    retries
        How many requests were tried again.
    failures
        ``(key, cause)`` of every request given up after its retries.
    refusals
        ``(key, cause)`` of the refused requests a reader went on without (a chunk, a
        listing: see :func:`~ngff_geozarr.core.store.retry_store.note_refused`).
    """

    retries: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    refusals: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def retried(self) -> None:
        """Count one retry."""
        with self._lock:
            self.retries += 1

    def failed(self, key: str, cause: str, *, refused: bool = False) -> None:
        """Record a request given up after its retries, or refused and gone on without.

        Parameters
        ----------
        key
            The store key.
        cause
            What the last attempt met; for a refusal, the answer (``"HTTP 403"``).
        refused
            Whether the store refused it (then it is kept in :attr:`refusals`).
        """
        with self._lock:
            (self.refusals if refused else self.failures).append((key, cause))


_PROCESS_LOG = FaultLog()
_LOG: contextvars.ContextVar[FaultLog | None] = contextvars.ContextVar(
    "ngff_geozarr_fault_log", default=None
)


def current_log() -> FaultLog:
    """Return the log that stores opened now record into.

    Returns
    -------
    FaultLog
        The innermost :func:`watching` block's, else one for the whole process.
    """
    return _LOG.get() or _PROCESS_LOG


@contextlib.contextmanager
def watching() -> Iterator[FaultLog]:
    """Count the retries and failures of the stores opened within a ``with`` block.

    Yields
    ------
    FaultLog
        A fresh log, filled in by every remote store opened in the block.
    """
    log = FaultLog()
    token = _LOG.set(log)
    try:
        yield log
    finally:
        _LOG.reset(token)


def _status(exc: BaseException) -> int | None:
    """Return the HTTP status an exception carries (aiohttp, botocore), if any."""
    status = getattr(exc, "status", None)
    if isinstance(status, int) and not isinstance(status, bool):
        return status
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if isinstance(code, int):
            return code
    return None


def _transient_classes() -> tuple[type[BaseException], ...]:
    classes: list[type[BaseException]] = [TimeoutError, ConnectionError]
    with contextlib.suppress(ImportError):
        import aiohttp

        classes += [aiohttp.ClientConnectionError, aiohttp.ClientPayloadError]
    with contextlib.suppress(ImportError):
        import botocore.exceptions

        classes += [botocore.exceptions.HTTPClientError]
    return tuple(classes)


_FINAL = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


def is_transient(exc: BaseException) -> bool:
    """Tell whether a failed request may succeed when tried again.

    Transient: a timeout, a reset, refused or dropped connection, a body cut short, an
    answer with status 429 or 5xx. Final: "not found", "forbidden" (any 4xx but 429), and
    anything else. The chain of causes is followed.

    Parameters
    ----------
    exc
        What the request raised.

    Returns
    -------
    bool
        Whether a retry is worth it.

    Examples
    --------
    >>> is_transient(ConnectionResetError()), is_transient(FileNotFoundError("x"))
    (True, False)
    """
    transient = _transient_classes()
    for current in causes(exc):
        if isinstance(current, (RemoteFaultError, *_FINAL)):
            return False
        status = _status(current)
        if status is not None:
            return status == 429 or 500 <= status < 600
        if isinstance(current, transient):
            return True
    return False


_REFUSED = (401, 403)


def refusal(exc: BaseException) -> str | None:
    """Tell whether a failed request was refused by the store, and how.

    Refused: an answer with status 401 (unauthorised) or 403 (forbidden), as aiohttp and
    botocore errors carry it (s3fs raises ``PermissionError`` from botocore's
    ``AccessDenied``); the chain of causes is followed.

    Parameters
    ----------
    exc
        What the request raised; a refusal wrapped by a store or a thread is found too.

    Returns
    -------
    str or None
        ``"HTTP 403"`` or ``"HTTP 401"``; ``None`` when the request was not refused.

    Examples
    --------
    >>> class Forbidden(Exception):
    ...     status = 403
    >>> refusal(Forbidden()), refusal(FileNotFoundError("x"))
    ('HTTP 403', None)
    """
    for current in causes(exc):
        status = _status(current)
        if status in _REFUSED:
            return f"HTTP {status}"
    return None


def describe(exc: BaseException) -> str:
    """Name what a failed request met, in one phrase (status, error kind, message).

    Parameters
    ----------
    exc
        What the request raised on its last attempt.

    Returns
    -------
    str
        For example ``"HTTP 500"`` or ``"ConnectionResetError: ..."``.
    """
    status = _status(exc)
    if status is not None:
        return f"HTTP {status}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


RETRY_AFTER_LIMIT = 60.0
"""The longest wait (seconds) a server's ``Retry-After`` header is honoured with."""


def retry_after(exc: BaseException) -> float | None:
    """Return the wait a failed request's answer asked for (``Retry-After``), if it did.

    RFC 9110, section 10.2.3: the header holds a number of seconds or an HTTP date. aiohttp
    errors carry the answer's headers; botocore's carry them in their response.

    Parameters
    ----------
    exc
        What the request raised (the chain of causes is followed).

    Returns
    -------
    float or None
        Seconds to wait (0 for a date already past), or ``None`` when no answer asked.

    Examples
    --------
    >>> class Answer(Exception):
    ...     headers = {"Retry-After": "3"}
    >>> retry_after(Answer()), retry_after(ValueError())
    (3.0, None)
    """
    for current in causes(exc):
        value: Any = None
        headers = getattr(current, "headers", None)
        if headers is not None and hasattr(headers, "get"):
            value = headers.get("Retry-After")
        response = getattr(current, "response", None)
        if value is None and isinstance(response, dict):
            value = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("retry-after")
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if text.isdigit():
                return float(text)
            try:
                when = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=datetime.UTC)
            now = datetime.datetime.now(datetime.UTC)
            return max(0.0, (when - now).total_seconds())
    return None


async def retrying(
    key: str,
    attempt: Callable[[], Awaitable[_T]],
    policy: RemotePolicy,
    log: FaultLog,
) -> _T:
    """Run one request under the policy: retried while it fails transiently.

    Parameters
    ----------
    key
        The store key it is for (named in the failure).
    attempt
        Makes one attempt (called again for each retry).
    policy
        How many retries, and the backoff.
    log
        Where retries and failures are counted.

    Returns
    -------
    object
        What the first successful attempt returned.

    Raises
    ------
    RemoteFaultError
        When the last attempt still failed transiently.
    Exception
        A final failure (not found, forbidden, ...), as the attempt raised it.
    """
    made = 0
    while True:
        try:
            return await attempt()
        except Exception as exc:
            made += 1
            if not is_transient(exc):
                raise
            if made > policy.retries:
                log.failed(key, describe(exc))
                raise RemoteFaultError(key, describe(exc), made) from exc
            asked = retry_after(exc)
        log.retried()
        wait = policy.delay(made - 1)
        if asked is not None:  # the server said when: not sooner, and not beyond the limit
            wait = max(wait, min(asked, RETRY_AFTER_LIMIT))
        await asyncio.sleep(wait)


def unreadable_issue(path: str, cause: RemoteFaultError | AccessRefusedError | str) -> Issue:
    """Report a node that could not be read: ``zarr.store.unreadable``, with its cause.

    The node was not read: nothing is derived from its absence, and the verdict is
    incomplete. A refusal (:class:`AccessRefusedError`) is said as what it is, which says
    nothing of whether the node exists; any other cause failed after the retries.

    Parameters
    ----------
    path
        The node's path (``""`` for the root).
    cause
        The failure or the refusal (with its key and status), or a sentence naming it.

    Returns
    -------
    Issue
        The error; its report's verdict is "incomplete" (exit code 3).
    """
    if isinstance(cause, AccessRefusedError):
        message = (
            f"Not checked: the store refused to serve {cause.key!r} ({cause.cause}, access "
            "refused; the node may exist). The verdict is incomplete: give credentials or a "
            "target that grants read access (--storage-option) to complete it."
        )
    else:
        message = (
            f"Not checked: {cause}. The store failed the request after the retries "
            "(--retries, --timeout); the verdict is incomplete, run again to complete it."
        )
    return Issue.error(UNREADABLE_NODE_RULE, path, "", message)
