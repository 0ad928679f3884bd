"""Put what :func:`~ngff.create.write.write_image` is given into OME axis order, lazily.

OME-Zarr 0.4 §axes: the entries "MUST be ordered by "type" where the "time" axis must come
first (if present), followed by the "channel" or custom axis (if present) and the axes of
type "space"". The command line puts a file's axes in that order (``tczyx``); the API does
the same with any axes a caller names (:func:`arrange`):

- the data is transposed, never copied: a numpy array by a view, a dask array by its own
  lazy ``transpose``, anything else (a zarr array, an array of a store) by
  :class:`TransposedArray`, which reads the matching region of the source and transposes it;
- axes are ordered by type (time, then channel or custom, then space), and the space axes
  named ``z``, ``y``, ``x`` as ``zyx`` (others keep their order);
- per-axis values a caller gives in the order of its axes (scale, translation, units,
  chunks, shards, per-level factors) are reordered with them (:func:`permute`).

A file path (``str`` or :class:`os.PathLike`) or an opened
:class:`~ngff_geozarr.core.inputs.Source` is read through the shared input layer
(:func:`as_source`), with the axes, calibration and channel metadata the file records.

Examples
--------
>>> import numpy as np
>>> arranged = arrange(np.zeros((4, 5, 3)), "yxc", rgb=False)
>>> arranged.data.shape, arranged.axes, arranged.order
((3, 4, 5), ['c', 'y', 'x'], (2, 0, 1))
>>> permute([0.5, 0.25, 1.0], arranged.order)
[1.0, 0.5, 0.25]
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

import ngff_geozarr.core.inputs as inputs
from ngff.create.options import AxesLike, CreationError, check_source
from ngff.create.sources import source_in_ome_order

__all__ = ["Arranged", "TransposedArray", "arrange", "as_source", "from_input", "permute"]

_T = TypeVar("_T")
_TYPES = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
_RANK = {"time": 0, "space": 2}  # channel, custom and untyped axes rank 1
_RGB_AXES = {3: "yxc", 4: "zyxc", 5: "tzyxc"}
_LETTERS = {"S": "c"}


class TransposedArray:
    """A lazy transposed view of an array-like: regions read from the source, transposed.

    Parameters
    ----------
    source
        Anything with ``shape``, ``dtype`` and region reads (``__getitem__`` with a tuple of
        slices, or ``read(region)`` as the store's arrays have).
    order
        Axis ``i`` of the view is axis ``order[i]`` of the source.
    """

    def __init__(self, source: Any, order: Sequence[int]) -> None:
        self.source = source
        self.order = tuple(int(i) for i in order)
        self.shape = tuple(int(source.shape[i]) for i in self.order)
        self.dtype = np.dtype(source.dtype)
        self.ndim = len(self.shape)

    def __getitem__(self, key: Any) -> np.ndarray[Any, Any]:
        """Read a region: a tuple of one slice per axis of the view."""
        if not isinstance(key, tuple):
            key = (key,)
        key = key + (slice(None),) * (self.ndim - len(key))
        if len(key) != self.ndim or not all(isinstance(k, slice) for k in key):
            raise CreationError(f"Expected one slice per axis. Got {key!r}.")
        region: list[slice] = [slice(None)] * self.ndim
        for view_axis, source_axis in enumerate(self.order):
            start, stop, step = key[view_axis].indices(self.shape[view_axis])
            region[source_axis] = slice(start, stop, step)
        reader = getattr(self.source, "read", None)
        values = reader(tuple(region)) if callable(reader) else self.source[tuple(region)]
        return np.transpose(np.asarray(values), self.order)


@dataclass(frozen=True)
class Arranged:
    """Data in OME axis order.

    Parameters
    ----------
    data
        The data, transposed (a view) when the axes were not in OME order.
    axes
        The axes in OME order (names or axis objects, as given), or ``None`` when neither
        the caller nor the input named them.
    order
        Axis ``i`` of :attr:`data` is axis ``order[i]`` of the data as given.
    """

    data: Any
    axes: list[Any] | None
    order: tuple[int, ...]


def as_source(data: Any) -> inputs.Source | None:
    """Open a file path as a :class:`~ngff_geozarr.core.inputs.Source`; a ``Source`` as it is.

    Parameters
    ----------
    data
        A path (``str`` or :class:`os.PathLike`): a TIFF or OME-TIFF, a ``.npy`` file, or a
        Zarr array ``STORE`` / ``STORE::PATH``; an xarray ``DataArray`` (or a ``Dataset``
        of one variable); a ``Source``; or anything else (an array).

    Returns
    -------
    Source or None
        The opened input, or ``None`` when ``data`` is no path, xarray object or ``Source``.

    Raises
    ------
    CreationError
        When the file cannot be read.
    """
    if isinstance(data, inputs.Source):
        return data
    if inputs.labelled_kind(data) is not None:
        try:
            return inputs.open_labelled(data)
        except inputs.InputError as exc:
            raise CreationError(str(exc)) from exc
    if isinstance(data, str | os.PathLike):
        try:
            return inputs.open_input(data)
        except inputs.InputError as exc:
            raise CreationError(str(exc)) from exc
    return None


def _type_of(axis: Any) -> str | None:
    if isinstance(axis, Mapping):
        kind = axis.get("type")
        return kind if isinstance(kind, str) else None
    if isinstance(axis, str):
        return _TYPES.get(axis.lower())
    raise CreationError(f"Expected an axis name or an axis object. Got {axis!r}.")


def _name_of(axis: Any) -> str:
    return str(axis.get("name")) if isinstance(axis, Mapping) else str(axis)


def _ome_order(axes: Sequence[Any]) -> tuple[int, ...]:
    """Return the permutation that puts axes in OME order (equal ranks keep their order)."""
    ranks = [_RANK.get(str(_type_of(a)), 1) for a in axes]
    space = [i for i, r in enumerate(ranks) if r == 2]
    names = [_name_of(axes[i]).lower() for i in space]
    key = list(range(len(axes)))
    if set(names) <= {"z", "y", "x"} and len(set(names)) == len(names):
        for i, name in zip(space, names, strict=True):
            key[i] = "zyx".index(name)
    return tuple(sorted(range(len(axes)), key=lambda i: (ranks[i], key[i])))


def _transposed(data: Any, order: tuple[int, ...]) -> Any:
    if order == tuple(range(len(order))):
        return data
    if isinstance(data, np.ndarray):
        return np.transpose(data, order)
    if type(data).__module__.split(".")[0] == "dask":
        return data.transpose(order)
    return TransposedArray(data, order)


def arrange(data: Any, axes: AxesLike | None, *, rgb: bool) -> Arranged:
    """Transpose ``data`` so that its axes are in OME order.

    Parameters
    ----------
    data
        An array-like, or a :class:`~ngff_geozarr.core.inputs.Source` (its file's own axis
        letters are used when ``axes`` is omitted; tifffile's letters are mapped, and axes
        of extent 1 OME-Zarr has no name for dropped, as
        :func:`~ngff.create.sources.to_ome_order` does; a Zarr array is transposed by
        :class:`TransposedArray`).
    axes
        The axes of ``data`` in its own order (see :data:`~ngff.create.options.AxesLike`);
        when omitted: the input's own, else ``yxc``, ``zyxc`` or ``tzyxc`` for RGB(A) data,
        else the writer's default by dimension count (already in OME order).
    rgb
        The last axis holds the red, green, blue (alpha) samples (default axes only).

    Returns
    -------
    Arranged
        The data and axes in OME order.

    Raises
    ------
    CreationError
        When the axes do not fit the data, or a file's axes cannot be put in OME order.
    """
    if isinstance(data, inputs.Source):
        chosen = axes if axes is not None else (_dim_axes(data) or data.axes)
        if chosen is None and rgb:
            chosen = _rgb_axes(len(data.shape))
        if chosen is None or (isinstance(chosen, str) and isinstance(data.data, np.ndarray)):
            view, names = source_in_ome_order(data, chosen)
            return Arranged(view, names, tuple(range(len(view.shape))))
        if isinstance(chosen, str):  # a Zarr array: tifffile's S (samples) is c
            chosen = [_LETTERS.get(a, a.lower()) for a in chosen]
        axes, data = chosen, data.data
    ndim = len(data.shape)
    if axes is None:
        if not rgb:
            return Arranged(data, None, tuple(range(ndim)))
        axes = _rgb_axes(ndim)
    items = list(axes)
    if len(items) != ndim:
        names = [_name_of(a) for a in items]
        raise CreationError(
            f"Expected {ndim} axes for data of shape {list(data.shape)}. Got {names}."
        )
    order = _ome_order(items)
    return Arranged(_transposed(data, order), [items[i] for i in order], order)


def _dim_axes(source: inputs.Source) -> list[Any] | None:
    """Return the axes of an xarray input: its dimension names, typed where known."""
    if not source.dims:
        return None
    axes: list[Any] = []
    for name, kind in zip(source.dims, source.dim_types, strict=True):
        implied = _TYPES.get(name)
        axes.append(name if kind == implied else {"name": name, "type": kind} if kind else name)
    return axes


def _rgb_axes(ndim: int) -> str:
    if ndim not in _RGB_AXES:
        raise CreationError(
            f"Expected RGB(A) data of 3 to 5 dimensions, colour samples last (yxc, zyxc, "
            f"tzyxc), or explicit axes. Got {ndim} dimensions."
        )
    return _RGB_AXES[ndim]


def permute(values: Sequence[_T] | None, order: Sequence[int]) -> list[_T] | None:
    """Reorder per-axis values given in the caller's axis order into OME order.

    Parameters
    ----------
    values
        One value per axis, or ``None``.
    order
        The permutation of :attr:`Arranged.order`.

    Returns
    -------
    list or None
        The values reordered; ``values`` unchanged when ``None`` or of another length (the
        writer's own checks then name the mistake).
    """
    if values is None:
        return None
    items = list(values)
    if len(items) != len(order):
        return items
    return [items[i] for i in order]


def from_input(
    data: Any,
    axes: AxesLike | None,
    rgb: bool | None,
    options: dict[str, Any],
    default_name: str,
) -> tuple[Any, list[Any] | None, bool, dict[str, Any]]:
    """Open a file, an xarray object or a Source, in OME order, and fill what it records.

    Per-axis options follow the caller's axes and are reordered with them; the input's
    calibration (scale, units, origin as translation), channel names, colours, windows and
    image name fill what is not given (``name`` when it is ``default_name``).

    Parameters
    ----------
    data
        What :func:`~ngff.create.write.write_image` was given.
    axes
        Its axes in its own order, or ``None``.
    rgb
        The RGB flag as given (``None``: the input's own).
    options
        :func:`~ngff.create.write.write_image`'s per-image options by name.
    default_name
        The ``name`` that means "not given".

    Returns
    -------
    tuple
        The data in OME order, its axes, the RGB flag, and the options filled.
    """
    source = as_source(data)
    flag = bool(source.rgb if rgb is None and source is not None else rgb)
    arranged = arrange(source if source is not None else check_source(data), axes, rgb=flag)
    order = arranged.order
    filled = dict(options)
    for key in ("scale", "translation", "chunks", "shards"):
        filled[key] = permute(filled[key], order)
    units = filled["units"]
    if units is not None and not isinstance(units, str | Mapping):
        filled["units"] = permute(units, order)
    levels = filled["levels"]
    if levels is not None and not isinstance(levels, int):
        filled["levels"] = [permute(step, order) for step in levels]
    if source is None:
        return arranged.data, arranged.axes, flag, filled
    names = [str(a["name"]) if isinstance(a, Mapping) else str(a) for a in arranged.axes or []]
    found = source.calibration.for_axes(names) if filled["scale"] is None and names else None
    if found is not None and len(names) == len(arranged.data.shape):
        filled["scale"] = found[0]
        if filled["units"] is None:
            filled["units"] = found[1] or None
        if filled["translation"] is None:
            filled["translation"] = source.calibration.origin_for_axes(names)
    recorded = {
        "channel_names": source.channel_names,
        "channel_colors": source.channel_colors,
        "channel_windows": source.channel_windows,
    }
    for key, value in recorded.items():
        if filled[key] is None and value:
            filled[key] = list(value)
    if filled["name"] == default_name and source.name:
        filled["name"] = source.name
    return arranged.data, arranged.axes, flag, filled
