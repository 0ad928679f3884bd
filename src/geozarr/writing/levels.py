"""One variable and its pyramid levels, written through the shared engine, nodata as NaN.

:func:`write_variable` is what :func:`geozarr.write.write` and :func:`geozarr.pyramid.pyramid`
share: it plans the levels (:func:`plan_levels`), hands the engine
(:mod:`ngff_geozarr.core.pyramid`) views of the arrays in which nodata reads as NaN (so
its NaN-aware kernels ignore it; integer results are rounded half to even), and writes every
level's metadata last (:func:`geozarr.writing.documents.write_level_metadata`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from geozarr.writing.auxiliary import at_block_centres, is_longitude
from geozarr.writing.bounds import boundary_axis, level_bounds
from geozarr.writing.cf_variables import variable_output
from geozarr.writing.documents import multiscales_layout, write_carried, write_level_metadata
from geozarr.writing.grid import GeoWriteError, Grid
from geozarr.writing.xarray_source import CarriedArray
from ngff_geozarr.core.pyramid import METHODS, Level, Method, Progress, PyramidResult, plan
from ngff_geozarr.core.pyramid import write_pyramid as engine_write
from ngff_geozarr.core.store import ArrayIO, Compression, StoreHandle, ZarrFormat

__all__ = [
    "Codec",
    "LevelRun",
    "carried_at_level",
    "codec_of",
    "default_method",
    "is_classified",
    "layout_variable",
    "methods_by_variable",
    "plan_levels",
    "write_pyramid_metadata",
    "write_variable",
]

_Array = npt.NDArray[Any]


def default_method(dtype: npt.DTypeLike, attributes: Mapping[str, Any]) -> Method:
    """Choose the kernel for a variable: ``mode`` for classes, else the nodata-aware mean.

    Parameters
    ----------
    dtype
        The variable's dtype.
    attributes
        Its attributes (CF ``flag_values`` / ``flag_masks`` / ``flag_meanings`` mark
        classified data).

    Returns
    -------
    str
        ``"mode"`` or ``"mean"``.

    Examples
    --------
    >>> default_method("float32", {}), default_method("uint8", {"flag_values": [1, 2]})
    ('mean', 'mode')
    """
    if np.dtype(dtype).kind == "b" or is_classified(attributes):
        return "mode"
    return "mean"


def is_classified(attributes: Mapping[str, Any]) -> bool:
    """Tell whether a variable holds classes: CF §3.5 flags (``flag_values`` and kin).

    Parameters
    ----------
    attributes
        The variable's attributes.

    Returns
    -------
    bool
        Whether it has ``flag_values``, ``flag_masks`` or ``flag_meanings``.
    """
    return any(key in attributes for key in ("flag_values", "flag_masks", "flag_meanings"))


def methods_by_variable(
    method: Method | Mapping[str, Method] | None, names: Sequence[str]
) -> dict[str, Method]:
    """Spread a ``method`` argument over the variables it applies to.

    :func:`geozarr.write.write` and :func:`geozarr.pyramid.pyramid` both take one kernel
    for every variable or a mapping from variable name to kernel; this is their one
    reading of that argument.

    Parameters
    ----------
    method
        ``None`` (every variable keeps its :func:`default_method`), one kernel for all,
        or a mapping from variable name to kernel.
    names
        The names of the variables written.

    Returns
    -------
    dict of str to str
        The chosen kernel of each variable that has one.

    Raises
    ------
    GeoWriteError
        If the mapping names a variable that is not among ``names``.

    Examples
    --------
    >>> methods_by_variable("max", ["a", "b"])
    {'a': 'max', 'b': 'max'}
    >>> methods_by_variable({"b": "mode"}, ["a", "b"])
    {'b': 'mode'}
    """
    if method is None:
        return {}
    if isinstance(method, str):
        return dict.fromkeys(names, method)
    unknown = sorted(set(method) - set(names))
    if unknown:
        raise GeoWriteError(
            f"Expected methods for the variables {list(names)}. Got {unknown} among them."
        )
    return dict(method)


def layout_variable(attributes: Sequence[Mapping[str, Any]]) -> int:
    """Return the index of the variable a multi-variable ``multiscales`` layout names.

    The first that holds no classes (its ``resampling_method`` then describes the
    continuous data), else the first.

    Parameters
    ----------
    attributes
        The attributes of each variable, in order.

    Returns
    -------
    int
        The index.

    Examples
    --------
    >>> layout_variable([{"flag_values": [1, 2]}, {"units": "K"}])
    1
    """
    return next((i for i, a in enumerate(attributes) if not is_classified(a)), 0)


# -- nodata as NaN, packing undone: the engine's NaN-aware kernels see decoded values -------


@dataclass(frozen=True)
class Codec:
    """How stored values become the floats the kernels reduce, and back.

    CF §8.1 packing: ``decoded = stored * scale_factor + add_offset``; the ``_FillValue`` (a
    stored value, CF §2.5.1) reads as NaN. Kernels thus average the physical values, nodata
    ignored; results are packed again, integers rounded half to even and clipped to the type.

    Parameters
    ----------
    stored
        The dtype on disk.
    nodata
        The stored nodata value, or ``None``.
    scale, offset
        ``scale_factor`` and ``add_offset`` (1 and 0 when not packed).
    """

    stored: np.dtype[Any]
    nodata: float | None = None
    scale: float = 1.0
    offset: float = 0.0

    @property
    def packed(self) -> bool:
        """Whether ``scale_factor`` / ``add_offset`` apply."""
        return self.scale != 1.0 or self.offset != 0.0

    @property
    def view(self) -> np.dtype[Any]:
        """The dtype the kernels see: the stored floats, else float64."""
        return self.stored if self.stored.kind == "f" and not self.packed else np.dtype("f8")

    def decode(self, values: _Array) -> _Array:
        """Return stored values as the kernels see them."""
        out = values.astype(self.view, copy=True)
        if self.nodata is not None and not math.isnan(self.nodata):
            out[values == self.nodata] = np.nan
        if self.packed:
            out *= self.scale
            out += self.offset
        return out

    def _pack(self, values: _Array) -> _Array:
        if self.packed:
            values = (values - self.offset) / self.scale
        if self.stored.kind in "iu":
            info = np.iinfo(self.stored)
            values = np.clip(np.rint(values), info.min, info.max)
        return values

    def snap(self, values: _Array) -> None:
        """Round decoded values, in place, to what the stored type can hold."""
        if self.stored.kind in "iu" or self.packed:
            packed = self._pack(values)
            values[...] = packed * self.scale + self.offset if self.packed else packed

    def encode(self, values: _Array) -> _Array:
        """Return decoded values as stored, NaN as nodata."""
        missing = np.isnan(values)
        packed = self._pack(np.where(missing, self.offset, values))
        out = packed.astype(self.stored)
        if self.nodata is not None:
            out[missing] = self.nodata
        return out


def codec_of(
    dtype: npt.DTypeLike, nodata: float | int | None, attributes: Mapping[str, Any]
) -> Codec:
    """Return the :class:`Codec` of a variable from its dtype, nodata and CF attributes.

    Parameters
    ----------
    dtype
        The stored dtype.
    nodata
        The stored nodata value, or ``None``.
    attributes
        Its attributes (``scale_factor``, ``add_offset``).

    Returns
    -------
    Codec
        The codec.

    Examples
    --------
    >>> c = codec_of("int16", -32768, {"scale_factor": 0.01, "add_offset": 273.15})
    >>> c.decode(np.array([0, -32768], np.int16)).tolist()
    [273.15, nan]
    """
    scale, offset = attributes.get("scale_factor", 1.0), attributes.get("add_offset", 0.0)
    return Codec(
        np.dtype(dtype),
        None if nodata is None else float(nodata),
        float(scale) if isinstance(scale, int | float) else 1.0,
        float(offset) if isinstance(offset, int | float) else 0.0,
    )


@dataclass(frozen=True, eq=False)
class _NodataArray(ArrayIO):
    """A stored array seen by the engine as decoded floats, nodata as NaN, and back."""

    codec: Codec = dataclasses.field(default_factory=lambda: Codec(np.dtype("f8")))

    @classmethod
    def wrap(cls, array: ArrayIO, codec: Codec) -> _NodataArray:
        fields = {f.name: getattr(array, f.name) for f in dataclasses.fields(ArrayIO)}
        return cls(**{**fields, "dtype": codec.view}, codec=codec)

    def read(self, region: tuple[slice, ...]) -> _Array:
        return self.codec.decode(super().read(region))

    def write(self, region: tuple[slice, ...], data: _Array) -> None:
        if data.dtype.kind == "f":
            # Round the tile itself, not a copy: the engine reduces the tile it has just
            # written into the next level, which must be derived from the stored values.
            self.codec.snap(data)
        super().write(region, self.codec.encode(data))


@dataclass(eq=False)
class _NodataStore(StoreHandle):
    """The output store, handing the engine decoded views of its arrays."""

    codec: Codec = dataclasses.field(default_factory=lambda: Codec(np.dtype("f8")))

    @classmethod
    def wrap(cls, store: StoreHandle, codec: Codec) -> _NodataStore:
        fields = {f.name: getattr(store, f.name) for f in dataclasses.fields(StoreHandle)}
        return cls(**fields, codec=codec)

    def open_array(self, path: str) -> ArrayIO:
        return _NodataArray.wrap(super().open_array(path), self.codec)

    def create_empty_array(self, path: str, **kwargs: Any) -> ArrayIO:
        kwargs["dtype"] = self.codec.stored
        array = super().create_empty_array(path, **kwargs)  # opens it with open_array
        if isinstance(array, _NodataArray):
            return array
        return _NodataArray.wrap(array, self.codec)


@dataclass(frozen=True)
class _NodataSource:
    """A source array seen as decoded floats with nodata as NaN."""

    source: Any
    codec: Codec

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.source.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.codec.view

    def __getitem__(self, key: Any) -> _Array:
        return self.codec.decode(np.asarray(self.source[key]))


def _needs_view(codec: Codec) -> bool:
    if codec.packed:
        return True
    return codec.nodata is not None and not (codec.stored.kind == "f" and math.isnan(codec.nodata))


# -- planning and writing ----------------------------------------------------------------


def carried_at_level(
    array: CarriedArray, dims: Sequence[str], level: Level, grid: Grid | None = None
) -> CarriedArray:
    """Return a carried array as a level holds it: on the level's grid when it lies on it.

    An array off the grid (``time``, its bounds, a grid mapping) is the same at every level;
    the boundary variable of ``x`` or ``y`` (CF §7.1) holds the level's own cells
    (:func:`geozarr.writing.bounds.level_bounds`); another array on a spatial dimension (an
    auxiliary coordinate: 2-D ``lat`` / ``lon``) is taken at the level's block centres
    (:func:`geozarr.writing.auxiliary.at_block_centres`; longitudes the shorter way round).
    Recomputed values are decoded and encoded again as stored (packing, ``_FillValue``).

    Parameters
    ----------
    array
        The array, as level 0 holds it.
    dims
        The grid's spatial dimensions ``(y, x)``.
    level
        The planned level.
    grid
        The base grid, which names the boundary variables; without it none is recognised.

    Returns
    -------
    CarriedArray
        The array at that level.
    """
    spatial = dict(zip(dims, range(len(level.shape) - len(dims), len(level.shape)), strict=True))
    if not set(spatial) & set(array.dims):
        return array
    factors = {d: int(level.cumulative[axis]) for d, axis in spatial.items()}
    shape = {d: int(level.shape[axis]) for d, axis in spatial.items()}
    values = np.asarray(array.values)
    longitude = is_longitude(array.attributes)
    if values.dtype.kind not in "iuf":
        resampled = at_block_centres(values, array.dims, factors, shape)
        return dataclasses.replace(array, values=resampled.astype(values.dtype))
    codec = codec_of(values.dtype, array.fill, array.attributes)
    decoded = codec.decode(values)
    axis = None if grid is None else boundary_axis(array.name, array.dims, grid)
    if grid is not None and axis is not None:
        factor = factors[grid.dims[axis]]
        resampled = level_bounds(decoded, grid, axis, factor)
    else:
        resampled = at_block_centres(decoded, array.dims, factors, shape, longitude=longitude)
    return dataclasses.replace(array, values=codec.encode(resampled.astype(codec.view)))


def write_pyramid_metadata(
    store: StoreHandle,
    result: PyramidResult,
    grid: Grid,
    zarr_format: ZarrFormat,
    *,
    root_attributes: Mapping[str, Any],
    carried: Sequence[CarriedArray] = (),
) -> None:
    """Write every level's group (grid, carried arrays) and the root's ``multiscales`` layout.

    The layout's assets are the arrays of ``result`` (its variable at every level); the
    other variables written on the same grid sit beside it in each level's group.

    Parameters
    ----------
    store
        The output store.
    result
        What the engine wrote for the layout's variable.
    grid
        The base grid.
    zarr_format
        The Zarr format.
    root_attributes
        More attributes for the root group.
    carried
        Arrays off the grid copied into every level.
    """
    planned = result.levels
    for k in range(1, len(planned)):
        level = planned[k]
        at_level = [carried_at_level(c, grid.dims, level, grid) for c in carried]
        chunks = dict(zip(grid.dims, level.chunks[-2:], strict=True))
        write_carried(store, str(k), at_level, zarr_format, chunks)
        write_level_metadata(
            store, str(k), grid.reduced(level.cumulative[-2], level.cumulative[-1]), zarr_format
        )
    layout = multiscales_layout(result.paths, planned, grid, result.method)
    write_level_metadata(store, "", grid, zarr_format, extra=root_attributes, multiscales=layout)


def plan_levels(
    shape: tuple[int, ...],
    chunks: tuple[int, ...],
    shards: tuple[int, ...] | None,
    levels: int | Literal["auto"],
    factors: int,
    min_extent: int | None,
) -> tuple[Level, ...]:
    """Plan the levels: reduce both spatial axes by ``factors`` per level (sides of 1 stay 1).

    Parameters
    ----------
    shape
        The base shape.
    chunks, shards
        The base's chunk and shard shapes (every level keeps them, clipped).
    levels
        The number of levels, base included; ``"auto"``: until the larger side is at most
        ``min_extent`` (one chunk's larger side when omitted).
    factors
        The reduction per level (2 or more).
    min_extent
        The stop of ``"auto"``.

    Returns
    -------
    tuple of Level
        Base first.

    Raises
    ------
    GeoWriteError
        When ``levels`` or ``factors`` is out of range.
    """
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


@dataclass(frozen=True)
class LevelRun:
    """The overview levels to plan and how the engine writes them.

    What every writer of GeoZarr variables (:func:`geozarr.write`, :func:`geozarr.pyramid`,
    the web-map pyramid) passes to :func:`write_variable` for each of its variables alike.

    Parameters
    ----------
    levels, factors, min_extent
        The pyramid, as :func:`plan_levels` takes them (``levels=1``: the base alone).
    workers
        Engine threads (``None``: the engine's default).
    resume
        Keep the tiles a previous run finished.
    progress
        Called after every finished tile.
    """

    levels: int | Literal["auto"] = 1
    factors: int = 2
    min_extent: int | None = None
    workers: int | None = None
    resume: bool = False
    progress: Callable[[Progress], None] | None = None


def write_variable(
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
    method: Method | None,
    run: LevelRun,
    write_base: bool,
    root_attributes: Mapping[str, Any],
    compressors: tuple[dict[str, Any], ...] | None = None,
    carried: Sequence[CarriedArray] = (),
    metadata: bool = True,
) -> PyramidResult:
    """Write one variable (and its pyramid when ``run.levels`` is not 1) through the engine.

    Level ``k`` is the array ``"k/<name>"`` in a self-describing GeoZarr group ``"k"``; the
    root gains the ``multiscales`` layout. The metadata is written after the last tile, so
    an interrupted run leaves no layout.

    Parameters
    ----------
    store
        The output store.
    source
        The base values (an array, or the stored base itself when ``write_base`` is false).
    name, dims, grid, attributes, nodata
        The variable: name, dimension names, base grid, attributes, nodata value.
    zarr_format, chunks, shards, compression, compressors
        How the arrays are stored (``compressors`` overrides the preset: the base's codecs).
    method
        The kernel; by :func:`default_method` when omitted.
    run
        The levels to plan and how the engine writes them.
    write_base
        Write the base array too (false when it is already stored).
    root_attributes
        More attributes for the root group.
    carried
        Arrays off the grid (``time``, bounds, ...) copied into every level.
    metadata
        Write the levels' and the root's metadata after the last tile (false when the
        caller writes it once for several variables: :func:`write_pyramid_metadata`).

    Returns
    -------
    PyramidResult
        The engine's account.

    Raises
    ------
    GeoWriteError
        When the method or the levels are not valid.
    """
    stored = np.dtype(source.dtype)
    kernel: Method = method or default_method(stored, attributes)
    if kernel not in METHODS:
        raise GeoWriteError(f"Expected a method among {', '.join(METHODS)}. Got {kernel!r}.")
    shape = tuple(int(n) for n in source.shape)
    planned = plan_levels(shape, chunks, shards, run.levels, run.factors, run.min_extent)
    pyramid_wanted = run.levels != 1
    paths = (name, *(f"{k}/{name}" for k in range(1, len(planned))))
    output = variable_output(
        dims, attributes, nodata, stored, zarr_format, compression, grid.grid_mapping
    )
    if compressors is not None:
        output = dataclasses.replace(output, compressors=compressors)
    target: StoreHandle = store
    codec = codec_of(stored, nodata, attributes)
    if _needs_view(codec):
        target = _NodataStore.wrap(store, codec)
        source = (
            _NodataArray.wrap(source, codec)
            if isinstance(source, ArrayIO)
            else _NodataSource(source, codec)
        )

    def write_metadata(result: PyramidResult) -> None:
        write_pyramid_metadata(
            store,
            result,
            grid,
            zarr_format,
            root_attributes=root_attributes,
            carried=carried,
        )

    return engine_write(
        source,
        target,
        planned,
        paths=paths,
        method=kernel,
        output=output,
        workers=run.workers,
        resume=run.resume,
        write_base=write_base,
        progress=run.progress,
        write_metadata=write_metadata if pyramid_wanted and metadata else None,
    )
