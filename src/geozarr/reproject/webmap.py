"""Web-map pyramids: a GeoTIFF or GeoZarr raster reprojected into tiles, level by zoom level.

:func:`write_webmap_pyramid` writes a new GeoZarr store whose levels are the reprojection
of a source raster to a target CRS:

- EPSG:3857 (the default) follows the OGC WebMercatorQuad tile matrix set
  (:mod:`geozarr.reproject.grids`): level ``k`` is zoom ``z_max - k``, every chunk is one
  tile of its zoom's matrix (``tile_size`` square, aligned on the matrix's origin), and each
  layout entry of the ``multiscales`` attribute records its tile matrix set and zoom
  (``"tile_matrix_set": "WebMercatorQuad"``, ``"tile_matrix": "<zoom>"`` (the OGC tile matrix
  identifier) and ``"zoom"``: what a tile server needs to map a ``{z}/{x}/{y}`` request to a
  level and a chunk);
- any other CRS gets a grid at the source's resolution, snapped to whole cells, chunked in
  ``tile_size`` squares, halved per level;
- the finest level is computed from the source tile by tile (:class:`WarpedArray`: only the
  source window each tile needs is read), with ``nearest``, ``average`` or ``mode``
  resampling, nodata-aware; the coarser levels are derived by the pyramid engine, 2 x 2
  blocks (``mean``, ``nearest`` or ``mode``, nodata-aware), in bounded memory;
- the groups are GeoZarr groups as :func:`geozarr.write` writes them (CF grid mapping,
  ``proj:``, ``spatial:``, ``multiscales``), and the store validates under ``--strict``.

Examples
--------
>>> import numpy as np
>>> from geozarr.write import write
>>> src = {}
>>> _ = write(np.ones((64, 64), "float32"), src, crs="EPSG:4326",
...           transform=(0.01, 0, 5, 0, -0.01, 46))
>>> out = write_webmap_pyramid(src, {}, zoom_levels=(5, 7))
>>> out.zooms, out.shapes, out.paths
((7, 6, 5), ((1024, 1024), (512, 512), (256, 256)), ('data', '1/data', '2/data'))
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np

import ngff_geozarr.core.groups as groups
from geozarr.reproject.grids import TargetGrid, plan_target
from geozarr.reproject.warp import RESAMPLING, Resampling, WarpedArray
from geozarr.writing.cf_variables import variable_output
from geozarr.writing.documents import multiscales_layout, write_carried, write_level_metadata
from geozarr.writing.grid import GeoWriteError, Grid, parse_crs_input, parse_transform
from geozarr.writing.levels import LevelRun, plan_levels, write_variable
from geozarr.writing.xarray_source import CarriedArray
from ngff_geozarr.core.inputs import open_input
from ngff_geozarr.core.pyramid import Method, Progress
from ngff_geozarr.core.store import StoreHandle, ZarrFormat
from ngff_geozarr.core.store.opening import opened

__all__ = ["ENGINE_METHODS", "SourceRaster", "WebMapPyramid", "open_source", "write_webmap_pyramid"]

ENGINE_METHODS: dict[str, Method] = {"nearest": "nearest", "average": "mean", "mode": "mode"}
"""The pyramid engine's kernel deriving the coarser levels, for each resampling method."""

_TIFF = (".tif", ".tiff")
_Target = str | os.PathLike[str] | MutableMapping[str, Any] | StoreHandle


@dataclass(frozen=True)
class SourceRaster:
    """A raster to reproject: its values, where they lie, its nodata and its attributes.

    Parameters
    ----------
    data
        The values, ``(..., height, width)``, read lazily by region.
    grid
        Its CRS and transform.
    nodata
        Its nodata value, or ``None``.
    name
        The variable name to write.
    dims
        Its dimension names.
    attributes
        The variable's attributes worth keeping (``units``, ``long_name``, ...).
    store
        The store ``data`` is read from, when :func:`open_source` opened it (closed by
        :meth:`close`).
    carried
        The arrays off the grid (``time``, bounds) copied into every level, values and all.
    """

    data: Any
    grid: Grid
    nodata: float | int | None
    name: str = "data"
    dims: tuple[str, ...] = ("y", "x")
    attributes: Mapping[str, Any] | None = None
    store: StoreHandle | None = None
    carried: tuple[CarriedArray, ...] = ()

    def close(self) -> None:
        """Close the store the source was opened from, if :func:`open_source` opened one."""
        if self.store is not None:
            self.store.close()


def _from_geozarr(target: Any, variable: str | None) -> SourceRaster:
    # The reading of a GeoZarr root raster is geozarr.pyramid's (one place for it).
    from geozarr.cf.variables import FILL_VALUE
    from geozarr.detection import discover
    from geozarr.pyramid import (
        _auxiliary,
        _carried,
        _grid_variables,
        _mapping_names,
        _nodata,
        _root_grid,
        _spatial_dims,
    )
    from ngff_geozarr.core.hierarchy import hierarchy_from_store
    from ngff_geozarr.core.store import open_store

    owned = not isinstance(target, StoreHandle)
    store = open_store(target, "r") if owned else target
    try:
        hierarchy = hierarchy_from_store(store, discover)
        root = hierarchy.root
        if root is None or root.node_type != "group":
            raise GeoWriteError(f"{store.target}: expected a GeoZarr group at the root.")
        spatial = _spatial_dims(hierarchy, root)
        # 2-D lat / lon are coordinates of the source's grid, not of the reprojected one:
        # neither reprojected as variables nor carried
        found = _grid_variables(hierarchy, spatial, variable, _auxiliary(hierarchy, spatial))
        if len(found) > 1:
            listed = ", ".join(node.path for node in found)
            raise GeoWriteError(
                f"{store.target}: several variables on the grid ({listed}); name one to reproject."
            )
        var = found[0]
        grid, _ = _root_grid(store, hierarchy, root, var, spatial)  # an implied CRS too
        data = store.open_array(var.path)
        skip = {*(node.path for node in found), *spatial, *_mapping_names(hierarchy)}
        carried = tuple(_carried(store, hierarchy, spatial, skip))
    except BaseException:
        if owned:
            store.close()
        raise
    keep = {
        k: v
        for k, v in var.attributes.items()
        if k not in (FILL_VALUE, "_ARRAY_DIMENSIONS", "grid_mapping", "coordinates")
    }
    names = tuple(str(n) for n in (var.dimension_names() or ()))
    dims = (*names[:-2], "y", "x") if len(names) == len(data.shape) else ("y", "x")
    owner = store if owned else None
    return SourceRaster(data, grid, _nodata(var), var.path, dims, keep, owner, carried)


def open_source(
    source: Any,
    *,
    variable: str | None = None,
    crs: Any = None,
    transform: Any = None,
    nodata: float | int | None = None,
) -> SourceRaster:
    """Open a raster to reproject: a GeoTIFF, a GeoZarr store, or a georeferenced array.

    Parameters
    ----------
    source
        A GeoTIFF path (read through :func:`ngff_geozarr.core.inputs.open_input`), a
        GeoZarr store (path, URL, mapping or :class:`StoreHandle`, its root raster read as
        :func:`geozarr.pyramid.pyramid` reads it), a :class:`SourceRaster`, or a numpy-like
        array with ``crs`` and ``transform``.
    variable
        A GeoZarr store's data variable, when its root holds more than one.
    crs, transform
        The georeferencing of an array source.
    nodata
        The nodata value, over the source's own.

    Returns
    -------
    SourceRaster
        The source.

    Raises
    ------
    GeoWriteError
        When the source cannot be read or has no CRS or transform.
    """
    if isinstance(source, SourceRaster):
        found = source
    elif hasattr(source, "shape") and hasattr(source, "dtype") and not isinstance(source, Mapping):
        if crs is None or transform is None:
            raise GeoWriteError("An array source needs crs= and transform=.")
        shape = tuple(source.shape)
        if len(shape) < 2:
            raise GeoWriteError(f"Expected an array of 2 or more dimensions. Got {shape}.")
        grid = Grid(parse_crs_input(crs), parse_transform(transform), shape[-2], shape[-1])
        dims = (*(f"dim_{i}" for i in range(len(shape) - 2)), "y", "x")
        found = SourceRaster(source, grid, None, "data", dims)
    elif isinstance(source, str | os.PathLike) and os.fspath(source).lower().endswith(_TIFF):
        opened_input = open_input(source, georeferenced=True)
        if opened_input.crs is None or opened_input.transform is None:
            raise GeoWriteError(f"{os.fspath(source)}: the GeoTIFF has no CRS or no transform.")
        data = opened_input.data
        grid = Grid(
            parse_crs_input(opened_input.crs),
            parse_transform(opened_input.transform),
            int(data.shape[-2]),
            int(data.shape[-1]),
        )
        dims = ("band", "y", "x") if data.ndim == 3 else ("y", "x")
        found = SourceRaster(data, grid, opened_input.nodata, "data", dims)
    else:
        found = _from_geozarr(source, variable)
    if nodata is not None:
        found = dataclasses.replace(found, nodata=nodata)
    return found


@dataclass(frozen=True)
class WebMapPyramid:
    """What :func:`write_webmap_pyramid` wrote.

    Parameters
    ----------
    target
        The output store.
    variable
        The data variable.
    paths
        Its array path at every level, finest first.
    shapes
        The shape of every level.
    grids
        The grid of every level.
    tile_matrix_set
        ``"WebMercatorQuad"``, or ``None`` for a CRS without one.
    zooms
        The zoom of every level (WebMercatorQuad), finest first.
    method
        The resampling of the finest level.
    """

    target: str
    variable: str
    paths: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    grids: tuple[Grid, ...]
    tile_matrix_set: str | None
    zooms: tuple[int, ...]
    method: Resampling


def _output_nodata(raster: SourceRaster, dtype: np.dtype[Any]) -> float | int:
    if raster.nodata is not None:
        value = raster.nodata
        if dtype.kind in "iu":
            if not float(value).is_integer():
                raise GeoWriteError(f"Expected an integer nodata for {dtype}. Got {value!r}.")
            info = np.iinfo(dtype)
            if not info.min <= int(value) <= info.max:
                raise GeoWriteError(f"Expected a nodata within {dtype}'s range. Got {value!r}.")
            return int(value)
        return float(value)
    if dtype.kind == "f":
        return math.nan
    raise GeoWriteError(
        f"The source ({dtype}) has no nodata value, and the pixels outside it need one: "
        "pass nodata= (e.g. 0)."
    )


def _record_tiles(layout: dict[str, Any], plan: TargetGrid) -> dict[str, Any]:
    """Add each level's tile matrix set and zoom to a ``multiscales`` layout."""
    if plan.tile_matrix_set is None:
        return layout
    entries = [
        {
            **entry,
            "tile_matrix_set": plan.tile_matrix_set,
            "tile_matrix": str(zoom),
            "zoom": zoom,
        }
        for entry, zoom in zip(layout["layout"], plan.zooms, strict=True)
    ]
    return {**layout, "layout": entries}


def write_webmap_pyramid(
    source: Any,
    target: _Target,
    *,
    to_crs: Any = "EPSG:3857",
    tile_size: int = 256,
    method: Resampling = "average",
    zoom_levels: tuple[int, int] | None = None,
    levels: int | None = None,
    resolution: float | None = None,
    zarr_format: ZarrFormat = 3,
    variable: str | None = None,
    nodata: float | int | None = None,
    crs: Any = None,
    transform: Any = None,
    overwrite: bool = False,
    workers: int | None = None,
    consolidated: bool = True,
    progress: Callable[[Progress], None] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> WebMapPyramid:
    """Reproject a raster to ``to_crs`` and write it as a tiled GeoZarr pyramid.

    Parameters
    ----------
    source
        A GeoTIFF path, a GeoZarr store, a :class:`SourceRaster` or an array (see
        :func:`open_source`).
    target
        The output store: a path, URL, mapping or opened handle.
    to_crs
        The target CRS (anything PROJ understands). EPSG:3857 uses the WebMercatorQuad tile
        matrix set.
    tile_size
        The tile side in pixels: every chunk is one tile.
    method
        The resampling of the finest level: ``"average"`` (mean of the valid source pixels
        under the target pixel), ``"nearest"`` or ``"mode"`` (categorical data). The coarser
        levels use the matching 2 x 2 kernel (``mean``, ``nearest``, ``mode``).
    zoom_levels
        WebMercatorQuad: ``(z_min, z_max)``; chosen from the source's resolution and
        footprint when omitted (see :func:`geozarr.reproject.grids.plan_target`).
    levels, resolution
        Other CRSs: the number of levels and the finest cell size.
    zarr_format
        2 or 3.
    variable
        A GeoZarr source's data variable, when its root holds several.
    nodata
        The nodata value over the source's own; needed for integer data without one.
    crs, transform
        The georeferencing of an array source.
    overwrite
        Write into an existing store (else a non-empty target is refused).
    workers
        Engine threads; the number of CPUs when omitted.
    consolidated
        Write consolidated metadata at the root last.
    progress
        Called after every finished tile.
    storage_options
        Options for remote targets.

    Returns
    -------
    WebMapPyramid
        What was written.

    Raises
    ------
    GeoWriteError
        When an argument is wrong or the source cannot be reprojected; nothing is written
        then.
    """
    if method not in RESAMPLING:
        raise GeoWriteError(
            f"Expected a resampling method among {', '.join(RESAMPLING)}. Got {method!r}."
        )
    if zarr_format not in (2, 3):
        raise GeoWriteError(f"Expected zarr_format 2 or 3. Got {zarr_format!r}.")
    raster = open_source(source, variable=variable, crs=crs, transform=transform, nodata=nodata)
    try:
        return _write(
            raster,
            target,
            to_crs=to_crs,
            tile_size=tile_size,
            method=method,
            zoom_levels=zoom_levels,
            levels=levels,
            resolution=resolution,
            zarr_format=zarr_format,
            overwrite=overwrite,
            workers=workers,
            consolidated=consolidated,
            progress=progress,
            storage_options=storage_options,
        )
    finally:
        if not isinstance(source, SourceRaster):  # a store open_source opened itself
            raster.close()


def _write(
    raster: SourceRaster,
    target: _Target,
    *,
    to_crs: Any,
    tile_size: int,
    method: Resampling,
    zoom_levels: tuple[int, int] | None,
    levels: int | None,
    resolution: float | None,
    zarr_format: ZarrFormat,
    overwrite: bool,
    workers: int | None,
    consolidated: bool,
    progress: Callable[[Progress], None] | None,
    storage_options: dict[str, Any] | None,
) -> WebMapPyramid:
    dtype = np.dtype(raster.data.dtype)
    if dtype.kind not in "iuf":
        raise GeoWriteError(f"Expected numeric data. Got {dtype}.")
    out_nodata = _output_nodata(raster, dtype)
    plan = plan_target(
        raster.grid,
        parse_crs_input(to_crs),
        tile_size=tile_size,
        zoom_levels=zoom_levels,
        levels=levels,
        resolution=resolution,
    )
    warped = WarpedArray(
        raster.data, raster.grid, plan.grid, method, out_nodata, raster.nodata, dtype
    )
    lead = (1,) * (len(warped.shape) - 2)
    chunks = (*lead, tile_size, tile_size)
    attributes = dict(raster.attributes or {})
    kernel = ENGINE_METHODS[method]
    # The documents are built (and refused) before the first byte is written.
    variable_output(raster.dims, attributes, out_nodata, dtype, zarr_format, "blosc-zstd")
    planned = plan_levels(warped.shape, chunks, None, plan.levels, 2, None)
    paths = (raster.name, *(f"{k}/{raster.name}" for k in range(1, len(planned))))
    layout = _record_tiles(multiscales_layout(paths, planned, plan.grid, kernel), plan)
    layout["layout"][0]["resampling_method"] = method
    with opened(target, "a" if overwrite else "w-", storage_options) as store:
        write_variable(
            store,
            warped,
            name=raster.name,
            dims=raster.dims,
            grid=plan.grid,
            attributes=attributes,
            nodata=out_nodata,
            zarr_format=zarr_format,
            chunks=chunks,
            shards=None,
            compression="blosc-zstd",
            method=kernel,
            run=LevelRun(plan.levels, workers=workers, progress=progress),
            write_base=True,
            root_attributes={},
            carried=raster.carried,
        )
        write_carried(store, "", raster.carried, zarr_format)
        # The root's layout again, now with each level's tile matrix and zoom.
        write_level_metadata(store, "", plan.grid, zarr_format, multiscales=layout)
        groups.finish(store, consolidated=consolidated)
        written = store.target
    grids = tuple(plan.grid.reduced(*level.cumulative[-2:]) for level in planned)
    return WebMapPyramid(
        written,
        raster.name,
        paths,
        tuple(level.shape for level in planned),
        grids,
        plan.tile_matrix_set,
        plan.zooms,
        method,
    )
