"""Write GeoZarr rasters that every reader generation understands: CF *and* the conventions.

:func:`write` stores numpy or dask arrays, or xarray DataArrays / Datasets, as one GeoZarr
group:

- CF, as GDAL, xarray and rioxarray read it: each data variable names a ``grid_mapping``
  variable, ``spatial_ref`` (a scalar array with ``crs_wkt`` in WKT2, GDAL's ``spatial_ref``
  and ``GeoTransform`` in GDAL's order ``c a b f d e``, plus the CF grid mapping parameters);
  1-D ``x`` and ``y`` coordinates at pixel centres with ``standard_name``, ``units`` and
  ``axis``;
- the Zarr conventions on the group: canonical v0.1 ``zarr_conventions`` entries,
  ``proj:code`` when the CRS has an authority code (else ``proj:wkt2`` and
  ``proj:projjson``), and ``spatial:dimensions``, ``spatial:transform``, ``spatial:shape``,
  ``spatial:bbox``;
- dimension names as ``dimension_names`` (Zarr v3) or ``_ARRAY_DIMENSIONS`` (v2), and a fill
  value that is the nodata value: NaN stays NaN (never ``fill_value`` 0 with ``_FillValue``
  NaN). In v3 ``_FillValue`` is also written as an attribute, encoded as xarray encodes it.

The affine transform is given in rasterio's order ``(a, b, c, d, e, f)``: ``x = a * col +
b * row + c``, ``y = d * col + e * row + f`` for pixel corners (pixel-is-area). Data is
written through the shared pyramid engine (:mod:`ngff_geozarr.core.pyramid`): bounded memory,
threads, ``resume``; with ``levels`` other than 1 the pyramid of :mod:`geozarr.pyramid` is
written in the same pass.

Examples
--------
>>> import numpy as np
>>> data = np.arange(12, dtype=np.float32).reshape(3, 4)
>>> out = write(data, {}, crs="EPSG:32632", transform=(30, 0, 500000, 0, -30, 5200000))
>>> out.variables
('data',)
"""

from __future__ import annotations

import base64
import json
import math
import os
import struct
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pyproj import CRS
from pyproj.exceptions import CRSError

from geozarr.conventions.registry import MULTISCALES, PROJ, SPATIAL
from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.pyramid import Method, OutputOptions, Progress
from ngff_geozarr.core.store import (
    ArrayIO,
    Compression,
    StoreHandle,
    StoreMode,
    ZarrFormat,
    compressors_for,
    open_store,
)

__all__ = [
    "CF_VERSION",
    "GRID_MAPPING",
    "GeoWriteError",
    "Grid",
    "WriteResult",
    "encode_fill_value",
    "grid_from_xarray",
    "parse_transform",
    "write",
    "write_level_metadata",
]

CF_VERSION = "CF-1.10"
"""The ``Conventions`` attribute written on every group."""
GRID_MAPPING = "spatial_ref"
"""The name of the grid mapping variable (as GDAL and rioxarray name it)."""

_RESERVED = frozenset(
    {"_FillValue", "missing_value", "grid_mapping", "_ARRAY_DIMENSIONS", "coordinates"}
)
_Target = str | os.PathLike[str] | MutableMapping[str, Any] | StoreHandle


class GeoWriteError(NgffGeozarrError, ValueError):
    """The data or its georeferencing cannot be written as asked (the message says why)."""


def parse_transform(value: Any) -> tuple[float, float, float, float, float, float]:
    """Turn an affine transform into six floats in rasterio's order ``(a, b, c, d, e, f)``.

    Parameters
    ----------
    value
        An :class:`affine.Affine`, six numbers ``a, b, c, d, e, f``, nine (a 3x3 matrix in
        row order whose last row is ``0, 0, 1``), or a string of six numbers separated by
        commas or spaces.

    Returns
    -------
    tuple of float
        ``(a, b, c, d, e, f)``.

    Raises
    ------
    GeoWriteError
        When the value is not an invertible affine transform.

    Examples
    --------
    >>> parse_transform("30,0,500000,0,-30,5200000")
    (30.0, 0.0, 500000.0, 0.0, -30.0, 5200000.0)
    """
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    try:
        numbers = [float(v) for v in value]
    except (TypeError, ValueError) as exc:
        raise GeoWriteError(f"Expected an affine transform of 6 numbers. Got {value!r}.") from exc
    if len(numbers) == 9:
        if numbers[6:] != [0.0, 0.0, 1.0]:
            raise GeoWriteError(f"Expected the last row of the matrix 0, 0, 1. Got {numbers[6:]}.")
        numbers = numbers[:6]
    if len(numbers) != 6 or not all(math.isfinite(v) for v in numbers):
        raise GeoWriteError(f"Expected an affine transform of 6 finite numbers. Got {numbers}.")
    a, b, c, d, e, f = numbers
    if a * e - b * d == 0:
        raise GeoWriteError(f"Expected an invertible transform. Got {numbers}.")
    return a, b, c, d, e, f


def _parse_crs(value: Any) -> CRS:
    try:
        return value if isinstance(value, CRS) else CRS.from_user_input(value)
    except CRSError as exc:
        raise GeoWriteError(f"Expected a CRS PROJ understands. Got {value!r} ({exc}).") from exc


@dataclass(frozen=True)
class Grid:
    """Where a raster lies: its CRS, affine transform, size and spatial dimension names.

    Parameters
    ----------
    crs
        The coordinate reference system.
    transform
        ``(a, b, c, d, e, f)`` in rasterio's order, for pixel corners.
    height, width
        The raster's size in pixels.
    dims
        The names of the (row, column) dimensions.
    """

    crs: CRS
    transform: tuple[float, float, float, float, float, float]
    height: int
    width: int
    dims: tuple[str, str] = ("y", "x")

    @property
    def rectilinear(self) -> bool:
        """Whether the transform has no rotation (1-D coordinates can describe it)."""
        return self.transform[1] == 0 and self.transform[3] == 0

    def gdal_transform(self) -> str:
        """Return GDAL's ``GeoTransform`` attribute: ``"c a b f d e"``.

        Returns
        -------
        str
            Six numbers separated by spaces.
        """
        a, b, c, d, e, f = self.transform
        return " ".join(repr(float(v)) for v in (c, a, b, f, d, e))

    def bbox(self) -> list[float]:
        """Return ``[xmin, ymin, xmax, ymax]`` of the raster's outer corners.

        Returns
        -------
        list of float
            The bounding box in CRS units.
        """
        a, b, c, d, e, f = self.transform
        corners = [(col, row) for col in (0, self.width) for row in (0, self.height)]
        xs = [a * col + b * row + c for col, row in corners]
        ys = [d * col + e * row + f for col, row in corners]
        return [min(xs), min(ys), max(xs), max(ys)]

    def x_centres(self) -> npt.NDArray[np.float64]:
        """Return the x coordinate of each column's centre.

        Returns
        -------
        numpy.ndarray
            ``width`` values.
        """
        a, _, c, *_ = self.transform
        return c + a * (np.arange(self.width, dtype=np.float64) + 0.5)

    def y_centres(self) -> npt.NDArray[np.float64]:
        """Return the y coordinate of each row's centre.

        Returns
        -------
        numpy.ndarray
            ``height`` values.
        """
        *_, e, f = self.transform
        return f + e * (np.arange(self.height, dtype=np.float64) + 0.5)

    def reduced(self, fy: int, fx: int) -> Grid:
        """Return the grid of a level reduced by ``fy`` rows and ``fx`` columns per pixel.

        The level's first pixel covers the first ``fy`` x ``fx`` block, so its corner is the
        same; the last pixel covers a partial block where the size does not divide.

        Parameters
        ----------
        fy, fx
            The factors.

        Returns
        -------
        Grid
            The level's grid.
        """
        a, b, c, d, e, f = self.transform
        return Grid(
            self.crs,
            (a * fx, b * fy, c, d * fx, e * fy, f),
            -(-self.height // fy),
            -(-self.width // fx),
            self.dims,
        )


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


def _json_fill(value: float | int, dtype: np.dtype[Any]) -> float | int | str:
    if dtype.kind == "f":
        v = float(value)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    return int(value)


def _crs_attributes(crs: CRS) -> dict[str, Any]:
    """``proj:code`` when the CRS is exactly an authority code, else WKT2 and PROJJSON."""
    authority = crs.to_authority(min_confidence=100)
    if authority is not None and authority[1].isdigit() and authority[0].isupper():
        return {"proj:code": f"{authority[0]}:{authority[1]}"}
    return {"proj:wkt2": crs.to_wkt(), "proj:projjson": json.loads(crs.to_json())}


def _group_attributes(grid: Grid, *, multiscales: bool = False) -> dict[str, Any]:
    conventions = [PROJ.canonical(), SPATIAL.canonical()]
    if multiscales:
        conventions.insert(0, MULTISCALES.canonical())
    return {
        "Conventions": CF_VERSION,
        "zarr_conventions": conventions,
        **_crs_attributes(grid.crs),
        "spatial:dimensions": list(grid.dims),
        "spatial:transform": list(grid.transform),
        "spatial:shape": [grid.height, grid.width],
        "spatial:bbox": grid.bbox(),
        "spatial:registration": "pixel",
    }


def _coordinate_attributes(crs: CRS, axis: Literal["x", "y"]) -> dict[str, Any]:
    if crs.is_geographic:
        return (
            {
                "standard_name": "longitude",
                "long_name": "longitude",
                "units": "degrees_east",
                "axis": "X",
            }
            if axis == "x"
            else {
                "standard_name": "latitude",
                "long_name": "latitude",
                "units": "degrees_north",
                "axis": "Y",
            }
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    units = {"metre": "m", "meter": "m", "US survey foot": "US_survey_foot", "foot": "ft"}
    return {
        "standard_name": f"projection_{axis}_coordinate",
        "long_name": f"{axis} coordinate of projection",
        "units": units.get(unit, unit),
        "axis": axis.upper(),
    }


def _grid_mapping_attributes(grid: Grid) -> dict[str, Any]:
    try:
        cf = grid.crs.to_cf()
    except Exception:  # pragma: no cover - pyproj raises for CRSs CF cannot express
        cf = {}
    wkt = grid.crs.to_wkt()
    return {**cf, "crs_wkt": wkt, "spatial_ref": wkt, "GeoTransform": grid.gdal_transform()}


def _dims_attr(zarr_format: ZarrFormat, names: Sequence[str]) -> dict[str, Any]:
    return {"_ARRAY_DIMENSIONS": list(names)} if zarr_format == 2 else {}


def _group_document(zarr_format: ZarrFormat, attributes: dict[str, Any]) -> list[tuple[str, bytes]]:
    if zarr_format == 3:
        doc = {"zarr_format": 3, "node_type": "group", "attributes": attributes}
        return [("zarr.json", json.dumps(doc, indent=2).encode())]
    return [
        (".zgroup", json.dumps({"zarr_format": 2}).encode()),
        (".zattrs", json.dumps(attributes, indent=2).encode()),
    ]


def write_level_metadata(
    store: StoreHandle,
    group: str,
    grid: Grid,
    zarr_format: ZarrFormat,
    *,
    extra: Mapping[str, Any] | None = None,
    multiscales: bool = False,
) -> None:
    """Make ``group`` a self-describing GeoZarr group: its CF variables and its attributes.

    Writes the ``x`` and ``y`` coordinates (when the transform has no rotation), the
    ``spatial_ref`` grid mapping variable and the group's attributes (CF ``Conventions``,
    ``zarr_conventions``, ``proj:`` and ``spatial:``). The group document is written as a
    document, never by re-creating the group, so the arrays below it are kept.

    Parameters
    ----------
    store
        The store, writable.
    group
        The group's path (``""`` for the root).
    grid
        Its georeferencing.
    zarr_format
        The Zarr format of the documents.
    extra
        More group attributes (a title, ``multiscales``, ...), written over the rendered ones.
    multiscales
        Declare the multiscales convention too.
    """
    prefix = f"{group}/" if group else ""
    if grid.rectilinear:
        for axis, values, dim in (
            ("x", grid.x_centres(), grid.dims[1]),
            ("y", grid.y_centres(), grid.dims[0]),
        ):
            store.create_array(
                prefix + dim,
                values,
                chunks=values.shape,
                dimension_names=(dim,) if zarr_format == 3 else None,
                attributes={
                    **_coordinate_attributes(grid.crs, axis),  # type: ignore[arg-type]
                    **_dims_attr(zarr_format, (dim,)),
                },
                zarr_format=zarr_format,
            )
    store.create_array(
        prefix + GRID_MAPPING,
        np.array(0, dtype=np.int64),
        attributes={**_grid_mapping_attributes(grid), **_dims_attr(zarr_format, ())},
        dimension_names=() if zarr_format == 3 else None,
        zarr_format=zarr_format,
    )
    attributes = {**_group_attributes(grid, multiscales=multiscales), **dict(extra or {})}
    for name, value in _group_document(zarr_format, attributes):
        store.write_bytes(prefix + name, value)


# -- inputs --------------------------------------------------------------------------------


@dataclass
class _Variable:
    name: str
    data: Any
    dims: tuple[str, ...]
    attributes: dict[str, Any]
    nodata: float | int | None


def _is_dataset(data: Any) -> bool:
    return hasattr(data, "data_vars") and hasattr(data, "coords")


def _is_dataarray(data: Any) -> bool:
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
    variables = [data] if _is_dataarray(data) else list(data.data_vars.values())
    name = None
    for var in variables:
        name = var.encoding.get("grid_mapping") or var.attrs.get("grid_mapping")
        if name:
            break
    name = name or GRID_MAPPING
    mapping = data.coords.get(name)
    if mapping is None and _is_dataset(data):
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


def _variables(
    data: Any,
    name: str | None,
    dims: Sequence[str] | None,
    extra: Mapping[str, Any] | None = None,
) -> list[_Variable]:
    variables = _read_variables(data, name, dims)
    if extra:
        added = _json_safe(extra)
        variables = [replace(v, attributes={**v.attributes, **added}) for v in variables]
    return variables


def _read_variables(data: Any, name: str | None, dims: Sequence[str] | None) -> list[_Variable]:
    if _is_dataset(data):
        out = []
        for key, var in data.data_vars.items():
            if key == GRID_MAPPING or var.ndim < 2:
                continue
            out.append(
                _Variable(
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
    if _is_dataarray(data):
        return [
            _Variable(
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
    return [_Variable(name or "data", data, names, {}, None)]


# -- writing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write` wrote.

    Parameters
    ----------
    target
        The store as named.
    variables
        The data variables written, at the group's root.
    grid
        The base grid.
    zarr_format
        The Zarr format.
    levels
        Per variable, the paths of its pyramid levels (just its own name without a pyramid).
    """

    target: str
    variables: tuple[str, ...]
    grid: Grid
    zarr_format: ZarrFormat
    levels: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _check_name(name: str) -> None:
    if not name or "/" in name or name in (GRID_MAPPING, ".", "..") or name.startswith("_"):
        raise GeoWriteError(f"Expected a plain variable name. Got {name!r}.")


def _chunking(
    shape: tuple[int, ...], chunks: Sequence[int] | None, shards: Sequence[int] | None
) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    ndim = len(shape)
    if chunks is None:
        base = tuple([1] * (ndim - 2) + [512, 512])
    else:
        base = tuple(chunks)
        if len(base) == 2 and ndim > 2:
            base = (1,) * (ndim - 2) + base
    if len(base) != ndim:
        raise GeoWriteError(f"Expected chunks of {ndim} integers. Got {list(base)}.")
    clipped = tuple(max(1, min(c, n)) for c, n in zip(base, shape, strict=True))
    if shards is None:
        return clipped, None
    outer = tuple(shards)
    if len(outer) == 2 and ndim > 2:
        outer = (1,) * (ndim - 2) + outer
    if len(outer) != ndim or any(s % c for s, c in zip(outer, base, strict=True)):
        raise GeoWriteError(
            f"Expected shards of {ndim} multiples of the chunks {list(base)}. Got {list(outer)}."
        )
    return base, outer


def _storage(target: _Target, mode: StoreMode, options: dict[str, Any] | None) -> StoreHandle:
    if isinstance(target, StoreHandle):
        return target
    return open_store(target, mode, storage_options=options)


def write(
    data: Any,
    target: _Target,
    *,
    crs: Any = None,
    transform: Any = None,
    dims: Sequence[str] | None = None,
    nodata: float | None = None,
    name: str | None = None,
    zarr_format: ZarrFormat = 3,
    chunks: Sequence[int] | None = None,
    shards: Sequence[int] | None = None,
    compression: Compression = "blosc-zstd",
    attributes: Mapping[str, Any] | None = None,
    variable_attributes: Mapping[str, Any] | None = None,
    levels: int | Literal["auto"] = 1,
    method: Method | None = None,
    factors: int = 2,
    min_extent: int | None = None,
    workers: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    consolidated: bool = True,
    progress: Callable[[Progress], None] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> WriteResult:
    """Write a raster (or a Dataset of rasters on one grid) as a GeoZarr group.

    Parameters
    ----------
    data
        A numpy or dask array, anything with ``shape``, ``dtype`` and slicing (a zarr
        array), an array of a store (:class:`~ngff_geozarr.core.store.ArrayIO`); or an
        xarray DataArray or Dataset, whose CRS and transform are read from rioxarray-style
        metadata (see :func:`grid_from_xarray`) unless given.
    target
        The output: a path, URL, mapping or opened :class:`StoreHandle`.
    crs
        The CRS: anything :meth:`pyproj.CRS.from_user_input` takes (``"EPSG:32632"``, WKT, a
        ``pyproj.CRS``).
    transform
        The affine transform (see :func:`parse_transform`).
    dims
        Dimension names of a plain array: all of them, or the last two (``("y", "x")`` by
        default).
    nodata
        The nodata value; NaN for float data when omitted (taken from ``_FillValue`` for
        xarray input). It becomes the arrays' ``fill_value`` and ``_FillValue``.
    name
        The variable's name for a plain array or an unnamed DataArray (``"data"``).
    zarr_format
        3 (the default) or 2.
    chunks
        Chunk shape: all axes or the last two; 512 x 512 on the spatial axes by default.
    shards
        Shard shape (Zarr v3 only), a multiple of the chunks; unsharded by default (GDAL
        before 3.13 reads no shards).
    compression
        The codec preset (see :data:`~ngff_geozarr.core.store.Compression`).
    attributes
        More attributes for the root group (``title``, ...).
    variable_attributes
        Attributes of the variable(s) (``standard_name``, ``units``, ``long_name``, ...): a
        plain array has no others; they are merged over a DataArray's ``attrs``.
    levels
        1 (the default) writes the raster alone; ``"auto"`` or a number writes a pyramid in
        the same pass (see :func:`geozarr.pyramid.pyramid`).
    method, factors, min_extent
        The pyramid's kernel, factor per level and stop (see :func:`geozarr.pyramid.pyramid`).
    workers
        Threads for the engine (the number of CPUs when omitted).
    resume
        Continue an interrupted write: keep the blocks already written.
    overwrite
        Write into an existing store (its nodes of the same names are replaced).
    consolidated
        Write consolidated metadata at the root last (``.zmetadata`` in Zarr v2, inside the
        root ``zarr.json`` in v3): the multiscales convention SHOULDs it, and a reader then
        learns the whole store from one document.
    progress
        Called after every finished tile.
    storage_options
        Options for remote stores.

    Returns
    -------
    WriteResult
        What was written.

    Raises
    ------
    GeoWriteError
        When the input or its georeferencing cannot be written (no CRS, no transform,
        shards in Zarr v2, ...).
    """
    from geozarr.pyramid import _write_variable  # the pyramid builds on this module

    if zarr_format not in (2, 3):
        raise GeoWriteError(f"Expected zarr_format 2 or 3. Got {zarr_format!r}.")
    if shards is not None and zarr_format == 2:
        raise GeoWriteError("Expected no shards for Zarr v2 (sharding is a Zarr v3 feature).")
    try:
        compressors_for(compression, zarr_format)
    except ValueError as exc:
        raise GeoWriteError(str(exc)) from None
    found_crs, found_transform = (
        grid_from_xarray(data) if _is_dataarray(data) or _is_dataset(data) else (None, None)
    )
    crs_value = crs if crs is not None else found_crs
    if crs_value is None:
        raise GeoWriteError("Expected a CRS (crs=...); the input carries none.")
    transform_value = transform if transform is not None else found_transform
    if transform_value is None:
        raise GeoWriteError("Expected an affine transform (transform=...); the input has none.")
    variables = _variables(data, name, dims, variable_attributes)
    first = variables[0]
    shape = tuple(int(n) for n in first.data.shape)
    spatial = (first.dims[-2], first.dims[-1])
    grid = Grid(
        _parse_crs(crs_value), parse_transform(transform_value), shape[-2], shape[-1], spatial
    )
    for var in variables:
        _check_name(var.name)
        if tuple(var.data.shape[-2:]) != shape[-2:] or var.dims[-2:] != spatial:
            raise GeoWriteError(
                f"Expected every variable on the grid {list(spatial)} {list(shape[-2:])}. "
                f"Got {var.name!r} with {list(var.dims)} {list(var.data.shape)}."
            )
        if np.dtype(var.data.dtype).kind not in "biuf":
            raise GeoWriteError(f"Expected numeric data. Got {var.name!r} of {var.data.dtype}.")
        if nodata is not None:
            var.nodata = nodata
    mode: StoreMode = "a" if (overwrite or resume) else "w-"
    store = _storage(target, mode, storage_options)
    written: dict[str, tuple[str, ...]] = {}
    try:
        for var in variables:
            block, outer = _chunking(tuple(var.data.shape), chunks, shards)
            written[var.name] = _write_variable(
                store,
                var.data,
                name=var.name,
                dims=var.dims,
                grid=grid,
                attributes=var.attributes,
                nodata=var.nodata,
                zarr_format=zarr_format,
                chunks=block,
                shards=outer,
                compression=compression,
                levels=levels if len(variables) == 1 else 1,
                method=method,
                factors=factors,
                min_extent=min_extent,
                workers=workers,
                resume=resume,
                progress=progress,
                write_base=True,
                root_attributes=dict(attributes or {}),
            ).paths
        if len(variables) > 1 or levels == 1:
            write_level_metadata(store, "", grid, zarr_format, extra=attributes)
        if consolidated:
            store.consolidate(zarr_format=zarr_format)
    finally:
        if not isinstance(target, StoreHandle):
            store.close()
    return WriteResult(store.target, tuple(written), grid, zarr_format, written)


def _base_output(
    dims: Sequence[str],
    attributes: Mapping[str, Any],
    nodata: float | int | None,
    dtype: np.dtype[Any],
    zarr_format: ZarrFormat,
    compression: Compression,
) -> OutputOptions:
    attrs = dict(attributes)
    attrs["grid_mapping"] = GRID_MAPPING
    # xarray turns the grid mapping into a coordinate of the variable (rioxarray needs it).
    attrs["coordinates"] = GRID_MAPPING
    if nodata is None and dtype.kind == "f":
        nodata = math.nan
    fill: Any = None
    if nodata is not None:
        fill = _json_fill(nodata, dtype)
        if zarr_format == 3:
            attrs["_FillValue"] = encode_fill_value(nodata, dtype)
    return OutputOptions(
        zarr_format=zarr_format,
        compression=compression,
        fill_value=float(fill) if isinstance(fill, str) else fill,
        dimension_names=tuple(dims) if zarr_format == 3 else None,
        attributes={**attrs, **_dims_attr(zarr_format, dims)},
    )
