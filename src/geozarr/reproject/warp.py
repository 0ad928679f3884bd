"""A source raster seen on another grid: region reads that reproject on the fly, nodata-aware.

:class:`WarpedArray` has ``shape``, ``dtype`` and ``__getitem__`` (the
:class:`~ngff_geozarr.core.pyramid.SourceArray` protocol), so the pyramid engine streams it
tile by tile like any array. A read of a target region:

1. maps the target pixels back to the source (inverse mapping): their centres (or, for
   ``average`` and ``mode``, ``n x n`` sample points per pixel, ``n`` the ratio of the target
   cell to the source cell, at most :data:`MAX_SUPERSAMPLING`) go through the target's affine
   transform, PROJ (one vectorised :class:`pyproj.Transformer` call, target CRS to source
   CRS) and the inverse of the source's transform;
2. reads only the source window those points fall in (split into smaller target blocks when
   the window would exceed :data:`MAX_WINDOW_PIXELS`, or the points :data:`MAX_SAMPLES`:
   bounded memory whatever the distortion);
3. takes, per target pixel, the source pixel under its centre (``nearest``), the mean of the
   valid samples (``average``) or their most frequent value (``mode``, ties to the smallest).
   Samples that fall outside the source, are NaN or equal the source's nodata are not valid;
   a target pixel with no valid sample is nodata.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pyproj import Transformer

from geozarr.writing.grid import GeoWriteError, Grid
from ngff_geozarr.core.store import ArrayIO

__all__ = [
    "LATTICE_STEP",
    "MAX_INTERPOLATION_ERROR",
    "MAX_SAMPLES",
    "MAX_SUPERSAMPLING",
    "MAX_WINDOW_PIXELS",
    "RESAMPLING",
    "Resampling",
    "WarpedArray",
]

Resampling = Literal["nearest", "average", "mode"]
RESAMPLING: tuple[Resampling, ...] = ("nearest", "average", "mode")
"""The resampling methods of a reprojection (GDAL's names)."""

MAX_SUPERSAMPLING = 8
"""The most sample points per target pixel side for ``average`` and ``mode``."""

MAX_SAMPLES = 2**20
"""The most sample points mapped at once; a block needing more is split."""

MAX_WINDOW_PIXELS = 2048 * 2048
"""The largest source window one read takes (per band); larger needs are split."""

LATTICE_STEP = 16
"""The spacing, in target pixels, of the positions PROJ maps exactly in a block."""

MAX_INTERPOLATION_ERROR = 0.125
"""The largest error, in source pixels, of an interpolated position (GDAL's default)."""

_Array = npt.NDArray[Any]


def _invert(transform: tuple[float, ...]) -> tuple[float, float, float, float, float, float]:
    a, b, c, d, e, f = transform
    det = a * e - b * d
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    return ia, ib, -(ia * c + ib * f), id_, ie, -(id_ * c + ie * f)


@dataclass(frozen=True, eq=False)
class WarpedArray:
    """A source raster read on a target grid (``shape``, ``dtype``, ``__getitem__``).

    Parameters
    ----------
    source
        The source values: an array-like of shape ``(..., height, width)`` with numpy
        slicing, or an :class:`~ngff_geozarr.core.store.ArrayIO`.
    source_grid
        Where the source lies.
    target_grid
        The grid to read it on.
    method
        ``"nearest"``, ``"average"`` or ``"mode"``.
    nodata
        The output's nodata value (NaN for floats without one).
    source_nodata
        The source's nodata value, or ``None`` (NaN is never valid).
    dtype
        The output dtype (the source's).
    """

    source: Any
    source_grid: Grid
    target_grid: Grid
    method: Resampling
    nodata: float | int
    source_nodata: float | int | None = None
    dtype: np.dtype[Any] = field(default_factory=lambda: np.dtype("f8"))
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def __post_init__(self) -> None:
        """Check the method and the shapes."""
        if self.method not in RESAMPLING:
            raise GeoWriteError(
                f"Expected a resampling method among {', '.join(RESAMPLING)}. Got {self.method!r}."
            )
        shape = tuple(self.source.shape)
        if len(shape) < 2 or shape[-2:] != (self.source_grid.height, self.source_grid.width):
            raise GeoWriteError(
                f"Expected a source of shape (..., {self.source_grid.height}, "
                f"{self.source_grid.width}). Got {shape}."
            )

    @property
    def shape(self) -> tuple[int, ...]:
        """The target shape: the source's leading dimensions, then the target grid's."""
        lead = tuple(int(n) for n in self.source.shape[:-2])
        return (*lead, self.target_grid.height, self.target_grid.width)

    def _transformer(self) -> Transformer:
        # pyproj transformers are not shared between threads
        found: Transformer | None = getattr(self._local, "transformer", None)
        if found is None:
            found = Transformer.from_crs(self.target_grid.crs, self.source_grid.crs, always_xy=True)
            self._local.transformer = found
        return found

    def _to_source(self, rows: _Array, cols: _Array) -> tuple[_Array, _Array]:
        """Map fractional target (row, col) positions to fractional source (row, col)."""
        a, b, c, d, e, f = self.target_grid.transform
        xs, ys = self._transformer().transform(a * cols + b * rows + c, d * cols + e * rows + f)
        xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
        ia, ib, ic, id_, ie, if_ = _invert(self.source_grid.transform)
        return id_ * xs + ie * ys + if_, ia * xs + ib * ys + ic

    def _mapped(
        self, rows: slice, cols: slice, ys: _Array, xs: _Array
    ) -> tuple[_Array, _Array] | None:
        """Map the target positions ``ys x xs`` of a block to the source (row, col) arrays.

        ``None`` when the block's lattice lies wholly beyond one side of the source.

        As GDAL's approximate transformer does: PROJ maps a lattice of the block (every
        :data:`LATTICE_STEP` pixels) and the positions are interpolated bilinearly, when
        that is within :data:`MAX_INTERPOLATION_ERROR` source pixels of PROJ at the centres
        of the lattice's cells; else every position goes through PROJ.
        """
        height, width = rows.stop - rows.start, cols.stop - cols.start
        nr, nc = max(2, -(-height // LATTICE_STEP) + 1), max(2, -(-width // LATTICE_STEP) + 1)
        ly = np.linspace(rows.start, rows.stop, nr)
        lx = np.linspace(cols.start, cols.stop, nc)
        sr, sc = self._mesh(ly, lx)
        h, w = self.source_grid.height, self.source_grid.width
        with np.errstate(invalid="ignore"):
            if np.all(np.isfinite(sr) & np.isfinite(sc)) and (
                (sr < 0).all() or (sr >= h).all() or (sc < 0).all() or (sc >= w).all()
            ):
                return None
        er, ec = self._mesh((ly[:-1] + ly[1:]) / 2, (lx[:-1] + lx[1:]) / 2)
        ir = (sr[:-1, :-1] + sr[1:, :-1] + sr[:-1, 1:] + sr[1:, 1:]) / 4
        ic = (sc[:-1, :-1] + sc[1:, :-1] + sc[:-1, 1:] + sc[1:, 1:]) / 4
        with np.errstate(invalid="ignore"):
            error = np.hypot(ir - er, ic - ec)
        if not (np.all(np.isfinite(error)) and error.max() <= MAX_INTERPOLATION_ERROR):
            return self._mesh(ys, xs)
        # bilinear on a tensor grid: along the rows first, then along the columns
        iy, ty = _weights(ys, ly)
        ix, tx = _weights(xs, lx)

        def bilinear(values: _Array) -> _Array:
            along = values[iy] * (1 - ty)[:, None] + values[iy + 1] * ty[:, None]
            return np.asarray(along[:, ix] * (1 - tx) + along[:, ix + 1] * tx)

        return bilinear(sr), bilinear(sc)

    def _mesh(self, ys: _Array, xs: _Array) -> tuple[_Array, _Array]:
        rr, cc = np.meshgrid(ys, xs, indexing="ij")
        sr, sc = self._to_source(rr.ravel(), cc.ravel())
        return sr.reshape(rr.shape), sc.reshape(rr.shape)

    def _supersampling(self, rows: slice, cols: slice) -> int:
        if self.method == "nearest":
            return 1
        r = np.array([rows.start, rows.start, rows.start + 1, rows.stop - 1, rows.stop - 1])
        c = np.array([cols.start, cols.start + 1, cols.start, cols.stop - 1, cols.stop - 2])
        sr, sc = self._to_source(r + 0.5, c + 0.5)
        steps = [
            math.hypot(sr[1] - sr[0], sc[1] - sc[0]),
            math.hypot(sr[2] - sr[0], sc[2] - sc[0]),
            math.hypot(sr[4] - sr[3], sc[4] - sc[3]),
        ]
        finite = [s for s in steps if math.isfinite(s)]
        if not finite:
            return 1
        return int(min(MAX_SUPERSAMPLING, max(1, math.ceil(max(finite) - 1e-6))))

    def __getitem__(self, key: Any) -> _Array:
        """Read a region of the target grid.

        Parameters
        ----------
        key
            A tuple of slices, one per dimension (steps of 1).

        Returns
        -------
        numpy.ndarray
            The reprojected values; nodata where no valid source pixel contributes.
        """
        key = key if isinstance(key, tuple) else (key,)
        shape = self.shape
        key = key + (slice(None),) * (len(shape) - len(key))
        region = tuple(
            slice(*k.indices(n)[:2]) if isinstance(k, slice) else slice(k, k + 1)
            for k, n in zip(key, shape, strict=True)
        )
        lead, rows, cols = region[:-2], region[-2], region[-1]
        lead_shape = tuple(s.stop - s.start for s in lead)
        out = np.full(
            (*lead_shape, rows.stop - rows.start, cols.stop - cols.start),
            self.nodata,
            dtype=self.dtype,
        )
        if out.size:
            self._fill(out, lead, rows, cols, rows.start, cols.start)
        return out

    def _fill(
        self, out: _Array, lead: tuple[slice, ...], rows: slice, cols: slice, r0: int, c0: int
    ) -> None:
        n = self._supersampling(rows, cols)
        if (rows.stop - rows.start) * (cols.stop - cols.start) * n * n > MAX_SAMPLES:
            self._split(out, lead, rows, cols, r0, c0)
            return
        offsets = (np.arange(n) + 0.5) / n
        ys = (np.arange(rows.start, rows.stop)[:, None] + offsets).ravel()
        xs = (np.arange(cols.start, cols.stop)[:, None] + offsets).ravel()
        mapped = self._mapped(rows, cols, ys, xs)
        if mapped is None:
            return
        grid_r, grid_c = mapped
        box = (rows.stop - rows.start, cols.stop - cols.start)
        # (rows * n, cols * n) -> (rows, cols, n, n): each pixel's samples together
        src_r = grid_r.reshape(box[0], n, box[1], n).transpose(0, 2, 1, 3).ravel()
        src_c = grid_c.reshape(box[0], n, box[1], n).transpose(0, 2, 1, 3).ravel()
        height, width = self.source_grid.height, self.source_grid.width
        inside = (src_r >= 0) & (src_r < height) & (src_c >= 0) & (src_c < width)
        if not inside.any():
            return
        ri = np.where(inside, np.floor(np.where(inside, src_r, 0)), 0).astype(np.int64)
        ci = np.where(inside, np.floor(np.where(inside, src_c, 0)), 0).astype(np.int64)
        wr0, wr1 = int(ri[inside].min()), int(ri[inside].max()) + 1
        wc0, wc1 = int(ci[inside].min()), int(ci[inside].max()) + 1
        if (wr1 - wr0) * (wc1 - wc0) > MAX_WINDOW_PIXELS:
            self._split(out, lead, rows, cols, r0, c0)
            return
        window = self._read((*lead, slice(wr0, wr1), slice(wc0, wc1)))
        ri = np.clip(ri - wr0, 0, wr1 - wr0 - 1)
        ci = np.clip(ci - wc0, 0, wc1 - wc0 - 1)
        samples = window[..., ri, ci]  # (*lead, pixels * n * n)
        valid = np.broadcast_to(inside, samples.shape).copy()
        if samples.dtype.kind == "f":
            valid &= ~np.isnan(samples)
        if self.source_nodata is not None and not (
            isinstance(self.source_nodata, float) and math.isnan(self.source_nodata)
        ):
            valid &= samples != self.source_nodata
        lead_shape = samples.shape[:-1]
        samples = samples.reshape(*lead_shape, box[0] * box[1], n * n)
        valid = valid.reshape(samples.shape)
        values = self._aggregate(samples, valid).reshape(*lead_shape, *box)
        target = (
            ...,
            slice(rows.start - r0, rows.stop - r0),
            slice(cols.start - c0, cols.stop - c0),
        )
        out[target] = values

    def _split(
        self, out: _Array, lead: tuple[slice, ...], rows: slice, cols: slice, r0: int, c0: int
    ) -> None:
        if rows.stop - rows.start >= cols.stop - cols.start and rows.stop - rows.start > 1:
            mid = (rows.start + rows.stop) // 2
            parts = [(slice(rows.start, mid), cols), (slice(mid, rows.stop), cols)]
        elif cols.stop - cols.start > 1:
            mid = (cols.start + cols.stop) // 2
            parts = [(rows, slice(cols.start, mid)), (rows, slice(mid, cols.stop))]
        else:
            raise GeoWriteError(
                "One target pixel needs a source window of more than "
                f"{MAX_WINDOW_PIXELS} pixels: the source cannot be carried to the target grid."
            )
        for part_rows, part_cols in parts:
            self._fill(out, lead, part_rows, part_cols, r0, c0)

    def _read(self, region: tuple[slice, ...]) -> _Array:
        if isinstance(self.source, ArrayIO):
            return np.asarray(self.source.read(region))
        return np.asarray(self.source[region])

    def _aggregate(self, samples: _Array, valid: _Array) -> _Array:
        """Reduce ``(..., pixels, k)`` samples to ``(..., pixels)`` values of the output dtype."""
        count = valid.sum(axis=-1)
        empty = count == 0
        if self.method == "nearest":
            picked = samples[..., 0]
        elif self.method == "average":
            total = np.where(valid, samples.astype(np.float64), 0.0).sum(axis=-1)
            picked = total / np.maximum(count, 1)
        else:
            picked = _mode(samples, valid)
        if self.dtype.kind in "iu" and np.asarray(picked).dtype.kind == "f":
            info = np.iinfo(self.dtype)
            picked = np.clip(np.rint(np.where(empty, 0, picked)), info.min, info.max)
        result = np.asarray(picked).astype(self.dtype)
        result[empty] = self.nodata
        return result


def _mode(samples: _Array, valid: _Array) -> _Array:
    """Return the most frequent valid value along the last axis (ties: the smallest)."""
    values = np.where(valid, samples.astype(np.float64), np.inf)
    values.sort(axis=-1)
    k = values.shape[-1]
    index = np.broadcast_to(np.arange(k), values.shape)
    starts = np.ones(values.shape, dtype=bool)
    starts[..., 1:] = values[..., 1:] != values[..., :-1]
    run_start = np.maximum.accumulate(np.where(starts, index, 0), axis=-1)
    length = index - run_start + 1
    length[np.isinf(values)] = 0
    best = length.argmax(axis=-1)  # the first longest run: the smallest of tied values
    end = np.take_along_axis(values, best[..., None], axis=-1)[..., 0]
    return np.where(np.isinf(end), 0.0, end)


def _weights(positions: _Array, lattice: _Array) -> tuple[_Array, _Array]:
    """Return the lattice cell of each position on a regular 1-D lattice, and the fraction."""
    f = (positions - lattice[0]) / (lattice[1] - lattice[0])
    i = np.clip(np.floor(f).astype(np.int64), 0, len(lattice) - 2)
    return i, f - i
