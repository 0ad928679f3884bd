"""Nodata-correct GeoZarr pyramids on the shared engine (:mod:`ngff_geozarr.core.pyramid`).

:func:`pyramid` adds overview levels to a GeoZarr raster written by :func:`geozarr.write`
(or any GeoZarr group holding one georeferenced data variable at its root), in place:

- level ``k`` (``k >= 1``) is the child group ``"k"``, a self-describing GeoZarr group (CF
  grid mapping, ``x`` / ``y`` at its own pixel centres, ``proj:`` and ``spatial:``), so a
  reader that opens one level alone still finds its CRS and transform;
- the root stays the full-resolution raster (readers that know no pyramid read it as
  before) and gains the ``multiscales`` convention: a layout of array assets (``"<var>"``,
  ``"1/<var>"``, ...), each level derived from the one before with ``transform.scale`` (its
  factors) and ``transform.translation`` (0: a level's first pixel covers the first block,
  so their corners coincide), ``spatial:transform``, ``spatial:shape`` and the
  ``resampling_method``;
- values: each pixel summarises its block of the level it is derived from, ignoring
  nodata; it is nodata only where the whole block is. The default for continuous data is
  the NaN / nodata-aware mean (``mode`` for classified data: a variable with CF
  ``flag_values`` or ``flag_meanings``, or booleans). Integer rasters with a nodata value are
  reduced as floats with nodata as NaN, then rounded half to even;
- the levels keep the base's chunks, shards and codecs (unsharded unless the base is
  sharded: GDAL before 3.13 reads no shards). Metadata is written last: an interrupted run
  has no ``multiscales``, and ``resume=True`` continues it.

Examples
--------
>>> import numpy as np
>>> from geozarr.write import write
>>> store = {}
>>> data = np.ones((300, 200), dtype=np.float32)
>>> _ = write(data, store, crs="EPSG:4326", transform=(0.1, 0, 5, 0, -0.1, 50), chunks=(128, 128))
>>> pyramid(store).paths
('data', '1/data', '2/data')
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

import ngff_geozarr.core.groups as groups
from geozarr.cf.variables import FILL_VALUE, decode_fill_value
from geozarr.conventions.registry import MULTISCALES, PROJ, SPATIAL
from geozarr.crs import parse_crs
from geozarr.detection import discover
from geozarr.writing import documents as _documents
from geozarr.writing import levels as _levels
from geozarr.writing.cf_variables import GRID_MAPPING
from geozarr.writing.grid import GeoWriteError, Grid, parse_transform
from geozarr.writing.levels import write_variable
from ngff_geozarr.core.hierarchy import Hierarchy, Node, hierarchy_from_store
from ngff_geozarr.core.pyramid import Method, Progress
from ngff_geozarr.core.store import StoreHandle
from ngff_geozarr.core.store.opening import opened
from ngff_geozarr.core.zarr_format import array_compressors

__all__ = ["RESAMPLING_NAMES", "GeoPyramid", "default_method", "pyramid"]

# The names this module has always exported; they live in geozarr.writing now.
RESAMPLING_NAMES = _documents.RESAMPLING_NAMES
default_method = _levels.default_method


@dataclass(frozen=True)
class GeoPyramid:
    """What :func:`pyramid` wrote.

    Parameters
    ----------
    variable
        The data variable.
    paths
        Its array path at every level, base first.
    shapes
        The shape of every level.
    method
        The kernel.
    tiles_written, tiles_skipped
        Work done by this run, and found done on resume.
    """

    variable: str
    paths: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    method: Method
    tiles_written: int
    tiles_skipped: int


# -- in place on a store ---------------------------------------------------------------------


def _root_grid(hierarchy: Hierarchy, root: Node, var: Node) -> Grid:
    attrs = root.attributes
    mapping = hierarchy.get(GRID_MAPPING)
    gm = mapping.attributes if mapping is not None else {}
    crs = None
    for kind, key in (("code", "proj:code"), ("wkt2", "proj:wkt2"), ("projjson", "proj:projjson")):
        if key in attrs:
            crs = parse_crs(kind, attrs[key]).crs  # type: ignore[arg-type]
            break
    if crs is None:
        for key in ("crs_wkt", "spatial_ref"):
            if isinstance(gm.get(key), str):
                crs = parse_crs("wkt", gm[key]).crs
                break
    if crs is None:
        raise GeoWriteError(f"{hierarchy.target}: no CRS at the root (proj: or {GRID_MAPPING}).")
    transform: Any = attrs.get("spatial:transform")
    if transform is None and isinstance(gm.get("GeoTransform"), str):
        c, a, b, f, d, e = (float(v) for v in gm["GeoTransform"].split())
        transform = (a, b, c, d, e, f)
    if transform is None:
        raise GeoWriteError(f"{hierarchy.target}: no affine transform at the root.")
    names = var.dimension_names()
    shape = var.metadata.get("shape")
    if names is None or not isinstance(shape, list) or len(shape) < 2 or None in names:
        raise GeoWriteError(f"{var.path}: expected named dimensions and a shape of 2 or more.")
    dims = attrs.get("spatial:dimensions")
    spatial = (str(names[-2]), str(names[-1]))
    if isinstance(dims, list) and tuple(dims) != spatial:
        raise GeoWriteError(f"{var.path}: expected the last two dimensions to be {dims}.")
    return Grid(crs, parse_transform(transform), int(shape[-2]), int(shape[-1]), spatial)


def _pick_variable(hierarchy: Hierarchy, variable: str | None) -> Node:
    candidates = [
        node
        for node in hierarchy.children("")
        if node.node_type == "array"
        and "grid_mapping" in node.attributes
        and len(node.metadata.get("shape") or []) >= 2
    ]
    if variable is not None:
        found = hierarchy.get(variable)
        if found is None or found.node_type != "array" or found.parent != "":
            raise GeoWriteError(f"{hierarchy.target}: no array {variable!r} at the root.")
        return found
    if len(candidates) != 1:
        names = [n.path for n in candidates]
        raise GeoWriteError(
            f"{hierarchy.target}: expected one georeferenced variable at the root "
            f"(with grid_mapping); found {names or 'none'}. Name one with variable=."
        )
    return candidates[0]


def _nodata(var: Node) -> float | int | None:
    if FILL_VALUE in var.attributes:
        return decode_fill_value(var.attributes[FILL_VALUE])
    fill = decode_fill_value(var.metadata.get("fill_value"))
    if var.zarr_format == 2 or (isinstance(fill, float) and math.isnan(fill)):
        return fill
    return None


def pyramid(
    target: str | os.PathLike[str] | MutableMapping[str, Any] | StoreHandle,
    *,
    variable: str | None = None,
    method: Method | None = None,
    levels: int | Literal["auto"] = "auto",
    factors: int = 2,
    min_extent: int | None = None,
    workers: int | None = None,
    resume: bool = False,
    consolidated: bool = True,
    progress: Callable[[Progress], None] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> GeoPyramid:
    """Add the overview levels of a GeoZarr raster, in place.

    Parameters
    ----------
    target
        The store (path, URL, mapping or opened handle) whose root holds the raster.
    variable
        The data variable; the only root array with a ``grid_mapping`` when omitted.
    method
        The kernel (see :data:`~ngff_geozarr.core.pyramid.METHODS`); see
        :func:`default_method` when omitted.
    levels
        ``"auto"``: halve until the larger side fits in one chunk (or is at most
        ``min_extent``); or the number of levels, base included.
    factors
        The reduction of each level on both spatial axes (sides of 1 stay 1).
    min_extent
        With ``levels="auto"``: stop once the larger side is at most this.
    workers
        Engine threads; the number of CPUs when omitted.
    resume
        Continue an interrupted run: the tiles already written are kept.
    consolidated
        Write consolidated metadata at the root last (the multiscales convention SHOULDs it:
        a reader learns the whole pyramid from one document).
    progress
        Called after every finished tile.
    storage_options
        Options for remote stores.

    Returns
    -------
    GeoPyramid
        What was written.

    Raises
    ------
    GeoWriteError
        When the root holds no single georeferenced raster, already has a pyramid (unless
        ``resume``), or an argument is wrong.
    """
    with opened(target, "r+", storage_options) as store:
        hierarchy = hierarchy_from_store(store, discover)
        root = hierarchy.root
        if root is None or root.node_type != "group":
            raise GeoWriteError(f"{store.target}: expected a group at the root.")
        if "multiscales" in root.attributes and not resume:
            raise GeoWriteError(
                f"{store.target}: already has a multiscales layout; pass resume=True to "
                "continue an interrupted run."
            )
        var = _pick_variable(hierarchy, variable)
        grid = _root_grid(hierarchy, root, var)
        base = store.open_array(var.path)
        attributes = {
            k: v
            for k, v in var.attributes.items()
            if k not in (FILL_VALUE, "_ARRAY_DIMENSIONS", "grid_mapping", "coordinates")
        }
        # The convention attributes are rendered again from the grid; others are kept.
        root_attrs = {
            k: v
            for k, v in root.attributes.items()
            if k not in ("zarr_conventions", MULTISCALES.prefix)
            and not k.startswith((PROJ.prefix, SPATIAL.prefix))
        }
        names = var.dimension_names() or ()
        kernel: Method = method or default_method(base.dtype, attributes)
        result = write_variable(
            store,
            base,
            name=var.path,
            dims=[str(n) for n in names],
            grid=grid,
            attributes=attributes,
            nodata=_nodata(var),
            zarr_format=base.zarr_format,
            chunks=base.chunks,
            shards=base.shards,
            compression="blosc-zstd",
            compressors=array_compressors(var.metadata, var.zarr_format or 3),
            levels=levels,
            method=kernel,
            factors=factors,
            min_extent=min_extent,
            workers=workers,
            resume=resume,
            progress=progress,
            write_base=False,
            root_attributes=root_attrs,
        )
        groups.finish(store, consolidated=consolidated)
    return GeoPyramid(
        var.path,
        result.paths,
        tuple(level.shape for level in result.levels),
        kernel,
        result.tiles_written,
        result.tiles_skipped,
    )
