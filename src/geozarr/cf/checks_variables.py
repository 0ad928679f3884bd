"""CF rules on one variable's own attributes: units, time, vertical, packing, names, axes.

These close gaps of the CF coverage table (``docs/reference/coverage/cf.md``); one function
per rule, each citing the CF-1.11 sentence it enforces. Attributes are JSON in Zarr, so a
"type" CF speaks of is judged from the value (an integral number fits an integer type) and
the array's data type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from geozarr.cf.standard_names import MODIFIERS, load_table
from geozarr.cf.units import compatible
from geozarr.cf.variables import FILL_VALUE, decode_fill_value
from geozarr.context import CheckContext, dimensions_pointer
from ngff_geozarr.core.hierarchy import Node
from ngff_geozarr.core.hierarchy.array_checks import parse_dtype
from ngff_geozarr.core.report import Severity

__all__ = [
    "check_axis_unique",
    "check_crs_names",
    "check_dimension_order",
    "check_dimensions_unique",
    "check_ellipsoid",
    "check_fill_value_outside_valid_range",
    "check_multidimensional_coordinate_names",
    "check_names",
    "check_names_case",
    "check_packed_data",
    "check_time_units",
    "check_units_metadata",
    "check_units_present",
    "check_vertical_positive",
    "declared_cf_version",
]

_E, _W = Severity.ERROR, Severity.WARNING
_REF = "CF-1.11"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_DIMENSIONLESS = frozenset({"", "1"})
_VERTICAL_NAMES = frozenset({"altitude", "depth", "height", "height_above_mean_sea_level"})
_PACKED_FLOAT = ("int8", "uint8", "int16", "uint16")
_PACKED_DOUBLE = (*_PACKED_FLOAT, "int32", "uint32")
_MISSING_KEYS = (FILL_VALUE, "valid_min", "valid_max", "valid_range")
_UNITS_METADATA = ("temperature: on_scale", "temperature: difference", "temperature: unknown")
_CRS_NAMES = (
    "reference_ellipsoid_name",
    "prime_meridian_name",
    "horizontal_datum_name",
    "geographic_crs_name",
)


def _attr(node: Node, key: str) -> Any:
    return node.attributes.get(key)


def _dtype(node: Node) -> np.dtype[Any] | None:
    return parse_dtype(node.metadata.get("data_type", node.metadata.get("dtype")))


def _canonical_units(node: Node) -> tuple[str, str] | None:
    """Return the standard name and its canonical units, when the table knows them."""
    value = _attr(node, "standard_name")
    if not isinstance(value, str):
        return None
    name, modifier, replacement = load_table().lookup(value)
    name = name or replacement
    if name is None:
        return None
    canonical = load_table().units.get(name, "")
    if modifier is not None and modifier in MODIFIERS:
        canonical = MODIFIERS[modifier] or canonical
    return name, canonical


def _is_time(node: Node) -> bool:
    return bool(_attr(node, "axis") == "T" or _attr(node, "standard_name") == "time")


def check_units_present(ctx: CheckContext, node: Node) -> None:
    """Ensure a dimensional quantity has ``units``.

    CF §3.1: "The **`units`** attribute is required for all variables that represent
    dimensional quantities"; §4.1, §4.2, §4.3, §4.4: latitude, longitude, vertical and time
    coordinates "must always explicitly include the **`units`** attribute". A variable is
    dimensional when its standard name's canonical units are not ``1``, or when it is a
    time coordinate (``axis: T``).
    """
    if "units" in node.attributes:
        return
    known = _canonical_units(node)
    if known is not None and known[1] not in _DIMENSIONLESS:
        what = f"its standard name {known[0]!r} has canonical units {known[1]!r}"
    elif _attr(node, "axis") == "T":
        what = "it is a time coordinate (axis T)"
    else:
        return
    ctx.add(
        _E,
        "geozarr.cf.units-missing",
        node,
        ("attributes",),
        f"The variable has no 'units', but {what}; CF requires units on dimensional quantities.",
        f"{_REF} §3.1",
    )


def check_time_units(ctx: CheckContext, node: Node) -> None:
    """Ensure time units name a reference date after ``since``.

    CF §4.4: "For compatibility with other software, CF strongly recommends that `since`
    should be used." "The reference date/time string (appearing after the identifier
    **`since`**) is required."
    """
    units = _attr(node, "units")
    if not _is_time(node) or not isinstance(units, str):
        return
    _, sep, reference = units.strip().partition(" since ")
    if not sep and units.strip().endswith(" since"):
        sep, reference = " since ", ""
    if not sep:
        if compatible(units, "s") is False:
            return  # not a time unit at all: geozarr.cf.units' business
        ctx.add(
            _W,
            "geozarr.cf.time-units",
            node,
            ("attributes", "units"),
            f"Time units {units!r} name no reference date; CF recommends '<unit> since <date>'.",
            f"{_REF} §4.4",
        )
    elif not reference.strip():
        ctx.add(
            _E,
            "geozarr.cf.time-units",
            node,
            ("attributes", "units"),
            f"Time units {units!r}: 'since' is not followed by a reference date/time.",
            f"{_REF} §4.4",
        )


def _is_vertical(node: Node) -> bool:
    """Whether a variable is a vertical coordinate (not a height-valued data variable)."""
    if _attr(node, "axis") == "Z":
        return True
    name = _attr(node, "standard_name")
    own = node.dimension_names() == (node.name,)
    return own and isinstance(name, str) and name in _VERTICAL_NAMES


def check_vertical_positive(ctx: CheckContext, node: Node) -> None:
    """Ensure a height or depth coordinate says which way is up.

    CF §4.3: "the attribute **`positive`** as defined in the COARDS standard is required if
    the vertical axis units are not a valid unit of pressure". A vertical coordinate is one
    with ``axis: Z``, or a coordinate variable (1-D over its own dimension) with a height or
    depth standard name; a data variable of heights (a DEM) is none. Its units must be
    understood and not a pressure for the rule to apply.
    """
    units = _attr(node, "units")
    if not _is_vertical(node) or not isinstance(units, str) or "positive" in node.attributes:
        return
    if compatible(units, "Pa") is not False:
        return  # a pressure, or units not understood
    ctx.add(
        _E,
        "geozarr.cf.positive",
        node,
        ("attributes",),
        f"The vertical coordinate has units {units!r} (not a pressure) but no 'positive' "
        "('up' or 'down').",
        f"{_REF} §4.3",
    )


def _coordinate_names(ctx: CheckContext, node: Node) -> Iterator[tuple[str, Node]]:
    """Yield the node's coordinate variables (by dimension) and auxiliary coordinates."""
    names = [d for d in node.dimension_names() or () if d is not None]
    extra = _attr(node, "coordinates")
    if isinstance(extra, str):
        names += extra.split()
    seen: set[str] = set()
    for name in names:
        if name in seen or name == node.name:
            continue
        seen.add(name)
        target = ctx.lookup(node, name)
        if target is not None and target.node_type == "array":
            yield name, target


def check_axis_unique(ctx: CheckContext, node: Node) -> None:
    """Ensure no two coordinates of a data variable share one ``axis`` value.

    CF §5: "it is not permissible for a data variable to have both a coordinate variable and
    an auxiliary coordinate variable, or more than one of either type of variable, having an
    **`axis`** attribute with any given value".
    """
    if not ctx.complete:
        return
    by_axis: dict[str, list[str]] = {}
    for name, target in _coordinate_names(ctx, node):
        axis = _attr(target, "axis")
        if isinstance(axis, str):
            by_axis.setdefault(axis, []).append(name)
    for axis, names in sorted(by_axis.items()):
        if len(names) > 1:
            ctx.add(
                _E,
                "geozarr.cf.axis-unique",
                node,
                ("attributes",),
                f"Coordinates {', '.join(names)} all have axis {axis!r}; at most one "
                "coordinate of a variable may.",
                f"{_REF} §5",
            )


def _fits(value: Any, dtype: np.dtype[Any]) -> bool:
    """Whether a JSON value is a number of the integer type ``dtype``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        return False
    info = np.iinfo(dtype)
    return info.min <= int(value) <= info.max


def check_packed_data(ctx: CheckContext, node: Node) -> None:
    """Ensure packed data is of a packing type and its missing-value attributes of that type.

    CF §8.1: "Data of type **`float`** must be packed into one of these types: **`byte`**,
    **`unsigned byte`**, **`short`**, **`unsigned short`**." "Data of type **`double`** must be
    packed into one of these types: ... **`int`**, **`unsigned int`**." "When data to be packed
    contains missing values the attributes that indicate missing values (**`_FillValue`**,
    **`valid_min`**, **`valid_max`**, **`valid_range`**) must be of the same data type as the
    packed data."
    """
    if "scale_factor" not in node.attributes and "add_offset" not in node.attributes:
        return
    dtype = _dtype(node)
    if dtype is None:
        return
    if dtype.name not in _PACKED_DOUBLE:
        ctx.add(
            _E,
            "geozarr.cf.packed-type",
            node,
            ("data_type",) if node.zarr_format == 3 else ("dtype",),
            f"Packed data (scale_factor/add_offset) is stored as {dtype.name}; CF packs into "
            f"{', '.join(_PACKED_DOUBLE)}.",
            f"{_REF} §8.1",
        )
        return
    for key in _MISSING_KEYS:
        if key not in node.attributes:
            continue
        raw = node.attributes[key]
        values = raw if key == "valid_range" and isinstance(raw, list) else [raw]
        if key == FILL_VALUE:
            values = [decode_fill_value(raw)]
        if not all(_fits(v, dtype) for v in values):
            ctx.add(
                _E,
                "geozarr.cf.packed-type",
                node,
                ("attributes", key),
                f"{key} {raw!r} is not a value of the packed type {dtype.name}.",
                f"{_REF} §8.1",
            )


def check_fill_value_outside_valid_range(ctx: CheckContext, node: Node) -> None:
    """Warn when ``_FillValue`` lies inside ``valid_range``.

    CF §2.5.1: "The **`_FillValue`** should be outside the range specified by
    **`valid_range`** (if used) for a variable."
    """
    valid = _attr(node, "valid_range")
    if FILL_VALUE not in node.attributes or not isinstance(valid, list) or len(valid) != 2:
        return
    fill = decode_fill_value(node.attributes[FILL_VALUE])
    numbers = [v for v in (fill, *valid) if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != 3 or any(isinstance(v, float) and math.isnan(v) for v in numbers):
        return
    low, high = sorted(numbers[1:])
    if low <= numbers[0] <= high:
        ctx.add(
            _W,
            "geozarr.cf.fill-value-valid-range",
            node,
            ("attributes", FILL_VALUE),
            f"_FillValue {numbers[0]!r} lies inside valid_range [{low!r}, {high!r}]: missing "
            "values would read as valid data.",
            f"{_REF} §2.5.1",
        )


def check_names(ctx: CheckContext, node: Node) -> None:
    """Warn about variable and dimension names CF does not recommend.

    CF §2.3: "Variable, dimension, attribute and group names should begin with a letter and
    be composed of letters, digits, and underscores." Attribute names are not checked (the
    Zarr conventions' ``proj:``/``spatial:`` keys and CF's own ``_FillValue`` are not of that
    form), nor group names (multiscale levels are groups named ``0``, ``1``, ...).
    """
    if node.path and not _NAME.match(node.name):
        ctx.add(
            _W,
            "geozarr.cf.name",
            node,
            (),
            f"Variable name {node.name!r} does not begin with a letter and consist of "
            "letters, digits and underscores.",
            f"{_REF} §2.3",
        )
    for i, dim in enumerate(node.dimension_names() or ()):
        if dim is not None and dim != node.name and not _NAME.match(dim):
            ctx.add(
                _W,
                "geozarr.cf.name",
                node,
                dimensions_pointer(node, i),
                f"Dimension name {dim!r} does not begin with a letter and consist of "
                "letters, digits and underscores.",
                f"{_REF} §2.3",
            )


def check_names_case(ctx: CheckContext, node: Node) -> None:
    """Warn about a variable whose name equals a sibling's up to case.

    CF §2.3: "it is recommended that names should not be distinguished purely by case, i.e.,
    if case is disregarded, no two names should be the same." Reported on the later name.
    """
    parent = node.parent
    if parent is None or not ctx.complete:
        return
    for sibling in ctx.hierarchy.children(parent):
        if sibling.path == node.path:
            return
        if sibling.name.casefold() == node.name.casefold():
            ctx.add(
                _W,
                "geozarr.cf.name-case",
                node,
                (),
                f"Variable name {node.name!r} differs from {sibling.name!r} only by case.",
                f"{_REF} §2.3",
            )
            return


def check_dimensions_unique(ctx: CheckContext, node: Node) -> None:
    """Ensure a variable's dimensions have different names.

    CF §2.4: "A variable may have any number of dimensions, including zero, and the
    dimensions must all have different names."
    """
    dims = [d for d in node.dimension_names() or () if d is not None]
    repeated = sorted({d for d in dims if dims.count(d) > 1})
    if repeated:
        ctx.add(
            _E,
            "geozarr.cf.dimensions-unique",
            node,
            dimensions_pointer(node),
            f"Dimension names {', '.join(map(repr, repeated))} are used more than once.",
            f"{_REF} §2.4",
        )


def check_multidimensional_coordinate_names(ctx: CheckContext, node: Node) -> None:
    """Warn about a multi-dimensional coordinate named like one of its dimensions.

    CF §5: "We recommend that the name of a multidimensional coordinate variable should not
    match the name of any of its dimensions because that precludes supplying a coordinate
    variable for the dimension." Coordinates are those the ``coordinates`` attribute names.
    """
    value = _attr(node, "coordinates")
    if not isinstance(value, str) or not ctx.complete:
        return
    for name in value.split():
        target = ctx.lookup(node, name)
        dims = target.dimension_names() if target is not None else None
        if target is not None and dims is not None and len(dims) > 1 and target.name in dims:
            ctx.add(
                _W,
                "geozarr.cf.coordinate-name",
                target,
                (),
                f"Multi-dimensional coordinate {target.name!r} is named like one of its "
                f"dimensions {list(dims)}.",
                f"{_REF} §5",
            )


_CF_VERSION = re.compile(r"\bCF-(\d+)\.(\d+)\b")


def declared_cf_version(ctx: CheckContext, node: Node) -> tuple[int, int] | None:
    """Return the CF version the node's store declares (``Conventions``), if any.

    The nearest ``Conventions`` attribute from the node up to the root counts (CF §2.6.1:
    "the attribute Conventions ... a blank separated (or comma separated) list"); the
    highest ``CF-x.y`` it names is the version.

    Parameters
    ----------
    ctx
        The check context (its hierarchy).
    node
        The node.

    Returns
    -------
    tuple of int or None
        ``(major, minor)``, or ``None`` when no ``Conventions`` names a CF version.
    """
    path = node.path
    while True:
        found = ctx.hierarchy.get(path)
        text = found.attributes.get("Conventions") if found is not None else None
        if isinstance(text, str):
            versions = [(int(a), int(b)) for a, b in _CF_VERSION.findall(text)]
            if versions:
                return max(versions)
        if not path:
            return None
        path = path.rpartition("/")[0]


def check_units_metadata(ctx: CheckContext, node: Node) -> None:
    """Ensure ``units_metadata`` qualifies temperature units, with one of its three values.

    CF §3.1.2: "This attribute must have one of the following three values: `temperature:
    on_scale`, `temperature: difference`, `temperature: unknown`." "A variable must not have
    a **`units_metadata`** attribute if it has no **`units`** attribute or if its **`units`** do
    not involve a temperature unit." "this standard strongly recommends that any variable
    whose **`units`** involve a temperature unit should also have a **`units_metadata`**
    attribute" -- a recommendation CF-1.11 introduced, so a store declaring an earlier CF
    version is not warned for lacking it.
    """
    units, meta = _attr(node, "units"), _attr(node, "units_metadata")
    temperature = isinstance(units, str) and compatible(units, "K") is True
    pointer: tuple[str | int, ...] = ("attributes", "units_metadata")
    if meta is None:
        declared = declared_cf_version(ctx, node)
        if temperature and (declared is None or declared >= (1, 11)):
            ctx.add(
                _W,
                "geozarr.cf.units-metadata",
                node,
                ("attributes",),
                f"Temperature units {units!r} without units_metadata: on_scale, difference "
                "or unknown?",
                f"{_REF} §3.1.2",
            )
        return
    if meta not in _UNITS_METADATA:
        ctx.add(
            _E,
            "geozarr.cf.units-metadata",
            node,
            pointer,
            f"Expected units_metadata to be one of {', '.join(_UNITS_METADATA)}. Got {meta!r}.",
            f"{_REF} §3.1.2",
        )
    elif units is None or (isinstance(units, str) and compatible(units, "K") is False):
        ctx.add(
            _E,
            "geozarr.cf.units-metadata",
            node,
            pointer,
            f"units_metadata qualifies temperature units; the variable's units are {units!r}.",
            f"{_REF} §3.1.2",
        )


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None


def check_ellipsoid(ctx: CheckContext, node: Node) -> None:
    """Ensure a grid mapping's ``semi_*_axis`` and ``inverse_flattening`` agree.

    CF Appendix F, Table F.1: ``inverse_flattening`` "If all three attributes are specified
    then the supplied values must be consistent with the aforementioned formula." (1/f with
    f = (a - b)/a); "In the case of a spherical Earth this attribute should be omitted or set
    to zero." A sphere (a == b) with a non-zero inverse flattening is inconsistent too.
    """
    a, b = _number(_attr(node, "semi_major_axis")), _number(_attr(node, "semi_minor_axis"))
    inverse = _number(_attr(node, "inverse_flattening"))
    if a is None or b is None or inverse is None or a <= 0:
        return
    flattening = (a - b) / a
    expected = 0.0 if flattening == 0 else 1.0 / flattening
    agree = flattening == 0 if inverse == 0 else abs(1.0 / inverse - flattening) <= 1e-9
    if not agree:
        ctx.add(
            _E,
            "geozarr.cf.ellipsoid",
            node,
            ("attributes", "inverse_flattening"),
            f"inverse_flattening {inverse!r} disagrees with semi_major_axis {a!r} and "
            f"semi_minor_axis {b!r}, which give {expected:.9g}"
            + (" (a sphere: omit it or set 0)." if flattening == 0 else "."),
            f"{_REF} Appendix F",
        )


def check_crs_names(ctx: CheckContext, node: Node) -> None:
    """Ensure the CRS-name attributes of a grid mapping come as a group.

    CF Appendix F, Table F.1: "**`reference_ellipsoid_name`**, **`prime_meridian_name`**,
    **`horizontal_datum_name`** and **`geographic_crs_name`** must be all defined if any one is
    defined, and if **`projected_crs_name`** is defined then **`geographic_crs_name`** must be
    also."
    """
    given = [k for k in _CRS_NAMES if k in node.attributes]
    missing = [k for k in _CRS_NAMES if k not in node.attributes]
    if given and missing:
        ctx.add(
            _E,
            "geozarr.cf.crs-names",
            node,
            ("attributes",),
            f"{', '.join(given)} given without {', '.join(missing)}: the four CRS names come "
            "together.",
            f"{_REF} Appendix F",
        )
    elif "projected_crs_name" in node.attributes and "geographic_crs_name" not in node.attributes:
        ctx.add(
            _E,
            "geozarr.cf.crs-names",
            node,
            ("attributes",),
            "projected_crs_name is given without geographic_crs_name.",
            f"{_REF} Appendix F",
        )


_SPATIOTEMPORAL_NAMES = frozenset(
    {"latitude", "longitude", "time", "projection_x_coordinate", "projection_y_coordinate"}
)


def _spatiotemporal(ctx: CheckContext, node: Node, dim: str) -> bool:
    """Whether a dimension's coordinate variable is an X, Y, Z or T coordinate."""
    target = ctx.lookup(node, dim)
    if target is None or target.dimension_names() != (dim,):
        return False
    name = _attr(target, "standard_name")
    return _attr(target, "axis") in ("X", "Y", "Z", "T") or name in _SPATIOTEMPORAL_NAMES


def check_dimension_order(ctx: CheckContext, node: Node) -> None:
    """Warn when a dimension that is not spatiotemporal follows a spatiotemporal one.

    CF §2.4: "All other dimensions should, whenever possible, be placed to the left of the
    spatiotemporal dimensions." A dimension is spatiotemporal when its coordinate variable
    has ``axis`` X, Y, Z or T (or a latitude, longitude, projection or time standard name);
    a dimension without a coordinate variable is left out of the comparison.
    """
    dims = [d for d in node.dimension_names() or () if d is not None]
    if len(dims) < 2 or not ctx.complete or node.name in dims:
        return
    seen_spatiotemporal = None
    for dim in dims:
        if _spatiotemporal(ctx, node, dim):
            seen_spatiotemporal = seen_spatiotemporal or dim
        elif seen_spatiotemporal is not None and ctx.lookup(node, dim) is not None:
            ctx.add(
                _W,
                "geozarr.cf.dimension-order",
                node,
                dimensions_pointer(node),
                f"Dimension {dim!r} is not spatiotemporal but follows {seen_spatiotemporal!r}; "
                "CF recommends other dimensions to the left of the spatiotemporal ones.",
                f"{_REF} §2.4",
            )
            return
