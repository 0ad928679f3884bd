"""The one-page HTML report of a GeoZarr store: tree, issues, and a picture of each raster.

Rasters are the arrays of two or more dimensions whose last two (or their
``spatial:dimensions``) are spatial. A ``multiscales`` layout is shown once per variable,
from the smallest level whose sides reach 256 pixels; its levels are listed under the
picture. Other rasters are shown from their own data, subsampled, or as a central crop when
they are too large to read whole (:func:`ngff_geozarr.core.thumbnail.middle_slice`). NaN and
the nodata value (``_FillValue`` or ``missing_value``) are transparent.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

from geozarr.coordinates import CoordinateReader
from geozarr.detection import detect, discover
from geozarr.validate import check_hierarchy
from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.html import Thumbnail, level_cards, level_line, report_page
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.store import StoreHandle, join_key
from ngff_geozarr.core.thumbnail import (
    choose_level,
    encode_png,
    intensity_rgba,
    read_stored_slice,
)

__all__ = ["SPATIAL_NAMES", "build_report", "raster_thumbnails"]

SPATIAL_NAMES = frozenset(
    {"y", "x", "lat", "lon", "latitude", "longitude", "rlat", "rlon", "northing", "easting"}
)
"""Dimension names taken as spatial when no ``spatial:dimensions`` says otherwise."""


def _spatial_axes(node: Node, hierarchy: Hierarchy) -> tuple[int, int] | None:
    """Return the rows and columns axes of a raster, or ``None`` if it is not one."""
    if node.array is None or len(node.array.shape) < 2:
        return None
    names = node.dimension_names()
    declared = node.attributes.get("spatial:dimensions")
    parent = hierarchy.get(node.parent) if node.parent is not None else None
    if declared is None and parent is not None:
        declared = parent.attributes.get("spatial:dimensions")
    if (
        names is not None
        and isinstance(declared, list)
        and len(declared) == 2
        and all(d in names for d in declared)
    ):
        return names.index(declared[0]), names.index(declared[1])
    if names is not None:
        spatial = [i for i, n in enumerate(names) if n in SPATIAL_NAMES]
        if len(spatial) >= 2:
            return spatial[-2], spatial[-1]
        return None
    return len(node.array.shape) - 2, len(node.array.shape) - 1


def _nodata(node: Node) -> float | int | None:
    for key in ("_FillValue", "missing_value"):
        value = node.attributes.get(key)
        if isinstance(value, str) and value.lower() == "nan":
            return math.nan
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    return None


def _picture(store: StoreHandle, node: Node, axes: tuple[int, int]) -> tuple[bytes, bool] | None:
    read = read_stored_slice(store, node.path, axes)
    if read is None:
        return None
    return encode_png(intensity_rgba(read[0], nodata=_nodata(node))), read[1]


def _layout_levels(hierarchy: Hierarchy, group: Node) -> list[str] | None:
    multiscales = group.attributes.get("multiscales")
    layout = multiscales.get("layout") if isinstance(multiscales, Mapping) else None
    if not isinstance(layout, list):
        return None
    paths = []
    for entry in layout:
        asset = entry.get("asset") if isinstance(entry, Mapping) else None
        if not isinstance(asset, str):
            return None
        try:
            paths.append(join_key(group.path, asset))
        except NgffGeozarrError:
            return None
    return [p for p in paths if p in hierarchy] or None


def _variables(hierarchy: Hierarchy, level: str) -> dict[str, Node]:
    """Return the rasters of one level by name: the level itself or its child arrays."""
    node = hierarchy[level]
    if node.node_type == "array":
        return {node.name: node}
    return {
        child.name: child
        for child in hierarchy.children(level)
        if _spatial_axes(child, hierarchy) is not None
    }


def raster_thumbnails(hierarchy: Hierarchy, store: StoreHandle) -> list[Thumbnail]:
    """Make a thumbnail of every raster, and of every level of a multiscales layout.

    GeoZarr's :data:`~ngff_geozarr.core.html.MakeThumbnails`; multiscale variables come
    first.
    """
    thumbnails: list[Thumbnail] = []
    shown: set[str] = set()
    for group in hierarchy.values():
        levels = _layout_levels(hierarchy, group) if group.node_type == "group" else None
        if levels is None:
            continue
        per_level = [_variables(hierarchy, level) for level in levels]
        for name, first in per_level[0].items():
            nodes = [variables.get(name) for variables in per_level]
            series = [n for n in nodes if n is not None and n.array is not None]
            axes = _spatial_axes(first, hierarchy)
            if axes is None or len(series) != len(nodes):
                continue
            shown.update(n.path for n in series)
            chosen = choose_level([tuple(n.array.shape) for n in series if n.array], axes)

            def read(
                i: int, levels: list[Node] = series, axes: tuple[int, int] = axes
            ) -> tuple[bytes, list[str]] | None:
                made = _picture(store, levels[i], axes)
                return None if made is None else (made[0], [])

            thumbnails += level_cards(name, series, chosen, read, lambda node: node.path)
    for node in hierarchy.values():
        axes = _spatial_axes(node, hierarchy) if node.node_type == "array" else None
        if axes is None or node.path in shown:
            continue
        picture = _picture(store, node, axes)
        if picture is None:
            continue
        how = "central crop" if picture[1] else "whole extent"
        lines = (f"{how}, middle slice", level_line(node))
        thumbnails.append(Thumbnail(node.path, node.name, picture[0], lines))
    return thumbnails


def build_report(
    target: str | os.PathLike[str],
    *,
    strict: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> tuple[str, Report]:
    """Validate a target and render its GeoZarr report: each raster, nodata transparent.

    The arguments and the result are those of
    :class:`~ngff_geozarr.core.convention.BuildReport`, the report builder of every
    convention.
    """
    reader = CoordinateReader(target, storage_options)

    def check(hierarchy: Hierarchy) -> Report:
        values = reader if hierarchy.source == "store" else None
        return check_hierarchy(hierarchy, read_values=values, strict=strict)

    try:
        return report_page(
            target,
            check,
            discover=discover,
            detect=detect,
            thumbnails=raster_thumbnails,
            storage_options=storage_options,
        )
    finally:
        reader.close()
