"""Every kernel against a direct numpy reference: one block at a time, written plainly."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ngff_geozarr.core.errors import PyramidError
from ngff_geozarr.core.pyramid.kernels import (
    KERNELS,
    METHODS,
    Method,
    _sorting_network,
    downsample,
    gaussian,
    mean,
    mode,
)

Reducer = Callable[[np.ndarray], Any]


def blocks(data: np.ndarray, factors: tuple[int, ...]) -> dict[tuple[int, ...], np.ndarray]:
    """Every block of the partition, partial edge blocks included, by output index."""
    out_shape = tuple(-(-n // f) for n, f in zip(data.shape, factors, strict=True))
    return {
        index: data[tuple(slice(i * f, (i + 1) * f) for i, f in zip(index, factors, strict=True))]
        for index in np.ndindex(*out_shape)
    }


def reference(data: np.ndarray, factors: tuple[int, ...], reduce: Reducer) -> np.ndarray:
    parts = blocks(data, factors)
    out_shape = tuple(-(-n // f) for n, f in zip(data.shape, factors, strict=True))
    out = np.empty(out_shape, dtype=data.dtype)
    for index, block in parts.items():
        out[index] = reduce(block)
    return out


def ref_mean(block: np.ndarray) -> Any:
    if block.dtype.kind == "f":
        valid = block[~np.isnan(block)]
        return np.nan if valid.size == 0 else np.mean(valid.astype(np.float64))
    # Exact rational mean with Python integers, rounded half to even.
    values = [int(v) for v in block.ravel()]
    total, count = sum(values), len(values)
    floor, rest = divmod(total, count)
    if 2 * rest > count or (2 * rest == count and floor % 2 == 1):
        floor += 1
    return floor


def ref_mode(block: np.ndarray) -> Any:
    values = [v for v in block.ravel().tolist() if v == v]  # drop NaN
    if not values:
        return np.nan
    counts = Counter(values)
    best = max(counts.values())
    return min(v for v, c in counts.items() if c == best)


def ref_min(block: np.ndarray) -> Any:
    return (
        np.nanmin(block) if block.dtype.kind == "f" and not np.isnan(block).all() else block.min()
    )


def ref_max(block: np.ndarray) -> Any:
    return (
        np.nanmax(block) if block.dtype.kind == "f" and not np.isnan(block).all() else block.max()
    )


def ref_nearest(block: np.ndarray) -> Any:
    return block[(0,) * block.ndim]


REFERENCES: dict[str, Reducer] = {
    "mean": ref_mean,
    "mode": ref_mode,
    "min": ref_min,
    "max": ref_max,
    "nearest": ref_nearest,
}

INT_DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64]


@st.composite
def arrays_and_factors(draw: st.DrawFn, dtypes: list[Any]) -> tuple[np.ndarray, tuple[int, ...]]:
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 9), min_size=ndim, max_size=ndim)))
    factors = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    if dtype.kind == "f":
        elements = st.floats(-1e6, 1e6, width=dtype.itemsize * 8) | st.just(np.nan)
    elif dtype.kind == "b":
        elements = st.booleans()
    else:
        info = np.iinfo(dtype)
        # Extremes and a few small values, so that blocks have both overflow and ties.
        elements = st.sampled_from([int(info.min), int(info.max), 0, 1, 2, 3]) | st.integers(
            int(info.min), int(info.max)
        )
    data = draw(hnp.arrays(dtype, shape, elements=elements))
    return data, factors


@pytest.mark.parametrize("method", ["mean", "mode", "min", "max", "nearest"])
@settings(max_examples=150, deadline=None)
@given(case=arrays_and_factors(INT_DTYPES))
def test_integer_kernels_match_the_reference(method: str, case: tuple[np.ndarray, Any]) -> None:
    data, factors = case
    got = downsample(data, factors, method)  # type: ignore[arg-type]
    want = reference(data, factors, REFERENCES[method])
    assert got.dtype == data.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("method", ["mean", "mode", "min", "max", "nearest"])
@settings(max_examples=150, deadline=None)
@given(case=arrays_and_factors([np.float32, np.float64]))
def test_float_kernels_match_the_reference_and_skip_nan(
    method: str, case: tuple[np.ndarray, Any]
) -> None:
    data, factors = case
    got = downsample(data, factors, method)  # type: ignore[arg-type]
    want = reference(data, factors, REFERENCES[method])
    assert got.dtype == data.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("method", ["mode", "min", "max", "nearest"])
@settings(max_examples=60, deadline=None)
@given(case=arrays_and_factors([np.bool_]))
def test_boolean_kernels_match_the_reference(method: str, case: tuple[np.ndarray, Any]) -> None:
    data, factors = case
    np.testing.assert_array_equal(
        downsample(data, factors, method),  # type: ignore[arg-type]
        reference(data, factors, REFERENCES[method]),
    )


@settings(max_examples=100, deadline=None)
@given(
    labels=hnp.arrays(
        np.uint32,
        hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=12),
        elements=st.sampled_from([0, 7, 8, 4_000_000_000]),
    ),
    factor=st.integers(2, 3),
)
def test_mode_never_yields_a_value_absent_from_its_block(labels: np.ndarray, factor: int) -> None:
    factors = (factor,) * labels.ndim
    out = mode(labels, factors)
    for index, block in blocks(labels, factors).items():
        assert out[index] in set(block.ravel().tolist())


def test_mode_on_a_label_image_keeps_labels_and_takes_the_majority() -> None:
    rng = np.random.default_rng(4)
    labels = (rng.integers(0, 5, size=(9, 31, 33)) * 1000 + 1).astype(np.uint16)
    labels[:4, :12, :12] = 42  # a region with a majority everywhere
    out = mode(labels, (2, 2, 2))
    assert set(np.unique(out)) <= set(np.unique(labels))
    assert (out[:2, :6, :6] == 42).all()
    np.testing.assert_array_equal(out, reference(labels, (2, 2, 2), ref_mode))


def test_mean_would_invent_label_values_mode_does_not() -> None:
    labels = np.array([[1, 3], [1, 3]], dtype=np.uint8)
    assert mean(labels, (2, 2))[0, 0] == 2  # a label present nowhere
    assert mode(labels, (2, 2))[0, 0] == 1


def test_integer_means_round_half_to_even_not_truncate() -> None:
    data = np.array([0, 1, 1, 2, 2, 3, -1, -2, -2, -3, 7, 8], dtype=np.int32)
    # block means 0.5, 1.5, 2.5, -1.5, -2.5, 7.5
    np.testing.assert_array_equal(mean(data, (2,)), [0, 2, 2, -2, -2, 8])
    np.testing.assert_array_equal(mean(np.array([1, 1, 2], dtype=np.uint8), (3,)), [1])
    np.testing.assert_array_equal(mean(np.array([1, 2, 2], dtype=np.uint8), (3,)), [2])


def test_integer_means_do_not_overflow() -> None:
    for dtype in INT_DTYPES:
        info = np.iinfo(dtype)
        # (max + max - 1) / 2 ends in .5 and max is odd: ties go to the even max - 1.
        data = np.array([info.max, info.max, info.min, info.min, info.max, info.max - 1], dtype)
        np.testing.assert_array_equal(
            mean(data, (2,)), [info.max, info.min, info.max - 1], err_msg=str(dtype)
        )


def test_partial_edge_blocks_use_only_their_own_samples() -> None:
    data = np.array([[1, 3, 100], [5, 7, 300]], dtype=np.uint16)
    np.testing.assert_array_equal(mean(data, (2, 2)), [[4, 200]])
    np.testing.assert_array_equal(downsample(data, (2, 2), "min"), [[1, 100]])
    np.testing.assert_array_equal(mode(np.array([9, 9, 4], dtype=np.int8), (2,)), [9, 4])


def test_all_nan_blocks_give_nan_and_others_ignore_nan() -> None:
    data = np.array([np.nan, np.nan, np.nan, 2.0, 4.0, np.nan], dtype=np.float32)
    for method, want in {
        "mean": [np.nan, 2.0, 4.0],
        "min": [np.nan, 2.0, 4.0],
        "max": [np.nan, 2.0, 4.0],
        "mode": [np.nan, 2.0, 4.0],
    }.items():
        got = downsample(data, (2,), method)  # type: ignore[arg-type]
        np.testing.assert_array_equal(got, want, err_msg=method)
    blurred = gaussian(data, (2,))
    assert np.isnan(blurred[0])
    assert 2.0 <= blurred[1] <= 4.0
    assert 2.0 <= blurred[2] <= 4.0


def test_gaussian_smooths_more_than_the_block_mean() -> None:
    # A one-sample-wide stripe pattern aliases to a flat image under the block mean of 2
    # but the Gaussian also mixes neighbouring blocks: a step edge gets a ramp.
    step = np.zeros((4, 16), dtype=np.float64)
    step[:, 8:] = 100.0
    box = mean(step, (1, 2))[0]
    blurred = gaussian(step, (1, 2))[0]
    assert list(box) == [0, 0, 0, 0, 100, 100, 100, 100]
    assert 0 < blurred[3] < 50 < blurred[4] < 100
    assert blurred[0] == pytest.approx(0, abs=1e-9)
    assert blurred[-1] == pytest.approx(100)


def test_gaussian_does_not_blur_axes_it_does_not_reduce() -> None:
    data = np.zeros((6, 8), dtype=np.uint16)
    data[3] = 1000
    out = gaussian(data, (1, 2))
    np.testing.assert_array_equal(out[3], 1000)
    np.testing.assert_array_equal(np.delete(out, 3, axis=0), 0)


@settings(max_examples=50, deadline=None)
@given(case=arrays_and_factors([np.uint8, np.int16, np.float32]))
def test_gaussian_keeps_shape_dtype_and_range(case: tuple[np.ndarray, Any]) -> None:
    data, factors = case
    out = gaussian(data, factors)
    assert out.shape == tuple(-(-n // f) for n, f in zip(data.shape, factors, strict=True))
    assert out.dtype == data.dtype
    finite = data[~np.isnan(data)] if data.dtype.kind == "f" else data
    if finite.size and out.size:
        valid = out[~np.isnan(out)] if out.dtype.kind == "f" else out
        tolerance = 1e-3 * (1 + abs(float(finite.max())) + abs(float(finite.min())))
        assert float(valid.min()) >= float(finite.min()) - tolerance
        assert float(valid.max()) <= float(finite.max()) + tolerance


@pytest.mark.parametrize("n", range(1, 33))
def test_sorting_network_sorts_every_zero_one_input(n: int) -> None:
    # The 0-1 principle: a comparator network sorting every 0/1 input sorts every input.
    pairs = _sorting_network(n)
    if n > 16:  # 2**n inputs is too many: sample them instead
        rng = np.random.default_rng(n)
        inputs = rng.integers(0, 2, size=(4096, n))
    else:
        inputs = np.array(list(itertools.product((0, 1), repeat=n)))
    columns = [inputs[:, i].copy() for i in range(n)]
    for i, j in pairs:
        low = np.minimum(columns[i], columns[j])
        columns[j] = np.maximum(columns[i], columns[j])
        columns[i] = low
    result = np.stack(columns, axis=1)
    np.testing.assert_array_equal(result, np.sort(inputs, axis=1))


def test_kernels_table_names_every_method() -> None:
    assert set(KERNELS) == set(METHODS)
    assert METHODS[0] == "mean"


@pytest.mark.parametrize("method", METHODS)
def test_every_kernel_keeps_the_signature_kernel_documents(method: Method) -> None:
    """What ``Kernel``'s docstring says for all kernels: ceil-shaped result of the input's
    dtype; boolean data refused by mean, gaussian and sum only; each docstring names it."""
    kernel = KERNELS[method]
    assert ":class:`Kernel`" in (kernel.__doc__ or "")
    for dtype in (np.uint8, np.int64, np.float32):
        out = kernel(np.arange(15, dtype=dtype).reshape(3, 5), (2, 2))
        assert (out.shape, out.dtype) == ((2, 3), np.dtype(dtype))
    flags = np.array([True, False, False, True, True])
    if method in ("mean", "gaussian", "sum"):
        with pytest.raises(PyramidError, match="use 'mode'"):
            kernel(flags, (2,))
    else:
        assert kernel(flags, (2,)).dtype == np.bool_


@pytest.mark.parametrize(
    ("data", "factors", "method", "message"),
    [
        (np.zeros((2, 2)), (2,), "mean", "2 positive integer factors"),
        (np.zeros((2, 2)), (2, 0), "mean", "2 positive integer factors"),
        (np.zeros(4, dtype=np.complex64), (2,), "mean", "boolean, integer or float"),
        (np.zeros(4, dtype=bool), (2,), "mean", "use 'mode'"),
        (np.zeros(4, dtype=bool), (2,), "gaussian", "use 'mode'"),
        (np.zeros(4), (2,), "median", "Expected a method among"),
    ],
)
def test_bad_arguments_are_refused_with_a_message(
    data: np.ndarray, factors: tuple[int, ...], method: str, message: str
) -> None:
    with pytest.raises(PyramidError, match=message):
        downsample(data, factors, method)  # type: ignore[arg-type]
