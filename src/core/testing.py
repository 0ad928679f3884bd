"""Real servers for testing code that reads remote stores: HTTP here, S3 through moto.

:func:`serve_directory` runs a threaded :mod:`http.server` on 127.0.0.1 that serves a folder
the way object stores behind HTTP do: ``Range`` requests are honoured, and directory
listings can be refused (HTTP 403). It counts requests and can add latency to each, so
benchmarks can measure round trips. An ``intercept`` function sees every GET and HEAD
before it is answered and decides how it is answered (the tests' fault-injecting server
builds on it). :func:`moto_s3_server` starts moto's S3 server (the ``test`` extra) on a free
local port.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Intercept", "RequestLog", "free_port", "moto_s3_server", "serve_directory"]

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")

Intercept = Callable[[http.server.SimpleHTTPRequestHandler, Callable[[], None]], None]
"""Answers one GET or HEAD request: called with the request's handler and a function that
gives the server's normal answer (written to ``handler.wfile``), which it may call or not."""


@dataclass
class RequestLog:
    """What a test server received: one entry per request, ``(method, path, status)``."""

    entries: list[tuple[str, str, int]] = field(default_factory=list)
    max_in_flight: int = 0
    """The most requests the server was handling at one time."""
    bytes_sent: dict[str, int] = field(default_factory=dict)
    """Body bytes answered, by request path (from each response's Content-Length)."""
    _in_flight: int = field(default=0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextlib.contextmanager
    def handling(self) -> Iterator[None]:
        """Count one request as in flight for the duration of a ``with`` block.

        Yields
        ------
        None
            Nothing; the request is counted while the block runs.
        """
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def add(self, method: str, path: str, status: int) -> None:
        """Record one request.

        Parameters
        ----------
        method
            The HTTP method.
        path
            The request path.
        status
            The status code answered.
        """
        with self._lock:
            self.entries.append((method, path, status))

    @property
    def count(self) -> int:
        """How many requests were received."""
        with self._lock:
            return len(self.entries)

    def add_bytes(self, path: str, n: int) -> None:
        """Count ``n`` body bytes answered for ``path``.

        Parameters
        ----------
        path
            The request path.
        n
            The body's length.
        """
        with self._lock:
            self.bytes_sent[path] = self.bytes_sent.get(path, 0) + n

    def clear(self) -> None:
        """Forget the requests received so far."""
        with self._lock:
            self.entries.clear()
            self.bytes_sent.clear()
            self.max_in_flight = 0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now.

    Returns
    -------
    int
        The port number.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _handler(
    root: Path, listing: bool, latency: float, log: RequestLog, intercept: Intercept | None
) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # delayed ACKs hold every response back by ~40 ms.
        disable_nagle_algorithm = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

        def send_response(self, code: int, message: str | None = None) -> None:
            log.add(self.command, self.path, code)
            super().send_response(code, message)

        def send_header(self, keyword: str, value: str) -> None:
            if keyword.lower() == "content-length" and self.command == "GET":
                log.add_bytes(self.path, int(value))
            super().send_header(keyword, value)

        def do_GET(self) -> None:
            with log.handling():
                if intercept is None:
                    self._get()
                else:
                    intercept(self, self._get)

        def do_HEAD(self) -> None:
            if intercept is None:
                super().do_HEAD()
            else:
                intercept(self, super().do_HEAD)

        def _get(self) -> None:
            if latency:
                time.sleep(latency)
            local = Path(self.translate_path(self.path))
            if local.is_dir() and not listing:
                self.send_error(403, "listing refused")
                return
            if local.is_file() and "Range" in self.headers:
                self._send_range(local)
                return
            super().do_GET()

        def _send_range(self, local: Path) -> None:
            size = local.stat().st_size
            match = _RANGE.match(self.headers["Range"].strip())
            if match is None or (not match[1] and not match[2]):
                self.send_error(416, "bad range")
                return
            if match[1]:
                start = int(match[1])
                end = min(int(match[2]) if match[2] else size - 1, size - 1)
            else:  # suffix range: the last N bytes
                start, end = max(size - int(match[2]), 0), size - 1
            if start >= size and size > 0:
                self.send_error(416, "range not satisfiable")
                return
            with local.open("rb") as fh:
                fh.seek(start)
                body = fh.read(max(end - start + 1, 0))
            self.send_response(206)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Range", f"bytes {start}-{start + len(body) - 1}/{size}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


class _Server(http.server.ThreadingHTTPServer):
    # The default backlog (5) drops connections when a client opens hundreds at once.
    request_queue_size = 1024


@contextlib.contextmanager
def serve_directory(
    root: str | os.PathLike[str],
    *,
    listing: bool = True,
    latency: float = 0.0,
    intercept: Intercept | None = None,
) -> Iterator[tuple[str, RequestLog]]:
    """Serve a folder over HTTP on 127.0.0.1 for the duration of a ``with`` block.

    Parameters
    ----------
    root
        The folder to serve.
    listing
        Whether directory URLs answer with an HTML listing (as :mod:`http.server` does) or
        with 403 (as object stores behind HTTP do).
    latency
        Seconds to wait before answering each GET, to simulate a remote server.
    intercept
        Answers every GET and HEAD in place of the server (see :data:`Intercept`); the
        server's normal answer when omitted.

    Yields
    ------
    tuple of (str, RequestLog)
        The base URL (``http://127.0.0.1:PORT``) and the log of requests received.
    """
    log = RequestLog()
    server = _Server(("127.0.0.1", 0), _handler(Path(root), listing, latency, log, intercept))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def moto_s3_server() -> Iterator[str]:
    """Run moto's S3 server on a free port of 127.0.0.1 (needs the ``test`` extra).

    Yields
    ------
    str
        The endpoint URL, for ``endpoint_url`` storage options.
    """
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
