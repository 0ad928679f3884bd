"""Rules of the GeoZarr v0.4 draft (spec/geozarr-spec-v0.4.md).

§GeoZarr Metadata: every variable MUST have ``standard_name``, every data array
``grid_mapping``; §GeoZarr DataArray / Coordinates: ``_ARRAY_DIMENSIONS`` MUST be present;
§Multiscales: the tile matrix set's levels are child groups, listed from lowest to highest
resolution, the limits list every level, the resampling method is one of the draft's and the
tiles match the chunks along the two spatial dimensions.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from geozarr.cf.checks import is_grid_mapping
from geozarr.context import CheckContext, shape_of
from geozarr.legacy.v04 import MultiscalesV04, TileMatrixSet
from ngff_geozarr.core.hierarchy import ARRAY_DIMENSIONS, Node
from ngff_geozarr.core.models import parse_model
from ngff_geozarr.core.report import Severity
from ngff_geozarr.core.store import join_key

__all__ = ["REF_V04", "check_v04_multiscales", "check_v04_variable", "is_tms_multiscales"]

REF_V04 = "GeoZarr v0.4"
"""The draft, prefix of its clauses."""

_E = Severity.ERROR


def is_tms_multiscales(node: Node) -> bool:
    """Tell whether a node carries v0.4 (tile-matrix-set) multiscales.

    Parameters
    ----------
    node
        A node.

    Returns
    -------
    bool
        True when ``multiscales`` is an object with ``tile_matrix_set``.
    """
    ms = node.attributes.get("multiscales")
    return isinstance(ms, Mapping) and "tile_matrix_set" in ms


def _is_coordinate(node: Node) -> bool:
    names = node.dimension_names()
    return names is not None and tuple(names) == (node.name,)


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
            ("attributes",),
            f"Every GeoZarr variable MUST have {ARRAY_DIMENSIONS} (dimension_names in Zarr v3).",
            f"{REF_V04} §GeoZarr DataArray",
        )
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


def check_v04_multiscales(ctx: CheckContext, node: Node) -> None:
    """Ensure v0.4 multiscales are well formed and match the hierarchy (§Multiscales).

    ``resampling_method`` one of the draft's (schema); each tile matrix id names a child
    group (``geozarr.v04.tile-matrix-path``); zoom levels from lowest to highest resolution,
    i.e. decreasing ``cellSize`` (``geozarr.v04.zoom-order``); ``tile_matrix_limits`` lists
    every level (``geozarr.v04.limits``); tiles match the chunks along the two spatial
    dimensions (``geozarr.v04.tile-chunks``).
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
    levels = [m.id for m in tms.tileMatrices] if isinstance(tms, TileMatrixSet) else None
    if levels is None and ms.tile_matrix_limits is not None:
        levels = list(ms.tile_matrix_limits)
    if isinstance(tms, TileMatrixSet):
        sizes = [m.cellSize for m in tms.tileMatrices]
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
    if ms.tile_matrix_limits is not None and isinstance(tms, TileMatrixSet):
        missing = [m.id for m in tms.tileMatrices if m.id not in ms.tile_matrix_limits]
        if missing:
            ctx.add(
                _E,
                "geozarr.v04.limits",
                node,
                (*pointer, "tile_matrix_limits"),
                f"tile_matrix_limits MUST list every zoom level; missing {missing}.",
                f"{REF_V04} §Tile Matrix Set Limits",
            )
    if not ctx.complete or levels is None:
        return
    for i, level in enumerate(levels):
        group = ctx.hierarchy.nodes.get(join_key(node.path, level))
        if group is None or group.node_type != "group":
            ctx.add(
                _E,
                "geozarr.v04.tile-matrix-path",
                node,
                (*pointer, "tile_matrix_set", "tileMatrices", i, "id")
                if isinstance(tms, TileMatrixSet)
                else (*pointer, "tile_matrix_limits", level),
                f"Zoom level {level!r} MUST be the relative path of a child group; there is none.",
                f"{REF_V04} §Tile Matrix Set",
            )
        elif isinstance(tms, TileMatrixSet):
            _check_tile_chunks(
                ctx, group, tms.tileMatrices[i].tileHeight, tms.tileMatrices[i].tileWidth
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
