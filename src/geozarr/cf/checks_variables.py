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
from geozarr.context import CheckContext
from ngff_geozarr.core.hierarchy import Node
from ngff_geozarr.core.report import Severity

__all__ = [
    "check_axis_unique",
    "check_fill_value_outside_valid_range",
    "check_names",
    "check_packed_data",
    "check_time_units",
    "check_units_present",
    "check_vertical_positive",
]

_E, _W = Severity.ERROR, Severity.WARNING
_REF = "CF-1.11"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_DIMENSIONLESS = frozenset({"", "1"})
_VERTICAL_NAMES = frozenset({"altitude", "depth", "height", "height_above_mean_sea_level"})
_PACKED_FLOAT = ("int8", "uint8", "int16", "uint16")
_PACKED_DOUBLE = (*_PACKED_FLOAT, "int32", "uint32")
_MISSING_KEYS = (FILL_VALUE, "valid_min", "valid_max", "valid_range")


def _attr(node: Node, key: str) -> Any:
    return node.attributes.get(key)


def _dtype(node: Node) -> np.dtype[Any] | None:
    raw = node.metadata.get("data_type", node.metadata.get("dtype"))
    if not isinstance(raw, str):
        return None
    try:
        return np.dtype(raw)
    except TypeError:
        return None


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
                ("dimension_names", i)
                if isinstance(node.metadata.get("dimension_names"), list)
                else ("attributes", "_ARRAY_DIMENSIONS", i),
                f"Dimension name {dim!r} does not begin with a letter and consist of "
                "letters, digits and underscores.",
                f"{_REF} §2.3",
            )
