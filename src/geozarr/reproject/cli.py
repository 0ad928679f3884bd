"""The command-line side of web-map pyramids: options for ``geozarr pyramid`` and their handler.

:func:`webmap_options` adds ``--to-crs``, ``--tile-size``, ``--zoom-levels``, ``--output``,
``--nodata`` and ``--overwrite-output`` to a click command; :func:`run_webmap` checks them
against the command's other options and writes the pyramid. ``geozarr pyramid SRC --to-crs
EPSG:3857 --output DST`` then reprojects SRC (a GeoZarr store or a GeoTIFF) into DST
instead of adding levels in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from geozarr.reproject.warp import Resampling
from geozarr.reproject.webmap import write_webmap_pyramid
from ngff_geozarr.core.pyramid import Progress

__all__ = [
    "METHOD_RESAMPLING",
    "parse_zoom_levels",
    "reject_without_to_crs",
    "run_webmap",
    "webmap_options",
]

_F = TypeVar("_F", bound=Callable[..., Any])

METHOD_RESAMPLING: dict[str, Resampling] = {
    "mean": "average",
    "average": "average",
    "nearest": "nearest",
    "mode": "mode",
}
"""The ``--method`` values a reprojection accepts, and the resampling each means."""


def webmap_options(command: _F) -> _F:
    """Add the web-map options to a click command.

    Parameters
    ----------
    command
        The command function; it receives ``to_crs``, ``tile_size``, ``zoom_levels``,
        ``output``, ``nodata`` and ``overwrite_output``.

    Returns
    -------
    callable
        The command with the options.
    """
    options = (
        click.option(
            "--to-crs",
            default=None,
            help="Reproject to this CRS into --output (EPSG:3857: the WebMercatorQuad tiles).",
        ),
        click.option(
            "--tile-size", type=int, default=256, show_default=True, help="Tile (chunk) side."
        ),
        click.option(
            "--zoom-levels",
            default=None,
            help="With --to-crs EPSG:3857: MIN,MAX zoom (default: from the source).",
        ),
        click.option("--output", default=None, help="With --to-crs: the new store to write."),
        click.option("--nodata", type=float, default=None, help="With --to-crs: nodata value."),
        click.option("--overwrite-output", is_flag=True, help="Write into an existing --output."),
    )
    for option in reversed(options):
        command = option(command)
    return command


def reject_without_to_crs(
    *,
    output: str | None = None,
    tile_size: int = 256,
    zoom_levels: str | None = None,
    nodata: float | None = None,
    overwrite_output: bool = False,
) -> None:
    """Refuse the web-map options on an in-place ``geozarr pyramid`` (no ``--to-crs``).

    Parameters
    ----------
    output, tile_size, zoom_levels, nodata, overwrite_output
        The web-map options as given (see :func:`webmap_options`).

    Raises
    ------
    click.UsageError
        When one of them is set: it would be silently ignored.
    """
    given = [
        name
        for name, value in (
            ("--output", output is not None),
            ("--tile-size", tile_size != 256),
            ("--zoom-levels", zoom_levels is not None),
            ("--nodata", nodata is not None),
            ("--overwrite-output", overwrite_output),
        )
        if value
    ]
    if given:
        raise click.UsageError(f"{', '.join(given)} apply only with --to-crs.")


def parse_zoom_levels(text: str | None) -> tuple[int, int] | None:
    """Parse ``--zoom-levels MIN,MAX``.

    Parameters
    ----------
    text
        The option's value.

    Returns
    -------
    tuple of int or None
        ``(min, max)``.

    Raises
    ------
    click.BadParameter
        When it is not two integers.

    Examples
    --------
    >>> parse_zoom_levels("3,12")
    (3, 12)
    """
    if text is None:
        return None
    parts = text.replace(" ", "").split(",")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise click.BadParameter(f"expected MIN,MAX (two integers). Got {text!r}.")
    return int(parts[0]), int(parts[1])


def run_webmap(
    source: str,
    *,
    to_crs: str,
    output: str | None,
    tile_size: int = 256,
    zoom_levels: str | None = None,
    nodata: float | None = None,
    overwrite_output: bool = False,
    variable: str | None = None,
    method: str | None = None,
    levels: int | str = "auto",
    factors: int = 2,
    min_extent: int | None = None,
    resume: bool = False,
    consolidated: bool = True,
    workers: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> str:
    """Write the web-map pyramid ``geozarr pyramid SRC --to-crs ...`` asks for.

    Parameters
    ----------
    source
        The command's TARGET, read as the source (a GeoZarr store or a GeoTIFF).
    to_crs, output, tile_size, zoom_levels, nodata, overwrite_output
        The web-map options (see :func:`webmap_options`).
    variable, method, levels, factors, min_extent, resume, consolidated, workers
        ``geozarr pyramid``'s own options: ``--method`` is ``mean`` / ``average``,
        ``nearest`` or ``mode``; ``--levels`` a number for a CRS other than EPSG:3857;
        ``--factors`` stays 2; ``--min-extent`` and ``--resume`` do not apply.
    progress, storage_options
        The progress callback, options for remote stores.

    Returns
    -------
    str
        The line to print.

    Raises
    ------
    click.UsageError
        When the options do not go together (before anything is read or written).
    """
    if output is None:
        raise click.UsageError("--to-crs writes a new store: give it with --output.")
    if resume or min_extent is not None or factors != 2:
        raise click.UsageError("--to-crs takes neither --resume, --min-extent nor --factors.")
    resampling = METHOD_RESAMPLING.get(method or "average")
    if resampling is None:
        raise click.UsageError(
            f"--to-crs resamples with {', '.join(METHOD_RESAMPLING)}. Got --method {method}."
        )
    count: int | None = None
    if levels != "auto":
        try:
            count = int(levels)
        except ValueError:
            raise click.UsageError(f"--levels: expected auto or a number. Got {levels}.") from None
    try:
        zooms_asked = parse_zoom_levels(zoom_levels)
    except click.BadParameter as exc:
        raise click.UsageError(f"--zoom-levels: {exc.format_message()}") from None
    result = write_webmap_pyramid(
        source,
        output,
        to_crs=to_crs,
        tile_size=tile_size,
        method=resampling,
        zoom_levels=zooms_asked,
        levels=count,
        variable=variable,
        nodata=nodata,
        overwrite=overwrite_output,
        workers=workers,
        consolidated=consolidated,
        progress=progress,
        storage_options=storage_options,
    )
    zooms = f" (zooms {result.zooms[0]}..{result.zooms[-1]})" if result.zooms else ""
    shapes = ", ".join("x".join(map(str, s)) for s in result.shapes)
    return (
        f"Wrote {len(result.paths)} levels of {result.variable} ({result.method}) in "
        f"{to_crs}{zooms} to {result.target}: {shapes}."
    )
