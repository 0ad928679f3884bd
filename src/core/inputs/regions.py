"""A read-only array read region by region: numpy-style views without reading the data.

:class:`LazyArray` wraps anything that reads a region of an array (a
:class:`~ngff_geozarr.core.store.ArrayIO`, e.g. over tifffile's Zarr store of a tiled TIFF).
Indexing with integers and slices, and transposing, give new views and read nothing;
``numpy.asarray(view)`` reads the smallest region that holds the view, and only that region.
This is what keeps a large tiled TIFF in bounded memory: the pyramid engine reads one tile
of the output at a time, and each read decodes only the TIFF tiles it overlaps.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ngff_geozarr.core.thumbnail import RegionReader

__all__ = ["LazyArray"]


class LazyArray:
    """A read-only view of an array that is read region by region, on demand.

    Parameters
    ----------
    reader
        The full array: anything with ``shape``, ``dtype`` and ``read(region)``.

    Notes
    -----
    Basic indexing (integers, slices with any step, ``...``) and :meth:`transpose` return
    new views; nothing is read until the view is converted with :func:`numpy.asarray`.
    A strided view reads the region that spans it. Fancy indexing is not supported: read
    the region first.

    Examples
    --------
    >>> import numpy as np
    >>> class Whole:
    ...     def __init__(self, a): self.a, self.shape, self.dtype = a, a.shape, a.dtype
    ...     def read(self, region): return self.a[region]
    >>> view = LazyArray(Whole(np.arange(24).reshape(2, 3, 4)))[1, :, ::2].T
    >>> view.shape
    (2, 3)
    >>> np.asarray(view).tolist()
    [[12, 16, 20], [14, 18, 22]]
    """

    __slots__ = ("_index", "_order", "_reader")

    def __init__(self, reader: RegionReader) -> None:
        self._reader = reader
        self._index: tuple[int | range, ...] = tuple(range(int(n)) for n in reader.shape)
        self._order: tuple[int, ...] = tuple(range(len(self._index)))

    @classmethod
    def _view(
        cls, reader: RegionReader, index: tuple[int | range, ...], order: tuple[int, ...]
    ) -> LazyArray:
        view = cls.__new__(cls)
        view._reader, view._index, view._order = reader, index, order
        return view

    @property
    def _kept(self) -> list[int]:
        """The dimensions of the full array this view keeps, in the full array's order."""
        return [i for i, r in enumerate(self._index) if isinstance(r, range)]

    @property
    def shape(self) -> tuple[int, ...]:
        """The view's shape."""
        kept = self._kept
        return tuple(len(self._index[kept[k]]) for k in self._order)  # type: ignore[arg-type]

    @property
    def dtype(self) -> np.dtype[Any]:
        """The data type."""
        return np.dtype(self._reader.dtype)

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return len(self._order)

    @property
    def size(self) -> int:
        """The number of elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        """The size of the view's data in bytes, once read."""
        return self.size * self.dtype.itemsize

    def __len__(self) -> int:
        if not self._order:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __repr__(self) -> str:
        return f"LazyArray(shape={self.shape}, dtype={self.dtype})"

    def __getitem__(self, key: Any) -> LazyArray:
        keys = list(key) if isinstance(key, tuple) else [key]
        if sum(k is Ellipsis for k in keys) > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        at = next((i for i, k in enumerate(keys) if k is Ellipsis), None)
        if at is not None:
            keys[at : at + 1] = [slice(None)] * (self.ndim - len(keys) + 1)
        if len(keys) > self.ndim:
            raise IndexError(
                f"too many indices: the array is {self.ndim}-dimensional, {len(keys)} given"
            )
        keys += [slice(None)] * (self.ndim - len(keys))
        kept = self._kept
        index = list(self._index)
        surviving: list[int] = []
        for axis, item in enumerate(keys):
            base = kept[self._order[axis]]
            current = index[base]
            assert isinstance(current, range)
            if isinstance(item, slice):
                index[base] = current[item]
                surviving.append(base)
                continue
            if item is None or isinstance(item, bool | np.bool_):
                raise IndexError("LazyArray supports integers, slices and '...' only")
            try:
                position = operator.index(item)
            except TypeError:
                raise IndexError(
                    "LazyArray supports integers, slices and '...' only; read a region first"
                ) from None
            if not -len(current) <= position < len(current):
                raise IndexError(
                    f"index {position} is out of bounds for axis {axis} with size {len(current)}"
                )
            index[base] = current[position]
        new_kept = [i for i, r in enumerate(index) if isinstance(r, range)]
        order = tuple(new_kept.index(b) for b in surviving)
        return LazyArray._view(self._reader, tuple(index), order)

    def transpose(self, *axes: Any) -> LazyArray:
        """Permute the dimensions (a view), as :meth:`numpy.ndarray.transpose`.

        Parameters
        ----------
        *axes
            The new order, as one sequence or as separate integers; reversed when omitted.

        Returns
        -------
        LazyArray
            The view.
        """
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], Sequence)):
            axes = tuple(axes[0]) if axes[0] is not None else ()
        order = [operator.index(a) for a in axes] or list(range(self.ndim))[::-1]
        order = [a + self.ndim if a < 0 else a for a in order]
        if sorted(order) != list(range(self.ndim)):
            raise ValueError(f"axes don't match array: {tuple(axes)}")
        return LazyArray._view(self._reader, self._index, tuple(self._order[a] for a in order))

    @property
    def T(self) -> LazyArray:
        """The view with its dimensions reversed."""
        return self.transpose()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> npt.NDArray[Any]:
        if copy is False:
            raise ValueError("a LazyArray cannot be converted without reading (copying) it")
        if any(isinstance(r, range) and len(r) == 0 for r in self._index):
            values = np.empty(self.shape, self.dtype)
        else:
            region: list[slice] = []
            within: list[int | slice] = []
            for r in self._index:
                if isinstance(r, int):
                    region.append(slice(r, r + 1))
                    within.append(0)
                else:
                    low, high = min(r[0], r[-1]), max(r[0], r[-1])
                    region.append(slice(low, high + 1))
                    within.append(slice(None, None, r.step))
            read = np.asarray(self._reader.read(tuple(region)))
            values = np.asarray(read[tuple(within)]).transpose(self._order)
        return values if dtype is None else values.astype(dtype, copy=False)
