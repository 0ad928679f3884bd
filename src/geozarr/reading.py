"""Open one level of a GeoZarr store as an xarray Dataset, georeferenced for rioxarray and odc-geo.

:func:`open` finds level ``k`` in the root's ``multiscales`` layout (level 0 is the root
itself when the store has no pyramid), opens its group with xarray (CF decoding: packed
values unpacked, ``_FillValue`` masked, CF time decoded) and makes sure its grid mapping is
what rioxarray and odc-geo read: a coordinate (``spatial_ref`` unless the variables name
another) with ``crs_wkt`` and GDAL's ``spatial_ref`` (WKT2) and ``GeoTransform``, taken from
the group's ``proj:`` and ``spatial:transform`` when the grid mapping lacks them. A variable
naming its grid's mapping in CF's extended form (``"crs: x y"`` or ``"crs: x y crs_wgs84:
lat lon"``, which rioxarray does not read) names it plainly (``"crs"``) in the Dataset
returned; the store keeps the extended form, and ``xarray.open_zarr`` reads it as it is.

Examples
--------
>>> import numpy as np
>>> from geozarr.write import write
>>> store = {}
>>> _ = write(np.ones((4, 4), np.float32), store, crs="EPSG:4326", transform=(1, 0, 0, 0, -1, 4))
>>> ds = open(store)
>>> ds.spatial_ref.attrs["GeoTransform"]
'0.0 1.0 0.0 4.0 0.0 -1.0'
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, MutableMapping
from typing import Any

from geozarr.cf.checks import grid_mapping_names
from geozarr.cf.grid_mappings import grid_mapping_entries, grid_mappings_of
from geozarr.crs import parse_crs
from geozarr.detection import discover
from geozarr.writing.cf_variables import GRID_MAPPING
from geozarr.writing.grid import Grid, parse_transform
from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.hierarchy import Hierarchy, hierarchy_from_store
from ngff_geozarr.core.store import StoreHandle
from ngff_geozarr.core.store.opening import opened

__all__ = ["GeoReadError", "level_groups", "open"]


class GeoReadError(NgffGeozarrError, ValueError):
    """The store or the level asked for cannot be opened (the message says why)."""


def level_groups(hierarchy: Hierarchy) -> tuple[str, ...]:
    """Return the group path of every level, base first (``""`` for the root).

    A layout asset that is an array stands for the group that holds it (its variables sit
    beside it); a store without ``multiscales`` has the root as its only level.

    Parameters
    ----------
    hierarchy
        The store's metadata.

    Returns
    -------
    tuple of str
        Group paths.
    """
    root = hierarchy.root
    layout = root.attributes.get("multiscales") if root is not None else None
    entries = layout.get("layout") if isinstance(layout, Mapping) else None
    if not isinstance(entries, list):
        return ("",)
    groups = []
    for entry in entries:
        asset = entry.get("asset") if isinstance(entry, Mapping) else None
        node = hierarchy.get(asset) if isinstance(asset, str) else None
        if node is None:
            continue
        groups.append(node.path if node.node_type == "group" else (node.parent or ""))
    return tuple(groups) or ("",)


def _xarray_target(target: Any) -> Any:
    # What xarray opens itself (the handle opened here is closed before the data is read).
    if isinstance(target, StoreHandle):
        return target.store
    if isinstance(target, str | os.PathLike):
        return os.fspath(target)
    return target


def _plain_grid_mapping(ds: Any) -> str:
    """Return the grid mapping's name; say CF's extended form as the plain name rioxarray reads.

    CF §5.6 allows ``grid_mapping`` as ``"crs: x y"`` (the mapping, then the coordinates it
    applies to; more mappings may follow for auxiliary coordinates: ``"crs: x y crs_wgs84:
    lat lon"``); rioxarray and odc-geo take the whole text for a variable's name and find no
    CRS. A variable whose dimensions' coordinates are in one mapping names that mapping
    plainly, what rioxarray reads; one whose dimensions are split between several mappings
    (``"crs: x other: y"``) is left as it is.
    """
    name = None
    for var in ds.data_vars.values():
        where = var.encoding if "grid_mapping" in var.encoding else var.attrs
        value = where.get("grid_mapping")
        if not isinstance(value, str) or not value.split():
            continue
        names = grid_mapping_names(value)
        dims = [str(d) for d in var.dims]
        mine = [n for n in grid_mappings_of(value, dims) if n in ds.variables]
        if name is None:
            name = next(iter(mine), next((n for n in names if n in ds.variables), names[0]))
        listed = [c for _, coords in grid_mapping_entries(value) for c in coords]
        if mine == [name] and listed and set(listed) <= {str(d) for d in var.dims} | set(ds.coords):
            where["grid_mapping"] = name
    return name or GRID_MAPPING


def _georeference(ds: Any, attrs: Mapping[str, Any]) -> Any:
    """Give ``ds`` a grid mapping coordinate with ``crs_wkt`` and ``GeoTransform``."""
    name = _plain_grid_mapping(ds)
    if name in ds.data_vars:
        ds = ds.set_coords(name)
    mapping = dict(ds[name].attrs) if name in ds.variables else {}
    crs_text = mapping.get("crs_wkt") or mapping.get("spatial_ref")
    if not crs_text:
        for kind, key in (
            ("code", "proj:code"),
            ("wkt2", "proj:wkt2"),
            ("projjson", "proj:projjson"),
        ):
            if key in attrs:
                crs = parse_crs(kind, attrs[key]).crs  # type: ignore[arg-type]
                if crs is not None:
                    crs_text = crs.to_wkt()
                break
        if crs_text:
            mapping["crs_wkt"] = mapping["spatial_ref"] = crs_text
    transform = attrs.get("spatial:transform")
    shape = attrs.get("spatial:shape")
    if "GeoTransform" not in mapping and isinstance(transform, list) and crs_text:
        size = shape if isinstance(shape, list) and len(shape) == 2 else (1, 1)
        grid = Grid(parse_crs("wkt", crs_text).crs, parse_transform(transform), *size)  # type: ignore[arg-type]
        mapping["GeoTransform"] = grid.gdal_transform()
    if not mapping:
        return ds
    if name not in ds.variables:
        ds = ds.assign_coords({name: ((), 0)})
    ds[name].attrs.update(mapping)
    for var in ds.data_vars.values():
        if "grid_mapping" not in var.attrs:
            var.encoding.setdefault("grid_mapping", name)
    return ds


def open(
    target: str | os.PathLike[str] | MutableMapping[str, Any] | StoreHandle,
    level: int = 0,
    *,
    storage_options: dict[str, Any] | None = None,
    chunks: Any = "auto",
    decode_cf: bool = True,
) -> Any:
    """Open level ``level`` of a GeoZarr store as an :class:`xarray.Dataset`.

    Parameters
    ----------
    target
        The store: a path, URL, mapping or opened :class:`StoreHandle`.
    level
        The level, 0 (full resolution) first, as the root's ``multiscales`` layout orders
        them; a store without a pyramid has level 0 only.
    storage_options
        Options for remote stores.
    chunks
        Passed to :func:`xarray.open_zarr` (dask chunks; ``None`` reads numpy).
    decode_cf
        Decode CF (unpack, mask, decode time), as :func:`xarray.open_zarr` does.

    Returns
    -------
    xarray.Dataset
        The level, its grid mapping a coordinate with ``crs_wkt``, ``spatial_ref`` and
        ``GeoTransform`` (what rioxarray and odc-geo read).

    Raises
    ------
    GeoReadError
        When the level does not exist.
    """
    import xarray as xr

    if isinstance(level, bool) or not isinstance(level, int):
        raise GeoReadError(f"Expected a level number. Got {level!r}.")
    with opened(target, "r", storage_options) as store:
        hierarchy = hierarchy_from_store(store, discover)
        paths = level_groups(hierarchy)
        if not 0 <= level < len(paths):
            raise GeoReadError(
                f"{store.target}: expected a level from 0 to {len(paths) - 1}. Got {level}."
            )
        group = paths[level]
        node = hierarchy.get(group)
        attrs = dict(node.attributes) if node is not None else {}
        source = _xarray_target(target)
        options = storage_options if isinstance(source, str) else None
        consolidated = bool(store.consolidated) and group == ""
        with warnings.catch_warnings():
            # xarray warns when it falls back from consolidated metadata; the root's is used.
            warnings.simplefilter("ignore", RuntimeWarning)
            ds = xr.open_zarr(
                source,
                group=group or None,
                consolidated=consolidated or False,
                chunks=chunks,
                decode_cf=decode_cf,
                storage_options=options,
                zarr_format=store.zarr_format,
            )
    return _georeference(ds, attrs)
