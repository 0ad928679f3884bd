"""GeoZarr as the viewer sees it: :func:`open_scene` for ``geozarr view``.

The target is listed as the catalogue of its raster variables (:func:`open_images`): those
of every multiscales layout (each with its levels, finest first), then every raster array
outside a layout; the first is shown first (:func:`open_scene` opens only that one).

A scene's rows and columns are the raster's axes (:func:`~geozarr.describe.raster_axes`)
with the pixel size of each level's grid and the CRS's unit; a byte ``band`` axis of 3 or 4
bands is composed as RGB, any other non-spatial axis gets a slider. Nodata is transparent, a
single band is drawn through a colour map, a raster stored south up is shown north up, and
the point under the cursor gets its map coordinates and its longitude and latitude (pyproj,
offline).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pyproj import Transformer
from pyproj.exceptions import CRSError, ProjError

from geozarr.describe import (
    Grid,
    crs_label,
    layout_levels,
    nodata_of,
    raster_axes,
    raster_grid,
)
from geozarr.detection import discover
from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.hierarchy import Hierarchy, Node, hierarchy_from_store
from ngff_geozarr.core.store import StoreHandle, open_store
from ngff_geozarr.core.viewer import (
    Catalogue,
    Channel,
    ImageEntry,
    Locate,
    Scene,
    ViewAxis,
    ViewLevel,
)
from ngff_geozarr.core.viewer.catalogue import closed_on_failure, first_scene

__all__ = ["open_images", "open_scene"]

_RGB = ((255, 0, 0), (0, 255, 0), (0, 0, 255))
_TIME_NAMES = ("t", "time")


class _NoRaster(NgffGeozarrError):
    """The target holds no raster to show."""


def _all_series(hierarchy: Hierarchy) -> dict[str, list[Node]]:
    """Return every raster variable, one node per level, finest first, by its finest path.

    The variables of multiscales layouts come first, then the rasters outside any layout.
    """
    found: dict[str, list[Node]] = {}
    in_layouts: set[str] = set()
    for group in hierarchy.values():
        if group.node_type != "group":
            continue
        levels = layout_levels(hierarchy, group)
        if not levels:
            continue
        # a layout of arrays names one variable's levels: its siblings have theirs beside them
        per_level = [_rasters(hierarchy, _level_group(hierarchy, p)) for p in levels]
        in_layouts.update(n.path for variables in per_level for n in variables.values())
        for name in per_level[0]:
            series = [variables.get(name) for variables in per_level]
            if all(n is not None for n in series):
                kept = [n for n in series if n is not None]
                found.setdefault(kept[0].path, kept)
    for node in hierarchy.values():
        if (
            node.node_type == "array"
            and node.path not in in_layouts
            and raster_axes(node, hierarchy) is not None
        ):
            found[node.path] = [node]
    return found


def _level_group(hierarchy: Hierarchy, path: str) -> Node:
    """Return the group a layout's level is: the level itself, or the group of its array."""
    node = hierarchy[path]
    parent = path.rpartition("/")[0]
    if node.node_type == "array" and parent in hierarchy:
        return hierarchy[parent]
    return node


def _rasters(hierarchy: Hierarchy, node: Node) -> dict[str, Node]:
    if node.node_type == "array":
        return {node.name: node} if raster_axes(node, hierarchy) is not None else {}
    return {
        c.name: c
        for c in hierarchy.children(node.path)
        if c.node_type == "array" and raster_axes(c, hierarchy) is not None
    }


def _level(node: Node, grid: Grid, spatial: tuple[int, int]) -> ViewLevel:
    assert node.array is not None
    shape = tuple(int(s) for s in node.array.shape)
    scale = [1.0] * len(shape)
    translation = [0.0] * len(shape)
    if grid.transform is not None:
        a, _, c, _, e, f = grid.transform
        scale[spatial[0]], translation[spatial[0]] = e, f + e / 2
        scale[spatial[1]], translation[spatial[1]] = a, c + a / 2
    return ViewLevel(node.path, shape, tuple(scale), tuple(translation))


def _locate(grid: Grid) -> Locate | None:
    if grid.transform is None:
        return None
    a, b, c, d, e, f = grid.transform
    to_lonlat = None
    if grid.crs is not None:
        try:
            to_lonlat = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
        except (CRSError, ProjError):
            to_lonlat = None

    def locate(column: float, row: float) -> Mapping[str, float]:
        x, y = c + a * column + b * row, f + d * column + e * row
        found = {"x": x, "y": y}
        if to_lonlat is not None:
            lon, lat = to_lonlat.transform(x, y)
            if math.isfinite(lon) and math.isfinite(lat):
                found.update(lon=float(lon), lat=float(lat))
        return found

    return locate


def _unit(grid: Grid) -> str:
    if grid.crs is None or not grid.crs.axis_info:
        return ""
    return str(grid.crs.axis_info[0].unit_name or "")


def open_images(target: str, storage_options: dict[str, Any]) -> Catalogue:
    """Open a GeoZarr target as the catalogue of its raster variables, for ``geozarr view``.

    Every variable of every multiscales layout (its levels finest first), then every raster
    outside a layout; each entry is the path of the variable's finest array. This is
    GeoZarr's :data:`~ngff_geozarr.core.viewer.OpenCatalogue`, which documents the arguments
    and the result.
    """
    handle = open_store(target, "r", storage_options=storage_options)
    with closed_on_failure(handle.close):
        hierarchy = hierarchy_from_store(handle, discover)
        found = _all_series(hierarchy)
        if not found:
            raise _NoRaster(f"{target}: there is no raster to show.")
    entries = [ImageEntry(path, path) for path in found]
    return Catalogue(
        entries, lambda path: _scene(target, handle, hierarchy, found[path]), handle.close
    )


def _scene(target: str, handle: StoreHandle, hierarchy: Hierarchy, series: list[Node]) -> Scene:
    """Describe one raster variable (its levels, finest first) as a scene."""
    first = series[0]
    spatial = raster_axes(first, hierarchy)
    grids = [raster_grid(n, hierarchy) for n in series]
    if spatial is None or any(g is None for g in grids) or first.array is None:
        raise _NoRaster(f"{target}: {first.path} is not a raster with a grid to show.")
    grid = grids[0]
    assert grid is not None
    names = first.dimension_names() or tuple(f"dim_{i}" for i in range(len(first.array.shape)))
    shape = tuple(first.array.shape)
    dtype = str(first.metadata.get("data_type", first.metadata.get("dtype", "")))
    unit = _unit(grid)
    axes = []
    channels: tuple[Channel, ...] = ()
    for i, name in enumerate(names):
        if i in spatial:
            axes.append(ViewAxis(str(name), "space", unit))
        elif (
            not channels
            and name in ("band", "bands")
            and shape[i] in (3, 4)
            and dtype in ("uint8", "|u1", "<u1", "u1")
        ):
            axes.append(ViewAxis(str(name), "channel"))
            channels = tuple(
                Channel(label, colour, (0.0, 255.0))
                for label, colour in zip(("red", "green", "blue"), _RGB, strict=True)
            ) + ((Channel("alpha", (0, 0, 0), (0.0, 255.0), False),) if shape[i] == 4 else ())
        else:
            axes.append(ViewAxis(str(name), "time" if name in _TIME_NAMES else "other"))
    # the two raster axes are the last two space axes (in array order)
    return Scene(
        target=target,
        title=target,
        path=first.path,
        store=handle,
        axes=tuple(axes),
        levels=tuple(_level(n, g, spatial) for n, g in zip(series, grids, strict=True) if g),
        channels=channels,
        nodata=nodata_of(first),
        colormap=not channels,
        flip_rows=not grid.north_up,
        crs=crs_label(grid.crs) if grid.crs is not None else "",
        transform=grid.transform,
        locate=_locate(grid),
    )


open_scene = first_scene(open_images, "GeoZarr")
