"""The variables to write, read from numpy, dask, zarr or xarray input.

A plain array is one variable (``data`` unless named) with ``y``, ``x`` as its last two
dimensions; a DataArray is one variable with its own dimension names, attributes and CF
encoding; a Dataset gives every data variable on its spatial grid, and carries the rest
(:func:`read_xarray`, :mod:`geozarr.writing.xarray_source`). :func:`grid_from_xarray`
reads an xarray object's CRS and transform.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from pyproj import CRS

from geozarr.writing.grid import GeoWriteError
from geozarr.writing.lonlat import implied_crs
from geozarr.writing.xarray_source import (
    CarriedArray,
    grid_mapping_name,
    json_safe,
    xarray_grid,
    xarray_variables,
)
from ngff_geozarr.core.inputs import labelled_kind
from ngff_geozarr.core.store import ArrayIO

__all__ = [
    "SourceVariable",
    "XarrayInput",
    "grid_from_xarray",
    "read_variables",
    "read_xarray",
]

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


def _json_safe(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return json_safe(attrs, _RESERVED)


def grid_from_xarray(data: Any) -> tuple[CRS | None, tuple[float, ...] | None]:
    """Read the CRS and the transform of an xarray object.

    The CRS comes from rioxarray or odc-geo when they are imported, else from the CF grid
    mapping variable of any name (the ``grid_mapping`` encoding or attribute, else a
    ``spatial_ref`` or ``crs`` variable: ``crs_wkt``, ``spatial_ref`` or its CF parameters),
    else from ``attrs['crs']``. The transform comes from the grid mapping's ``GeoTransform``,
    else from regularly spaced 1-D coordinates of the spatial dimensions (pixel centres).
    See :mod:`geozarr.writing.xarray_source`.

    Parameters
    ----------
    data
        An xarray DataArray or Dataset.

    Returns
    -------
    tuple
        The CRS and ``(a, b, c, d, e, f)``, each ``None`` when not found.

    Raises
    ------
    GeoWriteError
        When the spatial coordinates are not regularly spaced.
    """
    crs, transform, _ = xarray_grid(data)
    return crs, transform


@dataclass
class XarrayInput:
    """An xarray object read for writing: its grid, rasters, carried arrays and attributes.

    Parameters
    ----------
    crs, transform
        What :func:`grid_from_xarray` found (``None`` when not); without a CRS, the one a
        latitude / longitude grid implies (:func:`geozarr.writing.lonlat.implied_crs`).
    dims
        The spatial dimensions ``(y, x)``.
    variables
        The rasters, encoded as xarray encodes them.
    carried
        The coordinates and variables off the grid, carried to every level.
    attributes
        The Dataset's (or DataArray's name-less) JSON-safe attributes for the root group.
    grid_mapping
        The name of the source's grid mapping variable (CF §5.6, what its variables'
        ``grid_mapping`` names), kept by the writer; ``None`` when it has none.
    grid_mapping_attributes
        That variable's JSON-safe attributes (empty without one).
    bounds
        The boundary variables of the spatial coordinates, by dimension (CF §7.1: what a
        coordinate's ``bounds`` names, when it is among the carried arrays).
    crs_implied
        Whether :attr:`crs` is implied by latitude / longitude coordinates, not declared.
    """

    crs: CRS | None
    transform: tuple[float, ...] | None
    dims: tuple[str, str]
    variables: list[SourceVariable]
    carried: list[CarriedArray]
    attributes: dict[str, Any]
    grid_mapping: str | None = None
    grid_mapping_attributes: dict[str, Any] = field(default_factory=dict)
    bounds: dict[str, str] = field(default_factory=dict)
    crs_implied: bool = False


def read_xarray(data: Any, name: str | None, extra: Mapping[str, Any] | None = None) -> XarrayInput:
    """Read an xarray DataArray or Dataset for writing (see :mod:`geozarr.writing.xarray_source`).

    Parameters
    ----------
    data
        The DataArray or Dataset.
    name
        The name of an unnamed DataArray (``"data"``).
    extra
        Attributes for every variable, merged over their own.

    Returns
    -------
    XarrayInput
        What to write.

    Raises
    ------
    GeoWriteError
        When no variable lies on the grid, or its coordinates are irregular.
    """
    crs, transform, dims = xarray_grid(data)
    mapping = grid_mapping_name(data, dims)
    implied = None
    if crs is None and mapping is None and all(d in data.coords for d in dims):
        implied = implied_crs(data.coords[dims[0]].attrs, data.coords[dims[1]].attrs)
    rasters, carried = xarray_variables(data, dims, name, mapping)
    added = _json_safe(extra or {})
    variables = [
        SourceVariable(v.name, v.data, v.dims, {**v.attributes, **added}, v.nodata) for v in rasters
    ]
    root = (
        json_safe(data.attrs, frozenset({"Conventions"}))
        if labelled_kind(data) == "dataset"
        else {}
    )
    found = {} if mapping is None else json_safe(_mapping_attrs(data, mapping))
    names = {c.name for c in carried}
    bounds = {}
    for dim in dims:
        named = data.coords[dim].attrs.get("bounds") if dim in data.coords else None
        if isinstance(named, str) and named in names:
            bounds[dim] = named
    return XarrayInput(
        crs or implied,
        transform,
        dims,
        variables,
        carried,
        root,
        mapping,
        found,
        bounds,
        crs_implied=implied is not None,
    )


def _mapping_attrs(data: Any, name: str) -> Mapping[str, Any]:
    variable = data.variables[name] if hasattr(data, "data_vars") else data.coords[name]
    return dict(variable.attrs)


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
    if labelled_kind(data) is not None:
        return read_xarray(data, name).variables
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
