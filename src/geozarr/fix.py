"""The GeoZarr metadata repairs ``geozarr fix`` makes: one per rule, each determined by the store.

Each repair (a :data:`ngff_geozarr.core.fix.Fixer`) takes one issue the validator reported
and edits the draft of the node's documents, or declines when the store does not determine
the fix:

- ``geozarr.conventions.noncanonical``: a recognised convention declared by a URL revision
  or a name variant gets its canonical v0.1 declaration (zarr-conventions §Convention
  Registration);
- ``geozarr.conventions.undeclared``: ``proj:``, ``spatial:`` or ``multiscales`` properties
  that parse as that convention get its declaration (zarr-conventions: "Conventions must be
  declared explicitly"); properties of another scheme in the same namespace are left alone;
- ``geozarr.xarray.array-dimensions``: a Zarr v2 array without ``_ARRAY_DIMENSIONS`` gets
  ``[]`` when it is 0-D, and its own name when it is a 1-D coordinate variable (a sibling
  names that dimension with the same length: CF §1.3 "a one-dimensional variable with the
  same name as its dimension");
- ``geozarr.spatial.shape``: ``spatial:shape`` set to the array's shape on the spatial
  dimensions, where it is declared (the array, its group, or a multiscales layout entry);
- ``geozarr.cf.fill-value``: an integer array's Zarr ``fill_value`` set to its
  ``_FillValue`` (CF §2.5.1: the value returned for what was never written);
- ``geozarr.cf.grid-mapping`` (a required parameter missing) and
  ``geozarr.cf.grid-mapping-parameters`` (neither of a pair such as ``standard_parallel`` /
  ``scale_factor_at_projection_origin``): the grid-mapping parameters the variable's own
  ``crs_wkt`` (or ``spatial_ref``) defines are added (``latitude_of_projection_origin``...),
  computed by pyproj (CF Appendix F); present ones are never changed.

The order of :data:`FIXERS` is the order repairs are made in (a shape before what depends on
it).
"""

from __future__ import annotations

from typing import Any

from geozarr.conventions.multiscales import Multiscales
from geozarr.conventions.proj import ProjAttributes
from geozarr.conventions.registry import (
    MULTISCALES,
    PROJ,
    SPATIAL,
    ConventionMetadata,
    KnownConvention,
    identify,
)
from geozarr.conventions.spatial import SpatialAttributes
from ngff_geozarr.core.fix import FixContext, Fixer, set_value
from ngff_geozarr.core.hierarchy import Node
from ngff_geozarr.core.models import parse_model
from ngff_geozarr.core.report import Issue
from ngff_geozarr.core.zarr_format import ARRAY_DIMENSIONS

__all__ = ["FIXERS"]

_BY_KEY: dict[str, tuple[KnownConvention, Any, str]] = {
    "proj": (PROJ, ProjAttributes, "geozarr.proj.schema"),
    "spatial": (SPATIAL, SpatialAttributes, "geozarr.spatial.schema"),
    "multiscales": (MULTISCALES, Multiscales, "geozarr.multiscales.schema"),
}
_SCHEMA = "geozarr.conventions.schema"


def _pointer(issue: Issue) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in issue.pointer.split("/")[1:]]


def _conventions(attrs: dict[str, Any]) -> list[Any] | None:
    entries = attrs.setdefault("zarr_conventions", [])
    return entries if isinstance(entries, list) else None


def _canonical_declaration(ctx: FixContext, issue: Issue) -> str | None:
    parts = _pointer(issue)
    if len(parts) != 3 or parts[:2] != ["attributes", "zarr_conventions"] or not parts[2].isdigit():
        return None
    entries = ctx.attributes(issue.path).get("zarr_conventions")
    index = int(parts[2])
    if not isinstance(entries, list) or index >= len(entries):
        return None
    cmo, problems = parse_model(ConventionMetadata, entries[index], path="", rule=_SCHEMA)
    known = identify(cmo) if cmo is not None and not problems else None
    if known is None:
        return None
    if entries[index] == known.canonical():
        return ""
    entries[index] = known.canonical()
    return f"declare {known.name} by its canonical v0.1 declaration (uuid {known.uuid})"


def _declared_keys(entries: list[Any]) -> set[str]:
    keys: set[str] = set()
    for entry in entries:
        cmo, problems = parse_model(ConventionMetadata, entry, path="", rule=_SCHEMA)
        known = identify(cmo) if cmo is not None and not problems else None
        if known is not None:
            keys.add(known.key)
    return keys


def _used(attrs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    used: dict[str, dict[str, Any]] = {}
    for key, prefix in (("proj", "proj:"), ("spatial", "spatial:")):
        found = {k: v for k, v in attrs.items() if isinstance(k, str) and k.startswith(prefix)}
        if found:
            used[key] = found
    multiscales = attrs.get("multiscales")
    if isinstance(multiscales, dict) and "layout" in multiscales:
        used["multiscales"] = multiscales
    return used


def _declare(ctx: FixContext, issue: Issue) -> str | None:
    node = ctx.node(issue.path)
    if node is None:
        return None
    # an array's properties are declared on its parent group when that group uses them too
    attrs = ctx.attributes(issue.path)
    entries = _conventions(attrs)
    if entries is None:
        return None
    parent = ctx.node(node.parent) if node.parent is not None else None
    inherited: set[str] = set()
    if node.node_type == "array" and parent is not None:
        theirs = ctx.attributes(parent.path).get("zarr_conventions")
        inherited = _declared_keys(theirs) if isinstance(theirs, list) else set()
    declared = _declared_keys(entries) | inherited
    added = []
    for key, properties in _used(attrs).items():
        if key in declared:
            continue
        known, model, rule = _BY_KEY[key]
        _, problems = parse_model(model, properties, path="", rule=rule)
        if problems:
            continue  # another scheme in the same namespace (STAC's proj:epsg): not ours
        entries.append(known.canonical())
        added.append(known.name)
    if not entries:
        attrs.pop("zarr_conventions")
    if not added:
        return None if _undeclared_left(ctx, issue.path, inherited) else ""
    return f"declare {', '.join(added)} in zarr_conventions (the properties parse as v0.1)"


def _undeclared_left(ctx: FixContext, path: str, inherited: set[str]) -> bool:
    attrs = ctx.attributes(path)
    entries = attrs.get("zarr_conventions")
    declared = (_declared_keys(entries) if isinstance(entries, list) else set()) | inherited
    return any(key not in declared for key in _used(attrs))


def _shape(node: Node) -> list[int] | None:
    shape = node.metadata.get("shape")
    if isinstance(shape, list) and all(isinstance(n, int) for n in shape):
        return list(shape)
    return None


def _array_dimensions(ctx: FixContext, issue: Issue) -> str | None:
    node = ctx.node(issue.path)
    if node is None or node.node_type != "array" or node.zarr_format != 2:
        return None
    attrs = ctx.attributes(issue.path)
    if ARRAY_DIMENSIONS in attrs:
        return ""
    shape = _shape(node)
    if shape == []:
        attrs[ARRAY_DIMENSIONS] = []
        return "add _ARRAY_DIMENSIONS [] (a 0-D array)"
    if shape is None or len(shape) != 1 or node.parent is None:
        return None
    for other in ctx.hierarchy.values():
        if other.parent != node.parent or other.path == node.path or other.node_type != "array":
            continue
        names = ctx.attributes(other.path).get(ARRAY_DIMENSIONS)
        size = _shape(other)
        if not (isinstance(names, list) and size is not None and len(names) == len(size)):
            continue
        if node.name in names and size[names.index(node.name)] == shape[0]:
            attrs[ARRAY_DIMENSIONS] = [node.name]
            return (
                f"add _ARRAY_DIMENSIONS [{node.name!r}] (the coordinate variable of "
                f"{other.name!r}'s dimension {node.name!r}, same length)"
            )
    return None


def _dimension_names(ctx: FixContext, node: Node) -> list[Any] | None:
    names = ctx.metadata(node.path).get("dimension_names")
    if not isinstance(names, list):
        names = ctx.attributes(node.path).get(ARRAY_DIMENSIONS)
    return names if isinstance(names, list) else None


def _spatial_size(ctx: FixContext, array: Node, dims: Any) -> list[int] | None:
    names, shape = _dimension_names(ctx, array), _shape(array)
    if not (isinstance(dims, list) and len(dims) == 2 and names and shape):
        return None
    if len(names) != len(shape) or not all(d in names for d in dims):
        return None
    return [shape[names.index(dims[0])], shape[names.index(dims[1])]]


def _spatial_shape(ctx: FixContext, issue: Issue) -> str | None:
    parts = _pointer(issue)
    if len(parts) >= 2 and parts[:2] == ["attributes", "multiscales"]:
        return _layout_shape(ctx, issue, parts)
    node = ctx.node(issue.path)
    if node is None or node.node_type != "array":
        return None
    own = ctx.attributes(node.path)
    where = node.path
    if "spatial:shape" not in own:
        if node.parent is None:
            return None
        where = node.parent
    attrs = ctx.attributes(where)
    dims = own.get(
        "spatial:dimensions", ctx.attributes(node.parent or "").get("spatial:dimensions")
    )
    size = _spatial_size(ctx, node, dims)
    if size is None:
        return None
    if attrs.get("spatial:shape") == size:
        return ""
    if (
        where != node.path
        and ctx.node(where) is not None
        and _others_disagree(ctx, where, node, size)
    ):
        return None
    shown = "its own" if where == node.path else f"its group's ({where or '/'})"
    why = f"the array's shape on {dims}"
    return set_value(attrs, "spatial:shape", size, f"{shown} spatial:shape", why)


def _others_disagree(ctx: FixContext, group: str, node: Node, size: list[int]) -> bool:
    dims = ctx.attributes(group).get("spatial:dimensions")
    for other in ctx.hierarchy.values():
        if other.parent != group or other.path == node.path or other.node_type != "array":
            continue
        if "spatial:shape" in ctx.attributes(other.path):
            continue
        theirs = _spatial_size(ctx, other, dims)
        if theirs is not None and theirs != size:
            return True
    return False


def _layout_shape(ctx: FixContext, issue: Issue, parts: list[str]) -> str | None:
    if len(parts) != 5 or parts[2] != "layout" or parts[4] != "spatial:shape":
        return None
    if not parts[3].isdigit():
        return None
    attrs = ctx.attributes(issue.path)
    layout = attrs.get("multiscales", {}).get("layout")
    index = int(parts[3])
    if not isinstance(layout, list) or index >= len(layout) or not isinstance(layout[index], dict):
        return None
    entry = layout[index]
    asset = entry.get("asset")
    level = ctx.node("/".join(p for p in (issue.path, str(asset)) if p))
    if level is None:
        return None
    dims = attrs.get("spatial:dimensions")
    arrays = (
        [level]
        if level.node_type == "array"
        else [
            n for n in ctx.hierarchy.values() if n.parent == level.path and n.node_type == "array"
        ]
    )
    sizes = {tuple(s) for a in arrays if (s := _spatial_size(ctx, a, dims)) is not None}
    if len(sizes) != 1:
        return None
    what = f"layout[{index}] ({asset!r}) spatial:shape"
    return set_value(entry, "spatial:shape", list(sizes.pop()), what, "its arrays' shape")


def _fill_value(ctx: FixContext, issue: Issue) -> str | None:
    node = ctx.node(issue.path)
    if node is None or node.node_type != "array":
        return None
    fill = ctx.attributes(issue.path).get("_FillValue")
    if isinstance(fill, list) and len(fill) == 1:
        fill = fill[0]
    if not isinstance(fill, int) or isinstance(fill, bool):
        return None
    meta = ctx.metadata(issue.path)
    return set_value(meta, "fill_value", fill, "the Zarr fill_value", "its _FillValue")


def _grid_mapping(ctx: FixContext, issue: Issue) -> str | None:
    if "missing" not in issue.message:
        return None  # a value of the wrong type or range: not a key the WKT completes
    return _grid_mapping_parameters(ctx, issue)


def _grid_mapping_parameters(ctx: FixContext, issue: Issue) -> str | None:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    from geozarr.writing.grid_mapping import cf_grid_mapping

    if ctx.node(issue.path) is None:
        return None
    attrs = ctx.attributes(issue.path)
    wkt = attrs.get("crs_wkt", attrs.get("spatial_ref"))
    if not isinstance(wkt, str):
        return None
    try:
        full = cf_grid_mapping(CRS.from_wkt(wkt))
    except CRSError:
        return None
    if full.get("grid_mapping_name") != attrs.get("grid_mapping_name"):
        return None
    added = {k: v for k, v in full.items() if k not in attrs and k != "crs_wkt"}
    if not added:
        return None
    attrs.update(added)
    shown = ", ".join(f"{k}={v}" for k, v in added.items())
    return f"add {shown} (from its crs_wkt, by pyproj)"


FIXERS: dict[str, Fixer] = {
    "geozarr.conventions.noncanonical": _canonical_declaration,
    "geozarr.conventions.undeclared": _declare,
    "geozarr.xarray.array-dimensions": _array_dimensions,
    "geozarr.spatial.shape": _spatial_shape,
    "geozarr.cf.fill-value": _fill_value,
    "geozarr.cf.grid-mapping": _grid_mapping,
    "geozarr.cf.grid-mapping-parameters": _grid_mapping_parameters,
}
"""GeoZarr's repairs by the rule id they repair, in the order they are made."""
