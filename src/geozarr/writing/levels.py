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

from geozarr.writing.cf_variables import variable_output
from geozarr.writing.documents import multiscales_layout, write_level_metadata
from geozarr.writing.grid import GeoWriteError, Grid
from ngff_geozarr.core.pyramid import METHODS, Level, Method, Progress, PyramidResult, plan
from ngff_geozarr.core.pyramid import write_pyramid as engine_write
from ngff_geozarr.core.store import ArrayIO, Compression, StoreHandle, ZarrFormat

__all__ = ["default_method", "plan_levels", "write_variable"]

_Array = npt.NDArray[Any]


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
    """Write one variable (and its pyramid when ``levels`` is not 1) through the engine.

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
    levels, method, factors, min_extent
        The pyramid (see :func:`plan_levels`); ``method`` by :func:`default_method` when
        omitted.
    workers, resume, progress
        Engine threads, keep finished tiles, called per tile.
    write_base
        Write the base array too (false when it is already stored).
    root_attributes
        More attributes for the root group.

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
    planned = plan_levels(shape, chunks, shards, levels, factors, min_extent)
    pyramid_wanted = levels != 1
    paths = (name, *(f"{k}/{name}" for k in range(1, len(planned))))
    output = variable_output(dims, attributes, nodata, stored, zarr_format, compression)
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
        layout = multiscales_layout(paths, planned, grid, kernel)
        write_level_metadata(
            store, "", grid, zarr_format, extra=root_attributes, multiscales=layout
        )

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
