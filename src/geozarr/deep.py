"""GeoZarr's pyramids for ``geozarr validate --deep`` (the engine is :mod:`ngff_geozarr.core.deep`).

A group whose ``multiscales`` attribute has a ``layout`` (the multiscales convention) is a
pyramid: each layout ``asset``, resolved against the group, is a level, finest first
(multiscales §layout: "The layout array is ordered from highest resolution (finest) to
lowest resolution (coarsest)."). An asset that is an array is a level of that one array; an
asset that is a group holds a level of each of its data variables (arrays of two dimensions
or more, the same name at every level). The method is the ``resampling_method`` of the
coarser levels or of the ``multiscales`` object. Reductions must ignore nodata: the
``_FillValue`` attribute, else NaN for floating-point variables (CF-1.11 §2.5.1: "The
``_FillValue`` attribute specifies the fill value used to pre-fill disk space allocated to
the variable.").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ngff_geozarr.core.deep import LevelSet, kernel_of, level_paths
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.store import join_key

__all__ = ["pyramids"]


def _method(multiscales: Mapping[str, Any], layout: list[Any]) -> str | None:
    declared = [e.get("resampling_method") for e in layout[1:] if isinstance(e, Mapping)]
    for value in (*declared, multiscales.get("resampling_method")):
        if isinstance(value, str):
            return value
    return None


def _nodata(node: Node) -> float | int | None:
    """Return the nodata value: ``_FillValue``, else the array's fill value for floats."""
    dtype = str(node.metadata.get("data_type") or node.metadata.get("dtype") or "")
    floating = "float" in dtype or dtype[1:2] == "f"
    declared = node.attributes.get("_FillValue")
    if isinstance(declared, int | float) and not isinstance(declared, bool):
        return declared
    fill = node.metadata.get("fill_value")
    if floating and isinstance(fill, int | float) and not isinstance(fill, bool):
        return fill  # a float's _FillValue is stored encoded (base64) in Zarr v3
    return math.nan if floating else None


def _variables(hierarchy: Hierarchy, groups: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Return the level arrays of each data variable the level groups all hold."""
    first = hierarchy[groups[0]]
    found = []
    for name in first.children:
        paths = tuple(join_key(g, name) for g in groups)
        nodes = [hierarchy.get(p) for p in paths]
        if all(
            n is not None and n.node_type == "array" and len(n.metadata.get("shape") or ()) >= 2
            for n in nodes
        ):
            found.append(paths)
    return found


def pyramids(hierarchy: Hierarchy) -> list[LevelSet]:
    """Return every multiscales pyramid of a GeoZarr hierarchy, one per variable.

    This is GeoZarr's :class:`~ngff_geozarr.core.deep.Pyramids`, which documents the
    argument and the result; every pyramid is nodata-aware.

    Examples
    --------
    >>> from ngff_geozarr.core.hierarchy import Hierarchy, Node
    >>> meta = {"data_type": "float32", "shape": [4, 4]}
    >>> ms = {"layout": [{"asset": "b"}, {"asset": "1/b", "resampling_method": "average"}]}
    >>> tree = Hierarchy("x", {
    ...     "": Node("", "group", 3, {"multiscales": ms}, {}, children=("1", "b")),
    ...     "b": Node("b", "array", 3, {}, meta),
    ...     "1": Node("1", "group", 3, {}, {}, children=("b",)),
    ...     "1/b": Node("1/b", "array", 3, {}, meta)})
    >>> (p,) = pyramids(tree)
    >>> p.levels, p.method, p.nodata_aware
    (('b', '1/b'), 'mean', True)
    """
    found = []
    for node in hierarchy.values():
        multiscales = node.attributes.get("multiscales")
        if node.node_type != "group" or not isinstance(multiscales, Mapping):
            continue
        layout = multiscales.get("layout")
        if not isinstance(layout, list):
            continue
        assets = level_paths(
            node.path, [e.get("asset") if isinstance(e, Mapping) else None for e in layout]
        )
        if assets is None or any(a not in hierarchy for a in assets):
            continue
        method = kernel_of(_method(multiscales, layout))
        if all(hierarchy[a].node_type == "array" for a in assets):
            variables = [assets]
        elif all(hierarchy[a].node_type == "group" for a in assets):
            variables = _variables(hierarchy, assets)
        else:
            continue
        for levels in variables:
            first = hierarchy[levels[0]]
            integer = not isinstance(_nodata(first), float)
            found.append(
                LevelSet(
                    path=node.path,
                    levels=levels,
                    method=method,
                    labels=method == "mode" and integer,
                    nodata=_nodata(first),
                    nodata_aware=True,
                )
            )
    return found
