"""Coordinate variables against their array and its affine transform.

A data array's coordinate variables (CF-1.11 §1.2: a 1-D variable named like its dimension)
must fit the array, be strictly monotonic and, where the array has an affine transform
(``spatial:transform``, or the ``GeoTransform`` of its grid mapping), hold the coordinates
the transform gives: spatial: v0.1 §spatial:transform, "The center of the top-left pixel is at
(0.5, 0.5)" (the cell centres ``c + a * (i + 0.5)`` for pixel registration; the nodes
``c + a * i`` for node registration).

Only the 1-D coordinate arrays are read, each once per run, and only up to
:data:`~geozarr.coordinates.MAX_COORDINATE_VALUES` values; a data array is never read. A
value agrees with the transform when it lies within :func:`tolerance` of the expected one:
1 % of the resolution, or a few units in the last place of the coordinate's own type when
that is coarser (float32 northings of a 10 m grid are stored to 0.5 m). A disagreement is
named for what it is -- half a pixel off (cell edges given as centres), the opposite
direction (a flipped sign), another spacing, or a shift -- with the expected first value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from geozarr.cf.checks import REF_CF, is_grid_mapping
from geozarr.cf.grid_mappings import grid_mappings_of, parse_geotransform
from geozarr.context import CheckContext, as_float_array, shape_of
from geozarr.conventions.checks import spatial_of
from ngff_geozarr.core.hierarchy import Node
from ngff_geozarr.core.report import Severity

__all__ = ["REF_TRANSFORM", "Affine", "array_affine", "check_coordinate_variables", "tolerance"]

REF_TRANSFORM = "spatial: v0.1 §spatial:transform"
"""The clause coordinate values are compared under."""

_E, _W = Severity.ERROR, Severity.WARNING
_RELATIVE = 0.01  # of the resolution
_ULPS = 4  # units in the last place of the coordinate's type


@dataclass(frozen=True)
class Affine:
    """An array's affine transform, where it comes from and which dimensions it maps.

    Parameters
    ----------
    coefficients
        ``(a, b, c, d, e, f)``: ``x = a * col + b * row + c``, ``y = d * col + e * row + f``.
    dimensions
        ``[y dimension, x dimension]``.
    registration
        ``"pixel"`` or ``"node"``.
    source
        ``"spatial"`` (``spatial:transform``) or ``"GeoTransform"`` (the grid mapping's).
    """

    coefficients: tuple[float, ...]
    dimensions: list[str]
    registration: str
    source: str


def check_coordinate_variables(ctx: CheckContext, node: Node) -> None:
    """Ensure the coordinate variables of a data array fit it (CF §1.2, §5.6; spatial:).

    For each dimension ``d`` of the array, a variable named ``d`` (in its group or an
    ancestor) is its coordinate variable: it MUST be 1-D over ``d`` with the dimension's length
    (``geozarr.cf.coordinate-1d``) and strictly monotonic (``geozarr.cf.coordinate-monotonic``);
    when the array has an affine transform (``spatial:transform``, or ``GeoTransform`` of its
    grid mapping) the X and Y coordinates MUST be the cell centres (nodes) it gives
    (``geozarr.cf.coordinate-transform``, within :func:`tolerance`). Values are read only for
    small arrays; others are reported as not checked (warning). A grid mapping's
    ``GeoTransform`` and the array's ``spatial:transform`` MUST describe the same affine
    (``geozarr.cf.geotransform-agree``). Every finding of a coordinate is reported: one that
    is not monotonic is still compared with the transform.
    """
    names, shape = node.dimension_names(), shape_of(node)
    if names is None or shape is None or len(names) != len(shape) or is_grid_mapping(node):
        return
    affine = array_affine(ctx, node, report=True)
    for axis, dim in enumerate(names):
        if dim is None or dim == node.name:
            continue
        coord = ctx.lookup(node, dim)
        if coord is None or coord.node_type != "array" or coord is node:
            continue
        coord_shape, coord_names = shape_of(coord), coord.dimension_names()
        if coord_shape is None:
            continue
        if len(coord_shape) != 1 or (coord_names is not None and tuple(coord_names) != (dim,)):
            _once(ctx, coord, "geozarr.cf.coordinate-1d", f"Coordinate variable {dim!r} MUST be "
                  f"1-D over dimension {dim!r}. Got shape {list(coord_shape)}, dimensions "
                  f"{list(coord_names or [])}.", ())  # fmt: skip
            continue
        if coord_shape[0] != shape[axis]:
            ctx.add(
                _E,
                "geozarr.cf.coordinate-1d",
                node,
                ("shape",),
                f"Dimension {dim!r} has length {shape[axis]} but its coordinate variable "
                f"{coord.path!r} has {coord_shape[0]} values.",
                f"{REF_CF} §1.2",
            )
            continue
        role = _role(dim, affine)
        _check_coordinate_values(ctx, coord, role, affine)


def _once(
    ctx: CheckContext, node: Node, rule: str, message: str, pointer: tuple[str | int, ...]
) -> None:
    if not any(i.rule == rule and i.path == node.path for i in ctx.issues):
        ctx.add(_E, rule, node, pointer, message, f"{REF_CF} §1.2")


def array_affine(ctx: CheckContext, node: Node, *, report: bool = False) -> Affine | None:
    """Return an array's affine transform, if it has one.

    ``spatial:transform`` in force on the array (its own or its group's) wins; else the
    ``GeoTransform`` of its grid mapping (GDAL order ``c a b f d e``, pixel registration).

    Parameters
    ----------
    ctx
        The run.
    node
        An array.
    report
        Report a ``GeoTransform`` that disagrees with ``spatial:transform``
        (``geozarr.cf.geotransform-agree``).

    Returns
    -------
    Affine or None
        The transform, or ``None`` when the array has none.
    """
    spatial = spatial_of(ctx, node) if ctx.applies(node, "spatial") else {}
    names = [n for n in (node.dimension_names() or ()) if n is not None]
    transform = spatial.get("spatial:transform")
    dims = spatial.get("spatial:dimensions")
    registration = spatial.get("spatial:registration", "pixel")
    geo = _geotransform(ctx, node)
    if not (isinstance(dims, list) and len(dims) == 2):
        dims = names[-2:] if len(names) >= 2 else None
    found: Affine | None = None
    if isinstance(transform, list) and _six_numbers(transform) and dims is not None:
        found = Affine(tuple(float(v) for v in transform), list(dims), str(registration), "spatial")
    if geo is not None and dims is not None:
        c, a, b, f, d, e = geo
        from_geo = (a, b, c, d, e, f)
        agree = found is None or np.allclose(found.coefficients, from_geo, rtol=1e-9, atol=1e-9)
        if found is not None and not agree and report:
            _geotransform_disagree(ctx, node, found.coefficients, from_geo)
        found = found or Affine(from_geo, list(dims), "pixel", "GeoTransform")
    return found


def _geotransform_disagree(
    ctx: CheckContext, node: Node, spatial: tuple[float, ...], geo: tuple[float, ...]
) -> None:
    ctx.add(
        _E,
        "geozarr.cf.geotransform-agree",
        node,
        ("attributes", "grid_mapping"),
        f"The grid mapping's GeoTransform (GDAL order c a b f d e) gives the affine "
        f"{list(geo)}, but spatial:transform is {list(spatial)}.",
        "GeoZarr v0.4 §Coordinate Reference System",
    )


def _geotransform(ctx: CheckContext, node: Node) -> list[float] | None:
    value = node.attributes.get("grid_mapping")
    if not isinstance(value, str):
        return None
    dims = [str(d) for d in node.dimension_names() or () if d is not None]
    for name in grid_mappings_of(value, dims):  # the grid's, not its auxiliary coordinates'
        target = ctx.lookup(node, name)
        gt = None if target is None else target.attributes.get("GeoTransform")
        if isinstance(gt, str):
            return parse_geotransform(gt)
    return None


def _six_numbers(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 6
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def _role(dim: str, affine: Affine | None) -> str | None:
    if affine is None or dim not in affine.dimensions:
        return None
    return "y" if affine.dimensions.index(dim) == 0 else "x"


def tolerance(step: float, values: npt.NDArray[Any]) -> float:
    """Return how far a coordinate value may lie from the one a transform gives.

    Parameters
    ----------
    step
        The transform's resolution along the axis (``a`` or ``e``).
    values
        The coordinate values, in their stored type.

    Returns
    -------
    float
        1 % of the resolution, or four units in the last place of the largest value in the
        values' own floating-point type, whichever is larger.

    Examples
    --------
    >>> tolerance(30.0, np.array([500015.0, 500045.0]))
    0.3
    >>> tolerance(10.0, np.array([5200000.0], dtype=np.float32))
    2.0
    """
    ulp = 0.0
    if values.dtype.kind == "f" and values.size:
        largest = np.max(np.abs(values[np.isfinite(values)]), initial=0.0)
        ulp = float(np.spacing(values.dtype.type(largest)))
    return max(_RELATIVE * abs(step), _ULPS * ulp)


def _check_coordinate_values(
    ctx: CheckContext, coord: Node, role: str | None, affine: Affine | None
) -> None:
    key = f"checked:{coord.path}:{role}"
    if key in ctx._values:
        return
    ctx._values[key] = "done"
    values = ctx.values(coord)
    if isinstance(values, str):
        if ctx.read_values is not None:
            ctx.add(
                _W,
                "geozarr.cf.coordinate-not-checked",
                coord,
                (),
                f"Coordinate values not checked: {values}.",
                f"{REF_CF} §1.2",
            )
        return
    if values.dtype.kind not in "iuf" or values.size < 2:
        return
    v = as_float_array(values)
    steps = np.diff(v)
    if not (np.all(steps > 0) or np.all(steps < 0)):
        first = int(np.argmax(steps <= 0) if steps[0] > 0 else np.argmax(steps >= 0))
        ctx.add(
            _E,
            "geozarr.cf.coordinate-monotonic",
            coord,
            (),
            f"Coordinate values MUST be strictly monotonic; they are not at index {first + 1} "
            f"({_num(v[first])} then {_num(v[first + 1])}).",
            f"{REF_CF} §1.2",
        )
    if role is not None and affine is not None:
        _compare_with_transform(ctx, coord, values, role, affine)


def _compare_with_transform(
    ctx: CheckContext, coord: Node, values: npt.NDArray[Any], role: str, affine: Affine
) -> None:
    a, b, c, d, e, f = affine.coefficients
    if (role == "x" and b != 0) or (role == "y" and d != 0):
        return  # rotated grids have no 1-D coordinates to compare
    step, origin = (a, c) if role == "x" else (e, f)
    if step == 0:
        return  # a degenerate transform; the spatial: schema reports it
    node_registered = affine.registration == "node"
    v = as_float_array(values)
    if not np.all(np.isfinite(v)):
        return  # not monotonic, reported above
    index = np.arange(v.size, dtype=np.float64) + (0.0 if node_registered else 0.5)
    # a transform may hold anything (NaN, 1e308): the arithmetic stays quiet, and cells the
    # transform puts at no finite place disagree with every coordinate
    with np.errstate(all="ignore"):
        expected = origin + step * index
        allowed = tolerance(step, values)
        finite = bool(np.all(np.isfinite(expected))) and math.isfinite(allowed)
        if finite and float(np.max(np.abs(v - expected))) <= allowed:
            return
    named = (
        f"{coord.name} disagrees with the {affine.source} transform "
        f"({'a' if role == 'x' else 'e'} = {_num(step)}, {'c' if role == 'x' else 'f'} = "
        f"{_num(origin)}): "
    )
    if not finite:
        message = named + "it places the cells at no finite coordinate."
    else:
        where = "node" if node_registered else "centre"
        message = (
            f"{named}{_diagnose(v, expected, step, allowed, node_registered)} "
            f"Expected {coord.name}[0] = {_num(expected[0])} (the first cell's {where}), "
            f"got {_num(v[0])}."
        )
    ctx.add(
        _E,
        "geozarr.cf.coordinate-transform",
        coord,
        (),
        message,
        f"{REF_TRANSFORM}; {REF_CF} §5.6",
    )


def _diagnose(
    v: npt.NDArray[np.float64],
    expected: npt.NDArray[np.float64],
    step: float,
    allowed: float,
    node_registered: bool,
) -> str:
    """Name the disagreement: half a pixel, a flipped sign, another spacing, or a shift.

    The numbers may be anything a document holds (an infinite origin, a zero step, one
    value): the arithmetic stays quiet and the message says what it found.
    """
    with np.errstate(all="ignore"):
        error = v - expected
        spacing = float(np.median(np.diff(v))) if v.size > 1 else step
        if spacing != 0 and np.sign(spacing) != np.sign(step):
            return (
                f"the values run the opposite way (spacing {_num(spacing)}, the transform's "
                f"{_num(step)}): a flipped sign, or the axis stored reversed."
            )
        if abs(spacing - step) > allowed:
            return f"the spacing is {_num(spacing)}, the transform's resolution {_num(step)}."
        shift = float(np.median(error))
        if np.all(np.abs(error - shift) <= allowed):
            if abs(abs(shift) - abs(step) / 2) <= allowed:
                kind = "cell centres, not nodes" if node_registered else "cell edges, not centres"
                return f"every value is half a pixel ({_num(shift)}) off: they look like {kind}."
            pixels = shift / step if step else math.inf
            return f"every value is shifted by {_num(shift)} ({_num(pixels)} pixels)."
        worst = int(np.argmax(np.abs(error)))
        return f"value {worst} is {_num(v[worst])}, the transform gives {_num(expected[worst])}."


def _num(value: Any) -> str:
    return f"{float(value):.12g}"
