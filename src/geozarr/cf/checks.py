"""Rules of CF as GeoZarr uses it, and the CRS rules shared with ``proj:``.

One function per rule, named for what it ensures, docstring citing the clause (CF-1.11 unless
said otherwise). The coordinate variables and their values against the array's transform are
checked in :mod:`geozarr.cf.checks_coordinates`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from geozarr.cf.grid_mappings import (
    GRID_MAPPING_NAMES,
    GridMappingVariable,
    grid_mapping_entries,
    grid_mappings_of,
    parse_geotransform,
)
from geozarr.cf.standard_names import MODIFIERS, load_table
from geozarr.cf.units import compatible
from geozarr.cf.variables import FILL_VALUE, CFVariable, decode_fill_value
from geozarr.context import CheckContext, shape_of
from geozarr.crs import ParsedCrs, crs_agree, parse_crs
from ngff_geozarr.core.hierarchy import ARRAY_DIMENSIONS, Node
from ngff_geozarr.core.models import parse_model
from ngff_geozarr.core.report import Severity, short_json

__all__ = [
    "REF_CF",
    "REF_XARRAY",
    "check_array_dimensions",
    "check_cf_attributes",
    "check_coordinates_attribute",
    "check_crs_declarations",
    "check_fill_value_pitfall",
    "check_grid_mapping_coordinates",
    "check_grid_mapping_reference",
    "check_grid_mapping_variable",
    "check_standard_name",
    "check_units",
    "check_xarray_dimensions",
    "grid_mapping_names",
    "is_grid_mapping",
]

REF_CF = "CF-1.11"
"""The CF version the clauses cite."""

_E, _W = Severity.ERROR, Severity.WARNING
_FLOAT_TYPES = ("float16", "float32", "float64")


def _attr(node: Node, key: str) -> Any:
    return node.attributes.get(key)


def is_grid_mapping(node: Node) -> bool:
    """Tell whether a node is a grid-mapping variable (it names a mapping or holds a CRS).

    Parameters
    ----------
    node
        A node.

    Returns
    -------
    bool
        True for an array with ``grid_mapping_name``, ``crs_wkt`` or ``spatial_ref``.
    """
    return node.node_type == "array" and any(
        k in node.attributes for k in ("grid_mapping_name", "crs_wkt", "spatial_ref")
    )


def grid_mapping_names(value: str) -> list[str]:
    """Return the grid-mapping variables a ``grid_mapping`` attribute names (CF §5.6).

    The names of :func:`~geozarr.cf.grid_mappings.grid_mapping_entries`, in order.

    Examples
    --------
    >>> grid_mapping_names("spatial_ref")
    ['spatial_ref']
    >>> grid_mapping_names("crsOSGB: x y crsWGS84: lat lon")
    ['crsOSGB', 'crsWGS84']
    """
    return [name for name, _ in grid_mapping_entries(value)]


# -- attributes --------------------------------------------------------------------------


def check_cf_attributes(ctx: CheckContext, node: Node) -> None:
    """Ensure CF attributes have their CF types (CF Appendix A).

    Names and references are strings, ``scale_factor`` / ``add_offset`` numbers, ``axis``
    one of X, Y, Z, T, ``_ARRAY_DIMENSIONS`` an array of strings.
    """
    _, issues = parse_model(
        CFVariable, dict(node.attributes), path=node.path, pointer=("attributes",),
        rule="geozarr.cf.schema",
    )  # fmt: skip
    ctx.extend(issues, f"{REF_CF} Appendix A")


def check_array_dimensions(ctx: CheckContext, node: Node) -> None:
    """Ensure the dimension names match the array's rank, and agree where given twice.

    xarray's Zarr encoding (GeoZarr v0.4 §GeoZarr DataArray): ``_ARRAY_DIMENSIONS`` lists one
    name per dimension; in Zarr v3 ``dimension_names`` does, and an ``_ARRAY_DIMENSIONS``
    kept beside it must say the same.
    """
    shape = shape_of(node)
    if shape is None:
        return
    attr = _attr(node, ARRAY_DIMENSIONS)
    meta = node.metadata.get("dimension_names")
    if isinstance(attr, list) and len(attr) != len(shape):
        ctx.add(
            _E,
            "geozarr.cf.array-dimensions",
            node,
            ("attributes", ARRAY_DIMENSIONS),
            f"Expected {len(shape)} dimension names, one per dimension. Got {short_json(attr)}.",
            "GeoZarr v0.4 §GeoZarr DataArray",
        )
    if isinstance(attr, list) and isinstance(meta, list) and attr != meta:
        ctx.add(
            _E,
            "geozarr.cf.array-dimensions",
            node,
            ("attributes", ARRAY_DIMENSIONS),
            f"_ARRAY_DIMENSIONS {short_json(attr)} disagrees with dimension_names "
            f"{short_json(meta)}.",
            "GeoZarr v0.4 §GeoZarr DataArray",
        )


REF_XARRAY = "xarray Zarr encoding §Zarr Encoding Specification"
"""xarray's documented Zarr v2 encoding of dimension names (``_ARRAY_DIMENSIONS``)."""


def check_xarray_dimensions(ctx: CheckContext, node: Node) -> None:
    """Ensure every Zarr v2 array names its dimensions in ``_ARRAY_DIMENSIONS``.

    xarray's Zarr encoding specification: "When reading a Zarr group, Xarray looks for this
    attribute on all arrays, raising an error if it can't be found." One array without it
    (a 0-D grid mapping, say, which needs ``[]``) and ``xarray.open_zarr`` fails for the whole
    group. NCZarr's ``_NCZARR_ARRAY.dimrefs``, the one alternative xarray reads, is accepted.
    Zarr v3 arrays name their dimensions in ``dimension_names`` (spatial: and CF rules).
    """
    if node.node_type != "array" or node.zarr_format != 2 or node.array is None:
        return
    if ARRAY_DIMENSIONS in node.attributes or "_NCZARR_ARRAY" in node.metadata:
        return
    shape = tuple(node.array.shape)
    fix = (
        '"_ARRAY_DIMENSIONS": [] (a 0-D array has no dimensions, but needs the empty list)'
        if not shape
        else f'"_ARRAY_DIMENSIONS" with {len(shape)} dimension name(s), one per dimension of '
        f"shape {list(shape)}"
    )
    ctx.add(
        _E,
        "geozarr.xarray.array-dimensions",
        node,
        ("attributes",),
        "Zarr v2 array without _ARRAY_DIMENSIONS: xarray cannot open its group (KeyError "
        f"'_ARRAY_DIMENSIONS'). Add {fix} to its .zattrs.",
        REF_XARRAY,
    )


def check_standard_name(ctx: CheckContext, node: Node) -> None:
    """Ensure ``standard_name`` is in the CF standard name table (CF §3.3, Appendix C).

    A name the table lists as an alias is a warning (readers map it to its replacement); an
    unknown name or modifier is an error.
    """
    value = _attr(node, "standard_name")
    if not isinstance(value, str):
        return
    table = load_table()
    name, modifier, replacement = table.lookup(value)
    pointer = ("attributes", "standard_name")
    if replacement is not None:
        ctx.add(
            _W,
            "geozarr.cf.standard-name-alias",
            node,
            pointer,
            f"{value!r} is an alias in standard name table v{table.version}; use {replacement!r}.",
            f"{REF_CF} §3.3",
        )
    elif name is None:
        ctx.add(
            _E,
            "geozarr.cf.standard-name",
            node,
            pointer,
            f"{value!r} is not in the CF standard name table (v{table.version}).",
            f"{REF_CF} §3.3",
        )
    if modifier is not None and modifier not in MODIFIERS:
        ctx.add(
            _E,
            "geozarr.cf.standard-name",
            node,
            pointer,
            f"Unknown standard name modifier {modifier!r}; expected one of {sorted(MODIFIERS)}.",
            f"{REF_CF} Appendix C",
        )


def check_units(ctx: CheckContext, node: Node) -> None:
    """Ensure ``units`` are physically equivalent to the standard name's canonical units.

    CF §3.1 / §3.3. Checked only where both unit strings are understood (see
    :mod:`geozarr.cf.units`) and the standard name has canonical units.
    """
    units, value = _attr(node, "units"), _attr(node, "standard_name")
    if not isinstance(units, str) or not isinstance(value, str):
        return
    table = load_table()
    name, modifier, replacement = table.lookup(value)
    name = name or replacement
    if name is None:
        return
    canonical = table.units.get(name, "")
    if modifier in MODIFIERS and MODIFIERS[modifier] is not None:
        canonical = MODIFIERS[modifier] or ""
    if not canonical:
        return
    if compatible(units, canonical) is False:
        ctx.add(
            _E,
            "geozarr.cf.units",
            node,
            ("attributes", "units"),
            f"Units {units!r} are not compatible with {canonical!r}, the canonical units of "
            f"{name!r}.",
            f"{REF_CF} §3.1",
        )


def _dtype_kind(node: Node) -> str | None:
    """Return ``"f"``, ``"i"`` or ``"u"`` for a numeric array's data type (v2 or v3 spelling)."""
    dtype = node.metadata.get("data_type", node.metadata.get("dtype"))
    if not isinstance(dtype, str):
        return None
    if dtype in _FLOAT_TYPES or dtype[1:2] == "f":
        return "f"
    if dtype.startswith(("int", "uint")) and dtype.rstrip("0123456789") in ("int", "uint"):
        return dtype[0]
    return dtype[1:2] if len(dtype) > 2 and dtype[1:2] in ("i", "u") else None


def _same_fill(a: float | int, b: float | int | None) -> bool:
    if b is None:
        return False
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def _shown(value: float | int | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def check_fill_value_pitfall(ctx: CheckContext, node: Node) -> None:
    """Ensure the array's Zarr ``fill_value`` is its ``_FillValue``.

    CF §2.5.1: ``_FillValue`` "is considered to be a special value that indicates undefined
    or missing data, and is returned when reading values that were not written". In Zarr a
    chunk never written reads as the array's own ``fill_value``; xarray writing Zarr v3 keeps
    ``_FillValue`` as an attribute while ``fill_value`` defaults to 0. For an integer array
    (packed data above all) the two MUST then be equal, or never-written chunks decode as
    valid data and GDAL masks the wrong value (``geozarr.cf.fill-value``, an error naming the
    fix); for a float array a mismatch (``_FillValue`` NaN, ``fill_value`` 0, say) is a
    warning (``geozarr.cf.fill-value-nan``).
    """
    kind = _dtype_kind(node)
    if kind is None or FILL_VALUE not in node.attributes:
        return
    attr = decode_fill_value(node.attributes[FILL_VALUE])
    if attr is None:
        return  # not a number: geozarr.cf.schema / packed-type say so
    zarr_fill = decode_fill_value(node.metadata.get("fill_value"))
    if _same_fill(attr, zarr_fill):
        return
    if kind == "f":
        _float_fill_mismatch(ctx, node, attr, zarr_fill)
        return
    decoded = _decoded(node, zarr_fill)
    name = node.name or "the variable"
    xarray_fix = (
        f"encoding={{{name!r}: {{'_FillValue': {_shown(attr)}, 'fill_value': {_shown(attr)}}}}}"
    )
    ctx.add(
        _E,
        "geozarr.cf.fill-value",
        node,
        ("fill_value",),
        f"Integer array with fill_value {_shown(zarr_fill)} but _FillValue {_shown(attr)}: "
        f"never-written chunks read as {_shown(zarr_fill)}{decoded}, valid data rather than "
        f"missing, and GDAL masks {_shown(zarr_fill)} instead of {_shown(attr)}. Set the "
        f"array's fill_value to {_shown(attr)} (xarray, Zarr v3: {xarray_fix}).",
        f"{REF_CF} §2.5.1",
    )


def _float_fill_mismatch(
    ctx: CheckContext, node: Node, attr: float | int, zarr_fill: float | int | None
) -> None:
    want = "NaN" if isinstance(attr, float) and math.isnan(attr) else _shown(attr)
    got = "NaN" if isinstance(zarr_fill, float) and math.isnan(zarr_fill) else _shown(zarr_fill)
    if got == "NaN":
        effect = (
            f"unwritten chunks read as NaN, not {want}, and readers disagree on nodata (GDAL "
            f"takes the fill_value NaN, xarray the _FillValue {want})"
        )
    else:
        effect = f"unwritten chunks read as {got}, not as missing"
    ctx.add(
        _W,
        "geozarr.cf.fill-value-nan",
        node,
        ("fill_value",),
        f"fill_value is {got} while _FillValue is {want}: {effect}. Set the array's "
        f"fill_value to {want}.",
        f"{REF_CF} §2.5.1",
    )


def _decoded(node: Node, value: float | int | None) -> str:
    """Return ``", decoded as X units"`` for packed data, else ``""``."""
    scale, offset = node.attributes.get("scale_factor", 1), node.attributes.get("add_offset", 0)
    if value is None or not all(isinstance(v, int | float) for v in (scale, offset)):
        return ""
    if scale == 1 and offset == 0:
        return ""
    units = node.attributes.get("units")
    shown = f"{value * scale + offset:.6g}"
    return f" (decoded {shown}{' ' + units if isinstance(units, str) else ''})"


def check_coordinates_attribute(ctx: CheckContext, node: Node) -> None:
    """Ensure every variable the ``coordinates`` attribute names exists (CF §5)."""
    value = _attr(node, "coordinates")
    if not isinstance(value, str) or not ctx.complete:
        return
    missing = [n for n in value.split() if ctx.lookup(node, n) is None]
    if missing:
        ctx.add(
            _E,
            "geozarr.cf.coordinates-missing",
            node,
            ("attributes", "coordinates"),
            f"coordinates names variables that do not exist: {', '.join(missing)}.",
            f"{REF_CF} §5",
        )


# -- grid mappings -----------------------------------------------------------------------


def check_grid_mapping_reference(ctx: CheckContext, node: Node) -> None:
    """Ensure ``grid_mapping`` names an existing grid-mapping variable (CF §5.6)."""
    value = _attr(node, "grid_mapping")
    if not isinstance(value, str) or not ctx.complete:
        return
    for name in grid_mapping_names(value):
        target = ctx.lookup(node, name)
        if target is None:
            ctx.add(
                _E,
                "geozarr.cf.grid-mapping-missing",
                node,
                ("attributes", "grid_mapping"),
                f"grid_mapping names {name!r}, which does not exist in the group or its ancestors.",
                f"{REF_CF} §5.6",
            )
        elif not is_grid_mapping(target):
            ctx.add(
                _E,
                "geozarr.cf.grid-mapping-missing",
                node,
                ("attributes", "grid_mapping"),
                f"grid_mapping names {name!r}, which is not a grid-mapping variable "
                "(no grid_mapping_name, crs_wkt or spatial_ref).",
                f"{REF_CF} §5.6",
            )


def check_grid_mapping_coordinates(ctx: CheckContext, node: Node) -> None:
    """Ensure the extended ``grid_mapping`` form lists the array's own coordinates (CF §5.6).

    "All coordinate names listed in the grid_mapping attribute must be coordinate variables
    or auxiliary coordinates of the data variable": a dimension of the array that has its
    variable, or a variable its ``coordinates`` attribute names.
    """
    value = _attr(node, "grid_mapping")
    if not isinstance(value, str) or not ctx.complete:
        return
    dims = {str(d) for d in node.dimension_names() or () if d is not None}
    listed = _attr(node, "coordinates")
    auxiliary = set(listed.split()) if isinstance(listed, str) else set()
    wrong = [
        name
        for _, coords in grid_mapping_entries(value)
        for name in coords
        if not (name in dims | auxiliary and ctx.lookup(node, name) is not None)
    ]
    if wrong:
        ctx.add(
            _E,
            "geozarr.cf.grid-mapping-coordinates",
            node,
            ("attributes", "grid_mapping"),
            f"grid_mapping lists {', '.join(repr(n) for n in dict.fromkeys(wrong))}, which "
            "MUST be coordinate variables (dimensions of the array, with their variable) or "
            "auxiliary coordinates its coordinates attribute names.",
            f"{REF_CF} §5.6",
        )


def _cf_cannot_name(attrs: Mapping[str, Any]) -> bool:
    """Tell whether the CRS that ``crs_wkt`` describes has no CF grid mapping at all."""
    text = attrs.get("crs_wkt", attrs.get("spatial_ref"))
    parsed = parse_crs("wkt", text)
    if parsed.crs is None:
        return False
    try:
        return "grid_mapping_name" not in parsed.crs.to_cf()
    except Exception:  # pyproj cannot express every CRS as CF: then CF cannot name it
        return True


def check_grid_mapping_variable(ctx: CheckContext, node: Node) -> None:
    """Ensure a grid-mapping variable names a CF mapping with its parameters (CF §5.6, App. F).

    ``grid_mapping_name`` is required and one of Appendix F's — a warning only when CF
    defines no grid mapping for the CRS that ``crs_wkt`` describes (Web Mercator, say), as
    then no writer can comply; the mapping's parameters are
    required (``geozarr.cf.grid-mapping``); ``GeoTransform`` is six numbers
    (``geozarr.cf.geotransform``); when ``crs_wkt`` also describes the CRS, the mapping it
    implies must have the same name (``geozarr.crs.disagree``).
    """
    attrs = node.attributes
    name = attrs.get("grid_mapping_name")
    ref = f"{REF_CF} §5.6"
    if name is None:
        given = ", ".join(k for k in ("crs_wkt", "spatial_ref") if k in attrs)
        if _cf_cannot_name(attrs):
            # CF lists no grid mapping for this CRS (Web Mercator, for one): no writer can
            # give it a grid_mapping_name, and crs_wkt defines it fully.
            ctx.add(
                _W,
                "geozarr.cf.grid-mapping-name",
                node,
                ("attributes",),
                f"No grid_mapping_name: CF defines no grid mapping for this CRS, which only "
                f"{given} describe; readers that need a CF grid mapping cannot use it.",
                ref,
            )
        else:
            ctx.add(
                _E,
                "geozarr.cf.grid-mapping-name",
                node,
                ("attributes",),
                f"A grid-mapping variable MUST have grid_mapping_name. Got only {given}.",
                ref,
            )
    elif name not in GRID_MAPPING_NAMES:
        ctx.add(
            _E,
            "geozarr.cf.grid-mapping",
            node,
            ("attributes", "grid_mapping_name"),
            f"Expected a grid mapping of CF Appendix F. Got {short_json(name)}.",
            f"{REF_CF} Appendix F",
        )
    else:
        _, issues = parse_model(
            GridMappingVariable, dict(attrs), path=node.path, pointer=("attributes",),
            rule="geozarr.cf.grid-mapping",
        )  # fmt: skip
        ctx.extend(issues, f"{REF_CF} Appendix F")
    geotransform = attrs.get("GeoTransform")
    if geotransform is not None and (
        not isinstance(geotransform, str) or parse_geotransform(geotransform) is None
    ):
        ctx.add(
            _E,
            "geozarr.cf.geotransform",
            node,
            ("attributes", "GeoTransform"),
            f"Expected six numbers separated by spaces. Got {short_json(geotransform)}.",
            "GeoZarr v0.4 §Coordinate Reference System",
        )
    wkt = _node_crs(node).get("crs_wkt")
    if isinstance(name, str) and name in GRID_MAPPING_NAMES and wkt is not None and wkt.crs:
        implied = _cf_name(wkt)
        if implied is not None and implied != name:
            ctx.add(
                _E,
                "geozarr.crs.disagree",
                node,
                ("attributes", "grid_mapping_name"),
                f"grid_mapping_name is {name!r} but crs_wkt describes a {implied!r} mapping.",
                ref,
            )


def _cf_name(parsed: ParsedCrs) -> str | None:
    try:
        cf = parsed.crs.to_cf() if parsed.crs is not None else {}
    except Exception:  # pyproj raises several kinds for CRSs CF cannot express
        return None
    name = cf.get("grid_mapping_name")
    return name if isinstance(name, str) else None


# -- CRS ---------------------------------------------------------------------------------

_CRS_KEYS = (
    ("proj:code", "code"),
    ("proj:wkt2", "wkt2"),
    ("proj:projjson", "projjson"),
    ("crs_wkt", "wkt"),
    ("spatial_ref", "wkt"),
)


def _node_crs(node: Node, *, proj: bool = True) -> dict[str, ParsedCrs]:
    out: dict[str, ParsedCrs] = {}
    for key, kind in _CRS_KEYS:
        if key.startswith("proj:") and not proj:
            continue
        value = node.attributes.get(key)
        if value is None or (key in ("crs_wkt", "spatial_ref") and not is_grid_mapping(node)):
            continue
        out[key] = parse_crs(kind, value)  # type: ignore[arg-type]
    return out


def check_crs_declarations(ctx: CheckContext, node: Node) -> None:
    """Ensure every CRS declaration parses, resolves, and agrees with the others.

    proj: §proj:code (resolves: ``geozarr.crs.unresolvable``), §proj:wkt2 (WKT2, not WKT1:
    ``geozarr.proj.wkt2-version``), §proj:projjson; CF §5.6 ``crs_wkt`` and GDAL's
    ``spatial_ref`` (``geozarr.crs.unparseable``). All declarations on a node MUST describe
    one CRS, and a data variable's grid mapping the same CRS as its ``proj:`` one (own or its
    group's) (``geozarr.crs.disagree``). Only PROJ's bundled database is used.
    """
    parsed = _node_crs(node, proj=ctx.applies(node, "proj"))
    for key, result in parsed.items():
        pointer = ("attributes", key)
        if result.crs is None:
            rule = "geozarr.crs.unresolvable" if key == "proj:code" else "geozarr.crs.unparseable"
            ctx.add(_E, rule, node, pointer, f"{key}: {result.problem}", _crs_ref(key))
        elif key == "proj:wkt2" and result.wkt1:
            ctx.add(
                _E,
                "geozarr.proj.wkt2-version",
                node,
                pointer,
                "proj:wkt2 holds WKT1 (PROJCS/GEOGCS); the property is WKT2 (ISO 19162:2019). "
                "Write crs.to_wkt() of a WKT2-capable library, or use proj:code.",
                _crs_ref(key),
            )
    usable = [(k, r) for k, r in parsed.items() if r.crs is not None]
    for key, result in usable[1:]:
        first_key, first = usable[0]
        assert first.crs is not None
        assert result.crs is not None
        if not crs_agree(first.crs, result.crs):
            ctx.add(
                _E,
                "geozarr.crs.disagree",
                node,
                ("attributes", key),
                f"{key} ({result.crs.name}) and {first_key} ({first.crs.name}) describe "
                "different CRSs.",
                _crs_ref(key),
            )
    _check_grid_mapping_agrees(ctx, node, usable)


def _check_grid_mapping_agrees(
    ctx: CheckContext, node: Node, own: list[tuple[str, ParsedCrs]]
) -> None:
    value = _attr(node, "grid_mapping")
    if not isinstance(value, str):
        return
    proj = [(k, r) for k, r in own if k.startswith("proj:")]
    parent = ctx.parent(node)
    if not proj and parent is not None and ctx.applies(parent, "proj"):
        proj = [(k, r) for k, r in _node_crs(parent).items() if k.startswith("proj:") and r.crs]
    if not proj:
        return
    key, mine = proj[0]
    # proj: describes the grid; a mapping CF's extended form gives only auxiliary
    # coordinates (``crs_wgs84: lat lon``) describes those, not the grid (CF §5.6)
    dims = [str(d) for d in node.dimension_names() or () if d is not None]
    for name in grid_mappings_of(value, dims):
        target = ctx.lookup(node, name)
        if target is None:
            continue
        for gm_key, gm in _node_crs(target, proj=False).items():
            if gm.crs is not None and mine.crs is not None and not crs_agree(mine.crs, gm.crs):
                ctx.add(
                    _E,
                    "geozarr.crs.disagree",
                    node,
                    ("attributes", "grid_mapping"),
                    f"The grid mapping {name!r} ({gm_key}: {gm.crs.name}) and {key} "
                    f"({mine.crs.name}) describe different CRSs.",
                    f"{REF_CF} §5.6",
                )
                break  # one issue per grid mapping; the others are still compared


def _crs_ref(key: str) -> str:
    if key.startswith("proj:"):
        return f"proj: v0.1 §{key}"
    return f"{REF_CF} §5.6 ({key})"
