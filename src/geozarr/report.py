"""The one-page HTML report of a GeoZarr store: tree, issues, metadata, a picture of each raster.

Rasters are the arrays of two or more dimensions whose last two (or their
``spatial:dimensions``) are spatial. A ``multiscales`` layout is shown once per variable,
from the smallest level whose sides reach 256 pixels; its levels are listed under the
picture. Other rasters are shown from their own data, subsampled, or as a central crop when
they are too large to read whole (:func:`ngff_geozarr.core.thumbnail.middle_slice`).

Pictures are honest: the aspect ratio is the ground's (pixel sizes included), north is up
whatever the sign of the transform (a south-up raster is flipped, and its caption says so),
NaN and the nodata value (``_FillValue`` or ``missing_value``, any value) are transparent
and do not stretch the contrast, red/green/blue(/alpha) bands are composed (a ``band``
dimension of 3 or 4 bytes, or colour-interpretation attributes), a single band is drawn
through a colour map with a colour bar in its units, and the caption gives the footprint in
longitude and latitude. The page's "Metadata" section is
:func:`geozarr.describe.describe_geo`, as ``geozarr info`` prints it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from geozarr.describe import SPATIAL_NAMES as _SPATIAL_NAMES
from geozarr.describe import (
    describe_geo,
    layout_levels,
    lonlat_bounds,
    nodata_of,
    raster_axes,
    raster_grid,
)
from geozarr.detection import detect, discover
from geozarr.validate import checking_values
from ngff_geozarr.core.colour import VIRIDIS, colormap_rgba, composite_rgba
from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.html import Legend, ReportParts, Thumbnail, level_cards, level_line
from ngff_geozarr.core.store import StoreHandle, join_key
from ngff_geozarr.core.thumbnail import choose_level, encode_png, read_stored_planes

__all__ = ["COLOUR_ATTRIBUTES", "SPATIAL_NAMES", "build_report", "raster_thumbnails"]

SPATIAL_NAMES = _SPATIAL_NAMES
"""Dimension names taken as spatial (kept here for callers; defined in :mod:`geozarr.describe`)."""

COLOUR_ATTRIBUTES = ("color_interpretation", "colorinterp", "COLOR_INTERPRETATION")
"""Attributes naming each band's colour (``["red", "green", "blue", "alpha"]``, any case;
GDAL's names such as ``RedBand`` or ``GCI_AlphaBand`` too)."""

_COLOURS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255)}
_ROLES_BY_COUNT = {3: ("red", "green", "blue"), 4: ("red", "green", "blue", "alpha")}
_SOUTH_NAMES = ("y", "lat", "latitude", "rlat", "northing")


def _role(name: str) -> str:
    """Normalise a colour interpretation: ``"Red"``, ``"RedBand"``, ``"GCI_RedBand"`` -> red."""
    return name.lower().removeprefix("gci_").removesuffix("band").strip(" _")


def _colour_bands(node: Node, axes: tuple[int, int]) -> tuple[int, tuple[str, ...]] | None:
    """Return the band axis and each band's colour role, if the raster is RGB(A)."""
    if node.array is None:
        return None
    names = node.dimension_names() or ()
    shape = tuple(node.array.shape)
    others = [i for i in range(len(shape)) if i not in axes]
    for key in COLOUR_ATTRIBUTES:
        roles = node.attributes.get(key)
        if isinstance(roles, list) and all(isinstance(r, str) for r in roles):
            lowered = tuple(_role(r) for r in roles)
            if {"red", "green", "blue"} <= set(lowered):
                axis = next((i for i in others if shape[i] == len(lowered)), None)
                if axis is not None:
                    return axis, lowered
    summary_dtype = str(node.metadata.get("data_type", node.metadata.get("dtype", "")))
    is_byte = summary_dtype in ("uint8", "|u1", "<u1", "u1")
    for i in others:
        name = names[i] if i < len(names) else None
        if is_byte and name in ("band", "bands") and shape[i] in _ROLES_BY_COUNT:
            return i, _ROLES_BY_COUNT[shape[i]]
    return None


def _south_up_by_coordinate(store: StoreHandle, hierarchy: Hierarchy, node: Node, row: int) -> bool:
    """Tell, without a transform, whether the rows' 1-D coordinate increases (row 0 south)."""
    names = node.dimension_names()
    if names is None or row >= len(names) or names[row] not in _SOUTH_NAMES:
        return False
    try:
        path = join_key(node.parent or "", str(names[row]))
    except NgffGeozarrError:
        return False
    coordinate = hierarchy.get(path)
    if coordinate is None or coordinate.array is None or len(coordinate.array.shape) != 1:
        return False
    if coordinate.array.shape[0] < 2:
        return False
    try:
        first = np.asarray(store.open_array(path).read((slice(0, 2),)), dtype=np.float64)
    except (NgffGeozarrError, ValueError, OSError, RuntimeError):
        return False
    return bool(first[1] > first[0])


def _units(node: Node) -> str:
    units = node.attributes.get("units")
    return str(units) if isinstance(units, str | int | float) else ""


def _picture(
    store: StoreHandle, hierarchy: Hierarchy, node: Node, axes: tuple[int, int]
) -> tuple[bytes, list[str], Legend | None, bool] | None:
    """Draw a raster north up, true to its aspect: PNG, caption notes, colour bar, crop."""
    grid = raster_grid(node, hierarchy)
    if grid is None:
        return None
    bands = _colour_bands(node, axes)
    read = read_stored_planes(store, node.path, axes, bands[0] if bands else None, grid.pixel_size)
    if read is None:
        return None
    planes, cropped = read
    notes = []
    south_up = (
        (not grid.north_up)
        if grid.transform is not None
        else (_south_up_by_coordinate(store, hierarchy, node, axes[0]))
    )
    if south_up:
        planes = planes[:, ::-1]
        notes.append("north up (stored south up: rows flipped)")
    if grid.transform is not None and grid.transform[0] < 0:
        planes = planes[:, :, ::-1]
        notes.append("columns flipped (x decreasing)")
    nodata = nodata_of(node)
    legend = None
    if bands is not None:
        roles = bands[1][: planes.shape[0]]
        colour = [i for i, r in enumerate(roles) if r in _COLOURS]
        alpha = next((planes[i] for i, r in enumerate(roles) if r == "alpha"), None)
        byte = planes.dtype == np.uint8
        rgba = composite_rgba(
            [planes[i] for i in colour],
            [_COLOURS[roles[i]] for i in colour],
            [(0.0, 255.0) if byte else None for _ in colour],
            nodata=nodata,
            alpha=alpha,
        )
        notes.append("bands composed as " + "/".join(roles))
    else:
        rgba, (low, high) = colormap_rgba(planes[0], nodata=nodata)
        legend = Legend(low, high, _units(node), VIRIDIS)
    bounds = lonlat_bounds(grid)
    if bounds is not None:
        west, south, east, north = bounds
        notes.append(f"footprint lon {west:.4f} to {east:.4f}, lat {south:.4f} to {north:.4f}")
    return encode_png(rgba), notes, legend, cropped


def _variables(hierarchy: Hierarchy, level: str) -> dict[str, Node]:
    """Return the rasters of one level by name: the level itself or its child arrays."""
    node = hierarchy[level]
    if node.node_type == "array":
        return {node.name: node}
    return {
        child.name: child
        for child in hierarchy.children(level)
        if raster_axes(child, hierarchy) is not None
    }


def raster_thumbnails(hierarchy: Hierarchy, store: StoreHandle) -> list[Thumbnail]:
    """Make a thumbnail of every raster, and of every level of a multiscales layout.

    GeoZarr's :data:`~ngff_geozarr.core.html.MakeThumbnails`; multiscale variables come
    first.
    """
    thumbnails: list[Thumbnail] = []
    shown: set[str] = set()
    for group in hierarchy.values():
        levels = layout_levels(hierarchy, group) if group.node_type == "group" else None
        if levels is None:
            continue
        per_level = [_variables(hierarchy, level) for level in levels]
        for name, first in per_level[0].items():
            nodes = [variables.get(name) for variables in per_level]
            series = [n for n in nodes if n is not None and n.array is not None]
            axes = raster_axes(first, hierarchy)
            if axes is None or len(series) != len(nodes):
                continue
            shown.update(n.path for n in series)
            chosen = choose_level([tuple(n.array.shape) for n in series if n.array], axes)

            def read(
                i: int, levels: Sequence[Node] = series, axes: tuple[int, int] = axes
            ) -> tuple[bytes, Sequence[str], Legend | None] | None:
                made = _picture(store, hierarchy, levels[i], axes)
                return None if made is None else (made[0], made[1], made[2])

            thumbnails += level_cards(name, series, chosen, read, lambda node: node.path)
    for node in hierarchy.values():
        axes = raster_axes(node, hierarchy) if node.node_type == "array" else None
        if axes is None or node.path in shown:
            continue
        picture = _picture(store, hierarchy, node, axes)
        if picture is None:
            continue
        png, notes, legend, cropped = picture
        how = "central crop" if cropped else "whole extent"
        lines = (f"{how}, middle slice", level_line(node), *notes)
        thumbnails.append(Thumbnail(node.path, node.name, png, lines, legend))
    return thumbnails


_PARTS = ReportParts(
    discover,
    detect,
    raster_thumbnails,
    describe_geo,
    "geozarr view",
    checking=lambda target, options, strict: checking_values(target, options, strict=strict),
)

build_report = _PARTS.build_report
"""Validate a target and render its GeoZarr report: each raster, nodata transparent.

A :class:`~ngff_geozarr.core.convention.BuildReport`; the checks read the coordinate values
of a stored target (:func:`geozarr.validate.checking_values`).
"""
