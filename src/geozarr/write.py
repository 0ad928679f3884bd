"""Write GeoZarr rasters that every reader generation understands: CF *and* the conventions.

:func:`write` stores numpy or dask arrays, or xarray DataArrays / Datasets, as one GeoZarr
group:

- CF, as GDAL, xarray and rioxarray read it: each data variable names a ``grid_mapping``
  variable, ``spatial_ref`` (a scalar array with ``crs_wkt`` in WKT2, GDAL's ``spatial_ref``
  and ``GeoTransform`` in GDAL's order ``c a b f d e``, plus the CF grid mapping parameters);
  xarray input with a grid mapping keeps its name (CF's ``crs``, say) and, where they
  declare the same CRS, its attributes, at every level; a ``grid_mapping`` in CF's
  extended form (``"crs: x y crs_wgs84: lat lon"``) stays extended, and the auxiliary
  coordinates on the grid (2-D ``lat`` / ``lon``) and the other grid mappings are kept,
  at every level (see :mod:`geozarr.writing.auxiliary`);
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

The parts live in :mod:`geozarr.writing` (one module per job); this module keeps the names
it always exported (:class:`Grid`, :func:`parse_transform`, :func:`write_level_metadata`, ...).

Examples
--------
>>> import numpy as np
>>> data = np.arange(12, dtype=np.float32).reshape(3, 4)
>>> out = write(data, {}, crs="EPSG:32632", transform=(30, 0, 500000, 0, -30, 5200000))
>>> out.variables
('data',)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

import ngff_geozarr.core.groups as groups
from geozarr.writing import cf_variables as _cf_variables
from geozarr.writing import documents as _documents
from geozarr.writing import grid as _grid
from geozarr.writing import inputs as _inputs
from geozarr.writing.auxiliary import extended_grid_mapping
from geozarr.writing.cf_variables import variable_output
from geozarr.writing.documents import write_carried
from geozarr.writing.grid import parse_crs_input
from geozarr.writing.inputs import read_variables, read_xarray
from geozarr.writing.levels import (
    LevelRun,
    layout_variable,
    methods_by_variable,
    plan_levels,
    write_pyramid_metadata,
    write_variable,
)
from geozarr.writing.lonlat import ASSUMED
from geozarr.writing.netcdf import open_xarray_file
from geozarr.writing.xarray_source import CarriedArray
from ngff_geozarr.core.errors import PyramidError
from ngff_geozarr.core.inputs import labelled_kind
from ngff_geozarr.core.pyramid import Method, Progress, PyramidResult
from ngff_geozarr.core.store import (
    Compression,
    StoreHandle,
    StoreMode,
    ZarrFormat,
    compressors_for,
)
from ngff_geozarr.core.store.opening import opened
from ngff_geozarr.core.store.writelock import write_lock
from ngff_geozarr.core.store.writerecord import fingerprint_of

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

_Target = str | os.PathLike[str] | MutableMapping[str, Any] | StoreHandle

# The names this module has always exported; they live in geozarr.writing now.
CF_VERSION = _documents.CF_VERSION
GRID_MAPPING = _cf_variables.GRID_MAPPING
GeoWriteError = _grid.GeoWriteError
Grid = _grid.Grid
encode_fill_value = _cf_variables.encode_fill_value
grid_from_xarray = _inputs.grid_from_xarray
parse_transform = _grid.parse_transform
write_level_metadata = _documents.write_level_metadata


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
    notes
        What the writer decided that the source did not say (a CRS implied by latitude /
        longitude coordinates, see :mod:`geozarr.writing.lonlat`), one sentence each.
    """

    target: str
    variables: tuple[str, ...]
    grid: Grid
    zarr_format: ZarrFormat
    levels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _check_name(name: str, mapping: str = GRID_MAPPING) -> None:
    if not name or "/" in name or name in (mapping, ".", "..") or name.startswith("_"):
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
    method: Method | Mapping[str, Method] | None = None,
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
        array), an array of a store (:class:`~ngff_geozarr.core.store.ArrayIO`); an xarray
        DataArray or Dataset, whose CRS and transform are read from rioxarray, odc-geo or CF
        metadata (see :func:`grid_from_xarray`) unless given; or the path of a NetCDF / HDF5
        file, opened with xarray (the ``netcdf`` extra). xarray input keeps every variable
        on the grid, its CF encoding (``dtype``, ``scale_factor``, ``add_offset``,
        ``_FillValue``: packed stays packed), every coordinate and variable off the grid
        (``time`` CF-encoded, ``band``, ``time_bnds``; copied into every level), the cell
        bounds ``x`` and ``y`` name (recomputed for each level's cells) and the Dataset's
        attributes (on the root group; ``Conventions`` is the writer's).
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
        1 (the default) writes the raster alone; ``"auto"`` or a number writes a pyramid of
        every variable in the same pass (see :func:`geozarr.pyramid.pyramid`); the
        ``multiscales`` layout names the arrays of the first variable without flags, the
        others sit beside them in each level's group.
    method
        The pyramid's kernel, for every variable or by variable name (a mapping; the others
        get :func:`~geozarr.writing.levels.default_method`: ``mode`` for flags).
    factors, min_extent
        The factor per level and the stop (see :func:`geozarr.pyramid.pyramid`).
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
        Called after every finished tile (see :class:`~ngff_geozarr.core.pyramid.Progress`).
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
    if zarr_format not in (2, 3):
        raise GeoWriteError(f"Expected zarr_format 2 or 3. Got {zarr_format!r}.")
    if shards is not None and zarr_format == 2:
        raise GeoWriteError("Expected no shards for Zarr v2 (sharding is a Zarr v3 feature).")
    try:
        compressors_for(compression, zarr_format)
    except ValueError as exc:
        raise GeoWriteError(str(exc)) from None
    if isinstance(data, str | os.PathLike):
        with open_xarray_file(data) as dataset:
            return write(
                dataset,
                target,
                crs=crs,
                transform=transform,
                nodata=nodata,
                name=name,
                zarr_format=zarr_format,
                chunks=chunks,
                shards=shards,
                compression=compression,
                attributes=attributes,
                variable_attributes=variable_attributes,
                levels=levels,
                method=method,
                factors=factors,
                min_extent=min_extent,
                workers=workers,
                resume=resume,
                overwrite=overwrite,
                consolidated=consolidated,
                progress=progress,
                storage_options=storage_options,
            )
    carried: list[CarriedArray] = []
    root_attributes: dict[str, Any] = {}
    mapping_name, mapping_attributes = GRID_MAPPING, {}
    bounds: dict[str, str] = {}
    notes: list[str] = []
    if labelled_kind(data) is not None:
        found = read_xarray(data, name, variable_attributes)
        found_crs, found_transform = found.crs, found.transform
        # the source's grid mapping keeps its name (a CF file's "crs", say) and its words
        mapping_name = found.grid_mapping or GRID_MAPPING
        mapping_attributes = found.grid_mapping_attributes
        variables, carried, root_attributes = found.variables, found.carried, found.attributes
        bounds = found.bounds
        if found.crs_implied and crs is None:
            notes.append(ASSUMED.format(where="the source", y=found.dims[0], x=found.dims[1]))
    else:
        found_crs = found_transform = None
        variables = read_variables(data, name, dims, variable_attributes)
    crs_value = crs if crs is not None else found_crs
    if crs_value is None:
        raise GeoWriteError("Expected a CRS (crs=...); the input carries none.")
    transform_value = transform if transform is not None else found_transform
    if transform_value is None:
        raise GeoWriteError("Expected an affine transform (transform=...); the input has none.")
    root_attributes.update(attributes or {})
    try:  # the group document is strict JSON (core.groups): refuse NaN before any write
        json.dumps(root_attributes, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise GeoWriteError(f"Cannot write the group's attributes as JSON: {exc}.") from None
    first = variables[0]
    shape = tuple(int(n) for n in first.data.shape)
    spatial = (first.dims[-2], first.dims[-1])
    grid = Grid(
        parse_crs_input(crs_value),
        parse_transform(transform_value),
        shape[-2],
        shape[-1],
        spatial,
        mapping_name,
        mapping_attributes,
        bounds,
    )
    methods = methods_by_variable(method, [v.name for v in variables])
    written_beside = {c.name for c in carried} | (set(spatial) if grid.rectilinear else set())
    for var in variables:
        _check_name(var.name, grid.grid_mapping)
        form = extended_grid_mapping(
            var.attributes.pop("grid_mapping", None), grid.grid_mapping, written_beside
        )
        if form is not None:  # CF §5.6's extended form says more than the plain one: kept
            var.attributes["grid_mapping"] = form
        if 0 in tuple(var.data.shape):
            raise GeoWriteError(
                f"Expected variables with at least one value. Got {var.name!r} of the shape "
                f"{list(var.data.shape)}."
            )
        if tuple(var.data.shape[-2:]) != shape[-2:] or var.dims[-2:] != spatial:
            raise GeoWriteError(
                f"Expected every variable on the grid {list(spatial)} {list(shape[-2:])}. "
                f"Got {var.name!r} with {list(var.dims)} {list(var.data.shape)}."
            )
        if np.dtype(var.data.dtype).kind not in "biuf":
            raise GeoWriteError(f"Expected numeric data. Got {var.name!r} of {var.data.dtype}.")
        if nodata is not None:
            var.nodata = nodata
        # Build the variable's CF document now: a bad attribute is refused before any write.
        variable_output(
            var.dims,
            var.attributes,
            var.nodata,
            np.dtype(var.data.dtype),
            zarr_format,
            compression,
            grid.grid_mapping,
        )
    for array in carried:
        _check_name(array.name, grid.grid_mapping)
    run = LevelRun(levels, factors, min_extent, workers, resume, progress)
    for var in variables:  # every variable's levels planned before the first byte is written
        block, outer = _chunking(tuple(var.data.shape), chunks, shards)
        try:
            plan_levels(tuple(var.data.shape), block, outer, levels, factors, min_extent)
        except PyramidError as exc:
            raise GeoWriteError(f"{var.name}: {exc}") from None
    mode: StoreMode = "a" if (overwrite or resume) else "w-"
    written: dict[str, tuple[str, ...]] = {}
    with (
        opened(target, mode, storage_options) as store,
        write_lock(
            store,
            "geozarr create",
            "the same `geozarr create` with --resume (write(..., resume=True))",
            resume=resume,
            source=fingerprint_of(data),
            interrupted_ok=overwrite,
        ),
    ):
        results: list[PyramidResult] = []
        for var in variables:
            block, outer = _chunking(tuple(var.data.shape), chunks, shards)
            result = write_variable(
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
                method=methods.get(var.name),
                run=run,
                write_base=True,
                root_attributes=root_attributes,
                metadata=False,
            )
            results.append(result)
            written[var.name] = result.paths
        block, _ = _chunking(shape, chunks, shards)  # 2-D lat / lon chunked as the rasters
        write_carried(store, "", carried, zarr_format, dict(zip(spatial, block[-2:], strict=True)))
        primary = results[layout_variable([v.attributes for v in variables])]
        if levels != 1:
            write_pyramid_metadata(
                store,
                primary,
                grid,
                zarr_format,
                root_attributes=root_attributes,
                carried=carried,
            )
        else:
            write_level_metadata(store, "", grid, zarr_format, extra=root_attributes)
        groups.finish(store, consolidated=consolidated)
    return WriteResult(store.target, tuple(written), grid, zarr_format, written, tuple(notes))
