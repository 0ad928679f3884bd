"""The viewer's local HTTP server: one page, the scene as JSON, tiles, values, issues.

Endpoints (all ``GET``):

- ``/``: the page (:func:`~ngff_geozarr.core.viewer.page.render_page`), no external resource;
- ``/scene.json``: the scene (:meth:`~ngff_geozarr.core.viewer.scene.Scene.to_json`), with
  the display window of each channel and the tile size;
- ``/tile/{level}/{row}/{col}?channels=0,2&z=5&windows=0:900,10:4000,0:255``: a tile of
  the image, PNG; every non-spatial axis' index at level 0 is given by the axis' name (the
  middle when omitted); ``windows`` (optional) gives every channel's display window;
- ``/labels/{name}/{level}/{row}/{col}?z=5``: a tile of a label image, PNG;
- ``/value?x=..&y=..&z=5``: what is under a point given in pixels of level 0;
- ``/issues``: the validation report of the target once it is ready;
- ``/report``: the target's HTML report, each picture linked to its image in the viewer.

Every endpoint but ``/issues`` and ``/report`` takes ``image=PATH``: which image of the
target (:class:`~ngff_geozarr.core.viewer.catalogue.Catalogue`) it is about, the first when
omitted; the path of one of the image's arrays names the image too. The images' renderers
share one tile cache, so the memory bound holds whatever the number of images looked at.

It listens on 127.0.0.1 only. A request that names nothing of the scene gets 404 with a
one-line JSON message; a chunk that cannot be decoded gets 500, the server keeps running.
Every request's path is recorded (:attr:`Viewer.requests`, the latest
:data:`REQUEST_LOG` of them).
"""

from __future__ import annotations

import contextlib
import errno
import html
import json
import re
import sys
import threading
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.viewer.catalogue import Catalogue
from ngff_geozarr.core.viewer.page import render_page
from ngff_geozarr.core.viewer.scene import Scene
from ngff_geozarr.core.viewer.tiles import (
    DEFAULT_CACHE_BYTES,
    TILE,
    ByteCache,
    Renderer,
    TileError,
)

__all__ = ["HOST", "REQUEST_LOG", "Viewer", "link_figures"]

HOST = "127.0.0.1"
"""The only address the viewer listens on."""


class _Server(ThreadingHTTPServer):
    """The HTTP server, quiet about browsers that go away mid-answer.

    A browser drops the connections of tiles it no longer needs (a pan, a zoom, a closed
    tab); the standard server prints a traceback for each. A connection error is the
    client's doing and is ignored, as is a socket closed under its thread while the server
    stops (``EBADF``); anything else is one line on stderr, never a traceback.
    """

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return
        if isinstance(error, OSError) and error.errno == errno.EBADF:
            return
        sys.stderr.write(f"view: a request from {client_address[0]} failed: {error!r}\n")


REQUEST_LOG = 10_000
"""How many request paths :attr:`Viewer.requests` keeps."""


_FIGURE = re.compile(r'<figure data-image="([^"]*)">')
"""A picture of the report, with the path of the array it shows."""


def link_figures(report: str) -> str:
    """Give each picture of a report a link to its image in the viewer.

    Parameters
    ----------
    report
        The HTML report (:func:`~ngff_geozarr.core.html.render_html`).

    Returns
    -------
    str
        The report, each ``<figure data-image="PATH">`` starting with a link to
        ``./?image=PATH`` (the viewer serves the report at ``/report``).

    Examples
    --------
    >>> print(link_figures('<figure data-image="a b">'))
    <figure data-image="a b"><a class="view-link" href="./?image=a%20b">open in the viewer</a>
    """

    def link(found: re.Match[str]) -> str:
        target = html.escape(quote(html.unescape(found.group(1)), safe="/"))
        anchor = f'<a class="view-link" href="./?image={target}">open in the viewer</a>'
        return found.group(0) + anchor

    return _FIGURE.sub(link, report)


class Viewer:
    """A scene, or every image of a target, served over HTTP on 127.0.0.1.

    Parameters
    ----------
    scene
        The scene, or the catalogue of the target's images (the page gets a picker).
    validate
        Runs the validator on the target (in a background thread, for the issues panel);
        ``None``: no panel.
    port
        The port; 0 picks a free one.
    cache_bytes
        The bound of the tile cache, shared by every image.
    report
        Renders the target's HTML report (``/report``); ``None``: no report.

    Raises
    ------
    OSError
        When the port cannot be listened on.
    """

    def __init__(
        self,
        scene: Scene | Catalogue,
        *,
        validate: Callable[[], Report] | None = None,
        port: int = 0,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        report: Callable[[], str] | None = None,
    ) -> None:
        self.catalogue = scene if isinstance(scene, Catalogue) else Catalogue.of(scene)
        self.cache = ByteCache(cache_bytes)
        self._renderers: dict[str, Renderer] = {}
        self._scene_json: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.renderer = self._renderer(self.catalogue.default)
        self.scene = self.renderer.scene
        self.requests: deque[str] = deque(maxlen=REQUEST_LOG)
        self.issues: dict[str, Any] = {"status": "none" if validate is None else "pending"}
        self._validate = validate
        self._report = report
        self._report_page: bytes | None = None
        self._page = render_page(self.scene.title).encode("utf-8")
        self.httpd = _Server((HOST, port), _handler(self))
        self._thread: threading.Thread | None = None
        self._validation: threading.Thread | None = None

    @property
    def validating(self) -> bool:
        """Whether the issues panel's validation is still running in its thread."""
        return self._validation is not None and self._validation.is_alive()

    @property
    def url(self) -> str:
        """The page's address, ``http://127.0.0.1:PORT/``."""
        return f"http://{HOST}:{self.httpd.server_address[1]}/"

    def start(self) -> None:
        """Serve in a background thread (and start validating); return at once."""
        self.start_validation()
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in this thread until :meth:`close` is called from another or it is interrupted."""
        self.start_validation()
        self.httpd.serve_forever()

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
            self._thread = None
        self.httpd.server_close()
        self.catalogue.close()

    def __enter__(self) -> Viewer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start_validation(self) -> None:
        """Start validating the target in a background thread, once (the issues panel)."""
        validate = self._validate
        if validate is None or self.issues["status"] != "pending":
            return

        def run() -> None:
            try:
                report = validate()
            except Exception as exc:  # the panel says so; the viewer keeps working
                self.issues = {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}
                return
            self.issues = {"status": "done", "report": json.loads(report.to_json())}

        self.issues["status"] = "running"
        self._validation = threading.Thread(target=run, daemon=True)
        self._validation.start()

    # -- images --------------------------------------------------------------------------

    def _renderer(self, path: str) -> Renderer:
        """Return the renderer of an image of the catalogue, made on first use."""
        with self._lock:
            if path not in self._renderers:
                self._renderers[path] = Renderer(self.catalogue.scene(path), cache=self.cache)
            return self._renderers[path]

    def image(self, path: str | None) -> Renderer:
        """Return the renderer of the image a request names.

        Parameters
        ----------
        path
            An image's path, or the path of one of its arrays; ``None``: the first image.

        Returns
        -------
        Renderer
            The image's renderer.

        Raises
        ------
        TileError
            When no image of the target has the path.
        """
        found = self.catalogue.default if path is None else self.catalogue.resolve(path)
        if found is None:
            raise TileError(f"there is no image {path!r} in {self.scene.target}")
        return self._renderer(found)

    def _describe(self, renderer: Renderer) -> bytes:
        scene = renderer.scene
        if scene.path not in self._scene_json:
            self._scene_json[scene.path] = json.dumps(
                {
                    **scene.to_json(),
                    "windows": [list(w) for w in renderer.windows],
                    "tile": TILE,
                    "image": scene.path,
                    "images": self.catalogue.to_json(),
                    "report": self._report is not None,
                }
            ).encode("utf-8")
        return self._scene_json[scene.path]

    def _report_html(self) -> bytes:
        if self._report is None:
            raise TileError("this viewer has no report")
        if self._report_page is None:
            self._report_page = link_figures(self._report()).encode("utf-8")
        return self._report_page

    # -- answering -----------------------------------------------------------------------

    def answer(self, target: str) -> tuple[int, str, bytes]:
        """Answer one request.

        Parameters
        ----------
        target
            The request's path and query.

        Returns
        -------
        tuple
            Status code, content type and body.
        """
        self.requests.append(target)
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = [unquote(p) for p in parts.path.split("/") if p]
        try:
            if not path:
                return 200, "text/html; charset=utf-8", self._page
            if path == ["issues"]:
                return 200, "application/json", json.dumps(self.issues).encode("utf-8")
            if path == ["report"]:
                return 200, "text/html; charset=utf-8", self._report_html()
            renderer = self.image(query.get("image"))
            indices = _indices(renderer.scene, query)
            if path == ["scene.json"]:
                return 200, "application/json", self._describe(renderer)
            if path[0] == "tile" and len(path) == 4:
                level, row, col = (_int(p) for p in path[1:])
                png = renderer.tile(level, row, col, indices, _channels(query), _windows(query))
                return 200, "image/png", png
            if path[0] == "labels" and len(path) == 5:
                level, row, col = (_int(p) for p in path[2:])
                png = renderer.label_tile(path[1], level, row, col, indices)
                return 200, "image/png", png
            if path == ["value"]:
                x, y = _float(query.get("x")), _float(query.get("y"))
                found = renderer.value(x, y, indices)
                return 200, "application/json", json.dumps(found).encode("utf-8")
        except TileError as exc:
            return _error(404, str(exc))
        except (NgffGeozarrError, OSError, RuntimeError, ValueError) as exc:
            return _error(500, f"cannot read {target}: {exc}")
        return _error(404, f"there is nothing at {parts.path}")


def _indices(scene: Scene, query: dict[str, str]) -> dict[str, int]:
    """Return the index of each non-spatial, non-channel axis a query gives, by name."""
    shown = (*scene.spatial, scene.channel_axis)
    names = {a.name for i, a in enumerate(scene.axes) if i not in shown}
    return {k: _int(v) for k, v in query.items() if k in names}


def _int(text: str | None) -> int:
    try:
        return int(text or "")
    except ValueError:
        raise TileError(f"expected an integer. Got {text!r}.") from None


def _float(text: str | None) -> float:
    try:
        return float(text or "")
    except ValueError:
        raise TileError(f"expected a number. Got {text!r}.") from None


def _channels(query: dict[str, str]) -> list[int] | None:
    text = query.get("channels")
    if text is None:
        return None
    return [_int(v) for v in text.split(",") if v]


def _windows(query: dict[str, str]) -> list[tuple[float, float]] | None:
    text = query.get("windows")
    if text is None:
        return None
    found = []
    for item in text.split(","):
        low, sep, high = item.partition(":")
        if not sep:
            raise TileError(f"expected windows as LOW:HIGH,... Got {text!r}.")
        found.append((_float(low), _float(high)))
    return found


def _error(status: int, message: str) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps({"error": message}).encode("utf-8")


def _handler(viewer: Viewer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "ngff-geozarr-viewer"

        def do_GET(self) -> None:
            status, kind, body = viewer.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header(
                "Cache-Control", "no-store" if kind == "application/json" else "max-age=600"
            )
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)  # the page may have moved on

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the terminal quiet: requests are in :attr:`Viewer.requests`."""

    return Handler
