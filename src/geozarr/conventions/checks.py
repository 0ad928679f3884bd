"""Rules of the Zarr conventions (``zarr_conventions``, ``proj:``, ``spatial:``, ``multiscales``).

Each rule is one function named for what it ensures; its docstring cites the clause. Rules
read nodes through a :class:`~geozarr.context.CheckContext` and add every issue they find.
Tolerances:

- ``spatial:bbox`` equals the transform applied to the grid corners (pixel registration: the
  outer edges ``0`` and ``width`` / ``height``; node registration: the outer cell centres
  ``0`` and ``width - 1`` / ``height - 1``) within 1 % of a pixel, or 1e-9 relative for
  values written with fewer decimals;
- ``transform.scale`` agrees with the shape ratio when the level's size is the source size
  divided by the scale, rounded either way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from geozarr.context import CheckContext, shape_of
from geozarr.conventions.multiscales import KNOWN_RESAMPLING_METHODS, LayoutEntry, Multiscales
from geozarr.conventions.proj import PROJ_KEYS, ProjAttributes
from geozarr.conventions.registry import (
    ConventionMetadata,
    KnownConvention,
    identify,
    noncanonical_fields,
)
from geozarr.conventions.spatial import AFFINE, SpatialAttributes
from ngff_geozarr.core.errors import UnsafePathError
from ngff_geozarr.core.hierarchy import Node
from ngff_geozarr.core.models import parse_model
from ngff_geozarr.core.report import Severity, short_json
from ngff_geozarr.core.store import join_key

__all__ = [
    "REF_CONVENTIONS",
    "REF_MULTISCALES",
    "REF_PROJ",
    "REF_SPATIAL",
    "check_conventions_declared",
    "check_declarations",
    "check_multiscales",
    "check_proj",
    "check_spatial",
    "spatial_of",
]

REF_CONVENTIONS = "zarr-conventions §Convention Registration"
"""Clause of the ``zarr_conventions`` rules."""
REF_PROJ = "proj: v0.1 §Properties"
"""Clause of the ``proj:`` rules."""
REF_SPATIAL = "spatial: v0.1"
"""The ``spatial:`` convention, prefix of its clauses."""
REF_MULTISCALES = "multiscales: v0.1"
"""The ``multiscales`` convention, prefix of its clauses."""

_E, _W = Severity.ERROR, Severity.WARNING


def _subset(attrs: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if isinstance(k, str) and k.startswith(prefix)}


# -- zarr_conventions ---------------------------------------------------------------------


def check_declarations(ctx: CheckContext, node: Node) -> None:
    """Ensure ``zarr_conventions`` is an array of valid Convention Metadata Objects.

    zarr-conventions §"Convention Registration via zarr_conventions": an array of CMOs, each
    with at least one of ``uuid`` / ``schema_url`` / ``spec_url`` and no other keys than
    those and ``name`` / ``description``. Also: a known convention declared with a UUID that
    contradicts its URL is an error (``geozarr.conventions.identity-conflict``); one declared
    other than by the canonical v0.1 declaration is a warning
    (``geozarr.conventions.noncanonical``): readers that compare URLs will not recognise it.
    """
    entries = node.attributes.get("zarr_conventions")
    if entries is None:
        return
    if not isinstance(entries, list):
        ctx.add(
            _E,
            "geozarr.conventions.schema",
            node,
            ("attributes", "zarr_conventions"),
            f"Expected an array of convention metadata objects. Got {short_json(entries)}.",
            REF_CONVENTIONS,
        )
        return
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        pointer = ("attributes", "zarr_conventions", i)
        cmo, issues = parse_model(
            ConventionMetadata, entry, path=node.path, pointer=pointer,
            rule="geozarr.conventions.schema",
        )  # fmt: skip
        ctx.extend(issues, REF_CONVENTIONS)
        if cmo is None:
            continue
        known = identify(cmo)
        if known is None:
            continue
        by_url = _known_by_url(cmo)
        if by_url is not None and by_url is not known:
            ctx.add(
                _E,
                "geozarr.conventions.identity-conflict",
                node,
                pointer,
                f"uuid {cmo.uuid} identifies {known.name} but schema_url/spec_url name "
                f"{by_url.name}; the uuid wins, readers following the URL disagree.",
                "zarr-conventions §Convention Identity",
            )
        if known.key in seen:
            ctx.add(
                _W,
                "geozarr.conventions.duplicate",
                node,
                pointer,
                f"{known.name} is declared twice (entries {seen[known.key]} and {i}).",
                REF_CONVENTIONS,
            )
        seen.setdefault(known.key, i)
        differing = noncanonical_fields(cmo, known)
        if differing:
            shown = ", ".join(f"{k}={short_json(getattr(cmo, k), 60)}" for k in differing)
            ctx.add(
                _W,
                "geozarr.conventions.noncanonical",
                node,
                pointer,
                f"Recognised as {known.name} (uuid {known.uuid}), but not its canonical v0.1 "
                f"declaration ({shown}); expected {short_json(known.canonical(), 400)}.",
                REF_CONVENTIONS,
            )


def _known_by_url(cmo: ConventionMetadata) -> KnownConvention | None:
    if cmo.schema_url is None and cmo.spec_url is None:
        return None
    return identify(ConventionMetadata(schema_url=cmo.schema_url, spec_url=cmo.spec_url))


def check_conventions_declared(ctx: CheckContext, node: Node) -> None:
    """Warn when ``proj:`` / ``spatial:`` / ``multiscales`` properties are used undeclared.

    zarr-conventions §Non-requirements: "No implicit Conventions; Conventions must be declared
    explicitly". Properties of an undeclared convention are not checked against it (they are
    often a different scheme in the same namespace, such as STAC's ``proj:epsg``).
    """
    used: list[tuple[str, str]] = []
    if _subset(node.attributes, "proj:"):
        used.append(("proj", "proj:*"))
    if _subset(node.attributes, "spatial:"):
        used.append(("spatial", "spatial:*"))
    ms = node.attributes.get("multiscales")
    if isinstance(ms, Mapping) and "layout" in ms:
        used.append(("multiscales", "multiscales"))
    for key, what in used:
        if not ctx.applies(node, key):
            ctx.add(
                _W,
                "geozarr.conventions.undeclared",
                node,
                ("attributes",),
                f"Uses {what} attributes but neither the node nor (for an array) its parent "
                f"group declares the {key} convention in zarr_conventions; not checked as such.",
                REF_CONVENTIONS,
            )


# -- proj: ------------------------------------------------------------------------------


def check_proj(ctx: CheckContext, node: Node) -> None:
    """Ensure the ``proj:`` properties are well formed and one CRS form is given.

    proj: §Properties: ``proj:code`` matches ``^[A-Z]+:[0-9]+$``, ``proj:wkt2`` is a string,
    ``proj:projjson`` an object; at least one MUST be provided where the convention is
    declared (an array inheriting its group's declaration may rely on the group's CRS).
    Undefined ``proj:`` keys are reported as warnings. Whether the CRS resolves is
    :func:`geozarr.cf.checks.check_crs_declarations`.
    """
    if not ctx.applies(node, "proj"):
        return
    subset = _subset(node.attributes, "proj:")
    own = "proj" in ctx.declared(node)
    if not subset and not own:
        return
    _, issues = parse_model(
        ProjAttributes, subset, path=node.path, pointer=("attributes",),
        rule="geozarr.proj.schema",
    )  # fmt: skip
    if not own and not any(k in subset for k in PROJ_KEYS):
        issues = [i for i in issues if i.rule != "geozarr.proj.crs-required"]
    if own and not subset:
        issues = [i for i in issues if i.rule == "geozarr.proj.crs-required"]
    ctx.extend(issues, REF_PROJ)


# -- spatial: ---------------------------------------------------------------------------


def spatial_of(ctx: CheckContext, node: Node) -> dict[str, Any]:
    """Return the ``spatial:`` properties in force on a node: its own over its group's.

    spatial: FAQ "Can I use spatial: at the group level?": group properties apply to direct
    child arrays that do not define their own. A group's properties are taken for an array
    only when the array has both of the group's spatial dimensions.

    Parameters
    ----------
    ctx
        The run.
    node
        A node.

    Returns
    -------
    dict
        The ``spatial:`` attributes in force.
    """
    own = _subset(node.attributes, "spatial:")
    parent = ctx.parent(node)
    if node.node_type != "array" or parent is None or not ctx.applies(parent, "spatial"):
        return own
    inherited = _subset(parent.attributes, "spatial:")
    dims = inherited.get("spatial:dimensions")
    names = node.dimension_names() or ()
    if not (isinstance(dims, list) and all(d in names for d in dims)):
        return own
    return {**inherited, **own}


def _ref(clause: str) -> str:
    return f"{REF_SPATIAL} §{clause}"


def check_spatial(ctx: CheckContext, node: Node) -> None:
    """Ensure the ``spatial:`` properties are well formed and agree with the array.

    spatial: v0.1 §Properties: types and lengths; §spatial:bbox order
    (``geozarr.spatial.bbox-order``); §spatial:transform_type: unknown types are reported
    (warning) and not interpreted; then, on arrays, §spatial:dimensions: required, each
    entry MUST be one of the array's dimension names, which MUST be declared
    (``dimension-names``); §spatial:transform required for affine; §spatial:shape equals the
    array's shape on the spatial dimensions; §spatial:bbox equals the transform applied to the
    grid's corners.
    """
    if not ctx.applies(node, "spatial"):
        return
    own = _subset(node.attributes, "spatial:")
    if own or "spatial" in ctx.declared(node):
        _, issues = parse_model(
            SpatialAttributes, own, path=node.path, pointer=("attributes",),
            rule="geozarr.spatial.schema",
        )  # fmt: skip
        ctx.extend(issues, REF_SPATIAL)
    # The properties found wrong above are left out; the others are still checked (a bad
    # spatial:bbox must not hide a spatial:shape that disagrees with the array).
    eff = spatial_of(ctx, node)
    spatial = _valid_properties(eff)
    kind = spatial.transform_type or AFFINE
    if spatial.transform_type is not None and spatial.transform_type != AFFINE:
        ctx.add(
            _W,
            "geozarr.spatial.transform-type",
            node,
            ("attributes", "spatial:transform_type"),
            f"Transform type {spatial.transform_type!r} is not defined by v0.1 (only "
            "'affine'); the transform is not checked.",
            _ref("spatial:transform_type"),
        )
    if node.node_type == "array" and (own or "spatial" in ctx.declared(node)):
        _check_array_spatial(ctx, node, spatial, kind, set(eff))
    if node.node_type == "group" and ctx.complete:
        _check_group_dimensions(ctx, node, own.get("spatial:dimensions"))
    shape = _spatial_shape(ctx, node, spatial)
    if kind == AFFINE and spatial.transform and spatial.bbox and shape is not None:
        _check_bbox(ctx, node, spatial, shape)


def _valid_properties(attrs: Mapping[str, Any]) -> SpatialAttributes:
    """Return the ``spatial:`` properties that are valid, each judged on its own."""
    try:
        return SpatialAttributes.model_validate(attrs)
    except ValueError:
        pass
    valid = {}
    for key, value in attrs.items():
        try:
            SpatialAttributes.model_validate({key: value})
        except ValueError:
            continue
        valid[key] = value
    return SpatialAttributes.model_validate(valid)


def _check_array_spatial(
    ctx: CheckContext, node: Node, spatial: SpatialAttributes, kind: str, given: set[str]
) -> None:
    # given: the spatial: properties present, valid or not (an invalid one is not "missing").
    if spatial.dimensions is None and "spatial:dimensions" not in given:
        ctx.add(
            _E,
            "geozarr.spatial.dimensions-required",
            node,
            ("attributes",),
            "An array using spatial: MUST give spatial:dimensions (its own or its group's).",
            _ref("spatial:dimensions"),
        )
    elif node.array is not None and spatial.dimensions is not None:
        names = node.dimension_names()
        if names is None:
            ctx.add(
                _E,
                "geozarr.spatial.dimension-names",
                node,
                (),
                "Arrays using spatial: MUST declare their dimension names (dimension_names, "
                "or _ARRAY_DIMENSIONS in Zarr v2). Got none.",
                _ref("spatial:dimensions"),
            )
        else:
            for i, dim in enumerate(spatial.dimensions):
                if dim not in names:
                    ctx.add(
                        _E,
                        "geozarr.spatial.dimensions",
                        node,
                        ("attributes", "spatial:dimensions", i),
                        f"Expected one of the array's dimension names {list(names)}. Got {dim!r}.",
                        _ref("spatial:dimensions"),
                    )
    if kind == AFFINE and spatial.transform is None and "spatial:transform" not in given:
        ctx.add(
            _E,
            "geozarr.spatial.transform-required",
            node,
            ("attributes",),
            "spatial:transform is required when spatial:transform_type is 'affine' or "
            "omitted. Got none (on the array or its group).",
            _ref("spatial:transform"),
        )


def _described_arrays(ctx: CheckContext, group: Node) -> list[Node]:
    """Return the arrays a group's spatial: properties describe, with two or more dimensions.

    Its direct child arrays (spatial: FAQ: group properties "apply to direct child arrays");
    for a multiscales group also its levels' arrays (§Usage with multiscales: "The
    group-level spatial:dimensions ... apply to all resolution levels"), except in a level
    group that gives its own spatial:dimensions.
    """
    nodes = list(ctx.hierarchy.children(group.path))
    ms = group.attributes.get("multiscales")
    layout = ms.get("layout") if isinstance(ms, Mapping) else None
    for entry in layout if isinstance(layout, list) else []:
        asset = entry.get("asset") if isinstance(entry, Mapping) else None
        try:
            level = ctx.hierarchy.nodes.get(join_key(group.path, asset)) if asset else None
        except (UnsafePathError, TypeError):
            continue  # geozarr.multiscales.schema reports the asset
        if level is None or level.parent == group.path:
            continue
        if level.node_type == "array":
            nodes.append(level)
        elif "spatial:dimensions" not in level.attributes:
            nodes.extend(ctx.hierarchy.children(level.path))
    found: dict[str, Node] = {}
    for arr in nodes:
        names = arr.dimension_names() if arr.node_type == "array" else None
        if names is not None and len(names) >= 2 and "spatial:dimensions" not in arr.attributes:
            found.setdefault(arr.path, arr)
    return list(found.values())


def _check_group_dimensions(ctx: CheckContext, group: Node, dims: Any) -> None:
    """Report a group's spatial:dimensions that name no dimension of its arrays."""
    if not (isinstance(dims, list) and len(dims) == 2 and all(isinstance(d, str) for d in dims)):
        return
    arrays = _described_arrays(ctx, group)
    if not arrays or any(all(d in (a.dimension_names() or ()) for d in dims) for a in arrays):
        return
    seen = {a.path: list(a.dimension_names() or ()) for a in arrays}
    shown = "; ".join(f"{path!r} {names}" for path, names in list(seen.items())[:6])
    missing: list[tuple[int | None, str | None]] = [
        (i, d) for i, d in enumerate(dims) if not any(d in names for names in seen.values())
    ]
    for i, dim in missing or [(None, None)]:
        what = (
            f"{dim!r} is a dimension of none of them"
            if dim is not None
            else f"no array has both {dims[0]!r} and {dims[1]!r}"
        )
        ctx.add(
            _E,
            "geozarr.spatial.dimensions",
            group,
            ("attributes", "spatial:dimensions", *(() if i is None else (i,))),
            f"spatial:dimensions {dims} describes the group's arrays ({shown}), but {what}: "
            "no array gets the group's spatial: properties.",
            _ref("spatial:dimensions"),
        )


def _array_spatial_shape(node: Node, dims: Sequence[str]) -> tuple[int, int] | None:
    shape, names = shape_of(node), node.dimension_names()
    if shape is None or names is None or len(names) != len(shape):
        return None
    if not all(d in names for d in dims):
        return None
    return shape[names.index(dims[0])], shape[names.index(dims[1])]


def _spatial_shape(
    ctx: CheckContext, node: Node, spatial: SpatialAttributes
) -> tuple[int, int] | None:
    """Return the grid's (height, width), checked against the array where both are known."""
    actual = None
    if node.node_type == "array" and spatial.dimensions is not None:
        actual = _array_spatial_shape(node, spatial.dimensions)
    if spatial.shape is None:
        return actual
    declared = (spatial.shape[0], spatial.shape[1])
    if actual is not None and actual != declared:
        _add_disagreement(
            ctx,
            node,
            "geozarr.spatial.shape",
            "spatial:shape",
            f"Expected spatial:shape {list(actual)} (the array's shape on "
            f"{spatial.dimensions}). Got {list(declared)}",
        )
    return declared


def _add_disagreement(ctx: CheckContext, node: Node, rule: str, key: str, message: str) -> None:
    """Report (as ``rule``) a ``spatial:`` property that disagrees with the array.

    The issue points at the node's own property ``key``, or at its attributes (the message
    then says so) when the node inherits the property from its parent group.
    """
    inherited = key not in node.attributes
    ctx.add(
        _E,
        rule,
        node,
        ("attributes",) if inherited else ("attributes", key),
        message + (" from the parent group." if inherited else "."),
        _ref(key),
    )


def _corners(
    transform: Sequence[float], height: int, width: int, node_registered: bool
) -> tuple[float, float, float, float]:
    a, b, c, d, e, f = transform
    last_col, last_row = (width - 1, height - 1) if node_registered else (width, height)
    xs = [a * col + b * row + c for col in (0, last_col) for row in (0, last_row)]
    ys = [d * col + e * row + f for col in (0, last_col) for row in (0, last_row)]
    return min(xs), min(ys), max(xs), max(ys)


def _check_bbox(
    ctx: CheckContext, node: Node, spatial: SpatialAttributes, shape: tuple[int, int]
) -> None:
    assert spatial.transform is not None
    assert spatial.bbox is not None
    expected = _corners(spatial.transform, shape[0], shape[1], spatial.registration == "node")
    a, b, _, d, e, _ = spatial.transform
    pixel = (math.hypot(a, b), math.hypot(d, e))
    for i, (want, got) in enumerate(zip(expected, spatial.bbox, strict=True)):
        tolerance = max(0.01 * pixel[i % 2], 1e-9 * max(abs(want), 1.0))
        if abs(want - got) > tolerance:
            _add_disagreement(
                ctx,
                node,
                "geozarr.spatial.bbox",
                "spatial:bbox",
                f"Expected spatial:bbox {[round(v, 9) for v in expected]} (the transform "
                f"applied to a {shape[0]} x {shape[1]} grid's corners, "
                f"{spatial.registration or 'pixel'} registration). Got {list(spatial.bbox)}",
            )
            return


# -- multiscales ------------------------------------------------------------------------


def check_multiscales(ctx: CheckContext, node: Node) -> None:
    """Ensure a ``multiscales`` layout is well formed and matches the hierarchy.

    multiscales §Configuration (group only; ``layout`` of at least one level), §Layout Object
    (``asset`` path syntax; ``transform`` required with ``derived_from``), §Validation Rules
    (levels SHALL name existing children: ``asset-missing``), §layout (``derived_from``
    names a level of the layout: ``derived-from``, no cycles), §Transform Object (``scale``
    agrees with the levels' shapes), §resampling_method (an unknown method is a warning:
    readers may not know it), spatial: §Usage with multiscales (a level's
    ``spatial:shape`` equals its arrays' shape).
    """
    raw = node.attributes.get("multiscales")
    if not isinstance(raw, Mapping) or "tile_matrix_set" in raw:
        return
    if not ctx.applies(node, "multiscales"):
        return
    ms, issues = parse_model(
        Multiscales, raw, path=node.path, pointer=("attributes", "multiscales"),
        rule="geozarr.multiscales.schema",
    )  # fmt: skip
    ctx.extend(issues, f"{REF_MULTISCALES} §Layout Object")
    # Levels found wrong above are left out; the others are still checked against the
    # hierarchy (one bad level must not hide a missing asset or a wrong shape of another).
    layout, default = (
        _valid_levels(raw) if ms is None else (list(enumerate(ms.layout)), ms.resampling_method)
    )
    if not layout:
        return
    if node.node_type != "group":
        ctx.add(
            _E,
            "geozarr.multiscales.group-only",
            node,
            ("attributes", "multiscales"),
            "multiscales applies to groups only. Got it on an array; its layout is not checked "
            "(an array has no children for the assets to name).",
            f"{REF_MULTISCALES} §Configuration",
        )
        return
    raw_levels = raw.get("layout")
    assets = [
        e.get("asset") if isinstance(e, Mapping) else None
        for e in (raw_levels if isinstance(raw_levels, list) else [])
    ]
    methods: list[tuple[str | None, tuple[str | int, ...]]] = [(default, ("resampling_method",))]
    methods += [(e.resampling_method, ("layout", i, "resampling_method")) for i, e in layout]
    for method, pointer in methods:
        if method is not None and method not in KNOWN_RESAMPLING_METHODS:
            ctx.add(
                _W,
                "geozarr.multiscales.resampling-method",
                node,
                ("attributes", "multiscales", *pointer),
                f"Resampling method {method!r} is not one the spec names "
                f"({', '.join(sorted(KNOWN_RESAMPLING_METHODS))}); readers may not know it.",
                f"{REF_MULTISCALES} §resampling_method",
            )
    shapes: dict[str, tuple[int, int] | None] = {}
    dims = _group_dims(ctx, node)
    for i, entry in layout:
        pointer = ("attributes", "multiscales", "layout", i)
        if assets.count(entry.asset) > 1 and assets.index(entry.asset) != i:
            ctx.add(
                _E,
                "geozarr.multiscales.duplicate-asset",
                node,
                (*pointer, "asset"),
                f"Asset {entry.asset!r} is listed more than once.",
                f"{REF_MULTISCALES} §layout",
            )
        if entry.derived_from is not None and entry.derived_from not in assets:
            ctx.add(
                _E,
                "geozarr.multiscales.derived-from",
                node,
                (*pointer, "derived_from"),
                f"Expected the asset of another level ({assets}). Got {entry.derived_from!r}.",
                f"{REF_MULTISCALES} §layout",
            )
        level_path = join_key(node.path, entry.asset)
        level = ctx.hierarchy.nodes.get(level_path)
        if level is None:
            if ctx.complete and not ctx.hierarchy.not_read(level_path):  # not read: may exist
                ctx.add(
                    _E,
                    "geozarr.multiscales.asset-missing",
                    node,
                    (*pointer, "asset"),
                    f"Asset {entry.asset!r} names no group or array below this group.",
                    f"{REF_MULTISCALES} §Validation Rules",
                )
            shapes[entry.asset] = (
                (entry.spatial_shape[0], entry.spatial_shape[1]) if entry.spatial_shape else None
            )
            continue
        actual = _level_shape(ctx, level, dims)
        if entry.spatial_shape is not None and actual is not None:
            declared = (entry.spatial_shape[0], entry.spatial_shape[1])
            if declared != actual:
                ctx.add(
                    _E,
                    "geozarr.spatial.shape",
                    node,
                    (*pointer, "spatial:shape"),
                    f"Expected {list(actual)} (the shape of {entry.asset!r} on its spatial "
                    f"dimensions). Got {list(declared)}.",
                    _ref("Usage with multiscales convention"),
                )
        shapes[entry.asset] = actual or (
            (entry.spatial_shape[0], entry.spatial_shape[1]) if entry.spatial_shape else None
        )
    _check_derivation(ctx, node, layout, shapes)


def _valid_levels(raw: Mapping[str, Any]) -> tuple[list[tuple[int, LayoutEntry]], str | None]:
    """Return the layout's valid levels with their indices, and the default method if valid."""
    levels = raw.get("layout")
    valid: list[tuple[int, LayoutEntry]] = []
    for i, entry in enumerate(levels if isinstance(levels, list) else []):
        try:
            valid.append((i, LayoutEntry.model_validate(entry)))
        except ValueError:
            continue
    method = raw.get("resampling_method")
    return valid, method if isinstance(method, str) else None


def _group_dims(ctx: CheckContext, node: Node) -> list[str] | None:
    dims = node.attributes.get("spatial:dimensions")
    if isinstance(dims, list) and len(dims) == 2 and all(isinstance(d, str) for d in dims):
        return dims
    return None


def _level_shape(ctx: CheckContext, level: Node, dims: list[str] | None) -> tuple[int, int] | None:
    """Return a level's (height, width): the array's, or its group's first 2-D+ array's."""
    candidates = [level] if level.node_type == "array" else list(ctx.hierarchy.children(level.path))
    level_dims = _group_dims(ctx, level) or dims
    for arr in candidates:
        if arr.node_type != "array":
            continue
        if level_dims is not None:
            found = _array_spatial_shape(arr, level_dims)
            if found is not None:
                return found
        elif (shape := shape_of(arr)) is not None and len(shape) >= 2:
            return shape[-2], shape[-1]
    own = level.attributes.get("spatial:shape")
    if isinstance(own, list) and len(own) == 2 and all(isinstance(v, int) for v in own):
        return own[0], own[1]
    return None


def _scale_fits(src: int, dst: int, factor: float) -> bool:
    """Whether a level of ``dst`` cells can derive from ``src`` by ``factor``.

    Rounding either way, with one cell of slack; a NaN, infinite, zero or negative factor
    (or one so small that the ratio overflows) never does.
    """
    ratio = src / factor if math.isfinite(factor) and factor > 0 else math.nan
    return math.isfinite(ratio) and math.floor(ratio) - 1 <= dst <= math.ceil(ratio) + 1


def _check_derivation(
    ctx: CheckContext,
    node: Node,
    layout: Sequence[tuple[int, LayoutEntry]],
    shapes: Mapping[str, tuple[int, int] | None],
) -> None:
    by_asset = {e.asset: e for _, e in layout}
    for i, entry in layout:
        pointer = ("attributes", "multiscales", "layout", i)
        # derived_from chains end at a level derived from nothing.
        seen, current = {entry.asset}, entry
        while current.derived_from is not None and current.derived_from in by_asset:
            if current.derived_from in seen:
                ctx.add(
                    _E,
                    "geozarr.multiscales.derived-from",
                    node,
                    (*pointer, "derived_from"),
                    f"derived_from forms a cycle through {sorted(seen)}.",
                    f"{REF_MULTISCALES} §layout",
                )
                break
            seen.add(current.derived_from)
            current = by_asset[current.derived_from]
        if entry.derived_from is None or entry.transform is None or entry.transform.scale is None:
            continue
        source, target = shapes.get(entry.derived_from), shapes.get(entry.asset)
        scale = entry.transform.scale
        if source is None or target is None or len(scale) < 2:
            continue
        wrong = [
            f"scale {factor} on axis {axis}: {entry.derived_from!r} has {src}, "
            f"{entry.asset!r} has {dst} (ratio {src / dst if dst else math.inf:.4g})"
            for axis, (src, dst, factor) in enumerate(zip(source, target, scale[-2:], strict=True))
            if not _scale_fits(src, dst, factor)
        ]
        if wrong:  # one issue per level, naming every axis that disagrees
            ctx.add(
                _E,
                "geozarr.multiscales.scale",
                node,
                (*pointer, "transform", "scale"),
                f"The scale does not match the shapes: {'; '.join(wrong)}.",
                f"{REF_MULTISCALES} §Transform Object",
            )
