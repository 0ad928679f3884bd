"""Nodata-correct GeoZarr pyramids on the shared engine (:mod:`ngff_geozarr.core.pyramid`).

:func:`pyramid` adds overview levels to a GeoZarr or CF raster store (written by
:func:`geozarr.write`, xarray or rioxarray), in place:

- every root variable on the spatial grid is reduced (its last two dimensions the
  ``spatial:dimensions``, or those of a variable with a ``grid_mapping``); other dimensions
  (``time``, ``band``, ``depth``) are carried, and the arrays off the grid (``time``,
  bounds, scalar coordinates, the other grid mappings of CF's extended ``grid_mapping``
  form, which stays extended) are copied into every level; the auxiliary coordinates on
  the grid that the variables' ``coordinates`` name (2-D ``lat`` / ``lon``) are not
  reduced as data: each level holds them at its block centres
  (:mod:`geozarr.writing.auxiliary`); the boundary variables ``x`` / ``y`` name (CF §7.1)
  hold each level's own cells (:mod:`geozarr.writing.bounds`);
- the CRS comes from ``proj:`` or the grid mapping the variables name, of any name; the
  transform from ``spatial:transform``, a ``GeoTransform``, or regularly spaced 1-D
  coordinates (pixel centres; irregular spacing is refused);
- level ``k`` (``k >= 1``) is the child group ``"k"``, a self-describing GeoZarr group (CF
  grid mapping, ``x`` / ``y`` at its own pixel centres, ``proj:`` and ``spatial:``), so a
  reader that opens one level alone still finds its CRS and transform;
- the root stays the full-resolution raster (readers that know no pyramid read it as
  before) and gains the ``multiscales`` convention: a layout of the array assets of the
  first variable without flags (``"<var>"``, ``"1/<var>"``, ...; the other variables sit
  beside them), each level derived from the one before with ``transform.scale`` (its
  factors) and
  ``transform.translation`` (0: a level's first pixel covers the first block, so their
  corners coincide), ``spatial:transform``, ``spatial:shape`` and the ``resampling_method``;
- values: each pixel summarises its block of the level it is derived from, ignoring
  nodata; it is nodata only where the whole block is. The default for continuous data is
  the NaN / nodata-aware mean (``mode`` for classified data: a variable with CF
  ``flag_values``, ``flag_masks`` or ``flag_meanings``, or booleans); a method per variable
  overrides it. Packed variables (CF §8.1 ``scale_factor`` / ``add_offset``) are reduced in
  the decoded domain and packed again; integer results are rounded half to even;
- the source arrays stay as they were, value for value; only a Zarr ``fill_value`` that
  differs from the ``_FillValue`` (xarray writes v3 ``fill_value`` 0 or NaN whatever it is)
  is set to it, after the chunks that read as the old one are written out
  (:func:`geozarr.writing.fill.align_fill_value`), so never-written chunks mean missing;
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
from collections.abc import Callable, Collection, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pyproj import CRS
from pyproj.exceptions import CRSError

import ngff_geozarr.core.groups as groups
from geozarr.cf.grid_mappings import grid_mapping_entries, grid_mappings_of
from geozarr.cf.variables import FILL_VALUE, decode_fill_value
from geozarr.conventions.registry import MULTISCALES, PROJ, SPATIAL
from geozarr.crs import parse_crs
from geozarr.detection import discover
from geozarr.writing import documents as _documents
from geozarr.writing import levels as _levels
from geozarr.writing.auxiliary import extended_grid_mapping
from geozarr.writing.cf_variables import GRID_MAPPING
from geozarr.writing.documents import name_grid_mapping
from geozarr.writing.fill import align_fill_value
from geozarr.writing.grid import GeoWriteError, Grid, parse_transform
from geozarr.writing.levels import (
    LevelRun,
    layout_variable,
    methods_by_variable,
    write_pyramid_metadata,
    write_variable,
)
from geozarr.writing.lonlat import ASSUMED, implied_crs
from geozarr.writing.xarray_source import CarriedArray, regular_transform
from ngff_geozarr.core.hierarchy import Hierarchy, Node, hierarchy_from_store
from ngff_geozarr.core.pyramid import Method, Progress, PyramidResult
from ngff_geozarr.core.store import StoreHandle
from ngff_geozarr.core.store.opening import opened
from ngff_geozarr.core.store.writelock import write_lock
from ngff_geozarr.core.store.writerecord import array_fingerprint
from ngff_geozarr.core.zarr_format import ARRAY_DIMENSIONS, array_compressors

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
        The data variable the ``multiscales`` layout names (the first on the grid without
        flags, else the first).
    paths
        Its array path at every level, base first.
    shapes
        The shape of every level.
    method
        Its kernel.
    tiles_written, tiles_skipped
        Work done by this run, and found done on resume (all variables).
    variables
        Every variable reduced, with its array path at every level.
    methods
        The kernel of every variable.
    notes
        What the run decided that the store did not say (a CRS implied by latitude /
        longitude coordinates, see :mod:`geozarr.writing.lonlat`), one sentence each.
    """

    variable: str
    paths: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    method: Method
    tiles_written: int
    tiles_skipped: int
    variables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    methods: dict[str, Method] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


# -- in place on a store ---------------------------------------------------------------------

_COORDINATE_KEYS = ("grid_mapping_name", "crs_wkt", "spatial_ref", "GeoTransform")


def _names(node: Node) -> tuple[str, ...]:
    names = node.dimension_names()
    return tuple(str(n) for n in names) if names is not None and None not in names else ()


def _mapping_names(hierarchy: Hierarchy) -> set[str]:
    """Name the root arrays that are grid mappings: named by a ``grid_mapping``, or 0-D CF."""
    found = set()
    for node in hierarchy.children(""):
        if node.node_type != "array":
            continue
        named = node.attributes.get("grid_mapping")
        if isinstance(named, str) and named.split():
            found.add(named.split()[0].rstrip(":"))
        if not node.metadata.get("shape") and any(k in node.attributes for k in _COORDINATE_KEYS):
            found.add(node.path)
    return found


def _auxiliary(hierarchy: Hierarchy, spatial: tuple[str, str]) -> set[str]:
    """Name the root arrays on the grid that a variable's ``coordinates`` names (CF §5).

    A 2-D ``lat`` / ``lon`` is an auxiliary coordinate, carried to every level at its
    block centres, not a variable to reduce.
    """
    named: set[str] = set()
    for node in hierarchy.children(""):
        listed = node.attributes.get("coordinates") if node.node_type == "array" else None
        if isinstance(listed, str):
            named.update(listed.split())
    found = set()
    for name in named - set(spatial):
        array = hierarchy.get(name)
        if array is not None and array.node_type == "array" and set(spatial) & set(_names(array)):
            found.add(name)
    return found


def _other_mappings(nodes: Sequence[Node], grid: Grid) -> set[str]:
    """Name the grid mappings of CF's extended form besides the grid's own (CF §5.6)."""
    found: set[str] = set()
    for node in nodes:
        value = node.attributes.get("grid_mapping")
        if isinstance(value, str):
            found.update(name for name, _ in grid_mapping_entries(value))
    return found - {grid.grid_mapping}


def _spatial_dims(hierarchy: Hierarchy, root: Node) -> tuple[str, str]:
    dims = root.attributes.get("spatial:dimensions")
    if isinstance(dims, list) and len(dims) == 2 and all(isinstance(d, str) for d in dims):
        return str(dims[0]), str(dims[1])
    for node in hierarchy.children(""):
        names = _names(node)
        if node.node_type == "array" and "grid_mapping" in node.attributes and len(names) >= 2:
            return names[-2], names[-1]
    for node in hierarchy.children(""):  # no mapping: latitude / longitude coordinates
        names = _names(node)
        if node.node_type != "array" or len(names) < 2:
            continue
        y, x = hierarchy.get(names[-2]), hierarchy.get(names[-1])
        if y is not None and x is not None and implied_crs(y.attributes, x.attributes):
            return names[-2], names[-1]
    raise GeoWriteError(
        f"{hierarchy.target}: expected spatial:dimensions, a variable with grid_mapping or "
        "one on latitude / longitude coordinates at the root; found none."
    )


def _grid_variables(
    hierarchy: Hierarchy,
    spatial: tuple[str, str],
    variable: str | Sequence[str] | None,
    auxiliary: Collection[str] = (),
) -> list[Node]:
    if variable is not None:
        wanted = [variable] if isinstance(variable, str) else list(variable)
        found = []
        for name in wanted:
            node = hierarchy.get(name)
            if node is None or node.node_type != "array" or node.parent != "":
                raise GeoWriteError(f"{hierarchy.target}: no array {name!r} at the root.")
            if _names(node)[-2:] != spatial:
                raise GeoWriteError(
                    f"{node.path}: expected the last two dimensions to be {list(spatial)}."
                )
            found.append(node)
        return found
    nodes = [
        node
        for node in hierarchy.children("")
        if node.node_type == "array"
        and len(_names(node)) >= 2
        and _names(node)[-2:] == spatial
        and node.path not in auxiliary
    ]
    if not nodes:
        raise GeoWriteError(
            f"{hierarchy.target}: expected a variable on the grid {list(spatial)} at the root; "
            "found none."
        )
    return nodes


def _root_grid(
    store: StoreHandle, hierarchy: Hierarchy, root: Node, var: Node, spatial: tuple[str, str]
) -> tuple[Grid, bool]:
    """Return the root's grid, and whether its CRS is implied by lat / lon coordinates."""
    attrs = root.attributes
    named = var.attributes.get("grid_mapping")
    name = None
    if isinstance(named, str) and named.split():  # the grid's mapping (CF §5.6), else the first
        mine = [n for n in grid_mappings_of(named, spatial) if hierarchy.get(n) is not None]
        name = mine[0] if mine else grid_mapping_entries(named)[0][0]
    mapping = hierarchy.get(name or GRID_MAPPING)
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
    if crs is None and "grid_mapping_name" in gm:
        try:
            crs = CRS.from_cf(dict(gm))
        except CRSError:
            crs = None
    implied = False
    if crs is None and mapping is None:  # CF lat / lon coordinates imply a geographic CRS
        y, x = (hierarchy.get(d) for d in spatial)
        if y is not None and x is not None:
            crs = implied_crs(y.attributes, x.attributes)
            implied = crs is not None
    if crs is None:
        raise GeoWriteError(
            f"{hierarchy.target}: no CRS at the root (proj:, or a grid mapping "
            f"{name or GRID_MAPPING!r} with crs_wkt or CF parameters)."
        )
    transform: Any = attrs.get("spatial:transform")
    if transform is None and isinstance(gm.get("GeoTransform"), str):
        c, a, b, f, d, e = (float(v) for v in gm["GeoTransform"].split())
        transform = (a, b, c, d, e, f)
    if transform is None:
        coords = [hierarchy.get(d) for d in spatial]
        if not all(c is not None and len(c.metadata.get("shape") or []) == 1 for c in coords):
            raise GeoWriteError(
                f"{hierarchy.target}: no affine transform at the root (spatial:transform, a "
                f"GeoTransform, or 1-D coordinates {list(spatial)})."
            )
        ys, xs = (store.open_array(d).read((slice(None),)) for d in spatial)
        transform = regular_transform(ys, xs, spatial)
    shape = var.metadata.get("shape")
    if not isinstance(shape, list) or len(shape) < 2:
        raise GeoWriteError(f"{var.path}: expected named dimensions and a shape of 2 or more.")
    # The levels name their grid mapping as the source does (rioxarray's "crs", say), and
    # say what it says (its WKT, names, long_name, ...) where it declares the same CRS.
    height, width = int(shape[-2]), int(shape[-1])
    grid = Grid(
        crs,
        parse_transform(transform),
        height,
        width,
        spatial,
        name or GRID_MAPPING,
        dict(gm),
        _coordinate_bounds(hierarchy, spatial),
    )
    return grid, implied


def _coordinate_bounds(hierarchy: Hierarchy, spatial: tuple[str, str]) -> dict[str, str]:
    """Return the root's boundary variables of ``y`` and ``x`` (CF §7.1), where they exist."""
    found = {}
    for dim in spatial:
        coordinate = hierarchy.get(dim)
        named = coordinate.attributes.get("bounds") if coordinate is not None else None
        at_root = isinstance(named, str) and named != "" and "/" not in named
        bounds = hierarchy.get(named) if at_root and isinstance(named, str) else None
        if bounds is not None and bounds.node_type == "array" and _names(bounds)[:1] == (dim,):
            found[dim] = bounds.path
    return found


def _carried(
    store: StoreHandle,
    hierarchy: Hierarchy,
    spatial: tuple[str, str],
    skip: set[str],
    auxiliary: Collection[str] = (),
) -> list[CarriedArray]:
    """Read the root arrays off the grid (``time``, bounds, scalar coordinates) whole.

    And the ``auxiliary`` coordinates on the grid (2-D ``lat`` / ``lon``), which each level
    holds at its block centres.
    """
    out = []
    for node in hierarchy.children(""):
        names = _names(node)
        if node.node_type != "array" or node.path in skip:
            continue
        if set(spatial) & set(names) and node.path not in auxiliary:
            continue
        shape = node.metadata.get("shape") or []
        if len(names) != len(shape):
            continue
        values = store.open_array(node.path).read(tuple(slice(None) for _ in shape))
        attrs = {
            k: v for k, v in node.attributes.items() if k not in (FILL_VALUE, ARRAY_DIMENSIONS)
        }
        out.append(CarriedArray(node.path, values, names, attrs, _nodata(node, carried=True)))
    return out


def _nodata(var: Node, *, carried: bool = False) -> float | int | None:
    if FILL_VALUE in var.attributes:
        return decode_fill_value(var.attributes[FILL_VALUE])
    fill = decode_fill_value(var.metadata.get("fill_value"))
    if carried and isinstance(fill, float) and math.isnan(fill):
        return None  # NaN is what float coordinates get anyway
    if var.zarr_format == 2 or (isinstance(fill, float) and math.isnan(fill)):
        return fill
    return None


def _level_attributes(var: Node, carried: Sequence[CarriedArray], grid: Grid) -> dict[str, Any]:
    attrs = {
        k: v
        for k, v in var.attributes.items()
        if k not in (FILL_VALUE, ARRAY_DIMENSIONS, "grid_mapping", "coordinates")
    }
    named = var.attributes.get("coordinates")
    kept = {c.name for c in carried}
    names = [n for n in named.split() if n in kept] if isinstance(named, str) else []
    if names:
        attrs["coordinates"] = " ".join(names)
    beside = kept | (set(grid.dims) if grid.rectilinear else set())
    form = extended_grid_mapping(var.attributes.get("grid_mapping"), grid.grid_mapping, beside)
    if form is not None:  # CF §5.6's extended form says more than the plain one: kept
        attrs["grid_mapping"] = form
    return attrs


def pyramid(
    target: str | os.PathLike[str] | MutableMapping[str, Any] | StoreHandle,
    *,
    variable: str | Sequence[str] | None = None,
    method: Method | Mapping[str, Method] | None = None,
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
        The data variable(s); every root array on the grid when omitted (its last two
        dimensions the ``spatial:dimensions``, or those of a variable with a
        ``grid_mapping``).
    method
        The kernel (see :data:`~ngff_geozarr.core.pyramid.METHODS`) for every variable, or
        by variable name (a mapping); :func:`default_method` for the others.
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
                f"{store.target}: already has a multiscales layout; pass resume=True (--resume) to "
                "continue an interrupted run."
            )
        spatial = _spatial_dims(hierarchy, root)
        auxiliary = _auxiliary(hierarchy, spatial)
        nodes = _grid_variables(hierarchy, spatial, variable, auxiliary)
        grid, implied = _root_grid(store, hierarchy, root, nodes[0], spatial)
        notes = (ASSUMED.format(where=store.target, y=spatial[0], x=spatial[1]),) if implied else ()
        mappings = _mapping_names(hierarchy) - _other_mappings(nodes, grid)
        skip = {*(n.path for n in nodes), *spatial, *mappings}
        cells = grid.bounds.values()  # x / y's boundary variables: each level's own cells
        carried = _carried(store, hierarchy, spatial, skip, {*auxiliary, *cells})
        # The convention attributes are rendered again from the grid; others are kept.
        root_attrs = {
            k: v
            for k, v in root.attributes.items()
            if k not in ("zarr_conventions", MULTISCALES.prefix)
            and not k.startswith((PROJ.prefix, SPATIAL.prefix))
        }
        chosen = methods_by_variable(method, [n.path for n in nodes])
        for var in nodes:
            shape = var.metadata.get("shape") or []
            if tuple(shape[-2:]) != (grid.height, grid.width):
                raise GeoWriteError(
                    f"{var.path}: expected the grid's shape {[grid.height, grid.width]} on "
                    f"{list(spatial)}. Got {list(shape)}."
                )
        bases = {var.path: store.open_array(var.path) for var in nodes}
        shown = os.fspath(target) if isinstance(target, str | os.PathLike) else "TARGET"
        with write_lock(  # from the first write to the last (the root, consolidated)
            store,
            "geozarr pyramid",
            f"`geozarr pyramid {shown} --resume` (pyramid(..., resume=True))",
            resume=resume,
            source=array_fingerprint(bases),
        ):
            for var in nodes:  # before any level: never-written chunks keep their values
                align_fill_value(store, var)
                name_grid_mapping(store, var, grid.grid_mapping)  # the one written beside it
            results: dict[str, PyramidResult] = {}
            run = LevelRun(levels, factors, min_extent, workers, resume, progress)
            for var in nodes:
                base = store.open_array(var.path)
                attributes = _level_attributes(var, carried, grid)
                results[var.path] = write_variable(
                    store,
                    base,
                    name=var.path,
                    dims=list(_names(var)),
                    grid=grid,
                    attributes=attributes,
                    nodata=_nodata(var),
                    zarr_format=base.zarr_format,
                    chunks=base.chunks,
                    shards=base.shards,
                    compression="blosc-zstd",
                    compressors=array_compressors(var.metadata, var.zarr_format or 3),
                    method=chosen.get(var.path),
                    run=run,
                    write_base=False,
                    root_attributes=root_attrs,
                    metadata=False,
                )
            first = nodes[layout_variable([n.attributes for n in nodes])]
            primary = results[first.path]
            write_pyramid_metadata(
                store,
                primary,
                grid,
                first.zarr_format or 3,
                root_attributes=root_attrs,
                carried=carried,
            )
            groups.finish(store, consolidated=consolidated)
    return GeoPyramid(
        first.path,
        primary.paths,
        tuple(level.shape for level in primary.levels),
        primary.method,
        sum(r.tiles_written for r in results.values()),
        sum(r.tiles_skipped for r in results.values()),
        {name: r.paths for name, r in results.items()},
        {name: r.method for name, r in results.items()},
        notes,
    )
