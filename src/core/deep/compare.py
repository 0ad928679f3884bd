"""Tell whether a sampled block of one level is a reduction of the level above it (numpy).

The expected block is computed with the project's own kernels
(:mod:`ngff_geozarr.core.pyramid.kernels`) from the region of the level above. A block
passes when it equals the reduction by the declared method, or by any kernel when none is
declared, within a tolerance of its data type (integers: rounding; floats: a few ulps of
their type). Other writers smooth differently (Gaussian filters, interpolating resizes), so
a block that matches no kernel exactly is judged by its normalised error: the root mean
square difference from the block mean, over the standard deviation of that mean. A block
passes when the error is small; it is a **shifted** block when moving it by whole samples
makes the error much smaller; otherwise it is **not derived** from the level above.

Labels are compared as sets: every value of a coarser level must occur in the region it
reduces (a value that does not is invented), and almost every sample must be one of the
values of its own block.

Nodata (GeoZarr): a reduced sample may be nodata only when its whole block is, and a mean
never mixes nodata in.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ngff_geozarr.core.errors import PyramidError
from ngff_geozarr.core.pyramid.kernels import METHODS, Method, downsample

__all__ = [
    "ERROR_LIMIT",
    "LABEL_MISMATCH_LIMIT",
    "BlockPair",
    "Verdict",
    "compare",
    "factors_between",
]

ERROR_LIMIT = 0.6
"""Largest normalised error of a block reduced by a method other than the project's kernels."""
LABEL_MISMATCH_LIMIT = 0.1
"""Largest share of label samples that may hold a value absent from their own block."""
_SHIFT_GAIN = 0.5  # a shift must at least halve the error to be called one

_Array = npt.NDArray[Any]
_MEAN_LIKE: frozenset[str] = frozenset({"mean", "gaussian", "min", "max", "sum"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the comparison of one block found.

    Parameters
    ----------
    rule
        The rule the block breaks; ``None`` when it is consistent.
    detail
        What was found, one sentence (for the issue's message).
    """

    rule: str | None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class BlockPair:
    """A sampled block and the region of the level above it that it reduces.

    Parameters
    ----------
    source
        The region of the level above: level-k indices ``[lo, hi)`` times the factors (the
        last block along an axis may be short).
    lo
        The level-k index the source region starts at, per axis.
    actual
        The sampled block of level k.
    start
        Its level-k index, per axis (``lo <= start``; the source covers one more block on
        each side where the level has one, to detect shifts).
    factors
        The reduction factors between the two levels.
    """

    source: _Array
    lo: tuple[int, ...]
    actual: _Array
    start: tuple[int, ...]
    factors: tuple[int, ...]


def factors_between(upper: Sequence[int], lower: Sequence[int]) -> tuple[int, ...] | None:
    """Return the integer factors that reduce shape ``upper`` to ``lower``, or ``None``.

    A factor ``f`` reduces ``n`` samples to ``ceil(n / f)`` (the project's writers) or
    ``floor(n / f)`` (writers that drop a short last block).

    Examples
    --------
    >>> factors_between((1, 100, 101), (1, 50, 51)), factors_between((64,), (64,))
    ((1, 2, 2), (1,))
    >>> factors_between((64,), (128,)) is None
    True
    """
    if len(upper) != len(lower):
        return None
    factors = []
    for n, m in zip(upper, lower, strict=True):
        if m < 1 or m > n:
            return None
        found = [f for f in {n // m, -(-n // m)} if f >= 1 and m in (-(-n // f), n // f)]
        if not found:
            return None
        factors.append(min(found))
    return tuple(factors)


def _tolerance(dtype: np.dtype[Any], scale: float) -> float:
    if dtype.kind in "biu":
        return 0.5 + 1e-9
    eps = 1e-5 if dtype.itemsize <= 4 else 1e-9
    return eps * max(1.0, scale)


def _as_float(values: _Array, nodata: float | int | None) -> _Array:
    out = values.astype(np.float64)
    if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)):
        out[values == nodata] = np.nan
    return out


def _window(expected: _Array, pair: BlockPair, shift: Sequence[int]) -> tuple[_Array, _Array]:
    """Return the part of the block a shifted expectation covers, and that expectation."""
    own, other = [], []
    for axis, (lo, start, size) in enumerate(
        zip(pair.lo, pair.start, pair.actual.shape, strict=True)
    ):
        first = max(start + shift[axis], lo)
        last = min(start + size + shift[axis], lo + expected.shape[axis])
        if last <= first:
            return np.empty(0), np.empty(0)
        own.append(slice(first - shift[axis] - start, last - shift[axis] - start))
        other.append(slice(first - lo, last - lo))
    return pair.actual[tuple(own)], expected[tuple(other)]


def _shifts(factors: Sequence[int]) -> list[tuple[int, ...]]:
    moving = [(-1, 0, 1) if f > 1 else (0,) for f in factors]
    return [s for s in itertools.product(*moving) if any(s)]


def _normalised(actual: _Array, expected: _Array, floor: float) -> float:
    valid = np.isfinite(actual) & np.isfinite(expected)
    if not valid.any():
        return 0.0
    a, e = actual[valid], expected[valid]
    scale = max(float(np.std(e)), floor)
    return float(np.sqrt(np.mean((a - e) ** 2))) / scale


def _kernels(method: Method | None, labels: bool) -> list[Method]:
    names: list[Method] = ["mode", "nearest"] if labels else list(METHODS)
    if method is not None:
        names = [method, *(m for m in names if m != method)]
    return names


def _matches(pair: BlockPair, expected: _Array, tol: float) -> bool:
    own, other = _window(expected, pair, (0,) * pair.actual.ndim)
    if own.shape != pair.actual.shape:
        return False
    both_nan = np.isnan(own) & np.isnan(other)
    close = np.abs(own - other) <= tol
    return bool(np.all(close | both_nan))


def _leaks(pair: BlockPair, method: Method | None) -> Verdict:
    """Find reduced samples that are nodata although their block has valid samples."""
    if method not in (None, *_MEAN_LIKE):
        return Verdict(None)
    valid = np.isfinite(pair.source).astype(np.float64)
    own, counts = _window(downsample(valid, pair.factors, "sum"), pair, (0,) * valid.ndim)
    lost = int(np.count_nonzero(np.isnan(own) & (counts > 0)))
    if lost:
        return Verdict(
            "zarr.data.nodata-leaked",
            f"{lost} reduced sample(s) are NaN or nodata although their block holds valid samples",
        )
    return Verdict(None)


def _mixed(pair: BlockPair, raw: _Array, tol: float) -> Verdict:
    """Find means that mixed a (non-NaN) nodata value in with the valid samples."""
    zero = (0,) * raw.ndim
    actual, aware = _window(downsample(pair.source, pair.factors, "mean"), pair, zero)
    naive = _window(downsample(raw, pair.factors, "mean"), pair, zero)[1]
    mixed = np.isfinite(aware) & np.isfinite(actual) & (np.abs(naive - aware) > 2 * tol)
    closer = np.abs(actual - naive) < np.abs(actual - aware)
    count = int(np.count_nonzero(mixed & closer & (np.abs(actual - aware) > tol)))
    if count:
        return Verdict(
            "zarr.data.nodata-leaked",
            f"{count} reduced sample(s) average the nodata value in with valid samples",
        )
    return Verdict(None)


def _continuous(
    pair: BlockPair,
    method: Method | None,
    nodata: float | int | None,
    nodata_aware: bool,
) -> Verdict:
    dtype = pair.actual.dtype
    raw = pair.source.astype(np.float64)
    source = _as_float(pair.source, nodata if nodata_aware else None)
    actual = _as_float(pair.actual, nodata if nodata_aware else None)
    finite = source[np.isfinite(source)]
    scale = float(np.max(np.abs(finite))) if finite.size else 1.0
    tol = _tolerance(dtype, scale)
    checked = BlockPair(source, pair.lo, actual, pair.start, pair.factors)
    if nodata_aware:
        leaked = _leaks(checked, method)
        if leaked.rule is None and nodata is not None and not np.isnan(float(nodata)):
            leaked = _mixed(checked, raw, tol)
        if leaked.rule is not None:
            return leaked
    for name in _kernels(method, labels=False):
        try:
            if _matches(checked, downsample(source, pair.factors, name), tol):
                return Verdict(None)
        except PyramidError:
            continue
    mean = downsample(source, pair.factors, "mean")
    floor = max(tol * 2, 1e-12)
    aligned = _normalised(*_window(mean, checked, (0,) * actual.ndim), floor)
    best, moved = aligned, None
    for shift in _shifts(pair.factors):
        error = _normalised(*_window(mean, checked, shift), floor)
        if error < best:
            best, moved = error, shift
    if moved is not None and best <= ERROR_LIMIT and best < _SHIFT_GAIN * aligned:
        return Verdict(
            "zarr.data.level-shifted",
            f"it matches the reduction of the level above moved by {list(moved)} sample(s) "
            f"(normalised error {best:.2f} moved, {aligned:.2f} in place)",
        )
    if aligned > ERROR_LIMIT:
        return Verdict(
            "zarr.data.level-not-derived",
            f"it is no reduction of the level above by any method (normalised error "
            f"{aligned:.2f} from its block mean, over {ERROR_LIMIT})",
        )
    return Verdict(None)


def _membership(pair: BlockPair, shift: Sequence[int]) -> float:
    """Share of the block's samples whose value is absent from their (shifted) block."""
    source, f = pair.source, pair.factors
    n_blocks = tuple(-(-s // k) for s, k in zip(source.shape, f, strict=True))
    found: _Array | None = None
    own_shape: tuple[int, ...] = ()
    for offset in itertools.product(*(range(k) for k in f)):
        view = source[tuple(slice(o, None, k) for o, k in zip(offset, f, strict=True))]
        padded = np.zeros(n_blocks, dtype=bool)
        values = np.zeros(n_blocks, dtype=source.dtype)
        where = tuple(slice(0, s) for s in view.shape)
        padded[where], values[where] = True, view
        own, other = _window(values, pair, shift)
        _, present = _window(padded, pair, shift)
        if own.size == 0:
            return 1.0
        hit = (own == other) & present
        found = hit if found is None else found | hit
        own_shape = own.shape
    if found is None or not own_shape:
        return 0.0
    return 1.0 - float(np.count_nonzero(found)) / found.size


def _labels(pair: BlockPair, method: Method | None) -> Verdict:
    invented = np.setdiff1d(np.unique(pair.actual), np.unique(pair.source))
    if invented.size:
        shown = ", ".join(str(v) for v in invented[:5].tolist())
        more = f" and {invented.size - 5} more" if invented.size > 5 else ""
        return Verdict(
            "zarr.data.label-values-invented",
            f"it holds label value(s) {shown}{more} that the region above it does not hold",
        )
    for name in _kernels(method, labels=True):
        if _matches(pair, downsample(pair.source, pair.factors, name), 0.0):
            return Verdict(None)
    aligned = _membership(pair, (0,) * pair.actual.ndim)
    if aligned <= LABEL_MISMATCH_LIMIT:
        return Verdict(None)
    for shift in _shifts(pair.factors):
        if _membership(pair, shift) <= LABEL_MISMATCH_LIMIT:
            return Verdict(
                "zarr.data.level-shifted",
                f"its labels are those of the level above moved by {list(shift)} sample(s) "
                f"({aligned:.0%} of them are absent from their own block)",
            )
    return Verdict(
        "zarr.data.level-not-derived",
        f"{aligned:.0%} of its labels are absent from the block of the level above they reduce",
    )


def compare(
    pair: BlockPair,
    *,
    method: Method | None = None,
    labels: bool = False,
    nodata: float | int | None = None,
    nodata_aware: bool = False,
) -> Verdict:
    """Tell whether a sampled block is a reduction of the region of the level above it.

    Parameters
    ----------
    pair
        The sampled block of the coarser level, and the region of the finer level it
        reduces.
    method
        The declared kernel; ``None``: any kernel.
    labels
        Compare as labels (sets of values; ``mode`` or ``nearest``).
    nodata
        The nodata value, if any.
    nodata_aware
        Whether reductions must ignore nodata.

    Returns
    -------
    Verdict
        The rule the block breaks (``None`` when it is consistent) and what was found.

    Examples
    --------
    >>> import numpy as np
    >>> src = np.arange(64, dtype=np.float32).reshape(8, 8)
    >>> good = src.reshape(4, 2, 4, 2).mean(axis=(1, 3))
    >>> compare(BlockPair(src, (0, 0), good, (0, 0), (2, 2))).rule is None
    True
    >>> compare(BlockPair(src, (0, 0), good[::-1].copy(), (0, 0), (2, 2))).rule
    'zarr.data.level-not-derived'
    """
    if labels and pair.actual.dtype.kind in "biu":
        return _labels(pair, method)
    return _continuous(pair, method, nodata, nodata_aware)
