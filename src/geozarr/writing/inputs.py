"""The variables to write, read from numpy, dask, zarr or xarray input.

A plain array is one variable (``data`` unless named) with ``y``, ``x`` as its last two
dimensions; a DataArray is one variable with its own dimension names, attributes and
``_FillValue``; a Dataset gives every data variable of two or more dimensions.
:func:`grid_from_xarray` reads an xarray object's CRS and transform from rioxarray-style
metadata.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from pyproj import CRS
from pyproj.exceptions import CRSError

from geozarr.writing.cf_variables import GRID_MAPPING
from geozarr.writing.grid import GeoWriteError
from ngff_geozarr.core.store import ArrayIO

__all__ = ["SourceVariable", "grid_from_xarray", "is_dataarray", "is_dataset", "read_variables"]

_RESERVED = frozenset(
    {"_FillValue", "missing_value", "grid_mapping", "_ARRAY_DIMENSIONS", "coordinates"}
)


@dataclass
class SourceVariable:
    """One data variable to write.

    Parameters
    ----------
    name
        Its name in the group.
    data
        Its values (anything with ``shape``, ``dtype`` and slicing).
    dims
        Its dimension names.
    attributes
        Its JSON-safe attributes (reserved CF / Zarr keys removed: the writer sets them).
    nodata
        Its nodata value, or ``None``.
    """

    name: str
    data: Any
    dims: tuple[str, ...]
    attributes: dict[str, Any]
    nodata: float | int | None


def is_dataset(data: Any) -> bool:
    """Tell whether ``data`` is an xarray Dataset: it has ``data_vars`` and ``coords``.

    Told by its attributes, so that xarray stays optional.
    """
    return hasattr(data, "data_vars") and hasattr(data, "coords")


def is_dataarray(data: Any) -> bool:
    """Tell whether ``data`` is an xarray DataArray: it has ``dims``, ``coords``, ``variable``.

    As :func:`is_dataset`, told by its attributes.
    """
    return hasattr(data, "dims") and hasattr(data, "coords") and hasattr(data, "variable")


def _json_safe(attrs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if key in _RESERVED or not isinstance(key, str):
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


def grid_from_xarray(data: Any) -> tuple[CRS | None, tuple[float, ...] | None]:
    """Read the CRS and the transform of an xarray object from rioxarray-style metadata.

    The CRS comes from the grid mapping variable (the ``grid_mapping`` encoding or attribute,
    else a ``spatial_ref`` coordinate): ``crs_wkt``, ``spatial_ref`` or its CF parameters.
    The transform comes from its ``GeoTransform`` attribute, else from regularly spaced 1-D
    coordinates of the last two dimensions (pixel centres).

    Parameters
    ----------
    data
        An xarray DataArray or Dataset.

    Returns
    -------
    tuple
        The CRS and ``(a, b, c, d, e, f)``, each ``None`` when not found.
    """
    variables = [data] if is_dataarray(data) else list(data.data_vars.values())
    name = None
    for var in variables:
        name = var.encoding.get("grid_mapping") or var.attrs.get("grid_mapping")
        if name:
            break
    name = name or GRID_MAPPING
    mapping = data.coords.get(name)
    if mapping is None and is_dataset(data):
        mapping = data.variables.get(name)
    crs = None
    transform: tuple[float, ...] | None = None
    if mapping is not None:
        attrs = mapping.attrs
        text = attrs.get("crs_wkt") or attrs.get("spatial_ref")
        try:
            crs = CRS.from_wkt(text) if text else CRS.from_cf(dict(attrs))
        except CRSError:
            crs = None
        if isinstance(attrs.get("GeoTransform"), str):
            parts = [float(v) for v in attrs["GeoTransform"].split()]
            if len(parts) == 6:
                c, a, b, f, d, e = parts
                transform = (a, b, c, d, e, f)
    if transform is None:
        dims = (variables[0].dims if variables else data.dims)[-2:]
        if len(dims) == 2 and all(d in data.coords for d in dims):
            ys = np.asarray(data.coords[dims[0]].values, dtype=np.float64)
            xs = np.asarray(data.coords[dims[1]].values, dtype=np.float64)
            if len(xs) >= 2 and len(ys) >= 2:
                dx, dy = float(xs[1] - xs[0]), float(ys[1] - ys[0])
                regular = np.allclose(np.diff(xs), dx, rtol=1e-6) and np.allclose(
                    np.diff(ys), dy, rtol=1e-6
                )
                if regular:
                    transform = (dx, 0.0, xs[0] - dx / 2, 0.0, dy, ys[0] - dy / 2)
    return crs, transform


def _xarray_nodata(var: Any) -> float | int | None:
    for source in (var.encoding, var.attrs):
        for key in ("_FillValue", "missing_value", "nodata"):
            value = source.get(key)
            if value is not None:
                return value.item() if isinstance(value, np.generic) else value  # type: ignore[no-any-return]
    return None


def read_variables(
    data: Any,
    name: str | None,
    dims: Sequence[str] | None,
    extra: Mapping[str, Any] | None = None,
) -> list[SourceVariable]:
    """Return the variables of the input, ``extra`` attributes merged over their own.

    Parameters
    ----------
    data
        A numpy or dask array, an array of a store, or an xarray DataArray or Dataset.
    name
        The name of a plain array or an unnamed DataArray (``"data"``).
    dims
        Dimension names of a plain array: all of them, or the last two.
    extra
        Attributes for every variable.

    Returns
    -------
    list of SourceVariable
        One per variable.

    Raises
    ------
    GeoWriteError
        When the input is not a raster of two or more dimensions, or a Dataset has none.
    """
    variables = _read(data, name, dims)
    if extra:
        added = _json_safe(extra)
        variables = [replace(v, attributes={**v.attributes, **added}) for v in variables]
    return variables


def _read(data: Any, name: str | None, dims: Sequence[str] | None) -> list[SourceVariable]:
    if is_dataset(data):
        out = []
        for key, var in data.data_vars.items():
            if key == GRID_MAPPING or var.ndim < 2:
                continue
            out.append(
                SourceVariable(
                    str(key),
                    var.data,
                    tuple(map(str, var.dims)),
                    _json_safe(var.attrs),
                    _xarray_nodata(var),
                )
            )
        if not out:
            raise GeoWriteError("Expected a Dataset with at least one 2-D data variable. Got none.")
        return out
    if is_dataarray(data):
        return [
            SourceVariable(
                name or (str(data.name) if data.name is not None else "data"),
                data.data,
                tuple(map(str, data.dims)),
                _json_safe(data.attrs),
                _xarray_nodata(data),
            )
        ]
    readable = isinstance(data, ArrayIO) or hasattr(data, "__getitem__")
    if not (hasattr(data, "shape") and hasattr(data, "dtype") and readable):
        data = np.asarray(data)
    ndim = len(data.shape)
    if ndim < 2:
        raise GeoWriteError(f"Expected a raster of at least 2 dimensions. Got shape {data.shape}.")
    names = tuple(dims) if dims is not None else ("y", "x")
    if len(names) == 2 and ndim > 2:
        names = tuple(f"dim_{i}" for i in range(ndim - 2)) + names
    if len(names) != ndim:
        raise GeoWriteError(f"Expected {ndim} dimension names. Got {list(names)}.")
    return [SourceVariable(name or "data", data, names, {}, None)]
