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

import dataclasses
import math
import os
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from geozarr.cf.variables import FILL_VALUE, decode_fill_value
from geozarr.crs import parse_crs
from geozarr.detection import discover
from geozarr.write import (
    GRID_MAPPING,
    GeoWriteError,
    Grid,
    _base_output,
    parse_transform,
    write_level_metadata,
)
from ngff_geozarr.core.hierarchy import Hierarchy, Node, hierarchy_from_store
from ngff_geozarr.core.pyramid import (
    METHODS,
    Level,
    Method,
    Progress,
    PyramidResult,
    plan,
)
from ngff_geozarr.core.pyramid import write_pyramid as engine_write
from ngff_geozarr.core.store import ArrayIO, Compression, StoreHandle, ZarrFormat, open_store
from ngff_geozarr.core.zarr_format import array_compressors

__all__ = ["RESAMPLING_NAMES", "GeoPyramid", "default_method", "pyramid"]

RESAMPLING_NAMES: dict[str, str] = {
    "mean": "average",
    "gaussian": "gauss",
    "nearest": "nearest",
    "mode": "mode",
    "min": "min",
    "max": "max",
    "sum": "sum",
}
"""The multiscales ``resampling_method`` written for each kernel (GDAL's names)."""

_Array = npt.NDArray[Any]


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


def default_method(dtype: npt.DTypeLike, attributes: Mapping[str, Any]) -> Method:
    """Choose the kernel for a variable: ``mode`` for classes, else the nodata-aware mean.

    Parameters
    ----------
    dtype
        The variable's dtype.
    attributes
        Its attributes (CF ``flag_values`` / ``flag_meanings`` mark classified data).

    Returns
    -------
    str
        ``"mode"`` or ``"mean"``.

    Examples
    --------
    >>> default_method("float32", {}), default_method("uint8", {"flag_values": [1, 2]})
    ('mean', 'mode')
    """
    if np.dtype(dtype).kind == "b" or "flag_values" in attributes or "flag_meanings" in attributes:
        return "mode"
    return "mean"


# -- nodata as NaN: the engine's NaN-aware kernels, for integer or numeric nodata ------------


def _to_view(values: _Array, nodata: float, view: np.dtype[Any]) -> _Array:
    out = values.astype(view, copy=True)
    out[values == nodata] = np.nan
    return out


def _from_view(values: _Array, nodata: float, stored: np.dtype[Any]) -> _Array:
    missing = np.isnan(values)
    if stored.kind in "iu":
        info = np.iinfo(stored)
        values = np.clip(np.rint(np.where(missing, 0, values)), info.min, info.max)
    out = values.astype(stored)
    out[missing] = nodata
    return out


@dataclass(frozen=True, eq=False)
class _NodataArray(ArrayIO):
    """A stored array seen by the engine as floats, nodata read as NaN, NaN written as nodata."""

    nodata: float = 0.0
    stored: np.dtype[Any] = dataclasses.field(default_factory=lambda: np.dtype("f8"))

    @classmethod
    def wrap(cls, array: ArrayIO, nodata: float, view: np.dtype[Any]) -> _NodataArray:
        fields = {f.name: getattr(array, f.name) for f in dataclasses.fields(ArrayIO)}
        return cls(**{**fields, "dtype": view}, nodata=nodata, stored=array.dtype)

    def read(self, region: tuple[slice, ...]) -> _Array:
        return _to_view(super().read(region), self.nodata, self.dtype)

    def write(self, region: tuple[slice, ...], data: _Array) -> None:
        if self.stored.kind in "iu" and data.dtype.kind == "f":
            # Round the tile itself, not a copy: the engine reduces the tile it has just
            # written into the next level, which must be derived from the stored values.
            info = np.iinfo(self.stored)
            np.clip(np.rint(data, out=data), info.min, info.max, out=data)
        super().write(region, _from_view(data, self.nodata, self.stored))


@dataclass(eq=False)
class _NodataStore(StoreHandle):
    """The output store, handing the engine nodata-as-NaN views of its arrays."""

    nodata: float = 0.0
    stored: np.dtype[Any] = dataclasses.field(default_factory=lambda: np.dtype("f8"))
    view: np.dtype[Any] = dataclasses.field(default_factory=lambda: np.dtype("f8"))

    @classmethod
    def wrap(
        cls, store: StoreHandle, nodata: float, stored: np.dtype[Any], view: np.dtype[Any]
    ) -> _NodataStore:
        fields = {f.name: getattr(store, f.name) for f in dataclasses.fields(StoreHandle)}
        return cls(**fields, nodata=nodata, stored=stored, view=view)

    def open_array(self, path: str) -> ArrayIO:
        return _NodataArray.wrap(super().open_array(path), self.nodata, self.view)

    def create_empty_array(self, path: str, **kwargs: Any) -> ArrayIO:
        kwargs["dtype"] = self.stored
        array = super().create_empty_array(path, **kwargs)  # opens it with open_array
        if isinstance(array, _NodataArray):
            return array
        return _NodataArray.wrap(array, self.nodata, self.view)


@dataclass(frozen=True)
class _NodataSource:
    """A source array seen as floats with nodata as NaN."""

    source: Any
    nodata: float
    view: np.dtype[Any]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.source.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.view

    def __getitem__(self, key: Any) -> _Array:
        return _to_view(np.asarray(self.source[key]), self.nodata, self.view)


def _needs_view(dtype: np.dtype[Any], nodata: float | int | None) -> bool:
    if nodata is None:
        return False
    return not (dtype.kind == "f" and math.isnan(float(nodata)))


# -- planning and writing ----------------------------------------------------------------


def _plan_levels(
    shape: tuple[int, ...],
    chunks: tuple[int, ...],
    shards: tuple[int, ...] | None,
    levels: int | Literal["auto"],
    factors: int,
    min_extent: int | None,
) -> tuple[Level, ...]:
    if not isinstance(factors, int) or factors < 2:
        raise GeoWriteError(f"Expected factors >= 2. Got {factors!r}.")
    if levels != "auto" and (not isinstance(levels, int) or levels < 1):
        raise GeoWriteError(f"Expected levels 'auto' or >= 1. Got {levels!r}.")
    ndim = len(shape)
    stop = min_extent if min_extent is not None else max(chunks[-2:])
    steps: list[tuple[int, ...]] = []
    current = shape[-2:]
    while max(current) > 1:
        if levels == "auto" and max(current) <= stop:
            break
        if levels != "auto" and len(steps) + 1 >= levels:
            break
        step = (1,) * (ndim - 2) + tuple(factors if n > 1 else 1 for n in current)
        steps.append(step)
        current = tuple(-(-n // f) for n, f in zip(current, step[-2:], strict=True))
    return plan(shape, chunks, shards=shards, factors=steps)


def _layout(
    name: str, paths: Sequence[str], levels: Sequence[Level], grid: Grid, method: Method
) -> dict[str, Any]:
    entries = []
    for k, (path, level) in enumerate(zip(paths, levels, strict=True)):
        level_grid = grid.reduced(level.cumulative[-2], level.cumulative[-1])
        entry: dict[str, Any] = {"asset": path}
        if k:
            entry["derived_from"] = paths[k - 1]
        entry["transform"] = {
            "scale": [float(f) for f in level.factors],
            "translation": [0.0] * len(level.factors),
        }
        entry["spatial:transform"] = list(level_grid.transform)
        entry["spatial:shape"] = [level_grid.height, level_grid.width]
        if k:
            entry["resampling_method"] = RESAMPLING_NAMES[method]
        entries.append(entry)
    return {"layout": entries, "resampling_method": RESAMPLING_NAMES[method]}


def _write_variable(
    store: StoreHandle,
    source: Any,
    *,
    name: str,
    dims: Sequence[str],
    grid: Grid,
    attributes: Mapping[str, Any],
    nodata: float | int | None,
    zarr_format: ZarrFormat,
    chunks: tuple[int, ...],
    shards: tuple[int, ...] | None,
    compression: Compression,
    levels: int | Literal["auto"],
    method: Method | None,
    factors: int,
    min_extent: int | None,
    workers: int | None,
    resume: bool,
    progress: Callable[[Progress], None] | None,
    write_base: bool,
    root_attributes: Mapping[str, Any],
    compressors: tuple[dict[str, Any], ...] | None = None,
) -> PyramidResult:
    """Write one variable (and its pyramid when ``levels`` is not 1) through the engine."""
    stored = np.dtype(source.dtype)
    kernel: Method = method or default_method(stored, attributes)
    if kernel not in METHODS:
        raise GeoWriteError(f"Expected a method among {', '.join(METHODS)}. Got {kernel!r}.")
    shape = tuple(int(n) for n in source.shape)
    planned = _plan_levels(shape, chunks, shards, levels, factors, min_extent)
    pyramid_wanted = levels != 1
    paths = (name, *(f"{k}/{name}" for k in range(1, len(planned))))
    output = _base_output(dims, attributes, nodata, stored, zarr_format, compression)
    if compressors is not None:
        output = dataclasses.replace(output, compressors=compressors)
    target: StoreHandle = store
    if _needs_view(stored, nodata):
        assert nodata is not None
        view = stored if stored.kind == "f" else np.dtype(np.float64)
        target = _NodataStore.wrap(store, float(nodata), stored, view)
        source = (
            _NodataArray.wrap(source, float(nodata), view)
            if isinstance(source, ArrayIO)
            else _NodataSource(source, float(nodata), view)
        )

    def write_metadata(result: PyramidResult) -> None:
        for k in range(1, len(planned)):
            level = planned[k]
            write_level_metadata(
                store, str(k), grid.reduced(level.cumulative[-2], level.cumulative[-1]), zarr_format
            )
        extra = {**root_attributes, "multiscales": _layout(name, paths, planned, grid, kernel)}
        write_level_metadata(store, "", grid, zarr_format, extra=extra, multiscales=True)

    return engine_write(
        source,
        target,
        planned,
        paths=paths,
        method=kernel,
        output=output,
        workers=workers,
        resume=resume,
        write_base=write_base,
        progress=progress,
        write_metadata=write_metadata if pyramid_wanted else None,
    )


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
    store = (
        target
        if isinstance(target, StoreHandle)
        else open_store(target, "r+", storage_options=storage_options)
    )
    try:
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
        root_attrs = {
            k: v
            for k, v in root.attributes.items()
            if k != "multiscales"
            and k != "zarr_conventions"
            and not k.startswith(("proj:", "spatial:"))
        }
        names = var.dimension_names() or ()
        kernel: Method = method or default_method(base.dtype, attributes)
        result = _write_variable(
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
        if consolidated:
            store.consolidate(zarr_format=base.zarr_format)
    finally:
        if not isinstance(target, StoreHandle):
            store.close()
    return GeoPyramid(
        var.path,
        result.paths,
        tuple(level.shape for level in result.levels),
        kernel,
        result.tiles_written,
        result.tiles_skipped,
    )
