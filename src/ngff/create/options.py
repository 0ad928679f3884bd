"""What the writers accept: axes, units, chunk shapes, array specs, targets, methods.

Every writer of :mod:`ngff.create` checks its arguments here, before touching any store, and
answers bad input with a :class:`CreationError`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

import numpy as np

from ngff.versions import spec_version
from ngff_geozarr.core.errors import NgffGeozarrError, PyramidError, UnsafePathError
from ngff_geozarr.core.pyramid import METHODS, AxisKind, Level, Method, plan
from ngff_geozarr.core.pyramid.shards import TARGETS, LayoutTarget, choose_layout
from ngff_geozarr.core.store import StoreHandle, check_key
from ngff_geozarr.core.store.encoded import stored_layout

__all__ = [
    "ArraySpec",
    "AxesLike",
    "CreationError",
    "Target",
    "UnitsLike",
    "axis_kinds",
    "check_axis_counts",
    "check_labels",
    "check_relative_path",
    "check_source",
    "default_chunks",
    "layout_for_reader",
    "make_axes",
    "per_axis",
    "plan_levels",
    "resolve_method",
    "single_file_shards",
    "sizes_per_axis",
]

AxesLike: TypeAlias = str | Sequence[str | Mapping[str, Any]]
"""Axes as a string of one-letter names (``"tczyx"``), a list of names, or a list of axis
objects (``{"name": "x", "type": "space", "unit": "micrometer"}``)."""
UnitsLike: TypeAlias = str | Mapping[str, str] | Sequence[str | None] | None
"""Units: one unit for every space axis, a mapping from axis name to unit, or one unit (or
``None``) per axis."""
Target: TypeAlias = str | os.PathLike[str] | StoreHandle | MutableMapping[str, Any]
"""Where to write: a path or URL, an opened store, or a mapping (memory)."""

_AXIS_TYPES = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
_DEFAULT_AXES = {2: "yx", 3: "zyx", 4: "czyx", 5: "tczyx"}
_KINDS: dict[str | None, AxisKind] = {"space": "space", "time": "time", "channel": "channel"}


class CreationError(NgffGeozarrError, ValueError):
    """An image, label image or plate cannot be created as asked."""


def make_axes(axes: AxesLike | None, ndim: int, units: UnitsLike = None) -> list[dict[str, Any]]:
    """Return OME axis objects for an array of ``ndim`` dimensions.

    Parameters
    ----------
    axes
        The axes (see :data:`AxesLike`); ``yx``, ``zyx``, ``czyx`` or ``tczyx`` by the number
        of dimensions when omitted. Names ``t``, ``c``, ``z``, ``y``, ``x`` get the types
        time, channel and space; other names get no type.
    ndim
        The number of dimensions.
    units
        The units (see :data:`UnitsLike`); none when omitted.

    Returns
    -------
    list of dict
        One axis object per dimension.

    Raises
    ------
    CreationError
        When the number of axes or units does not match ``ndim``.

    Examples
    --------
    >>> make_axes("zyx", 3, units="micrometer")[0]
    {'name': 'z', 'type': 'space', 'unit': 'micrometer'}
    >>> make_axes(None, 4, {"c": None})[0]
    {'name': 'c', 'type': 'channel'}
    """
    if axes is None:
        if ndim not in _DEFAULT_AXES:
            raise CreationError(f"Expected 2 to 5 dimensions, or explicit axes. Got {ndim}.")
        axes = _DEFAULT_AXES[ndim]
    items: list[dict[str, Any]] = []
    for axis in axes:
        if isinstance(axis, str):
            item: dict[str, Any] = {"name": axis}
            if axis.lower() in _AXIS_TYPES:
                item["type"] = _AXIS_TYPES[axis.lower()]
        elif isinstance(axis, Mapping) and isinstance(axis.get("name"), str):
            item = dict(axis)
        else:
            raise CreationError(f"Expected an axis name or an axis object. Got {axis!r}.")
        items.append(item)
    if len(items) != ndim:
        names = [a["name"] for a in items]
        raise CreationError(f"Expected {ndim} axes for {ndim} dimensions. Got {names}.")
    _check_axes_order(items)
    if units is None:
        return items
    if isinstance(units, str):
        per_axis: list[str | None] = [
            units if a.get("type") == "space" else a.get("unit") for a in items
        ]
    elif isinstance(units, Mapping):
        unknown = set(units) - {a["name"] for a in items}
        if unknown:
            raise CreationError(f"Expected units for known axes. Got {sorted(unknown)}.")
        per_axis = [units.get(a["name"], a.get("unit")) for a in items]
    else:
        per_axis = list(units)
        if len(per_axis) != ndim:
            raise CreationError(f"Expected {ndim} units. Got {per_axis}.")
    for item, unit in zip(items, per_axis, strict=True):
        item.pop("unit", None)
        if unit:
            item["unit"] = unit
    return items


_ORDER_RANK = {"time": 0, "space": 2}  # channel, custom and untyped axes rank 1


def _check_axes_order(items: Sequence[Mapping[str, Any]]) -> None:
    """Refuse axes an image cannot have, before anything is written.

    OME-Zarr 0.4 §axes: "The length of "axes" must be between 2 and 5"; "the entries MUST be
    ordered by "type" where the "time" axis must come first (if present), followed by the
    "channel" or custom axis (if present) and the axes of type "space"".
    """
    names = "".join(str(a["name"]) for a in items)
    if len(items) < 2:
        raise CreationError(
            f"Expected 2 to 5 axes: an OME-Zarr image has at least two. Got {names!r}."
        )
    seen = [str(a["name"]) for a in items]
    repeated = sorted({n for n in seen if seen.count(n) > 1})
    if repeated:
        # OME-Zarr 0.4 §axes: "MUST contain the field "name" ... The values MUST be unique"
        raise CreationError(f"Expected unique axis names. Got {names!r}: {repeated} repeat.")
    ranks = [_ORDER_RANK.get(str(a.get("type")), 1) for a in items]
    if ranks != sorted(ranks):
        order = sorted(range(len(items)), key=lambda i: ranks[i])
        wanted = "".join(str(items[i]["name"]) for i in order)
        raise CreationError(
            f"Expected axes in OME-Zarr order (time, then channel or custom, then space). "
            f"Got {names!r}: transpose the data to {wanted!r} first, e.g. "
            f"numpy.transpose(data, {tuple(order)})."
        )


def check_axis_counts(items: Sequence[Mapping[str, Any]]) -> None:
    """Refuse axes an OME-Zarr 0.4 or 0.5 image cannot have: their number and kinds.

    OME-Zarr 0.4 §axes: "The length of "axes" must be between 2 and 5"; "It MUST contain 2
    or 3 entries of "type:space" and MAY contain one additional entry of "type:time" and MAY
    contain one additional entry of "type:channel" or a null / custom type."

    Parameters
    ----------
    items
        The axis objects.

    Raises
    ------
    CreationError
        When there are more than 5 axes, other than 2 or 3 space axes, or more than one
        time or channel/custom axis.
    """
    names = "".join(str(a["name"]) for a in items)
    if len(items) > 5:
        raise CreationError(f"Expected 2 to 5 axes for an OME-Zarr image. Got {names!r}.")
    kinds = [a.get("type") for a in items]
    space = sum(1 for k in kinds if k == "space")
    time = sum(1 for k in kinds if k == "time")
    other = len(kinds) - space - time
    if space not in (2, 3):
        raise CreationError(f"Expected 2 or 3 space axes. Got {space} in {names!r}.")
    if time > 1 or other > 1:
        raise CreationError(
            f"Expected at most one time axis and one channel or custom axis. Got {names!r}."
        )


def axis_kinds(axes: Sequence[Mapping[str, Any]]) -> tuple[AxisKind, ...]:
    """Return the pyramid engine's kind of each axis (space, time, channel or other).

    Parameters
    ----------
    axes
        The axis objects.

    Returns
    -------
    tuple of str
        One kind per axis.
    """
    return tuple(_KINDS.get(a.get("type"), "other") for a in axes)


def layout_for_reader(
    options: dict[str, Any], reader: str | None, data: Any, axes: AxesLike | None, version: str
) -> dict[str, Any]:
    """Fill ``chunks`` and ``shards`` with the layout a reader wants (``layout_for``).

    Parameters
    ----------
    options
        The per-image options, in OME order.
    reader
        ``"viewer"``, ``"archive"``, ``"gdal"`` (see
        :mod:`~ngff_geozarr.core.pyramid.shards`); ``"source"``: the chunks, shards and
        compressors of a Zarr source (``compressors`` is added to the options, ``None`` when
        they are not repeated), so that its chunks are copied as stored (see
        :mod:`~ngff_geozarr.core.store.encoded`); or ``None`` to leave the options alone.
    data
        The base level, in OME order.
    axes
        Its axes, or ``None`` for the default of its number of dimensions.
    version
        The OME-Zarr version: 0.4 (Zarr v2) takes the chunks only.

    Returns
    -------
    dict
        The options with the reader's chunks and shards.

    Raises
    ------
    CreationError
        When the reader is unknown, chunks or shards are given as well, or ``"source"`` is
        asked of data that is not a Zarr array.
    """
    if reader is None:
        return options
    if options.get("chunks") is not None or options.get("shards") is not None:
        raise CreationError(
            f"Expected either a layout for {reader!r} or chunks and shards. Got both."
        )
    zarr_v2 = spec_version(version) == "0.4"
    if reader == "source":
        return {**options, **_source_layout(data, 2 if zarr_v2 else 3)}
    if reader not in TARGETS:
        choices = ", ".join([*TARGETS, "source"])
        raise CreationError(f"Expected a layout among {choices}. Got {reader!r}.")
    kinds = axis_kinds(make_axes(axes, len(data.shape)))
    try:
        chunks, shards = choose_layout(data.shape, data.dtype, kinds, cast(LayoutTarget, reader))
    except PyramidError as exc:
        raise CreationError(str(exc)) from None
    return {**options, "chunks": chunks, "shards": None if zarr_v2 else shards}


def _source_layout(data: Any, zarr_format: int) -> dict[str, Any]:
    """Return what of a Zarr source's layout an output repeats.

    The chunks always; the shards in format 3 only; the compressors in the same format only.
    """
    layout = stored_layout(data)
    if layout is None:
        raise CreationError(
            "Expected a Zarr array as input for the source's layout (layout_for='source'). "
            f"Got {type(data).__name__}."
        )
    same = layout.zarr_format == zarr_format
    return {
        "chunks": layout.chunks,
        "shards": layout.shards if zarr_format == 3 else None,
        "compressors": layout.compressors if same else None,
    }


def default_chunks(shape: Sequence[int], axes: Sequence[Mapping[str, Any]]) -> tuple[int, ...]:
    """Return the default chunk shape: 256 along y and x, 64 along z, 1 along other axes.

    Parameters
    ----------
    shape
        The array's shape.
    axes
        Its axis objects (see :func:`make_axes`).

    Returns
    -------
    tuple of int
        The chunk shape, clipped to ``shape``.

    Examples
    --------
    >>> default_chunks((3, 100, 1000, 1000), make_axes("czyx", 4))
    (1, 64, 256, 256)
    """
    spatial = [i for i, a in enumerate(axes) if a.get("type") == "space"]
    chunks = [1] * len(shape)
    for rank, i in enumerate(reversed(spatial)):
        chunks[i] = 256 if rank < 2 else 64
    return tuple(max(1, min(c, n)) for c, n in zip(chunks, shape, strict=True))


_SHARD_CHUNKS = 4
"""Chunks per shard along y and x in an ``.ozx`` file's default shards."""


def single_file_shards(
    shape: Sequence[int], chunks: Sequence[int], axes: Sequence[dict[str, Any]]
) -> tuple[int, ...]:
    """Return the default shard shape of an ``.ozx`` image: 4 x 4 chunks in y and x.

    RFC-9 recommends the sharding codec in a single file ("to reduce the number of entries
    within the ZIP archive"); a shard of 4 x 4 chunks (1024 x 1024 samples with the default
    chunks) divides the entries by 16 and stays small enough for viewers' range reads.
    Along other axes a shard is one chunk; no shard is larger than the array needs.

    Parameters
    ----------
    shape, chunks
        The base level's shape and chunk shape.
    axes
        Its axis objects.

    Returns
    -------
    tuple of int
        The shard shape, a multiple of ``chunks``.
    """
    spatial = [i for i, a in enumerate(axes) if a.get("type") == "space"][-2:]
    shards = []
    for i, (n, c) in enumerate(zip(shape, chunks, strict=True)):
        c = max(1, min(int(c), int(n)))
        factor = min(_SHARD_CHUNKS, -(-int(n) // c)) if i in spatial else 1
        shards.append(c * factor)
    return tuple(shards)


@dataclass(frozen=True)
class ArraySpec:
    """The shape, data type and storage layout of one level's array (no data).

    Parameters
    ----------
    shape
        The array's shape.
    dtype
        Its data type.
    chunks
        Its chunk shape; the whole shape (one chunk) when omitted.
    shards
        Its shard shape (Zarr v3 only), or ``None``.
    """

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    chunks: tuple[int, ...] | None = None
    shards: tuple[int, ...] | None = None

    @classmethod
    def of(cls, array: Any) -> ArraySpec:
        """Describe an array-like (numpy, dask, zarr, :class:`ArraySpec` itself).

        Parameters
        ----------
        array
            Anything with ``shape`` and ``dtype``; ``chunks`` and ``shards`` are taken when
            they are tuples of integers.

        Returns
        -------
        ArraySpec
            Its description.
        """
        if isinstance(array, ArraySpec):
            return array

        def ints(value: Any) -> tuple[int, ...] | None:
            if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
                return value
            return None

        return cls(
            shape=tuple(int(n) for n in array.shape),
            dtype=np.dtype(array.dtype),
            chunks=ints(getattr(array, "chunks", None)),
            shards=ints(getattr(array, "shards", None)),
        )


def check_relative_path(path: str) -> None:
    """Refuse a dataset or label path that is empty or leaves its group.

    Parameters
    ----------
    path
        The path, relative to its group.

    Raises
    ------
    CreationError
        When the path is empty, absolute or climbs with ``..``.
    """
    try:
        check_key(path)
    except UnsafePathError as exc:
        raise CreationError(f"Expected a path inside the group. Got {path!r}.") from exc
    if path == "":
        raise CreationError("Expected a non-empty dataset path. Got ''.")


def resolve_method(method: str) -> Method:
    """Return the downsampling method named ``method``.

    Parameters
    ----------
    method
        One of :data:`ngff_geozarr.core.pyramid.METHODS`.

    Returns
    -------
    str
        The method.

    Raises
    ------
    CreationError
        When the method is unknown.
    """
    for known in METHODS:
        if method == known:
            return known
    raise CreationError(f"Expected a method among {', '.join(METHODS)}. Got {method!r}.")


def per_axis(name: str, values: Sequence[Any] | None, ndim: int, default: Any) -> list[Any]:
    """Return one value per axis: ``values``, or ``default`` on every axis when omitted.

    Parameters
    ----------
    name
        What the values are (for the error message).
    values
        The values, or ``None``.
    ndim
        The number of axes.
    default
        The value of every axis when ``values`` is omitted.

    Returns
    -------
    list
        ``ndim`` values.

    Raises
    ------
    CreationError
        When ``values`` does not hold ``ndim`` values.
    """
    if values is None:
        return [default] * ndim
    items = list(values)
    if len(items) != ndim:
        raise CreationError(f"Expected {name} with {ndim} values. Got {items}.")
    return items


def sizes_per_axis(name: str, values: Sequence[Any], ndim: int) -> tuple[int, ...]:
    """Return a chunk or shard shape: one positive integer per axis.

    Parameters
    ----------
    name
        What the values are (``"chunks"``, ``"shards"``), for the error message.
    values
        The values.
    ndim
        The number of axes.

    Returns
    -------
    tuple of int
        ``ndim`` integers of 1 or more.

    Raises
    ------
    CreationError
        When there are not ``ndim`` values, or one is no integer of 1 or more (a chunk
        side of 0 is refused, not read as 1).
    """
    items = per_axis(name, values, ndim, 1)
    if not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 1 for v in items
    ):
        raise CreationError(f"Expected {name} as {ndim} integers of 1 or more. Got {items}.")
    return tuple(int(v) for v in items)


def check_source(data: Any) -> Any:
    """Return ``data`` as an array-like of a boolean, integer or float dtype.

    Parameters
    ----------
    data
        Anything with ``shape`` and ``dtype``, or anything :func:`numpy.asarray` takes.

    Returns
    -------
    array-like
        ``data`` itself, or its numpy array.

    Raises
    ------
    CreationError
        When the dtype is not boolean, integer or float, or the array holds no element.
    """
    if not hasattr(data, "shape") or not hasattr(data, "dtype"):
        data = np.asarray(data)
    dtype = np.dtype(data.dtype)
    if dtype.kind not in "biuf":
        raise CreationError(f"Expected boolean, integer or float data. Got {dtype}.")
    if 0 in tuple(data.shape):
        raise CreationError(
            f"Expected data with at least one element. Got the shape {list(data.shape)}."
        )
    return data


def check_labels(labels: Any, image_shape: Sequence[int] | None = None) -> None:
    """Refuse labels that are not integers or, given the image's shape, do not fit it.

    Labels fit an image when they have its shape, or 1 along the axes they do not vary (a
    channel axis, typically).

    Parameters
    ----------
    labels
        The labels at the image's base resolution (anything with ``shape`` and ``dtype``).
    image_shape
        The shape of the image's base level; the dtype alone is checked when omitted.

    Raises
    ------
    CreationError
        When the labels are not of an integer dtype, or do not fit ``image_shape``.

    Examples
    --------
    >>> check_labels(np.zeros((1, 8, 8), np.uint8), (3, 8, 8))
    >>> check_labels(np.zeros((8, 8), np.float32))
    Traceback (most recent call last):
    ...
    ngff.create.options.CreationError: Expected integer labels. Got float32.
    """
    if np.dtype(labels.dtype).kind not in "iu":
        raise CreationError(f"Expected integer labels. Got {np.dtype(labels.dtype)}.")
    if image_shape is None:
        return
    shape = [int(n) for n in labels.shape]
    expected = [int(n) for n in image_shape]
    if len(shape) != len(expected) or any(
        n not in (m, 1) for n, m in zip(shape, expected, strict=True)
    ):
        raise CreationError(
            f"Expected labels of the image's shape {expected} (or 1 along axes they do not "
            f"vary). Got {shape}."
        )


def plan_levels(
    shape: tuple[int, ...],
    chunks: tuple[int, ...],
    scale: Sequence[float],
    kinds: Sequence[AxisKind] | None,
    shards: tuple[int, ...] | None,
    levels: int | Sequence[Sequence[int]] | None,
) -> tuple[Level, ...]:
    """Plan the levels of a pyramid: by count (automatic when ``None``) or explicit factors.

    Parameters
    ----------
    shape, chunks, scale
        The base level's shape, chunk shape and scale.
    kinds
        The kind of each axis, or ``None`` (no axis is special).
    shards
        The base's shard shape, or ``None``.
    levels
        The number of levels (base included), per-level factors, or ``None``.

    Returns
    -------
    tuple of Level
        The planned levels, base first.
    """
    if levels is None or isinstance(levels, int):
        return plan(shape, chunks, scale, kinds, shards=shards, levels=levels)
    return plan(shape, chunks, scale, kinds, shards=shards, factors=[tuple(f) for f in levels])
