"""The CF variables of a GeoZarr group, each built as its CF model and dumped by alias.

- the ``x`` / ``y`` coordinates and the data variables (:class:`CFVariable`);
- the grid-mapping variable (:class:`GridMappingVariable`, completed by
  :func:`geozarr.writing.grid_mapping.cf_grid_mapping`);
- the nodata value as Zarr ``fill_value`` and CF ``_FillValue``.
"""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pydantic
from pyproj import CRS
from pyproj.exceptions import CRSError

from geozarr.cf.grid_mappings import GridMappingBase, GridMappingVariable, grid_mapping_entries
from geozarr.cf.variables import FILL_VALUE, CFVariable
from geozarr.crs import crs_agree, parse_crs
from geozarr.writing.build import build_model, dump_model
from geozarr.writing.grid import GeoWriteError, Grid
from geozarr.writing.grid_mapping import cf_grid_mapping
from ngff_geozarr.core.pyramid import OutputOptions
from ngff_geozarr.core.store import Compression, ZarrFormat

__all__ = [
    "GRID_MAPPING",
    "coordinate_attributes",
    "dims_attribute",
    "encode_fill_value",
    "grid_mapping_attributes",
    "json_fill",
    "variable_output",
]

GRID_MAPPING = Grid.grid_mapping
"""The default name of the grid mapping variable, ``spatial_ref`` (as GDAL and rioxarray name
it); :attr:`Grid.grid_mapping` keeps a source's own name."""

_Doc = dict[str, Any]
_LEVEL_KEYS = frozenset({"GeoTransform", "_ARRAY_DIMENSIONS"})


def encode_fill_value(value: float | int, dtype: np.dtype[Any]) -> float | int | str:
    """Encode a ``_FillValue`` attribute for Zarr v3 as xarray encodes it.

    Floats become base64 of their 8 little-endian bytes (NaN has no JSON number); integers
    stay numbers.

    Parameters
    ----------
    value
        The nodata value.
    dtype
        The variable's dtype.

    Returns
    -------
    int or str
        The attribute's value.

    Examples
    --------
    >>> encode_fill_value(float("nan"), np.dtype("float32"))
    'AAAAAAAA+H8='
    >>> encode_fill_value(-1, np.dtype("int16"))
    -1
    """
    if dtype.kind == "f":
        return base64.standard_b64encode(struct.pack("<d", float(value))).decode()
    return int(value)


def json_fill(value: float | int, dtype: np.dtype[Any]) -> float | int | str:
    """Spell a nodata value as a Zarr ``fill_value`` (``"NaN"`` and ``"Infinity"`` as strings).

    Parameters
    ----------
    value
        The nodata value.
    dtype
        The array's dtype.

    Returns
    -------
    float, int or str
        The JSON value.

    Examples
    --------
    >>> json_fill(float("nan"), np.dtype("float32")), json_fill(3, np.dtype("uint8"))
    ('NaN', 3)
    """
    if dtype.kind == "f":
        v = float(value)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    return int(value)


_UNITS = {"metre": "m", "meter": "m", "US survey foot": "US_survey_foot", "foot": "ft"}


def dims_attribute(zarr_format: ZarrFormat, names: Sequence[str]) -> _Doc:
    """Return ``_ARRAY_DIMENSIONS`` for Zarr v2 (xarray's convention); nothing for v3.

    Parameters
    ----------
    zarr_format
        The Zarr format.
    names
        The dimension names.

    Returns
    -------
    dict
        The attribute, or nothing (v3 has ``dimension_names`` in the array metadata).
    """
    return {"_ARRAY_DIMENSIONS": list(names)} if zarr_format == 2 else {}


def coordinate_attributes(
    crs: CRS,
    axis: Literal["x", "y"],
    zarr_format: ZarrFormat,
    dim: str,
    bounds: str | None = None,
) -> _Doc:
    """Return the CF attributes of an ``x`` or ``y`` coordinate, built as :class:`CFVariable`.

    CF §4.1-4.2 for longitude / latitude (``degrees_east`` / ``degrees_north``), Appendix F
    "Map coordinates" (``projection_x_coordinate`` / ``projection_y_coordinate``) for
    projected CRSs; ``axis`` X or Y (CF §4).

    Parameters
    ----------
    crs
        The CRS.
    axis
        ``"x"`` or ``"y"``.
    zarr_format
        The Zarr format (v2 spells the dimension names as ``_ARRAY_DIMENSIONS``).
    dim
        The coordinate's dimension name.
    bounds
        The name of its boundary variable (CF §7.1), if it has one.

    Returns
    -------
    dict
        The attributes.

    Examples
    --------
    >>> coordinate_attributes(CRS.from_epsg(4326), "y", 3, "lat")["units"]
    'degrees_north'
    """
    if crs.is_geographic:
        name = "longitude" if axis == "x" else "latitude"
        units = "degrees_east" if axis == "x" else "degrees_north"
        long_name = name
    else:
        unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
        name, units = f"projection_{axis}_coordinate", _UNITS.get(unit, unit)
        long_name = f"{axis} coordinate of projection"
    extra: dict[str, Any] = {"array_dimensions": [dim]} if zarr_format == 2 else {}
    if bounds is not None:
        extra["bounds"] = bounds
    model = build_model(
        f"the {axis} coordinate",
        CFVariable,
        standard_name=name,
        long_name=long_name,
        units=units,
        axis=axis.upper(),
        **extra,
    )
    return dump_model(model)


def grid_mapping_attributes(grid: Grid, zarr_format: ZarrFormat = 3) -> _Doc:
    """Return the grid-mapping variable's attributes, built as :class:`GridMappingVariable`.

    CF §5.6: ``grid_mapping_name`` and the Appendix F parameters (see
    :func:`~geozarr.writing.grid_mapping.cf_grid_mapping`), ``crs_wkt`` (WKT2); as GDAL
    and rioxarray write them, ``spatial_ref`` (the same WKT) and ``GeoTransform`` (GDAL's
    ``c a b f d e``). A CRS CF names no mapping for is validated as the mapping attributes
    every grid mapping may carry. The source's grid mapping attributes
    (:attr:`Grid.mapping_attributes`) are written over these, all but ``GeoTransform``,
    when the CRS they declare agrees with the grid's and CF accepts them (the producer's
    WKT, datum names, ``long_name``, ... survive the round trip).

    Parameters
    ----------
    grid
        The georeferencing.
    zarr_format
        The Zarr format (v2 adds ``_ARRAY_DIMENSIONS`` ``[]``).

    Returns
    -------
    dict
        The attributes.

    Raises
    ------
    GeoWriteError
        When the CRS gives a grid mapping CF Appendix F rejects.
    """
    wkt = grid.crs.to_wkt()
    attrs = {
        **cf_grid_mapping(grid.crs),
        "crs_wkt": wkt,
        "spatial_ref": wkt,
        "GeoTransform": grid.gdal_transform(),
    }
    source = _source_mapping(grid)
    if source:
        try:  # the producer's words where they say the same; ours fill the rest
            return _mapping_document({**attrs, **source}, grid, zarr_format)
        except GeoWriteError:
            pass  # a source CF rejects: the grid mapping is rebuilt from the CRS alone
    return _mapping_document(attrs, grid, zarr_format)


def _mapping_document(attrs: _Doc, grid: Grid, zarr_format: ZarrFormat) -> _Doc:
    what = f"the grid mapping of {grid.crs.name!r}"
    if "grid_mapping_name" in attrs:
        model: pydantic.BaseModel = build_model(what, GridMappingVariable.model_validate, attrs)
    else:
        model = build_model(what, GridMappingBase.model_validate, attrs)
    return {**dump_model(model), **dims_attribute(zarr_format, ())}


def _source_mapping(grid: Grid) -> _Doc:
    """Return the source's grid mapping attributes to keep (all but the level's own).

    Kept only when the CRS they declare (``crs_wkt``, ``spatial_ref``, else the CF
    parameters) agrees with the grid's: a CRS given instead of the source's replaces them.
    ``GeoTransform`` is the level's, and the dimension names the format's.
    """
    source = {
        k: v for k, v in grid.mapping_attributes.items() if k not in _LEVEL_KEYS and v is not None
    }
    declared: CRS | None = None
    for key in ("crs_wkt", "spatial_ref"):
        declared = parse_crs("wkt", source.get(key)).crs
        if declared is not None:
            break
    if declared is None and "grid_mapping_name" in source:
        try:
            declared = CRS.from_cf(source)
        except (CRSError, TypeError, ValueError):
            declared = None
    if declared is None or not crs_agree(declared, grid.crs):
        return {}
    return source


def variable_output(
    dims: Sequence[str],
    attributes: Mapping[str, Any],
    nodata: float | int | None,
    dtype: np.dtype[Any],
    zarr_format: ZarrFormat,
    compression: Compression,
    grid_mapping: str = GRID_MAPPING,
) -> OutputOptions:
    """Return how the engine writes a data variable: its CF attributes and fill value.

    The attributes are built as :class:`CFVariable`: ``grid_mapping`` (CF §5.6: the grid
    mapping's name, or the extended form ``attributes`` gives when it names the grid
    mapping with coordinates, see :func:`geozarr.writing.auxiliary.extended_grid_mapping`)
    and ``coordinates`` naming the grid mapping(s) (xarray then keeps them as coordinates,
    which rioxarray needs) and the coordinates named in ``attributes`` (scalar ``time``,
    2-D ``lat`` / ``lon``, ...),
    ``_FillValue`` (CF §2.5.1; base64 in Zarr v3, as xarray encodes it) and the dimension
    names. Float data without nodata gets NaN.

    Parameters
    ----------
    dims
        The dimension names.
    attributes
        The variable's own attributes (``standard_name``, ``units``, ...).
    nodata
        The nodata value, or ``None``.
    dtype
        The stored dtype.
    zarr_format
        The Zarr format.
    compression
        The codec preset.
    grid_mapping
        The name of the grid mapping variable (:attr:`Grid.grid_mapping`).

    Returns
    -------
    OutputOptions
        For :func:`ngff_geozarr.core.pyramid.write_pyramid`.

    Raises
    ------
    GeoWriteError
        When an attribute has a type CF does not allow (``units`` a number, say).
    """
    attrs = dict(attributes)
    form = attrs.get("grid_mapping")
    entries = grid_mapping_entries(form) if isinstance(form, str) else []
    if not any(name == grid_mapping and coords for name, coords in entries):
        form, entries = grid_mapping, [(grid_mapping, ())]
    attrs["grid_mapping"] = form
    others = attrs.get("coordinates")
    names = [*(name for name, _ in entries), *(others.split() if isinstance(others, str) else ())]
    attrs["coordinates"] = " ".join(dict.fromkeys(names))
    if nodata is None and dtype.kind == "f":
        nodata = math.nan
    fill: Any = None
    if nodata is not None:
        fill = json_fill(nodata, dtype)
        if zarr_format == 3:
            attrs[FILL_VALUE] = encode_fill_value(nodata, dtype)
    attrs.update(dims_attribute(zarr_format, dims))
    model = build_model("the variable's attributes", CFVariable.model_validate, attrs)
    return OutputOptions(
        zarr_format=zarr_format,
        compression=compression,
        fill_value=float(fill) if isinstance(fill, str) else fill,
        dimension_names=tuple(dims) if zarr_format == 3 else None,
        attributes=dump_model(model),
    )
