"""Rules of the GeoZarr v0.4 draft (spec/geozarr-spec-v0.4.md).

§GeoZarr Metadata: every variable MUST have ``standard_name``, every data array
``grid_mapping``; §GeoZarr DataArray / Coordinates: ``_ARRAY_DIMENSIONS`` MUST be present;
§Multiscales: the included zoom levels are child groups, listed from lowest to highest
resolution, the limits list every included level, the resampling method is one of the
draft's, the tiles match the chunks along the two spatial dimensions, and the tile matrix
set's CRS is the grid mapping's.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from pyproj import CRS

from geozarr.cf.checks import is_grid_mapping
from geozarr.cf.grid_mappings import grid_mappings_of
from geozarr.context import CheckContext, dimensions_pointer, shape_of
from geozarr.crs import CrsKind, crs_agree, parse_crs
from geozarr.legacy.v04 import (
    WELL_KNOWN_TILE_MATRIX_SETS,
    MultiscalesV04,
    TileMatrix,
    TileMatrixLimits,
    TileMatrixSet,
)
from ngff_geozarr.core.hierarchy import ARRAY_DIMENSIONS, Node
from ngff_geozarr.core.models import parse_model
from ngff_geozarr.core.report import Severity
from ngff_geozarr.core.store import join_key

__all__ = [
    "REF_V04",
    "check_v04_multiscales",
    "check_v04_tms_crs",
    "check_v04_variable",
    "is_tms_multiscales",
]

REF_V04 = "GeoZarr v0.4"
"""The draft, prefix of its clauses."""

_E = Severity.ERROR


def is_tms_multiscales(node: Node) -> bool:
    """Tell whether a node carries v0.4 multiscales: an object with ``tile_matrix_set``."""
    ms = node.attributes.get("multiscales")
    return isinstance(ms, Mapping) and "tile_matrix_set" in ms


def _is_coordinate(node: Node) -> bool:
    names = node.dimension_names()
    return names is not None and tuple(names) == (node.name,)


def _check_coordinate_dimension(ctx: CheckContext, node: Node) -> None:
    """Ensure a coordinate variable's one dimension is its own name.

    §GeoZarr Coordinates: "GeoZarr Coordinates variable MUST include the attribute
    _ARRAY_DIMENSIONS equal to the Zarr array name". A 1-D array is taken for the coordinate
    variable of a dimension when a sibling variable has a dimension of its name.
    """
    names = node.dimension_names()
    if node.parent is None or names is None or len(names) != 1 or names == (node.name,):
        return
    for sibling in ctx.hierarchy.children(node.parent):
        dims = sibling.dimension_names() if sibling.path != node.path else None
        if dims is not None and node.name in dims:
            ctx.add(
                _E,
                "geozarr.v04.coordinate-dimensions",
                node,
                dimensions_pointer(node),
                f"{sibling.name!r} has a dimension {node.name!r}, so {node.name!r} is its "
                f"coordinate variable and its dimension MUST be {node.name!r}. Got "
                f"{names[0]!r}.",
                f"{REF_V04} §GeoZarr Coordinates",
            )
            return


def check_v04_variable(ctx: CheckContext, node: Node) -> None:
    """Ensure a variable has what v0.4 requires of every variable.

    §GeoZarr DataArray / Coordinates / Auxiliary Data: ``_ARRAY_DIMENSIONS`` MUST be present
    (``dimension_names`` in Zarr v3, where a 0-d array has none to give); §GeoZarr Metadata:
    ``standard_name`` MUST be present on all variables and ``grid_mapping`` on every data
    array (an array that is neither a coordinate variable, nor a grid mapping, nor auxiliary
    data with no dimensions).
    """
    if node.node_type != "array" or node.array is None:
        return
    names = node.dimension_names()
    if names is None and not (node.zarr_format == 3 and shape_of(node) == ()):
        ctx.add(
            _E,
            "geozarr.v04.array-dimensions",
            node,
            () if node.zarr_format == 3 else ("attributes",),
            f"Every GeoZarr variable MUST have {ARRAY_DIMENSIONS} (dimension_names in Zarr v3).",
            f"{REF_V04} §GeoZarr DataArray",
        )
    _check_coordinate_dimension(ctx, node)
    if is_grid_mapping(node):
        return
    if "standard_name" not in node.attributes:
        ctx.add(
            _E,
            "geozarr.v04.standard-name",
            node,
            ("attributes",),
            "Every GeoZarr variable MUST have a standard_name.",
            f"{REF_V04} §GeoZarr Metadata",
        )
    shape = shape_of(node) or ()
    data_array = len(shape) >= 2 and not _is_coordinate(node)
    if data_array and "grid_mapping" not in node.attributes:
        ctx.add(
            _E,
            "geozarr.v04.grid-mapping",
            node,
            ("attributes",),
            "Every GeoZarr DataArray MUST have grid_mapping (its CRS).",
            f"{REF_V04} §GeoZarr Metadata",
        )


def _level_base(node: Node) -> str:
    """Return the group the zoom-level paths are relative to: the node's, or its group's."""
    return node.path if node.node_type == "group" else (node.parent or "")


def check_v04_multiscales(ctx: CheckContext, node: Node) -> None:
    """Ensure v0.4 multiscales are well formed and match the hierarchy (§Multiscales).

    §Multiscales Metadata: the schema, ``resampling_method`` one of the draft's
    (``geozarr.v04.schema``). §Tile Matrix Set: zoom levels from lowest to highest resolution,
    i.e. decreasing ``cellSize`` (``geozarr.v04.zoom-order``); each included zoom level's
    tile matrix id is the relative path of a child group (``geozarr.v04.tile-matrix-path``);
    the tiles match the chunks along the two spatial dimensions (``geozarr.v04.tile-chunks``,
    also §Multiscales Encoding); the CRS matches the grid mapping's
    (:func:`check_v04_tms_crs`, run from here). §Tile Matrix Set Limits: the limits list
    every included zoom level — every tile matrix that has its group — and only tile
    matrices of the set, within their matrix (``geozarr.v04.limits``).

    The included zoom levels are the keys of ``tile_matrix_limits`` when given (a set may
    describe more resolutions than the dataset holds), else every tile matrix of an embedded
    set. Paths are relative to the group holding ``multiscales``, or, when a DataArray holds
    it (as §Multiscales Metadata words it), to the array's group.
    """
    if not is_tms_multiscales(node):
        return
    pointer = ("attributes", "multiscales")
    ms, issues = parse_model(
        MultiscalesV04, node.attributes["multiscales"], path=node.path, pointer=pointer,
        rule="geozarr.v04.schema",
    )  # fmt: skip
    ctx.extend(issues, f"{REF_V04} §Multiscales Metadata")
    if ms is None:
        return
    tms = ms.tile_matrix_set
    matrices = list(tms.tileMatrices) if isinstance(tms, TileMatrixSet) else None
    if matrices is not None:
        sizes = [m.cellSize for m in matrices]
        if any(b >= a for a, b in itertools.pairwise(sizes)):
            ctx.add(
                _E,
                "geozarr.v04.zoom-order",
                node,
                (*pointer, "tile_matrix_set", "tileMatrices"),
                f"Zoom levels MUST go from lowest to highest resolution (decreasing cellSize). "
                f"Got cell sizes {sizes}.",
                f"{REF_V04} §Tile Matrix Set",
            )
    if ms.tile_matrix_limits is not None and matrices is not None:
        _check_limits(ctx, node, ms.tile_matrix_limits, matrices)
    check_v04_tms_crs(ctx, node)
    if not ctx.complete:
        return
    by_id = {m.id: (i, m) for i, m in enumerate(matrices or ())}
    included: list[tuple[str, tuple[str | int, ...]]]
    if ms.tile_matrix_limits is not None:
        included = [
            (level, (*pointer, "tile_matrix_limits", level))
            for level in ms.tile_matrix_limits
            if matrices is None or level in by_id
        ]
    else:
        included = [
            (m.id, (*pointer, "tile_matrix_set", "tileMatrices", i, "id"))
            for i, m in enumerate(matrices or ())
        ]
    base = _level_base(node)
    for level, level_pointer in included:
        group = ctx.hierarchy.nodes.get(join_key(base, level))
        if group is None and ctx.hierarchy.not_read(join_key(base, level)):
            continue  # not read: nothing is known of it
        if group is None or group.node_type != "group":
            ctx.add(
                _E,
                "geozarr.v04.tile-matrix-path",
                node,
                level_pointer,
                f"Zoom level {level!r} MUST be the relative path of a child group; there is none.",
                f"{REF_V04} §Tile Matrix Set",
            )
        elif level in by_id:
            matrix = by_id[level][1]
            _check_tile_chunks(ctx, group, matrix.tileHeight, matrix.tileWidth)


def _check_limits(
    ctx: CheckContext,
    node: Node,
    limits: Mapping[str, TileMatrixLimits],
    matrices: list[TileMatrix],
) -> None:
    """Ensure the limits list every included zoom level, within its matrix (§Limits).

    v0.4 §Tile Matrix Set Limits: "MUST list all included zoom levels" (a tile matrix whose
    group exists); each key names a tile matrix of the set; OGC 17-083r4 §TileMatrixLimits:
    ``min <= max < matrixWidth`` (columns) or ``matrixHeight`` (rows).
    """
    pointer = ("attributes", "multiscales", "tile_matrix_limits")
    ref = f"{REF_V04} §Tile Matrix Set Limits"
    by_id = {m.id: m for m in matrices}
    for level, limit in limits.items():
        matrix = by_id.get(level)
        if matrix is None:
            ctx.add(
                _E,
                "geozarr.v04.limits",
                node,
                (*pointer, level),
                f"Zoom level {level!r} is not a tile matrix of the set ({list(by_id)}).",
                ref,
            )
            continue
        for axis, size in (("col", matrix.matrixWidth), ("row", matrix.matrixHeight)):
            low, high = getattr(limit, f"min_tile_{axis}"), getattr(limit, f"max_tile_{axis}")
            if high is not None and (high >= size or (low is not None and low > high)):
                ctx.add(
                    _E,
                    "geozarr.v04.limits",
                    node,
                    (*pointer, level, f"max_tile_{axis}"),
                    f"Expected min_tile_{axis} <= max_tile_{axis} < {size} (the matrix's "
                    f"{'width' if axis == 'col' else 'height'} in tiles). Got {low} and {high}.",
                    ref,
                )
    if not ctx.complete:
        return
    base = _level_base(node)
    missing = [
        m.id
        for m in matrices
        if m.id not in limits
        and (group := ctx.hierarchy.nodes.get(join_key(base, m.id))) is not None
        and group.node_type == "group"
    ]
    if missing:
        ctx.add(
            _E,
            "geozarr.v04.limits",
            node,
            pointer,
            f"tile_matrix_limits MUST list every included zoom level; {missing} have their "
            "group but are not listed.",
            ref,
        )


# -- the tile matrix set's CRS --------------------------------------------------------------


def _tms_crs(tms: str | TileMatrixSet) -> tuple[tuple[str | int, ...], CrsKind, Any] | None:
    """Return where the set's CRS is written, how, and the value; ``None`` if it cannot be known."""
    at: tuple[str | int, ...] = ("tile_matrix_set",)
    if isinstance(tms, str):
        name = tms.rstrip("/").rsplit("/", 1)[-1].removesuffix(".json")
        code = WELL_KNOWN_TILE_MATRIX_SETS.get(name)
        return None if code is None else (at, "code", code)
    value: Any = tms.crs
    key = "crs"
    if value is None and tms.supportedCRS is not None:
        value, key = tms.supportedCRS, "supportedCRS"
    if value is None:
        code = WELL_KNOWN_TILE_MATRIX_SETS.get(tms.id or "")
        return None if code is None else ((*at, "id"), "code", code)
    if isinstance(value, str):
        return (*at, key), "code", value
    if isinstance(value.get("uri"), str):
        return (*at, key, "uri"), "code", value["uri"]
    wkt = value.get("wkt")
    if isinstance(wkt, str):
        return (*at, key, "wkt"), "wkt", wkt
    if isinstance(wkt, dict):
        return (*at, key, "wkt"), "projjson", wkt
    return None  # a referenceSystem object: nothing PROJ can read


def _grid_mapping_crs(target: Node) -> CRS | None:
    for key in ("crs_wkt", "spatial_ref"):
        if isinstance(target.attributes.get(key), str):
            parsed = parse_crs("wkt", target.attributes[key])
            if parsed.crs is not None:
                return parsed.crs
    if "grid_mapping_name" not in target.attributes:
        return None
    try:
        return CRS.from_cf(dict(target.attributes))
    except Exception:  # pyproj raises several kinds for incomplete CF parameters
        return None


def check_v04_tms_crs(ctx: CheckContext, node: Node) -> None:
    """Ensure the tile matrix set's CRS is the grid mapping's (§Tile Matrix Set).

    v0.4 §Tile Matrix Set: "the supportedCRS attribute of the Tile Matrix Set MUST match the
    crs information defined under grid_mapping"; §Multiscales Encoding: "Data at all scales
    MUST use the same coordinate reference system". The set's CRS is its ``crs`` (OGC TMS
    2.0: a URI, or an object with ``uri`` or ``wkt`` — WKT text or PROJJSON), its
    ``supportedCRS`` (TMS 1.0), or that of a well-known set named by identifier or URI
    (:data:`~geozarr.legacy.v04.WELL_KNOWN_TILE_MATRIX_SETS`). It is compared with the CRS of
    every grid mapping named by an array at or below the multiscales group, with pyproj's
    bundled database (:func:`geozarr.crs.crs_agree`); a mismatch is
    ``geozarr.v04.tms-crs``, a set CRS that does not resolve ``geozarr.crs.unresolvable``
    (``geozarr.crs.unparseable`` for WKT or PROJJSON). A set named by an unknown name or
    URI, or whose CRS is a ``referenceSystem`` object, is not checked (nothing is fetched).
    """
    if not is_tms_multiscales(node):
        return
    try:
        ms = MultiscalesV04.model_validate(node.attributes["multiscales"])
    except ValueError:
        return  # reported by check_v04_multiscales
    found = _tms_crs(ms.tile_matrix_set)
    if found is None:
        return
    at, kind, value = found
    pointer = ("attributes", "multiscales", *at)
    ref = f"{REF_V04} §Tile Matrix Set"
    parsed = parse_crs(kind, value)
    if parsed.crs is None:
        rule = "geozarr.crs.unresolvable" if kind == "code" else "geozarr.crs.unparseable"
        ctx.add(_E, rule, node, pointer, f"The tile matrix set's CRS: {parsed.problem}", ref)
        return
    seen: set[str] = set()
    mismatched: dict[str, list[str]] = {}
    for arr in ctx.hierarchy.walk(_level_base(node)):
        value = arr.attributes.get("grid_mapping")
        if arr.node_type != "array" or not isinstance(value, str):
            continue
        dims = [str(d) for d in arr.dimension_names() or () if d is not None]
        for name in grid_mappings_of(value, dims):  # the grid's (CF §5.6 extended form)
            target = ctx.lookup(arr, name)
            if target is None or target.path in seen or not is_grid_mapping(target):
                continue
            seen.add(target.path)
            crs = _grid_mapping_crs(target)
            if crs is not None and not crs_agree(parsed.crs, crs):
                mismatched.setdefault(crs.name, []).append(target.path)
    for name, paths in mismatched.items():
        ctx.add(
            _E,
            "geozarr.v04.tms-crs",
            node,
            pointer,
            f"The tile matrix set's CRS ({parsed.crs.name}) MUST match the grid mapping's; "
            f"{', '.join(repr(p) for p in paths)} describe {name}.",
            ref,
        )


def _chunks(node: Node) -> list[int] | None:
    grid = node.metadata.get("chunk_grid")
    if isinstance(grid, Mapping):
        shape = grid.get("configuration", {}).get("chunk_shape")
    else:
        shape = node.metadata.get("chunks")
    if isinstance(shape, list) and all(isinstance(v, int) for v in shape):
        return shape
    return None


def _check_tile_chunks(ctx: CheckContext, group: Node, height: int, width: int) -> None:
    """Ensure a zoom level's data arrays are chunked as its tiles (§Multiscales Encoding).

    "These tiles MUST correspond to the chunk layout along the two spatial dimensions": the
    last two dimensions (CF / xarray order ``..., y, x``) of every data array of the level.
    """
    for arr in ctx.hierarchy.children(group.path):
        chunks, shape = _chunks(arr), shape_of(arr)
        if arr.node_type != "array" or chunks is None or shape is None or len(shape) < 2:
            continue
        if _is_coordinate(arr) or is_grid_mapping(arr):
            continue
        if (chunks[-2], chunks[-1]) != (height, width):
            ctx.add(
                _E,
                "geozarr.v04.tile-chunks",
                arr,
                ("chunk_grid",) if "chunk_grid" in arr.metadata else ("chunks",),
                f"Tiles are {height} x {width} but the chunks are {chunks[-2]} x {chunks[-1]} "
                "along the spatial dimensions.",
                f"{REF_V04} §Multiscales Encoding",
            )
