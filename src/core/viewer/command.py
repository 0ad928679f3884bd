"""The ``view`` command both CLIs have: ``ngff view TARGET``, ``geozarr view TARGET``.

:func:`add_view_command` adds it to a convention's group, given how the convention opens a
target as a :class:`~ngff_geozarr.core.viewer.scene.Scene` or as the
:class:`~ngff_geozarr.core.viewer.catalogue.Catalogue` of its images. The command opens the
target (one error line and exit code 2 when it cannot, or when ``--image`` names no image
of it), serves it on 127.0.0.1 with its report at ``/report``
(:class:`~ngff_geozarr.core.viewer.server.Viewer`), prints the page's address, opens it in
the browser unless ``--no-browser``, and stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sys
import webbrowser
from types import FrameType
from urllib.parse import quote

import click

from ngff_geozarr.core.cli import fail, parse_storage_options, storage_option, strict_option
from ngff_geozarr.core.convention import Convention
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.viewer.catalogue import Catalogue, OpenCatalogue
from ngff_geozarr.core.viewer.scene import OpenScene
from ngff_geozarr.core.viewer.server import HOST, Viewer
from ngff_geozarr.core.viewer.tiles import DEFAULT_CACHE_BYTES

__all__ = ["add_view_command", "make_view_command"]


class _Stop(BaseException):
    """Raised by the SIGTERM handler to leave the serving loop.

    A ``BaseException``, like ``KeyboardInterrupt``: the server's loop reports an ``Exception``
    raised while it hands a request over and goes on serving, which would ignore the signal.
    """


def make_view_command(
    convention: Convention, open_scene: OpenScene | OpenCatalogue
) -> click.Command:
    """Build the ``view`` command of a convention's CLI.

    Parameters
    ----------
    convention
        The convention: its command name (error lines) and validator (issues panel).
    open_scene
        Opens a target as a scene, or as the catalogue of its images:
        ``(target, storage_options) -> Scene | Catalogue``.

    Returns
    -------
    click.Command
        ``view TARGET [--image PATH] [--port N] [--no-browser] [--cache-mib N] [--strict]
        [--storage-option KEY=VALUE ...]``.
    """

    @click.command(
        name="view",
        help=f"Look at the {convention.title} image in TARGET in the browser: a local server "
        f"on {HOST} renders tiles from its chunks (pan, zoom, sliders for the other axes, "
        "channels, labels, the value under the cursor) and lists its validation issues. "
        "A store of several images (a plate, a collection, several variables) gets a picker. "
        "The page needs no network. Stop with Ctrl-C.",
    )
    @click.argument("target")
    @click.option(
        "--image",
        "image",
        metavar="PATH",
        default=None,
        help="Show this image first: its node path in the store (or one of its arrays').",
    )
    @click.option(
        "--port",
        type=click.IntRange(0, 65535),
        default=0,
        show_default=True,
        help="The port to listen on (0: a free one).",
    )
    @click.option("--no-browser", is_flag=True, help="Print the address only; open no browser.")
    @click.option(
        "--cache-mib",
        type=click.IntRange(min=1),
        default=DEFAULT_CACHE_BYTES // 2**20,
        show_default=True,
        help="The most memory rendered tiles are kept in, in MiB.",
    )
    @strict_option
    @storage_option
    def view(
        target: str,
        image: str | None,
        port: int,
        no_browser: bool,
        cache_mib: int,
        strict: bool,
        storage_options: tuple[str, ...],
    ) -> None:
        options = parse_storage_options(storage_options)
        opened = open_scene(target, options)
        catalogue = opened if isinstance(opened, Catalogue) else Catalogue.of(opened)
        chosen = catalogue.resolve(image) if image is not None else catalogue.default
        if chosen is None:
            catalogue.close()
            fail(convention.command, f"{target}: there is no image {image!r} to show.")

        def validate() -> Report:
            return convention.validate(target, strict=strict, storage_options=options)

        def report() -> str:
            return convention.build_report(target, strict=strict, storage_options=options)[0]

        try:
            viewer = Viewer(
                catalogue,
                validate=validate,
                port=port,
                cache_bytes=cache_mib * 2**20,
                report=report,
            )
        except OSError as exc:
            catalogue.close()
            fail(convention.command, f"cannot listen on {HOST}:{port}: {exc.strerror or exc}.")
        url = viewer.url if image is None else f"{viewer.url}?image={quote(chosen)}"
        # started before the address is shown: a Ctrl-C that follows it never lands in
        # the middle of starting a thread
        viewer.start_validation()

        def stop(signum: int, frame: FrameType | None) -> None:
            raise _Stop

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            click.echo(f"Serving {target} at {url} (Ctrl-C to stop)")
            sys.stdout.flush()
            if not no_browser:
                webbrowser.open(url)
            viewer.serve_forever()
        except (KeyboardInterrupt, _Stop):
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            viewer.close()
        click.echo("stopped")
        if viewer.validating:
            # The issues panel's validation is still reading the store in its thread; the
            # interpreter's teardown would cut its pending reads off mid-call and print
            # warnings about them. Nothing is written by a viewer: end the process here.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)

    return view


def add_view_command(
    cli: click.Group, convention: Convention, open_scene: OpenScene | OpenCatalogue
) -> click.Command:
    """Add the ``view`` command to a convention's group.

    Parameters
    ----------
    cli
        The group (:func:`~ngff_geozarr.core.cli.make_cli`).
    convention
        The convention.
    open_scene
        Opens a target as a scene, or as the catalogue of its images.

    Returns
    -------
    click.Command
        The command added.
    """
    command = make_view_command(convention, open_scene)
    cli.add_command(command)
    return command
