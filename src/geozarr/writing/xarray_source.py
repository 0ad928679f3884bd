"""xarray input, nothing lost: the CRS from wherever it is, CF encodings kept, coordinates carried.

:func:`xarray_grid` finds an xarray object's CRS in the places readers put it, in order:

1. rioxarray (``obj.rio.crs``) and odc-geo (``obj.odc.crs``), when those are imported;
2. the CF grid mapping of any name (CF §5.6: a variable's ``grid_mapping`` attribute or
   encoding names a variable with ``crs_wkt``, GDAL's ``spatial_ref`` or the Appendix F
   parameters);
3. a ``spatial_ref`` or ``crs`` variable, then ``attrs['crs']`` (a code, PROJ string or WKT)
   on the object or its variables;
4. failing those, latitude / longitude coordinates with no grid mapping imply WGS 84
   (:mod:`geozarr.writing.lonlat`; the writer notes it);

and its affine transform from the grid mapping's ``GeoTransform``, else from regularly spaced
1-D coordinates of the spatial dimensions (pixel centres; irregular spacing is refused with
the deviation found, relative to the step).

:func:`xarray_variables` encodes each variable as xarray writes it to Zarr
(:func:`xarray.conventions.encode_cf_variable`): the on-disk ``dtype``, ``scale_factor`` and
``add_offset`` (packed stays packed), ``_FillValue``, and CF time (``units``, ``calendar``),
so ``xr.open_zarr`` decodes the same values and datetimes. Variables on the spatial grid are
rasters; the other variables and the coordinates that do not lie on the grid (``time``,
``band``, ``depth``, bounds, scalar coordinates, a second grid mapping) are carried as they
are, to every level; the auxiliary coordinates on the grid (2-D ``lat`` / ``lon``) are
carried too, taken at each level's block centres (:mod:`geozarr.writing.auxiliary`), and
the boundary variables ``x`` and ``y`` name hold each level's own cells
(:mod:`geozarr.writing.bounds`). A
variable's ``grid_mapping`` in CF's extended form (``"crs: x y crs_wgs84: lat lon"``) is
kept in its attributes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyproj import CRS
from pyproj.exceptions import CRSError

from geozarr.cf.grid_mappings import grid_mapping_entries, grid_mappings_of
from geozarr.writing.grid import GeoWriteError

__all__ = [
    "RELATIVE_TOLERANCE",
    "CarriedArray",
    "EncodedVariable",
    "grid_mapping_name",
    "json_safe",
    "regular_transform",
    "spatial_dims",
    "xarray_crs",
    "xarray_grid",
    "xarray_variables",
]

RELATIVE_TOLERANCE = 1e-3
"""Coordinates are regular when every step is within this fraction of the mean step."""

_Y_NAMES = ("y", "lat", "latitude", "rlat", "northing")
_X_NAMES = ("x", "lon", "longitude", "rlon", "easting")
_MAPPING_NAMES = ("spatial_ref", "crs")
# Set by the writer from the grid, or meaningless once the variable is re-encoded.
_DROPPED = frozenset({"grid_mapping", "coordinates", "_ARRAY_DIMENSIONS", "missing_value"})


def json_safe(attrs: Mapping[Any, Any], drop: frozenset[str] = _DROPPED) -> dict[str, Any]:
    """Return the attributes that JSON can hold, numpy scalars and arrays as JSON values.

    Parameters
    ----------
    attrs
        The attributes.
    drop
        Keys left out.

    Returns
    -------
    dict
        The JSON-safe attributes (others are left out).

    Examples
    --------
    >>> json_safe({"a": np.int16(3), "b": np.array([1, 2]), "c": object()})
    {'a': 3, 'b': [1, 2]}
    """
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if not isinstance(key, str) or key in drop:
            continue
        if isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, np.ndarray):
            value = value.tolist()
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            continue
        out[key] = value
    return out


def _variables(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "data_vars"):
        return {str(k): v for k, v in obj.variables.items()}
    found = {str(k): v.variable for k, v in obj.coords.items()}
    found[str(obj.name) if obj.name is not None else ""] = obj.variable
    return found


def _grid_mapping_value(var: Any) -> Any:
    return var.encoding.get("grid_mapping") or var.attrs.get("grid_mapping")


def grid_mapping_name(obj: Any, dims: Sequence[str] = ()) -> str | None:
    """Return the name of the grid mapping variable an xarray object names, if any.

    CF §5.6: a data variable's ``grid_mapping`` attribute (or xarray's encoding of it)
    names it; in the extended form (``"crs: x y crs_wgs84: lat lon"``) the mapping of the
    coordinates of ``dims`` is taken (:func:`geozarr.cf.grid_mappings.grid_mappings_of`),
    else the first.

    Parameters
    ----------
    obj
        A DataArray or Dataset.
    dims
        The spatial dimensions ``(y, x)``, when known.

    Returns
    -------
    str or None
        The name, when a variable named so exists.
    """
    variables = _variables(obj)
    for var in variables.values():
        value = _grid_mapping_value(var)
        if isinstance(value, str) and value.strip():
            named = grid_mappings_of(value, dims) if dims else []
            for name in (*named, grid_mapping_entries(value)[0][0]):
                if name in variables:
                    return name
    for name in _MAPPING_NAMES:
        if name in variables and variables[name].ndim == 0:
            return name
    return None


def _crs_of_text(text: Any) -> CRS | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return CRS.from_user_input(text)
    except CRSError:
        return None


def _crs_of_mapping(attrs: Mapping[str, Any]) -> CRS | None:
    for key in ("crs_wkt", "spatial_ref"):
        crs = _crs_of_text(attrs.get(key))
        if crs is not None:
            return crs
    if "grid_mapping_name" in attrs:
        try:
            return CRS.from_cf(dict(json_safe(attrs, frozenset())))
        except CRSError:
            return None
    return None


def xarray_crs(obj: Any, dims: Sequence[str] = ()) -> CRS | None:
    """Find the CRS of an xarray object (see the module's list of places, in order).

    Parameters
    ----------
    obj
        A DataArray or Dataset.
    dims
        The spatial dimensions ``(y, x)``, when known (see :func:`grid_mapping_name`).

    Returns
    -------
    pyproj.CRS or None
        The CRS, when one is found.
    """
    for module, accessor in (("rioxarray", "rio"), ("odc.geo", "odc")):
        if module not in sys.modules:
            continue
        try:
            found = getattr(obj, accessor).crs
        except Exception:
            found = None
        if found is not None:
            return CRS.from_user_input(found.to_wkt())
    variables = _variables(obj)
    name = grid_mapping_name(obj, dims)
    if name is not None:
        crs = _crs_of_mapping(variables[name].attrs)
        if crs is not None:
            return crs
    for holder in (obj, *variables.values()):
        crs = _crs_of_text(holder.attrs.get("crs"))
        if crs is not None:
            return crs
    return None


def spatial_dims(obj: Any) -> tuple[str, str]:
    """Return the names of the (row, column) dimensions of an xarray object.

    rioxarray's ``y_dim`` / ``x_dim`` when it is imported and knows them, else the usual
    names (``y``/``x``, ``lat``/``lon``, ...), else the last two dimensions of the first
    variable of two or more.

    Parameters
    ----------
    obj
        A DataArray or Dataset.

    Returns
    -------
    tuple of str
        ``(y, x)``.

    Raises
    ------
    GeoWriteError
        When no variable has two dimensions.
    """
    dims = [str(d) for d in obj.dims]
    if "rioxarray" in sys.modules:
        try:
            y, x = str(obj.rio.y_dim), str(obj.rio.x_dim)
        except Exception:
            y = x = ""
        if y in dims and x in dims:
            return y, x
    ys = [d for d in _Y_NAMES if d in dims]
    xs = [d for d in _X_NAMES if d in dims]
    if ys and xs:
        return ys[0], xs[0]
    rasters = [v for v in _variables(obj).values() if v.ndim >= 2]
    if not rasters:
        raise GeoWriteError("Expected a variable of two or more dimensions. Got none.")
    last = rasters[0].dims[-2:]
    return str(last[0]), str(last[1])


def regular_transform(
    ys: Any, xs: Any, names: tuple[str, str] = ("y", "x")
) -> tuple[float, float, float, float, float, float]:
    """Derive the affine transform of regularly spaced pixel-centre coordinates.

    Parameters
    ----------
    ys, xs
        The 1-D coordinates of the rows and the columns (pixel centres).
    names
        Their names, for messages.

    Returns
    -------
    tuple of float
        ``(a, b, c, d, e, f)`` for pixel corners.

    Raises
    ------
    GeoWriteError
        When a coordinate has fewer than 2 values or is not regular within
        :data:`RELATIVE_TOLERANCE` of its step.

    Examples
    --------
    >>> regular_transform([9.5, 8.5], [0.5, 1.5, 2.5])
    (1.0, 0.0, 0.0, 0.0, -1.0, 10.0)
    """
    steps = []
    for name, values in zip(names, (ys, xs), strict=True):
        arr = np.asarray(values, dtype=np.float64)
        if arr.ndim != 1 or arr.size < 2:
            raise GeoWriteError(
                f"Expected a 1-D coordinate {name!r} of 2 or more values to derive the "
                f"transform. Got shape {list(arr.shape)}."
            )
        step = float(arr[-1] - arr[0]) / (arr.size - 1)
        worst = float(np.max(np.abs(np.diff(arr) - step)))
        if step == 0 or worst > RELATIVE_TOLERANCE * abs(step):
            raise GeoWriteError(
                f"Expected regularly spaced {name!r} coordinates (an affine grid). Got steps "
                f"that differ from their mean {step!r} by up to {worst!r} (more than "
                f"{RELATIVE_TOLERANCE:g} of a step); give transform= or resample first."
            )
        steps.append((step, float(arr[0])))
    (dy, y0), (dx, x0) = steps
    return (dx, 0.0, x0 - dx / 2, 0.0, dy, y0 - dy / 2)


def xarray_grid(obj: Any) -> tuple[CRS | None, tuple[float, ...] | None, tuple[str, str]]:
    """Read the CRS, the transform and the spatial dimensions of an xarray object.

    Parameters
    ----------
    obj
        A DataArray or Dataset: its grid mapping variable (CRS, ``GeoTransform``) and coordinates.

    Returns
    -------
    tuple
        The CRS (or ``None``), ``(a, b, c, d, e, f)`` (or ``None`` without a
        ``GeoTransform`` or 1-D coordinates) and ``(y, x)``.

    Raises
    ------
    GeoWriteError
        When the spatial coordinates are irregular.
    """
    dims = spatial_dims(obj)
    variables = _variables(obj)
    transform: tuple[float, ...] | None = None
    name = grid_mapping_name(obj, dims)
    text = variables[name].attrs.get("GeoTransform") if name is not None else None
    if isinstance(text, str):
        parts = [float(v) for v in text.replace(",", " ").split()]
        if len(parts) == 6:
            c, a, b, f, d, e = parts
            transform = (a, b, c, d, e, f)
    if transform is None and all(d in obj.coords and obj.coords[d].ndim == 1 for d in dims):
        transform = regular_transform(obj.coords[dims[0]].values, obj.coords[dims[1]].values, dims)
    return xarray_crs(obj, dims), transform, dims


@dataclass
class CarriedArray:
    """An array carried as it is to every level: a coordinate or a variable off the grid.

    Parameters
    ----------
    name
        Its name.
    values
        Its encoded values (numpy).
    dims
        Its dimension names.
    attributes
        Its encoded, JSON-safe attributes (``units`` and ``calendar`` of CF time, ...).
    fill
        Its encoded ``_FillValue``, or ``None``.
    """

    name: str
    values: Any
    dims: tuple[str, ...]
    attributes: dict[str, Any]
    fill: float | int | None = None


@dataclass
class EncodedVariable(CarriedArray):
    """A raster variable encoded as xarray encodes it for Zarr.

    The fields are :class:`CarriedArray`'s: ``values`` has the spatial dimensions last
    (numpy or dask), ``attributes`` has ``coordinates`` naming the carried coordinates it
    has, and ``fill`` is its nodata. ``data`` and ``nodata`` name the same two fields.
    """

    @property
    def data(self) -> Any:
        """Its encoded values (``values``)."""
        return self.values

    @property
    def nodata(self) -> float | int | None:
        """Its encoded ``_FillValue`` (``fill``), or ``None``."""
        return self.fill


def _encode(var: Any, name: str) -> tuple[Any, dict[str, Any], float | int | None]:
    from xarray.conventions import encode_cf_variable

    encoded = encode_cf_variable(var, name=name)
    attrs = dict(encoded.attrs)
    fill = attrs.pop("_FillValue", None)
    if fill is None:
        fill = encoded.encoding.get("_FillValue")
    if isinstance(fill, np.generic):
        fill = fill.item()
    if not isinstance(fill, int | float) or isinstance(fill, bool):
        fill = None
    return encoded.data, json_safe(attrs), fill


def xarray_variables(
    obj: Any, dims: tuple[str, str], name: str | None, skip: str | None
) -> tuple[list[EncodedVariable], list[CarriedArray]]:
    """Encode the variables of an xarray object: rasters on the grid, and what is carried.

    Parameters
    ----------
    obj
        A DataArray or Dataset.
    dims
        The spatial dimensions ``(y, x)``.
    name
        The name of an unnamed DataArray (``"data"`` when omitted).
    skip
        The grid mapping variable (rewritten by the writer, not carried).

    Returns
    -------
    tuple
        The rasters (each with ``y``, ``x`` last) and the carried arrays.

    Raises
    ------
    GeoWriteError
        When there is no raster.
    """
    if hasattr(obj, "data_vars"):
        data_vars = {str(k): v for k, v in obj.data_vars.items()}
    else:
        label = name or (str(obj.name) if obj.name is not None else "data")
        data_vars = {label: obj}
    carried: list[CarriedArray] = []
    for key, coord in obj.coords.items():
        key = str(key)
        if key in dims or key == skip:
            continue
        values, attrs, fill = _encode(coord.variable, key)
        carried.append(
            CarriedArray(key, np.asarray(values), tuple(map(str, coord.dims)), attrs, fill)
        )
    rasters: list[EncodedVariable] = []
    for key, var in data_vars.items():
        if key == skip:
            continue
        var_dims = tuple(map(str, var.dims))
        if not set(dims) <= set(var_dims):
            values, attrs, fill = _encode(var.variable, key)
            carried.append(CarriedArray(key, np.asarray(values), var_dims, attrs, fill))
            continue
        if var_dims[-2:] != dims:
            var = var.transpose(..., *dims)
            var_dims = tuple(map(str, var.dims))
        values, attrs, fill = _encode(var.variable, key)
        names = [
            c.name
            for c in carried
            if c.name not in var_dims and set(c.dims) <= set(var_dims) and c.name in obj.coords
        ]
        if names:
            attrs["coordinates"] = " ".join(names)
        form = _grid_mapping_value(var)
        if isinstance(form, str) and ":" in form:  # CF §5.6's extended form, as it is
            attrs["grid_mapping"] = form
        rasters.append(EncodedVariable(key, values, var_dims, attrs, fill))
    if not rasters:
        raise GeoWriteError(f"Expected a variable on the grid {list(dims)}. Got none.")
    return rasters, carried
