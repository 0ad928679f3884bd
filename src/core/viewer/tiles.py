"""Tiles of a scene rendered from its chunks, and the values under a point.

A tile is a square of :data:`TILE` pixels of one level's grid (rows and columns of the
displayed plane, row 0 at the top: north up when the scene says its rows run south to
north). Rendering one reads exactly the region under it (so only the chunks it covers),
for the chosen index of every other axis, composes the visible channels in their colours
and windows (:func:`~ngff_geozarr.core.colour.composite_rgba`; nodata and NaN
transparent) or colours labels (:func:`~ngff_geozarr.core.thumbnail.labels_rgba`), and
encodes a PNG. Rendered tiles are kept in a least-recently-used cache bounded in bytes
(:class:`ByteCache`).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ngff_geozarr.core.colour import VIRIDIS, composite_rgba, stretch
from ngff_geozarr.core.thumbnail import RegionReader, encode_png, labels_rgba, read_planes
from ngff_geozarr.core.viewer.scene import Layer, Scene, ViewAxis, ViewLevel, spatial_axes

__all__ = [
    "DEFAULT_CACHE_BYTES",
    "MAX_CHANNELS",
    "TILE",
    "ByteCache",
    "Renderer",
    "TileError",
    "encode_tile",
]

TILE = 256
"""The side of a tile, in pixels of its level."""
DEFAULT_CACHE_BYTES = 64 * 2**20
"""The default bound of the tile cache."""
MAX_CHANNELS = 16
"""The most channels composed in one tile or read under a point."""


def encode_tile(rgba: npt.NDArray[np.uint8]) -> bytes:
    """Encode a tile as PNG, compressed for speed rather than size (zlib level 1).

    Tiles travel over the loopback interface, where bytes are cheap and time is not: at
    zlib's level 1 a 256 x 256 tile encodes several times faster than at the default level 6
    of :func:`~ngff_geozarr.core.thumbnail.encode_png` (smooth pictures), for a larger file.

    Parameters
    ----------
    rgba
        ``(rows, columns, 4)`` unsigned bytes.

    Returns
    -------
    bytes
        The PNG file (8 bits per channel, RGBA, no filtering).

    Examples
    --------
    >>> encode_tile(np.zeros((2, 3, 4), dtype=np.uint8))[12:16]
    b'IHDR'
    """
    return encode_png(rgba, level=1)


class TileError(ValueError):
    """A request names no tile of the scene (a level, tile, channel or index out of range)."""


class ByteCache:
    """A least-recently-used cache of byte strings whose total size stays under a bound.

    Parameters
    ----------
    max_bytes
        The bound; an entry larger than it is not kept.

    Examples
    --------
    >>> cache = ByteCache(10)
    >>> cache.put("a", b"12345"); cache.put("b", b"12345"); cache.put("c", b"1")
    >>> cache.get("a") is None, cache.get("c"), cache.size
    (True, b'1', 6)
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Any, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> bytes | None:
        """Return the value of ``key`` (now the most recently used), or ``None``.

        Parameters
        ----------
        key
            The key.

        Returns
        -------
        bytes or None
            The value.
        """
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Any, value: bytes) -> None:
        """Keep ``value`` under ``key``, dropping the least recently used to stay bounded.

        Parameters
        ----------
        key
            The key.
        value
            The value.
        """
        if len(value) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= len(old)
            self._items[key] = value
            self.size += len(value)
            while self.size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self.size -= len(dropped)


def _level_index(
    axes: Sequence[ViewAxis],
    level: ViewLevel,
    base: Mapping[str, int],
    base_shape: Mapping[str, int],
) -> dict[int, int]:
    """Map indices along non-spatial axes at level 0 of the image to a level's indices."""
    found = {}
    for a, axis in enumerate(axes):
        n = level.shape[a]
        full = base_shape.get(axis.name, n)
        i = base.get(axis.name, full // 2)
        if not 0 <= i < full:
            raise TileError(f"index {i} of axis {axis.name!r} is outside 0..{full - 1}")
        found[a] = min(n - 1, int((i + 0.5) * n / full))
    return found


class Renderer:
    """Render tiles of a scene and read the values under a point.

    Parameters
    ----------
    scene
        The scene.
    cache_bytes
        The bound of the tile cache.
    cache
        A cache shared with the renderers of other images (its own bound then applies);
        ``None``: a cache of ``cache_bytes`` of its own.
    """

    def __init__(
        self,
        scene: Scene,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        *,
        cache: ByteCache | None = None,
    ) -> None:
        self.scene = scene
        self.cache = cache if cache is not None else ByteCache(cache_bytes)
        self._arrays: dict[str, RegionReader] = {}
        self._lock = threading.Lock()
        self.windows: tuple[tuple[float, float], ...] = self._windows()

    # -- arrays --------------------------------------------------------------------------

    def array(self, path: str) -> RegionReader:
        """Return the array at ``path``, opened once.

        Parameters
        ----------
        path
            Its path in the store.

        Returns
        -------
        RegionReader
            The array.
        """
        with self._lock:
            if path not in self._arrays:
                self._arrays[path] = self.scene.store.open_array(path)
            return self._arrays[path]

    @property
    def base_shape(self) -> dict[str, int]:
        """The size of every axis of the image's level 0, by axis name."""
        return {a.name: n for a, n in zip(self.scene.axes, self.scene.levels[0].shape, strict=True)}

    def _windows(self) -> tuple[tuple[float, float], ...]:
        """Return each channel's display window: its own, else quantiles of the coarsest level."""
        scene = self.scene
        count = max(1, len(scene.channels))
        stated = [c.window for c in scene.channels] or [None]
        if all(w is not None for w in stated):
            return tuple(w for w in stated if w is not None)
        coarsest = scene.levels[-1]
        planes, _ = read_planes(
            self.array(coarsest.path),
            scene.spatial,
            scene.channel_axis,
            max_channels=count,
        )
        found = []
        for i in range(count):
            window = stated[i] if i < len(stated) else None
            if window is None and i < len(planes):
                _, _, window = stretch(planes[i], nodata=scene.nodata)
            found.append(window if window is not None else (0.0, 1.0))
        return tuple(found)

    # -- tiles ---------------------------------------------------------------------------

    def grid(self, level: ViewLevel, axes: Sequence[ViewAxis]) -> tuple[int, int]:
        """Return how many tile rows and columns a level has.

        Parameters
        ----------
        level
            The level.
        axes
            Its image's axes.

        Returns
        -------
        tuple of int
            Rows and columns of tiles.
        """
        rows_axis, columns_axis = spatial_axes(axes)
        return -(-level.shape[rows_axis] // TILE), -(-level.shape[columns_axis] // TILE)

    def _region(
        self,
        axes: Sequence[ViewAxis],
        level: ViewLevel,
        row: int,
        col: int,
        indices: Mapping[str, int],
    ) -> list[slice]:
        tiles = self.grid(level, axes)
        if not (0 <= row < tiles[0] and 0 <= col < tiles[1]):
            raise TileError(f"there is no tile {row}/{col} in a grid of {tiles[0]}x{tiles[1]}")
        rows_axis, columns_axis = spatial_axes(axes)
        at = _level_index(axes, level, indices, self.base_shape)
        region = [slice(at[a], at[a] + 1) for a in range(len(axes))]
        height, width = level.shape[rows_axis], level.shape[columns_axis]
        top, bottom = row * TILE, min(height, (row + 1) * TILE)
        if self.scene.flip_rows:
            top, bottom = height - bottom, height - top
        region[rows_axis] = slice(top, bottom)
        region[columns_axis] = slice(col * TILE, min(width, (col + 1) * TILE))
        return region

    def _planes(
        self, axes: Sequence[ViewAxis], level: ViewLevel, region: list[slice], keep: int | None
    ) -> npt.NDArray[Any]:
        """Read a region and return it as (kept axis, rows, columns), rows north up."""
        data = np.asarray(self.array(level.path).read(tuple(region)))
        rows_axis, columns_axis = spatial_axes(axes)
        order = [rows_axis, columns_axis] if keep is None else [keep, rows_axis, columns_axis]
        rest = [a for a in range(data.ndim) if a not in order]
        sizes = [data.shape[a] for a in order]
        moved = np.transpose(data, [*rest, *order]).reshape(
            sizes if keep is not None else [1, *sizes]
        )
        if self.scene.flip_rows:
            moved = moved[:, ::-1]
        return moved

    def tile(
        self,
        level: int,
        row: int,
        col: int,
        indices: Mapping[str, int],
        channels: Sequence[int] | None = None,
        windows: Sequence[tuple[float, float]] | None = None,
    ) -> bytes:
        """Render one tile of the image as PNG.

        Parameters
        ----------
        level
            The level's index (0 is the finest).
        row, col
            The tile's place in the level's grid of :data:`TILE`-pixel tiles.
        indices
            The index of each non-spatial axis at level 0, by axis name (the middle when
            omitted).
        channels
            The channels shown (all visible ones when ``None``).
        windows
            One display window per channel (every channel, in order), instead of
            :attr:`windows`.

        Returns
        -------
        bytes
            The PNG.

        Raises
        ------
        TileError
            For a level, tile, index or channel out of range.
        """
        scene = self.scene
        if not 0 <= level < len(scene.levels):
            raise TileError(f"there is no level {level} (levels 0..{len(scene.levels) - 1})")
        view = scene.levels[level]
        shown = self._channels(channels)
        chosen = self._chosen_windows(windows)
        key = ("image", scene.path, level, row, col, tuple(sorted(indices.items())), shown, chosen)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        region = self._region(scene.axes, view, row, col, indices)
        c = scene.channel_axis
        if c is not None and shown:
            region[c] = slice(min(shown), max(shown) + 1)
        planes = self._planes(scene.axes, view, region, c)
        if c is not None and shown:
            picked = [planes[i - min(shown)] for i in shown]
        else:
            picked = [planes[0]] if shown else []
        rgba = self._compose(picked, shown, planes.shape[1:], chosen)
        png = encode_tile(rgba)
        self.cache.put(key, png)
        return png

    def _channels(self, channels: Sequence[int] | None) -> tuple[int, ...]:
        count = max(1, len(self.scene.channels))
        if channels is None:
            visible = [i for i, ch in enumerate(self.scene.channels) if ch.visible]
            channels = visible if self.scene.channels else [0]
        shown = tuple(sorted(set(channels)))
        if any(not 0 <= i < count for i in shown):
            raise TileError(f"channels are numbered 0..{count - 1}")
        return shown[:MAX_CHANNELS]

    def _chosen_windows(
        self, windows: Sequence[tuple[float, float]] | None
    ) -> tuple[tuple[float, float], ...]:
        if windows is None:
            return self.windows
        found = tuple((float(low), float(high)) for low, high in windows)
        if len(found) != len(self.windows):
            raise TileError(f"expected {len(self.windows)} windows, one per channel")
        if not all(math.isfinite(a) and math.isfinite(b) and a < b for a, b in found):
            raise TileError("expected windows of two finite numbers, the first below the second")
        return found

    def _compose(
        self,
        planes: Sequence[npt.NDArray[Any]],
        shown: Sequence[int],
        shape: Sequence[int],
        chosen: Sequence[tuple[float, float]],
    ) -> npt.NDArray[np.uint8]:
        scene = self.scene
        if not planes:
            return np.zeros((*shape, 4), dtype=np.uint8)
        windows = [chosen[i] for i in shown]
        if scene.colormap and len(planes) == 1 and len(scene.channels) <= 1:
            scaled, valid, _ = stretch(planes[0], nodata=scene.nodata, window=windows[0])
            anchors = np.asarray(VIRIDIS, dtype=np.float64)
            position = np.linspace(0.0, 1.0, len(anchors))
            rgba = np.zeros((*planes[0].shape, 4), dtype=np.uint8)
            for band in range(3):
                values = np.interp(scaled, position, anchors[:, band])
                rgba[..., band] = np.where(valid, np.rint(values), 0).astype(np.uint8)
            rgba[..., 3] = np.where(valid, 255, 0)
            return rgba
        colours = [scene.channels[i].colour if scene.channels else (255, 255, 255) for i in shown]
        return composite_rgba(planes, colours, windows, nodata=scene.nodata)

    def label_tile(
        self, name: str, level: int, row: int, col: int, indices: Mapping[str, int]
    ) -> bytes:
        """Render one tile of a label layer as PNG: each id its colour, 0 transparent.

        Parameters
        ----------
        name
            The label layer's name.
        level
            The index of the layer's level.
        row, col
            The tile's place in that level's grid.
        indices
            The index of each non-spatial axis at the image's level 0, by axis name.

        Returns
        -------
        bytes
            The PNG, RGBA: label colours over transparency.

        Raises
        ------
        TileError
            For an unknown layer or a tile out of range.
        """
        layer = self._layer(name)
        if not 0 <= level < len(layer.levels):
            raise TileError(f"label image {name!r} has no level {level}")
        key = ("labels", self.scene.path, name, level, row, col, tuple(sorted(indices.items())))
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        view = layer.levels[level]
        region = self._region(layer.axes, view, row, col, indices)
        planes = self._planes(layer.axes, view, region, None)
        png = encode_tile(labels_rgba(planes[0], alpha=255))
        self.cache.put(key, png)
        return png

    def _layer(self, name: str) -> Layer:
        layer = next((x for x in self.scene.labels if x.name == name), None)
        if layer is None:
            raise TileError(f"there is no label image {name!r}")
        return layer

    # -- points --------------------------------------------------------------------------

    def value(self, column: float, row: float, indices: Mapping[str, int]) -> dict[str, Any]:
        """Read what is under a point of the displayed plane, at level 0.

        Parameters
        ----------
        column, row
            The point in pixels of level 0 as displayed (row 0 at the top).
        indices
            The index of each non-spatial axis at level 0, by axis name.

        Returns
        -------
        dict
            ``values`` (one per channel, ``None`` for nodata/NaN), ``position`` (each
            axis' coordinate and unit), ``labels`` (the id under the point in each label
            image) and, for a georeferenced scene, ``map`` (``x``, ``y``, ``lon``, ``lat``).

        Raises
        ------
        TileError
            For a point outside the image.
        """
        scene = self.scene
        base = scene.levels[0]
        rows_axis, columns_axis = scene.spatial
        height, width = base.shape[rows_axis], base.shape[columns_axis]
        if not (0 <= row < height and 0 <= column < width):
            raise TileError(f"the point ({column}, {row}) is outside the image")
        i, j = int(row), int(column)
        if scene.flip_rows:
            i = height - 1 - i
        at = _level_index(scene.axes, base, indices, self.base_shape)
        region = [slice(at[a], at[a] + 1) for a in range(len(scene.axes))]
        region[rows_axis], region[columns_axis] = slice(i, i + 1), slice(j, j + 1)
        c = scene.channel_axis
        if c is not None:
            region[c] = slice(0, min(base.shape[c], MAX_CHANNELS))
        data = np.asarray(self.array(base.path).read(tuple(region))).ravel()
        values = [_plain(v, scene.nodata) for v in data]
        position = []
        for a, axis in enumerate(scene.axes):
            if a == c:
                continue
            index = {rows_axis: i, columns_axis: j}.get(a, at[a])
            coord = base.translation[a] + index * base.scale[a]  # the sample's centre
            position.append({"axis": axis.name, "value": coord, "unit": axis.unit})
        found: dict[str, Any] = {"values": values, "position": position, "labels": {}}
        for layer in scene.labels:
            found["labels"][layer.name] = self._label_at(
                layer, (i + 0.5) / height, (j + 0.5) / width, indices
            )
        if scene.locate is not None:
            found["map"] = dict(scene.locate(j + 0.5, i + 0.5))
        return found

    def _label_at(self, layer: Layer, v: float, u: float, indices: Mapping[str, int]) -> int | None:
        """Return the label id at a fraction ``(v, u)`` of the image's height and width."""
        base = layer.levels[0]
        rows_axis, columns_axis = spatial_axes(layer.axes)
        at = _level_index(layer.axes, base, indices, self.base_shape)
        region = [slice(at[a], at[a] + 1) for a in range(len(layer.axes))]
        i = min(base.shape[rows_axis] - 1, int(v * base.shape[rows_axis]))
        j = min(base.shape[columns_axis] - 1, int(u * base.shape[columns_axis]))
        region[rows_axis], region[columns_axis] = slice(i, i + 1), slice(j, j + 1)
        value = np.asarray(self.array(base.path).read(tuple(region))).ravel()
        return int(value[0]) if value.size else None


def _plain(value: Any, nodata: float | int | None) -> float | int | None:
    """Return a value as JSON can carry it: ``None`` for NaN, infinities and nodata."""
    number = value.item() if isinstance(value, np.generic) else value
    if isinstance(number, bool):
        return int(number)
    if isinstance(number, float) and not math.isfinite(number):
        return None
    if nodata is not None and number == nodata:
        return None
    return number if isinstance(number, (int, float)) else float(number)
