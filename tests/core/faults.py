"""A fault-injecting HTTP server: a folder served on 127.0.0.1, with per-path schedules of
the ways a remote store fails.

:class:`FaultServer` serves a folder as :func:`ngff_geozarr.core.testing.serve_directory`
does (threaded, ``Range`` requests honoured) and answers the GET and HEAD requests whose
path matches a scheduled fault with that fault instead:

- ``"500"``: an HTTP 500 answer (an empty body);
- ``"429"``: an HTTP 429 answer with a ``Retry-After`` header;
- ``"403"``: an HTTP 403 answer (a final failure: never worth retrying);
- ``"reset"``: the connection is reset (RST) once the request has been read;
- ``"truncate"``: the normal answer cut after half of its body (the connection then closes,
  the ``Content-Length`` promised more);
- ``"stall"``: the normal answer, with a pause of ``seconds`` after half of its body (a
  slow body: a client whose read timeout is shorter gives up);
- ``"hang"``: the request is read, then nothing is ever answered (until the server stops).

A schedule is :meth:`FaultServer.inject` ``(pattern, fault, times=N)``: the next ``N``
requests whose path matches the ``fnmatch`` pattern (relative to the folder) meet the fault,
the later ones are served normally (a transient fault); ``times=None`` makes it persistent.
Faults injected for the same path are met in the order they were scheduled. Patterns are
``fnmatch``'s: ``*`` crosses ``/``, and the listing of a directory is a request for its path
with a trailing ``/`` (``"img.zarr/0/c/*"`` matches the chunks and the listings below).
Every request and every fault injected is recorded, so that a test can check that a fault
was met.

The pytest fixture ``fault_server`` (``tests/conftest.py``) runs one per test.
"""

from __future__ import annotations

import contextlib
import fnmatch
import http.server
import io
import shutil
import socket
import struct
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ngff_geozarr.core.testing import RequestLog, serve_directory

FaultKind = Literal["500", "429", "403", "reset", "truncate", "stall", "hang"]
FAULTS: tuple[FaultKind, ...] = ("500", "429", "403", "reset", "truncate", "stall", "hang")
TRANSIENT: tuple[FaultKind, ...] = ("500", "429", "reset", "truncate", "stall", "hang")
"""The faults a client should retry (a stall or a hang through its read timeout)."""

HANG_LIMIT = 120.0
"""The longest a hung request is held (a server that stops releases it at once)."""


@dataclass
class _Rule:
    pattern: str
    fault: FaultKind
    remaining: int | None
    seconds: float
    retry_after: int


class FaultServer:
    """A folder served over HTTP on 127.0.0.1 whose requests meet scheduled faults.

    Use :func:`serve_faults` to run one.

    Parameters
    ----------
    root
        The folder served.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base_url = ""
        self.log = RequestLog()
        self.requests: list[tuple[str, str]] = []
        """``(method, path)`` of every GET and HEAD received, paths relative to the folder."""
        self.injected: list[tuple[str, str, FaultKind]] = []
        """``(method, path, fault)`` of every fault met."""
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    # -- scheduling ------------------------------------------------------------------------

    def inject(
        self,
        pattern: str,
        fault: FaultKind,
        *,
        times: int | None = 1,
        seconds: float = 0.0,
        retry_after: int = 1,
    ) -> None:
        """Schedule a fault for the requests whose path matches ``pattern``.

        Parameters
        ----------
        pattern
            An ``fnmatch`` pattern of paths relative to the folder (``"img.zarr/0/zarr.json"``,
            ``"img.zarr/0/c/*"``).
        fault
            What the requests meet (see the module's docstring).
        times
            How many requests meet it; ``None``: every one (a persistent fault).
        seconds
            The pause of a ``"stall"``.
        retry_after
            The ``Retry-After`` header of a ``"429"``, in seconds.
        """
        assert fault in FAULTS, fault
        with self._lock:
            self._rules.append(_Rule(pattern, fault, times, seconds, retry_after))

    def clear(self) -> None:
        """Drop the schedule and forget the requests and faults recorded."""
        with self._lock:
            self._rules.clear()
            self.requests.clear()
            self.injected.clear()
            self.log.clear()

    def url(self, name: str) -> str:
        """Return the URL of an entry of the folder.

        Parameters
        ----------
        name
            Its path relative to the folder.

        Returns
        -------
        str
            ``http://127.0.0.1:PORT/name``.
        """
        return f"{self.base_url}/{name}"

    def put(self, store: Path, name: str | None = None) -> str:
        """Copy a directory store into the folder and return its URL.

        Parameters
        ----------
        store
            The store.
        name
            Its name in the folder; the store's own when omitted.

        Returns
        -------
        str
            Its URL.
        """
        name = name or store.name
        shutil.copytree(store, self.root / name)
        return self.url(name)

    def hits(self, pattern: str) -> int:
        """Count the GET and HEAD requests received for the paths matching ``pattern``.

        Parameters
        ----------
        pattern
            An ``fnmatch`` pattern, as for :meth:`inject`.

        Returns
        -------
        int
            How many.
        """
        with self._lock:
            return sum(fnmatch.fnmatchcase(path, pattern) for _, path in self.requests)

    def met(self, fault: FaultKind | None = None) -> list[str]:
        """Return the paths that met a fault (of one kind), in the order they met it.

        Parameters
        ----------
        fault
            The kind; every kind when omitted.

        Returns
        -------
        list of str
            The paths, once per fault met.
        """
        with self._lock:
            return [p for _, p, f in self.injected if fault is None or f == fault]

    # -- answering -------------------------------------------------------------------------

    def _take(self, method: str, path: str) -> _Rule | None:
        with self._lock:
            self.requests.append((method, path))
            for rule in self._rules:
                if rule.remaining != 0 and fnmatch.fnmatchcase(path, rule.pattern):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    self.injected.append((method, path, rule.fault))
                    return rule
        return None

    def intercept(
        self, handler: http.server.SimpleHTTPRequestHandler, answer: Callable[[], None]
    ) -> None:
        """Answer one request: with its scheduled fault, else normally.

        Parameters
        ----------
        handler
            The request's handler.
        answer
            Gives the server's normal answer.
        """
        path = urllib.parse.unquote(urllib.parse.urlsplit(handler.path).path).lstrip("/")
        rule = self._take(handler.command, path)
        if rule is None:
            answer()
            return
        handler.close_connection = True
        if rule.fault in ("500", "429", "403"):
            handler.send_response(int(rule.fault))
            if rule.fault == "429":
                handler.send_header("Retry-After", str(rule.retry_after))
            handler.send_header("Content-Length", "0")
            handler.send_header("Connection", "close")
            handler.end_headers()
        elif rule.fault == "reset":
            _reset(handler.connection)
        elif rule.fault == "hang":
            self._stopped.wait(HANG_LIMIT)
        else:
            head, body = _captured(handler, answer)
            cut = len(body) // 2
            with contextlib.suppress(OSError):  # the client may have given up already
                handler.wfile.write(head + body[:cut])
                handler.wfile.flush()
                if rule.fault == "stall":
                    self._stopped.wait(rule.seconds)
                    handler.wfile.write(body[cut:])

    def stop(self) -> None:
        """Release the requests held by hangs and stalls."""
        self._stopped.set()


def _reset(connection: socket.socket) -> None:
    """Close a connection with a reset (RST) instead of an orderly shutdown (FIN)."""
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()


def _captured(
    handler: http.server.SimpleHTTPRequestHandler, answer: Callable[[], None]
) -> tuple[bytes, bytes]:
    """Run the normal answer into memory; return its status line and headers, and its body."""
    wfile = handler.wfile
    buffer = io.BytesIO()
    handler.wfile = buffer
    try:
        answer()
        handler.flush_headers()
    finally:
        handler.wfile = wfile
    raw = buffer.getvalue()
    end = raw.find(b"\r\n\r\n")
    head_end = len(raw) if end < 0 else end + 4
    return raw[:head_end], raw[head_end:]


@contextlib.contextmanager
def serve_faults(root: Path) -> Iterator[FaultServer]:
    """Run a :class:`FaultServer` on a folder for the time of a ``with`` block.

    Parameters
    ----------
    root
        The folder served (created when missing).

    Yields
    ------
    FaultServer
        The server, its URL in ``base_url``.
    """
    root.mkdir(parents=True, exist_ok=True)
    server = FaultServer(root)
    try:
        with serve_directory(root, intercept=server.intercept) as (url, log):
            server.base_url = url
            server.log = log
            yield server
            server.stop()
    finally:
        server.stop()
