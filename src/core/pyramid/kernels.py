"""Downsampling kernels: reduce each block of ``factors`` samples to one sample.

Every kernel maps an array of shape ``(n_0, ..., n_k)`` and integer factors ``(f_0, ..., f_k)``
to an array of shape ``(ceil(n_0 / f_0), ..., ceil(n_k / f_k))`` of the same dtype. Output
sample ``i`` summarises the input block ``[i * f, (i + 1) * f)`` on every axis.

Partial edge blocks
    When ``n`` is not a multiple of ``f``, the last block along that axis is shorter; it is
    reduced over the samples it has (its mean is the mean of those samples, its mode their
    most frequent value, ...). No padding value ever enters a result.

Missing values (NaN)
    For floating-point data, ``mean``, ``gaussian``, ``min``, ``max`` and ``sum`` ignore
    NaN; a block holding only NaN yields NaN. ``mode`` never picks NaN over a real value;
    ``nearest`` copies whatever sample it picks.

Integer results
    Integer means (and Gaussian-weighted means) are rounded to the nearest integer, ties to
    even (as :func:`numpy.rint`): unbiased, and never truncated. The arithmetic is exact for
    every integer width (sums are taken in a wide enough integer type).

The kernels:

``mean``
    Block average; the default for intensities.
``gaussian``
    Anti-aliased: a Gaussian blur (sigma = f / 3 samples per axis, truncated at 4 sigma, no
    blur along axes with factor 1; NaN-aware by normalised convolution), then the block
    average. The blur mirrors the samples at the edges of the array it is given, so a
    writer that reduces tile by tile (the engine does) gets slightly different values within
    a few samples of tile seams than one blur of the whole array would give.
``nearest``
    The first sample of each block (no new values, no averaging).
``mode``
    The most frequent value of each block, the smallest one on ties; for labels. It never
    yields a value absent from its block.
``min``, ``max``
    Block minimum and maximum.
``sum``
    Block total (NaN ignored; a block of NaN only is NaN); integer totals saturate at the
    dtype's limits, since a kernel keeps its input's dtype.

Every kernel has the signature :class:`Kernel` documents (its parameters, result and
errors), so each kernel's own docstring says only what it does and which data it takes.

Examples
--------
>>> import numpy as np
>>> downsample(np.array([1, 2, 3, 4, 10], dtype=np.uint8), (2,), "mean")
array([ 2,  4, 10], dtype=uint8)
>>> downsample(np.array([[1, 1], [2, 7]]), (2, 2), "mode")
array([[1]])
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from ngff_geozarr.core.errors import PyramidError

__all__ = [
    "KERNELS",
    "METHODS",
    "Kernel",
    "Method",
    "downsample",
    "gaussian",
    "maximum",
    "mean",
    "minimum",
    "mode",
    "nearest",
    "total",
]

Method = Literal["mean", "gaussian", "nearest", "mode", "min", "max", "sum"]
"""The name of a downsampling kernel."""
METHODS: tuple[Method, ...] = ("mean", "gaussian", "nearest", "mode", "min", "max", "sum")
"""Every kernel's name, the default first."""

_Array = npt.NDArray[Any]
_Exact = Callable[[_Array, tuple[int, ...]], _Array]
_NETWORK_LIMIT = 32  # blocks up to this many samples are sorted by a sorting network


class Kernel(Protocol):
    """The signature every kernel shares: ``kernel(data, factors)``.

    Parameters
    ----------
    data
        The samples: boolean, integer or float, as the kernel takes them (``mean``,
        ``gaussian`` and ``sum`` do not take boolean data: use ``mode``).
    factors
        The block shape: one positive integer per axis.

    Returns
    -------
    numpy.ndarray
        One sample per block, of ``data``'s dtype (shape ``ceil(n / f)`` per axis).

    Raises
    ------
    PyramidError
        For wrong factors, or a dtype the kernel does not take.
    """

    def __call__(self, data: _Array, factors: Sequence[int], /) -> _Array:
        """Reduce each block of ``data`` to one sample."""
        ...


def _check(data: _Array, factors: Sequence[int]) -> tuple[int, ...]:
    steps = tuple(factors)
    if len(steps) != data.ndim or not all(
        isinstance(f, int | np.integer) and f >= 1 for f in steps
    ):
        raise PyramidError(
            f"Expected {data.ndim} positive integer factors. Got {[int(f) for f in steps]}."
        )
    if data.dtype.kind not in "biuf":
        raise PyramidError(f"Expected boolean, integer or float data. Got {data.dtype}.")
    return tuple(int(f) for f in steps)


def _blockwise(data: _Array, factors: tuple[int, ...], exact: _Exact) -> _Array:
    """Apply ``exact`` (which needs every extent divisible) to full and partial blocks."""
    if all(n % f == 0 for n, f in zip(data.shape, factors, strict=True)):
        return exact(data, factors)
    out_shape = tuple(-(-n // f) for n, f in zip(data.shape, factors, strict=True))
    parts = []
    for n, f in zip(data.shape, factors, strict=True):
        full = n - n % f
        axis_parts = [(slice(0, full), f, slice(0, full // f))] if full else []
        if n % f:
            axis_parts.append((slice(full, n), n % f, slice(full // f, full // f + 1)))
        parts.append(axis_parts)
    out: _Array | None = None
    for combo in itertools.product(*parts):
        source = tuple(c[0] for c in combo)
        steps = tuple(c[1] for c in combo)
        target = tuple(c[2] for c in combo)
        piece = exact(data[source], steps)
        if out is None:
            out = np.empty(out_shape, dtype=piece.dtype)
        out[target] = piece
    assert out is not None
    return out


def _strided(ndim: int, axis: int, start: int, step: int) -> tuple[slice, ...]:
    return (slice(None),) * axis + (slice(start, None, step),)


def _fold(
    data: _Array,
    factors: tuple[int, ...],
    combine: Callable[[_Array, _Array], _Array],
    dtype: np.dtype[Any] | None = None,
) -> _Array:
    """Reduce each block with a binary ufunc, one axis at a time (extents divisible)."""
    result = data if dtype is None else data.astype(dtype, copy=False)
    for axis, f in enumerate(factors):
        if f == 1:
            continue
        acc = combine(
            result[_strided(data.ndim, axis, 0, f)], result[_strided(data.ndim, axis, 1, f)]
        )
        for i in range(2, f):
            acc = combine(acc, result[_strided(data.ndim, axis, i, f)])
        result = acc
    return np.array(result, copy=True) if result is data else result


def _wide_integer(dtype: np.dtype[Any], count: int) -> np.dtype[Any]:
    """Return an integer type holding the sum of ``count`` values of ``dtype``, plus ``count``."""
    info = np.iinfo(dtype)
    for candidate in (np.int32, np.int64) if dtype.kind == "i" else (np.uint32, np.uint64):
        wide = np.iinfo(candidate)
        if info.max * count + count <= wide.max and info.min * count >= wide.min:
            return np.dtype(candidate)
    return np.dtype(np.int64 if dtype.kind == "i" else np.uint64)


def _round_quotient(floor: _Array, remainder: _Array, count: int) -> _Array:
    """Round ``floor + remainder / count`` (``0 <= remainder < count``) half to even."""
    twice = 2 * remainder
    up = (twice > count) | ((twice == count) & (floor % 2 == 1))
    rounded: _Array = floor + up.astype(floor.dtype)
    return rounded


def _divide_half_even(total: _Array, count: int) -> _Array:
    """Return ``total / count`` rounded half to even, consuming ``total`` (modified in place).

    One division instead of a quotient, a remainder and a comparison: with ``q`` the floor
    of the quotient, ``(total + count // 2 - 1 + (q & 1)) // count`` rounds ties to the even
    neighbour when ``count`` is even, and ``(total + count // 2) // count`` rounds to nearest
    when it is odd (no ties then). Powers of two divide by shifting (floor division for
    signed values too). ``total``'s type must hold ``total + count``.
    """
    shift = count.bit_length() - 1 if count & (count - 1) == 0 else None
    if count % 2:
        total += count // 2
        return total // count
    parity = total >> shift if shift is not None else total // count
    parity &= 1
    total += count // 2 - 1
    total += parity
    if shift is not None:
        total >>= shift
        return total
    return total // count


def _integer_mean(data: _Array, factors: tuple[int, ...]) -> _Array:
    count = int(np.prod(factors))
    if count == 1:
        return data.copy()
    if data.dtype.itemsize < 8:
        wide = _wide_integer(data.dtype, count)
        if wide.itemsize > data.dtype.itemsize:
            total = _fold(data, factors, lambda a, b: np.add(a, b, dtype=wide))
            return _divide_half_even(total, count).astype(data.dtype)
    if data.dtype.kind == "i":
        # Shift int64 onto uint64 (adds 2**63, an even number: rounding is unchanged).
        sign = np.uint64(1 << 63)
        shifted = data.view(np.uint64) ^ sign
        return (_integer_mean(shifted, factors) ^ sign).view(data.dtype)
    # uint64: sum quotients and remainders separately, so nothing overflows.
    quotients = _fold(data // count, factors, np.add)
    remainders = _fold(data % count, factors, np.add)
    floor = quotients + remainders // count
    return _round_quotient(floor, remainders % count, count).astype(data.dtype)


def _float_mean(data: _Array, factors: tuple[int, ...]) -> _Array:
    wide = np.promote_types(data.dtype, np.float64)
    missing = np.isnan(data)
    if not missing.any():
        total = _fold(data, factors, lambda a, b: np.add(a, b, dtype=wide))
        return np.divide(total, np.prod(factors), dtype=wide).astype(data.dtype)
    total = _fold(np.where(missing, 0, data), factors, lambda a, b: np.add(a, b, dtype=wide))
    valid = _fold(~missing, factors, lambda a, b: np.add(a, b, dtype=np.int64))
    with np.errstate(invalid="ignore", divide="ignore"):
        result = np.where(valid > 0, total / np.maximum(valid, 1), np.nan)
    return result.astype(data.dtype)


def _exact_mean(data: _Array, factors: tuple[int, ...]) -> _Array:
    if data.dtype.kind == "f":
        return _float_mean(data, factors)
    if data.dtype.kind == "b":
        raise PyramidError("Expected integer or float data for 'mean'. Got bool: use 'mode'.")
    return _integer_mean(data, factors)


def mean(data: _Array, factors: Sequence[int]) -> _Array:
    """Average each block (NaN ignored; integers rounded half to even).

    A :class:`Kernel` for integer or float data.

    Examples
    --------
    >>> import numpy as np
    >>> mean(np.array([1, 2, 2, 3, 3, 4], dtype=np.int16), (2,))
    array([2, 2, 4], dtype=int16)
    >>> mean(np.array([np.nan, 1.0, np.nan, np.nan]), (2,))
    array([ 1., nan])
    """
    return _blockwise(data, _check(data, factors), _exact_mean)


def _exact_gaussian(data: _Array, factors: tuple[int, ...]) -> _Array:
    from scipy.ndimage import gaussian_filter  # type: ignore[import-untyped]

    sigma = tuple(f / 3 if f > 1 else 0.0 for f in factors)
    values = data.astype(np.float64)
    missing = np.isnan(values) if data.dtype.kind == "f" else None
    if missing is not None and missing.any():
        blurred = gaussian_filter(np.where(missing, 0.0, values), sigma, mode="reflect")
        weight = gaussian_filter((~missing).astype(np.float64), sigma, mode="reflect")
        with np.errstate(invalid="ignore", divide="ignore"):
            # Normalised convolution; missing samples stay missing, so a block of NaN only
            # is still NaN after the block average.
            values = np.where(missing | (weight <= 0), np.nan, blurred / weight)
    else:
        values = gaussian_filter(values, sigma, mode="reflect")
    averaged = _blockwise(values, factors, _float_mean)
    if data.dtype.kind == "f":
        return averaged.astype(data.dtype)
    info = np.iinfo(data.dtype)
    return np.clip(np.rint(averaged), info.min, info.max).astype(data.dtype)


def gaussian(data: _Array, factors: Sequence[int]) -> _Array:
    """Blur with a Gaussian (sigma = f / 3 per axis), then average each block: anti-aliased.

    A :class:`Kernel` for integer or float data.

    Examples
    --------
    >>> import numpy as np
    >>> gaussian(np.full((4, 4), 7, dtype=np.uint8), (2, 2))
    array([[7, 7],
           [7, 7]], dtype=uint8)
    """
    steps = _check(data, factors)
    if data.dtype.kind == "b":
        raise PyramidError("Expected integer or float data for 'gaussian'. Got bool: use 'mode'.")
    return _exact_gaussian(data, steps)


def nearest(data: _Array, factors: Sequence[int]) -> _Array:
    """Take the first sample of each block.

    A :class:`Kernel` for boolean, integer or float data.

    Examples
    --------
    >>> import numpy as np
    >>> nearest(np.arange(5), (2,))
    array([0, 2, 4])
    """
    steps = _check(data, factors)
    return np.array(data[tuple(slice(None, None, f) for f in steps)], copy=True)


def _exact_min(data: _Array, factors: tuple[int, ...]) -> _Array:
    return _fold(data, factors, np.fmin if data.dtype.kind == "f" else np.minimum)


def _exact_max(data: _Array, factors: tuple[int, ...]) -> _Array:
    return _fold(data, factors, np.fmax if data.dtype.kind == "f" else np.maximum)


def minimum(data: _Array, factors: Sequence[int]) -> _Array:
    """Take the minimum of each block (NaN ignored).

    A :class:`Kernel` for boolean, integer or float data.

    Examples
    --------
    >>> import numpy as np
    >>> minimum(np.array([3.0, np.nan, 5.0]), (2,))
    array([3., 5.])
    """
    return _blockwise(data, _check(data, factors), _exact_min)


def maximum(data: _Array, factors: Sequence[int]) -> _Array:
    """Take the maximum of each block (NaN ignored).

    A :class:`Kernel` for boolean, integer or float data.

    Examples
    --------
    >>> import numpy as np
    >>> maximum(np.array([3, 9, 5], dtype=np.uint8), (2,))
    array([9, 5], dtype=uint8)
    """
    return _blockwise(data, _check(data, factors), _exact_max)


def _exact_sum(data: _Array, factors: tuple[int, ...]) -> _Array:
    if data.dtype.kind == "f":
        wide = np.promote_types(data.dtype, np.float64)
        missing = np.isnan(data)
        summed = _fold(np.where(missing, 0, data), factors, lambda a, b: np.add(a, b, dtype=wide))
        if missing.any():
            valid = _fold(~missing, factors, lambda a, b: np.add(a, b, dtype=np.int64))
            summed = np.where(valid > 0, summed, np.nan)
        return summed.astype(data.dtype)
    if data.dtype.kind == "b":
        raise PyramidError("Expected integer or float data for 'sum'. Got bool: use 'mode'.")
    count = int(np.prod(factors))
    info = np.iinfo(data.dtype)
    if data.dtype.itemsize < 8:
        wide = _wide_integer(data.dtype, count)
        summed = _fold(data, factors, lambda a, b: np.add(a, b, dtype=wide))
        return np.clip(summed, info.min, info.max).astype(data.dtype)
    # 64-bit: the wrapping sum is exact wherever the true total fits; a float64 total tells
    # where it does not, and those blocks saturate.
    with np.errstate(over="ignore"):
        exact = _fold(data, factors, np.add)
    approx = _fold(data, factors, lambda a, b: np.add(a, b, dtype=np.float64))
    exact[approx >= float(info.max)] = info.max
    exact[approx <= float(info.min)] = info.min
    return exact


def total(data: _Array, factors: Sequence[int]) -> _Array:
    """Add up each block (NaN ignored; integers saturate at the dtype's limits).

    A :class:`Kernel` for integer or float data; a block of NaN only yields NaN.

    Examples
    --------
    >>> import numpy as np
    >>> total(np.array([1.0, np.nan, np.nan, np.nan, 4.0]), (2,))
    array([ 1., nan,  4.])
    >>> total(np.array([200, 100, 7], dtype=np.uint8), (2,))
    array([255,   7], dtype=uint8)
    """
    return _blockwise(data, _check(data, factors), _exact_sum)


def _sorting_network(n: int) -> list[tuple[int, int]]:
    """Batcher's odd-even merge sort: compare-exchange pairs that sort ``n`` items."""
    pairs: list[tuple[int, int]] = []
    p = 1
    while p < n:
        k = p
        while k >= 1:
            for j in range(k % p, n - k, 2 * k):
                for i in range(min(k, n - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    return pairs


def _mode_of_columns(members: list[_Array]) -> _Array:
    """Most frequent value across the arrays of ``members`` (same shape), smallest on ties."""
    count = len(members)
    has_nan = members[0].dtype.kind == "f" and any(bool(np.isnan(m).any()) for m in members)
    if count <= _NETWORK_LIMIT and not has_nan:
        column = [np.array(m, copy=True) for m in members]
        for i, j in _sorting_network(count):
            low = np.minimum(column[i], column[j])
            np.maximum(column[i], column[j], out=column[j])
            column[i] = low
    else:  # np.sort puts NaN last, where it loses every tie
        stacked = np.sort(np.stack(members, axis=-1), axis=-1)
        column = [stacked[..., i] for i in range(count)]
    best = column[0].copy()
    best_run = np.ones(best.shape, dtype=np.int32)
    run = best_run.copy()
    for previous, current in itertools.pairwise(column):
        same = current == previous
        run = np.where(same, run + 1, 1).astype(np.int32)
        better = run > best_run
        np.copyto(best, current, where=better)
        np.maximum(best_run, run, out=best_run)
    return best


def _exact_mode(data: _Array, factors: tuple[int, ...]) -> _Array:
    count = int(np.prod(factors))
    if count == 1:
        return data.copy()
    members = [
        data[tuple(slice(o, None, f) for o, f in zip(offsets, factors, strict=True))]
        for offsets in itertools.product(*(range(f) for f in factors))
    ]
    # Label images are mostly uniform blocks: settle those at once, sort only the others.
    result = np.array(members[0], copy=True)
    mixed = np.zeros(result.shape, dtype=bool)
    for member in members[1:]:
        mixed |= member != result
    if mixed.any():
        result[mixed] = _mode_of_columns([m[mixed] for m in members])
    return result


def mode(data: _Array, factors: Sequence[int]) -> _Array:
    """Take the most frequent value of each block (the smallest one on ties).

    The result is always one of the block's own values, which is what label images need.
    NaN loses to any number; a block of NaN only yields NaN.

    A :class:`Kernel` for boolean, integer or float data (typically integer labels).

    Examples
    --------
    >>> import numpy as np
    >>> mode(np.array([5, 2, 2, 9, 9, 5], dtype=np.uint32), (3,))
    array([2, 9], dtype=uint32)
    """
    return _blockwise(data, _check(data, factors), _exact_mode)


KERNELS: dict[Method, Kernel] = {
    "mean": mean,
    "gaussian": gaussian,
    "nearest": nearest,
    "mode": mode,
    "min": minimum,
    "max": maximum,
    "sum": total,
}
"""Every kernel by name."""


def downsample(data: _Array, factors: Sequence[int], method: Method = "mean") -> _Array:
    """Reduce ``data`` by integer ``factors`` with the named kernel.

    Parameters
    ----------
    data
        The samples.
    factors
        The block shape: one positive integer per axis.
    method
        The kernel's name (see :data:`METHODS`).

    Returns
    -------
    numpy.ndarray
        One sample per block, of ``data``'s dtype.

    Raises
    ------
    PyramidError
        For an unknown method, wrong factors or a dtype the kernel does not take.

    Examples
    --------
    >>> import numpy as np
    >>> downsample(np.arange(16, dtype=np.uint16).reshape(4, 4), (2, 2), "max")
    array([[ 5,  7],
           [13, 15]], dtype=uint16)
    """
    kernel = KERNELS.get(method)
    if kernel is None:
        raise PyramidError(f"Expected a method among {', '.join(METHODS)}. Got {method!r}.")
    return kernel(np.asarray(data), factors)
