"""What GeoZarr metadata means, stated as ``gdalinfo`` states it: ``geozarr info`` and the report.

:func:`raster_grid` finds a raster's georeferencing in its metadata: the affine transform
(``spatial:transform`` on the array, its group or the group's multiscales layout entry,
else the CF grid mapping's ``GeoTransform``) and the CRS (``proj:code``, ``proj:wkt2``,
``proj:projjson``, else the grid mapping's ``crs_wkt``/``spatial_ref`` or its CF
parameters). :func:`describe_geo` turns it into facts: the CRS (EPSG code and name), the
size, resolution, origin, extent, the bounds in longitude and latitude (pyproj's
``transform_bounds``, densified edges), the orientation, the shape of each level and each
variable's data type, units and nodata. Metadata only: no chunk is read.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

import geozarr.crs  # noqa: F401  (switches PROJ's network access off)
from geozarr.cf.grid_mappings import grid_mapping_entries, grid_mappings_of
from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.info import FactTable, NodeFacts, summarize_array
from ngff_geozarr.core.store import join_key

__all__ = [
    "SPATIAL_NAMES",
    "Grid",
    "crs_label",
    "describe_geo",
    "layout_levels",
    "lonlat_bounds",
    "nodata_of",
    "raster_axes",
    "raster_grid",
]

SPATIAL_NAMES = frozenset(
    {"y", "x", "lat", "lon", "latitude", "longitude", "rlat", "rlon", "northing", "easting"}
)
"""Dimension names taken as spatial when no ``spatial:dimensions`` says otherwise."""


@dataclass(frozen=True, slots=True)
class Grid:
    """A raster's georeferencing, as its metadata states it.

    Parameters
    ----------
    shape
        Rows and columns.
    transform
        The affine transform ``(a, b, c, d, e, f)``: ``x = a*col + b*row + c``,
        ``y = d*col + e*row + f`` at pixel corners; ``None`` when not stated.
    crs
        The CRS, ``None`` when none is stated or it does not resolve.
    """

    shape: tuple[int, int]
    transform: tuple[float, ...] | None
    crs: CRS | None

    @property
    def north_up(self) -> bool:
        """False when row 0 is the southern edge (a positive ``e``)."""
        return self.transform is None or self.transform[4] <= 0

    @property
    def pixel_size(self) -> tuple[float, float]:
        """A pixel's height and width in CRS units (1 and 1 without a transform)."""
        if self.transform is None:
            return 1.0, 1.0
        a, b, _, d, e, _ = self.transform
        return math.hypot(b, e), math.hypot(a, d)

    def extent(self) -> tuple[float, float, float, float] | None:
        """Return the extent ``(xmin, ymin, xmax, ymax)`` in CRS units, or ``None``.

        Returns
        -------
        tuple or None
            The bounding box of the four corners.
        """
        if self.transform is None:
            return None
        a, b, c, d, e, f = self.transform
        rows, columns = self.shape
        xs = [c + a * i + b * j for i in (0, columns) for j in (0, rows)]
        ys = [f + d * i + e * j for i in (0, columns) for j in (0, rows)]
        return min(xs), min(ys), max(xs), max(ys)


def raster_axes(node: Node, hierarchy: Hierarchy) -> tuple[int, int] | None:
    """Return the rows and columns axes of a raster, or ``None`` if it is not one.

    Parameters
    ----------
    node
        An array node.
    hierarchy
        Its hierarchy (its group's ``spatial:dimensions`` count).

    Returns
    -------
    tuple of int or None
        The axes named by ``spatial:dimensions``, else the last two spatial names, else
        the last two axes of an array without dimension names.
    """
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


def nodata_of(node: Node) -> float | int | None:
    """Return a variable's nodata value: ``_FillValue`` or ``missing_value``, decoded.

    Zarr v3 stores written by xarray keep a float ``_FillValue`` base64-encoded (its
    little-endian bytes); ``"NaN"`` is NaN.

    Parameters
    ----------
    node
        The variable.

    Returns
    -------
    float, int or None
        The value, ``None`` when none is stated.

    Examples
    --------
    >>> from ngff_geozarr.core.hierarchy import Node
    >>> nodata_of(Node("v", "array", 3, {"_FillValue": "AAAAAAAA+H8="}, {}))
    nan
    >>> nodata_of(Node("v", "array", 3, {"_FillValue": -9999}, {}))
    -9999
    """
    for key in ("_FillValue", "missing_value"):
        value = node.attributes.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            return value
        if isinstance(value, str):
            if value.lower() in ("nan", "-nan"):
                return math.nan
            try:
                raw = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                continue
            if len(raw) in (4, 8):
                return float(np.frombuffer(raw, dtype="<f4" if len(raw) == 4 else "<f8")[0])
    return None


def _numbers(value: Any, count: int) -> tuple[float, ...] | None:
    if (
        isinstance(value, list | tuple)
        and len(value) >= count
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value[:count])
    ):
        return tuple(float(v) for v in value[:count])
    return None


def _grid_mapping(node: Node, hierarchy: Hierarchy) -> Node | None:
    name = node.attributes.get("grid_mapping")
    if not isinstance(name, str) or not name.strip():
        return None
    # the grid's mapping: in CF's extended form the one its dimensions' coordinates are in
    # ("crs_wgs84: lat lon crs: x y" describes the grid by crs), else the first (CF §5.6)
    dims = [str(d) for d in node.dimension_names() or () if d is not None]
    candidates = [*grid_mappings_of(name, dims), grid_mapping_entries(name)[0][0]]
    for candidate in candidates:
        try:
            found = hierarchy.get(join_key(node.parent or "", candidate))
        except NgffGeozarrError:
            continue
        if found is not None:
            return found
    return None


def _layout_transform(node: Node, hierarchy: Hierarchy) -> tuple[float, ...] | None:
    """Return the ``spatial:transform`` of the layout entry of this array or its group."""
    for group in hierarchy.values():
        multiscales = group.attributes.get("multiscales")
        layout = multiscales.get("layout") if isinstance(multiscales, Mapping) else None
        for entry in layout if isinstance(layout, list) else ():
            asset = entry.get("asset") if isinstance(entry, Mapping) else None
            if not isinstance(asset, str):
                continue
            try:
                path = join_key(group.path, asset)
            except NgffGeozarrError:
                continue
            if path in (node.path, node.parent):
                return _numbers(entry.get("spatial:transform"), 6)
    return None


def _crs(value: Any) -> CRS | None:
    try:
        if isinstance(value, Mapping):
            return CRS.from_json_dict(dict(value))
        return CRS.from_user_input(value)
    except (CRSError, TypeError, ValueError):
        return None


def raster_grid(node: Node, hierarchy: Hierarchy) -> Grid | None:
    """Find a raster's georeferencing in its metadata.

    Parameters
    ----------
    node
        A raster (see :func:`raster_axes`).
    hierarchy
        Its hierarchy.

    Returns
    -------
    Grid or None
        ``None`` when the node is not a raster.
    """
    axes = raster_axes(node, hierarchy)
    if axes is None or node.array is None:
        return None
    shape = (node.array.shape[axes[0]], node.array.shape[axes[1]])
    parent = hierarchy.get(node.parent) if node.parent is not None else None
    scopes = [node.attributes, *([parent.attributes] if parent is not None else [])]
    transform = next(
        (t for t in (_numbers(s.get("spatial:transform"), 6) for s in scopes) if t), None
    )
    transform = transform or _layout_transform(node, hierarchy)
    mapping = _grid_mapping(node, hierarchy)
    gm = mapping.attributes if mapping is not None else {}
    if transform is None and isinstance(gm.get("GeoTransform"), str):
        gdal = [float(v) for v in gm["GeoTransform"].split()] if gm["GeoTransform"] else []
        if len(gdal) == 6:
            c, a, b, f, d, e = gdal
            transform = (a, b, c, d, e, f)
    crs = None
    for scope in scopes:
        for key in ("proj:code", "proj:wkt2", "proj:projjson"):
            if key in scope:
                crs = crs or _crs(scope[key])
    for key in ("crs_wkt", "spatial_ref"):
        if crs is None and isinstance(gm.get(key), str):
            crs = _crs(gm[key])
    if crs is None and "grid_mapping_name" in gm:
        try:
            crs = CRS.from_cf(dict(gm))
        except (CRSError, TypeError, ValueError, KeyError):
            crs = None
    return Grid(shape, transform, crs)


@functools.lru_cache(maxsize=64)
def _to_lonlat(crs: CRS) -> Transformer:
    """One transformer per CRS: a store's rasters mostly share one, and making it is slow."""
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def lonlat_bounds(grid: Grid) -> tuple[float, float, float, float] | None:
    """Return a grid's footprint as ``(west, south, east, north)`` in degrees.

    Parameters
    ----------
    grid
        The grid.

    Returns
    -------
    tuple or None
        pyproj's ``transform_bounds`` of the extent to EPSG:4326 (edges densified), or
        ``None`` without a CRS or transform, or when the extent does not project.
    """
    extent = grid.extent()
    if grid.crs is None or extent is None:
        return None
    try:
        bounds = _to_lonlat(grid.crs).transform_bounds(*extent, densify_pts=21)
    except (CRSError, ProjError):
        return None
    if not all(math.isfinite(v) for v in bounds):
        return None
    return tuple(float(v) for v in bounds)  # type: ignore[return-value]


def crs_label(crs: CRS | None) -> str:
    """Name a CRS as ``gdalinfo`` does first: its EPSG code and its name.

    ``"EPSG:32632 (WGS 84 / UTM zone 32N)"``, the name alone for a CRS without a code,
    ``"(none)"`` for ``None``.
    """
    if crs is None:
        return "(none)"
    code = crs.to_epsg(min_confidence=90)
    return f"EPSG:{code} ({crs.name})" if code is not None else crs.name


def layout_levels(hierarchy: Hierarchy, group: Node) -> list[str] | None:
    """Return the node paths of a group's multiscales layout, finest first.

    Parameters
    ----------
    hierarchy
        The hierarchy.
    group
        A group.

    Returns
    -------
    list of str or None
        The layout's assets that are in the hierarchy; ``None`` without a layout.
    """
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


def _rasters(hierarchy: Hierarchy, path: str) -> list[Node]:
    node = hierarchy[path]
    if node.node_type == "array":
        return [node] if raster_axes(node, hierarchy) is not None else []
    return [c for c in hierarchy.children(path) if raster_axes(c, hierarchy) is not None]


def _num(value: float) -> str:
    return f"{value:.10g}"


def _box(values: Sequence[float], digits: int | None = None) -> str:
    text = [f"{v:.{digits}f}" if digits is not None else _num(v) for v in values]
    return ", ".join(text)


def _grid_facts(grid: Grid) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    rows, columns = grid.shape
    lines = [("CRS", crs_label(grid.crs)), ("size", f"{columns} x {rows} (columns x rows)")]
    data: dict[str, Any] = {
        "crs": {
            "epsg": grid.crs.to_epsg(min_confidence=90) if grid.crs else None,
            "name": grid.crs.name if grid.crs else None,
        },
        "size": [columns, rows],
        "transform": list(grid.transform) if grid.transform else None,
    }
    if grid.transform is not None:
        a, _, c, _, e, f = grid.transform
        lines += [("origin", f"({_num(c)}, {_num(f)})"), ("pixel size", f"({_num(a)}, {_num(e)})")]
        lines.append(("orientation", "north up" if grid.north_up else "south up (row 0 is south)"))
        extent = grid.extent()
        assert extent is not None
        lines.append(("extent", f"{_box(extent)} (xmin, ymin, xmax, ymax)"))
        data.update(
            origin=[c, f],
            resolution=[a, e],
            extent=list(extent),
            north_up=grid.north_up,
        )
    else:
        lines.append(("transform", "(not stated in the metadata)"))
    bounds = lonlat_bounds(grid)
    if bounds is not None:
        lines.append(("lon/lat bounds", f"{_box(bounds, 6)} (west, south, east, north)"))
    data["lonlat_bounds"] = list(bounds) if bounds is not None else None
    return lines, data


def _variable_rows(nodes: Sequence[Node]) -> tuple[tuple[tuple[str, ...], ...], list[Any]]:
    rows, data = [], []
    for node in nodes:
        summary = summarize_array(node)
        dims = node.dimension_names()
        units = node.attributes.get("units")
        nodata = nodata_of(node)
        rows.append(
            (
                node.name,
                "(" + ", ".join(str(d) for d in dims) + ")" if dims else "-",
                summary.dtype if summary else "-",
                str(units) if units is not None else "-",
                "-" if nodata is None else _num(float(nodata)),
            )
        )
        data.append(
            {
                "name": node.name,
                "dims": list(dims) if dims else None,
                "dtype": summary.dtype if summary else None,
                "units": units,
                "nodata": None
                if nodata is None or (isinstance(nodata, float) and math.isnan(nodata))
                else nodata,
                "nodata_is_nan": isinstance(nodata, float) and math.isnan(nodata),
            }
        )
    return tuple(rows), data


def _has_coordinates(node: Node, hierarchy: Hierarchy) -> bool:
    """Tell whether a raster's dimensions have 1-D coordinate arrays beside it (CF)."""
    names = node.dimension_names() or ()
    for name in names:
        try:
            coordinate = hierarchy.get(join_key(node.parent or "", str(name)))
        except NgffGeozarrError:
            continue
        if coordinate is not None and coordinate.array is not None:
            return True
    return False


def describe_geo(hierarchy: Hierarchy) -> list[NodeFacts]:
    """State what the GeoZarr metadata of a hierarchy means, as ``gdalinfo`` does.

    GeoZarr's :data:`~ngff_geozarr.core.info.Describe`, for ``geozarr info`` and the
    report's "Metadata" section: every group holding rasters (a multiscales group once,
    its levels listed) gets its CRS, size, origin, pixel size, orientation, extent, lon/lat
    bounds, the shape and resolution of each level and its variables with data type,
    units and nodata; a raster array outside any such group gets the same on its own.

    Returns one :class:`~ngff_geozarr.core.info.NodeFacts` per raster group (or lone raster), in the
    hierarchy's order.
    """
    facts: list[NodeFacts] = []
    covered: set[str] = set()
    groups = [n for n in hierarchy.values() if n.node_type == "group"]
    for group in groups:
        levels = layout_levels(hierarchy, group)
        for level in levels or ():
            covered.add(level)
            parent = hierarchy[level].parent
            if hierarchy[level].node_type == "array" and parent not in (None, group.path):
                covered.add(parent)  # a level group holding the variable's array
    for node in hierarchy.values():
        if node.path in covered and node.node_type == "group":
            continue
        levels = layout_levels(hierarchy, node) if node.node_type == "group" else None
        paths = levels or ([node.path] if node.node_type == "group" else [])
        rasters = _rasters(hierarchy, paths[0]) if paths else []
        if node.node_type == "array" and node.parent is not None:
            continue  # described with its group
        if node.node_type == "array":
            rasters = _rasters(hierarchy, node.path)
            paths = [node.path]
        if not rasters:
            continue
        grid = raster_grid(rasters[0], hierarchy)
        assert grid is not None
        if (
            grid.crs is None
            and grid.transform is None
            and not _has_coordinates(rasters[0], hierarchy)
        ):
            continue  # not georeferenced at all (an OME-Zarr image, say): nothing to state
        lines, data = _grid_facts(grid)
        level_rows = []
        level_data = []
        for path in paths:
            first = _rasters(hierarchy, path)
            level_grid = raster_grid(first[0], hierarchy) if first else None
            if level_grid is None:
                continue
            size = f"{level_grid.shape[1]} x {level_grid.shape[0]}"
            pixel = level_grid.transform
            level_rows.append(
                (path or "/", size, f"({_num(pixel[0])}, {_num(pixel[4])})" if pixel else "-")
            )
            level_data.append(
                {
                    "path": path,
                    "size": [level_grid.shape[1], level_grid.shape[0]],
                    "resolution": [pixel[0], pixel[4]] if pixel else None,
                }
            )
        variable_rows, variable_data = _variable_rows(rasters)
        data.update(levels=level_data, variables=variable_data)
        tables = (
            FactTable("levels", ("path", "size (columns x rows)", "pixel size"), tuple(level_rows)),
            FactTable("variables", ("name", "dims", "dtype", "units", "nodata"), variable_rows),
        )
        title = "raster grid" + (f", {len(paths)} levels" if len(paths) > 1 else "")
        facts.append(NodeFacts(node.path, title, tuple(lines), tables, data))
    return facts
