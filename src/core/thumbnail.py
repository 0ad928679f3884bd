"""Thumbnails of multiscale levels: a middle slice, contrast-stretched, as PNG.

A thumbnail is read from the smallest level whose spatial extent reaches the target size
(:func:`choose_level`), as one slice through the middle of every non-spatial axis
(:func:`middle_slice`): only the chunks under that slice are read. A channel axis can be
kept whole (:func:`read_planes`), and the pixels are sampled on one grid whose aspect is
the ground's (pixel sizes included, :func:`sample_grid`). Intensities are stretched
between two quantiles of the valid values (:func:`intensity_rgba`, :func:`colormap_rgba`
with a colour map), or given display windows and composed additively in their colours
(:func:`composite_rgba`); NaN and the nodata value are transparent. Label images get a
categorical palette, label 0 transparent (:func:`labels_rgba`), and can be laid over an
image (:func:`overlay`). :func:`encode_png` writes the pixels with the standard library
alone.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ngff_geozarr.core.colour import stretch
from ngff_geozarr.core.errors import NgffGeozarrError

__all__ = [
    "CROP_ABOVE",
    "MAX_CHANNELS",
    "MAX_SIDE",
    "MIN_SIDE",
    "ArrayOpener",
    "RegionReader",
    "choose_level",
    "encode_png",
    "intensity_rgba",
    "labels_rgba",
    "middle_slice",
    "overlay",
    "read_planes",
    "read_slice",
    "read_stored_planes",
    "read_stored_slice",
    "sample_grid",
]

MIN_SIDE = 256
"""A thumbnail is read from the smallest level whose spatial sides reach this many pixels."""
MAX_SIDE = 512
"""A slice larger than this on a side is subsampled to fit."""
CROP_ABOVE = 2048
"""A spatial side longer than this is cropped to its centre rather than subsampled."""
MAX_CHANNELS = 8
"""The most channels a composite reads (the first ones of the channel axis)."""


class RegionReader(Protocol):
    """An array whose regions can be read: what a thumbnail needs of a level.

    Also what :class:`~ngff_geozarr.core.inputs.regions.LazyArray` reads through.
    """

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""

    @property
    def dtype(self) -> np.dtype[Any]:
        """The array's data type."""

    def read(self, region: tuple[slice, ...]) -> npt.NDArray[Any]:
        """Read a region given as one slice per axis."""


def choose_level(
    shapes: Sequence[Sequence[int]], spatial_axes: Sequence[int], min_side: int = MIN_SIDE
) -> int:
    """Pick the level to read a thumbnail from.

    Parameters
    ----------
    shapes
        The shape of each level, finest first.
    spatial_axes
        The indices of the two axes shown (rows, then columns).
    min_side
        The smallest acceptable side.

    Returns
    -------
    int
        The coarsest level whose spatial sides are both at least ``min_side`` pixels (or
        that is as large as the image allows); level 0 when none is.

    Examples
    --------
    >>> choose_level([(64, 2048, 2048), (64, 1024, 1024), (64, 512, 512), (64, 256, 256),
    ...               (64, 128, 128)], (1, 2))
    3
    >>> choose_level([(100, 80), (50, 40)], (0, 1))
    0
    """
    full = [min(shapes[0][a], min_side) for a in spatial_axes]
    best = 0
    for i, shape in enumerate(shapes):
        if all(shape[a] >= f for a, f in zip(spatial_axes, full, strict=True)):
            best = i
    return best


def middle_slice(
    shape: Sequence[int],
    spatial_axes: Sequence[int],
    max_side: int = MAX_SIDE,
    crop_above: int = CROP_ABOVE,
) -> tuple[tuple[slice, ...], bool]:
    """Return the region of a thumbnail and whether it is a crop.

    Every other axis is cut at its middle. A spatial side up to ``crop_above`` pixels is
    read whole, with a stride bringing it under ``max_side``; a longer one (an array with no
    coarser level to read instead) is cropped to its central ``max_side`` pixels, so that a
    thumbnail never reads more than a few chunks' worth of a huge array.

    Parameters
    ----------
    shape
        The level's shape.
    spatial_axes
        The indices of the two axes shown.
    max_side
        The longest side of the thumbnail.
    crop_above
        Spatial sides longer than this are cropped rather than subsampled.

    Returns
    -------
    tuple
        One slice per axis (non-spatial axes: a one-element slice at their middle), and
        whether a spatial axis was cropped.

    Examples
    --------
    >>> middle_slice((5, 16, 300, 200), (2, 3))
    ((slice(2, 3, None), slice(8, 9, None), slice(0, 300, 1), slice(0, 200, 1)), False)
    >>> middle_slice((1000, 100_000), (0, 1))
    ((slice(0, 1000, 2), slice(49744, 50256, 1)), True)
    """
    region = []
    cropped = False
    for axis, n in enumerate(shape):
        if axis not in spatial_axes:
            region.append(slice(n // 2, n // 2 + 1))
        elif n > crop_above:
            start = (n - max_side) // 2
            region.append(slice(start, start + max_side, 1))
            cropped = True
        else:
            region.append(slice(0, n, max(1, -(-n // max_side))))
    return tuple(region), cropped


def sample_grid(
    rows: int,
    columns: int,
    pixel_size: tuple[float, float] = (1.0, 1.0),
    max_side: int = MAX_SIDE,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Return the row and column indices that picture a plane with its true aspect ratio.

    A plane of square pixels is subsampled with one stride on both axes (never one per
    axis, which distorts); pixels of different height and width are resampled (nearest
    neighbour) so that the picture's sides are in the ratio of the ground's sides.

    Parameters
    ----------
    rows, columns
        The plane's size in pixels.
    pixel_size
        A pixel's height and width in any one unit (signs ignored).
    max_side
        The longest side of the picture.

    Returns
    -------
    tuple of numpy.ndarray
        The row indices and the column indices to take.

    Examples
    --------
    >>> [len(i) for i in sample_grid(1200, 1000)]
    [400, 334]
    >>> [len(i) for i in sample_grid(100, 100, (2.0, 1.0))]
    [200, 100]
    """
    height, width = (abs(float(v)) for v in pixel_size)
    if not (math.isfinite(height) and math.isfinite(width) and height > 0 and width > 0):
        height = width = 1.0
    if math.isclose(height, width, rel_tol=0.01):
        step = max(1, -(-max(rows, columns) // max_side))
        return np.arange(0, rows, step), np.arange(0, columns, step)
    unit = min(height, width)
    tall, wide = rows * height / unit, columns * width / unit
    scale = min(1.0, max_side / max(tall, wide))
    out_rows, out_columns = max(1, round(tall * scale)), max(1, round(wide * scale))
    row_index = np.minimum(
        ((np.arange(out_rows) + 0.5) * rows / out_rows).astype(np.intp), rows - 1
    )
    column_index = np.minimum(
        ((np.arange(out_columns) + 0.5) * columns / out_columns).astype(np.intp), columns - 1
    )
    return row_index, column_index


def read_planes(
    array: RegionReader,
    spatial_axes: Sequence[int],
    channel_axis: int | None = None,
    *,
    pixel_size: tuple[float, float] = (1.0, 1.0),
    max_side: int = MAX_SIDE,
    crop_above: int = CROP_ABOVE,
    max_channels: int = MAX_CHANNELS,
) -> tuple[npt.NDArray[Any], bool]:
    """Read the middle slice of an array, keeping a channel axis, on the picture's grid.

    Every axis but the spatial ones and ``channel_axis`` is cut at its middle; the first
    ``max_channels`` channels are read. Only the chunks under the unstrided region are
    read; the sampling (:func:`sample_grid`) is applied in memory.

    Parameters
    ----------
    array
        The level.
    spatial_axes
        The indices of the rows and columns axes.
    channel_axis
        The index of the axis kept whole, if any.
    pixel_size
        A pixel's height and width (for the aspect ratio).
    max_side
        The longest side returned.
    crop_above
        Spatial sides longer than this are cropped to their centre (see
        :func:`middle_slice`).
    max_channels
        The most channels read.

    Returns
    -------
    tuple
        A 3-D array (channels, rows, columns; one channel without ``channel_axis``) and
        whether it is a central crop.
    """
    region, cropped = middle_slice(array.shape, spatial_axes, max_side, crop_above)
    unstrided = [slice(s.start, s.stop) for s in region]
    if channel_axis is not None and channel_axis not in spatial_axes:
        unstrided[channel_axis] = slice(0, min(array.shape[channel_axis], max_channels))
    data = np.asarray(array.read(tuple(unstrided)))
    rows_axis, columns_axis = spatial_axes
    order = [rows_axis, columns_axis]
    if channel_axis is not None and channel_axis not in spatial_axes:
        order.insert(0, channel_axis)
    rest = [a for a in range(data.ndim) if a not in order]
    moved = np.transpose(data, [*rest, *order])
    moved = moved.reshape(moved.shape[len(rest) :])
    if moved.ndim == 2:
        moved = moved[np.newaxis]
    row_index, column_index = sample_grid(moved.shape[1], moved.shape[2], pixel_size, max_side)
    return moved[:, row_index][:, :, column_index], cropped


def read_slice(
    array: RegionReader,
    spatial_axes: Sequence[int],
    max_side: int = MAX_SIDE,
    crop_above: int = CROP_ABOVE,
    pixel_size: tuple[float, float] = (1.0, 1.0),
) -> tuple[npt.NDArray[Any], bool]:
    """Read the 2-D middle slice of an array, at most ``max_side`` pixels a side.

    :func:`read_planes` with no channel axis (the parameters mean the same): only the
    chunks under the unstrided region are read, and the sampling keeps the plane's aspect
    ratio (:func:`sample_grid`). Returns the 2-D array (rows by columns) and whether it
    is a central crop.
    """
    planes, cropped = read_planes(
        array, spatial_axes, pixel_size=pixel_size, max_side=max_side, crop_above=crop_above
    )
    return planes[0], cropped


class ArrayOpener(Protocol):
    """A store whose arrays open by path, as :class:`~ngff_geozarr.core.store.StoreHandle`."""

    def open_array(self, path: str) -> RegionReader:
        """Open the array at ``path``."""
        ...


def read_stored_slice(
    store: ArrayOpener, path: str, spatial_axes: Sequence[int]
) -> tuple[npt.NDArray[Any], bool] | None:
    """Read the middle slice of the array at ``path`` (:func:`read_slice`); ``None`` if unreadable.

    :func:`read_stored_planes` with no channel axis (same parameters): its one plane and
    whether it is a central crop, or ``None`` when the array cannot be read.
    """
    found = read_stored_planes(store, path, spatial_axes)
    return None if found is None else (found[0][0], found[1])


def read_stored_planes(
    store: ArrayOpener,
    path: str,
    spatial_axes: Sequence[int],
    channel_axis: int | None = None,
    pixel_size: tuple[float, float] = (1.0, 1.0),
) -> tuple[npt.NDArray[Any], bool] | None:
    """Read the middle slice of a stored array, channels kept (:func:`read_planes`).

    What both report builders do for every picture: an array that cannot be opened or read
    (a corrupt chunk, an unknown codec, a bad shape) gets no thumbnail, never an error:
    the report still shows the tree and the issues.

    ``store`` is open for reading and ``path`` names the array in it; the other
    parameters and the result are those of :func:`read_planes` (``None`` when the array
    cannot be read).
    """
    try:
        array = store.open_array(path)
        return read_planes(array, spatial_axes, channel_axis, pixel_size=pixel_size)
    except (NgffGeozarrError, ValueError, OSError, RuntimeError):
        # RuntimeError: what codecs raise for a corrupt chunk (zstd's "invalid input data")
        return None


def intensity_rgba(
    values: npt.NDArray[Any],
    *,
    nodata: float | int | None = None,
    quantiles: tuple[float, float] = (0.005, 0.995),
) -> npt.NDArray[np.uint8]:
    """Map a 2-D slice to grey RGBA, contrast from quantiles of the valid values.

    Parameters
    ----------
    values
        The slice.
    nodata
        A value shown transparent (NaN always is).
    quantiles
        The low and high quantiles mapped to black and white.

    Returns
    -------
    numpy.ndarray
        ``(rows, columns, 4)`` unsigned bytes; invalid pixels have alpha 0.

    Examples
    --------
    >>> rgba = intensity_rgba(np.array([[0.0, 1.0], [2.0, np.nan]]), quantiles=(0, 1))
    >>> rgba[..., 0].tolist(), rgba[..., 3].tolist()
    ([[0, 128], [255, 0]], [[255, 255], [255, 0]])
    """
    scaled, valid, _ = stretch(values, nodata=nodata, quantiles=quantiles)
    level = np.rint(scaled * 255).astype(np.uint8)
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    rgba[..., 0] = rgba[..., 1] = rgba[..., 2] = np.where(valid, level, 0)
    rgba[..., 3] = np.where(valid, 255, 0)
    return rgba


def labels_rgba(labels: npt.NDArray[Any], *, alpha: int = 160) -> npt.NDArray[np.uint8]:
    """Colour a 2-D label slice with a categorical palette; label 0 is transparent.

    Each label gets a colour from a hash of its value, so the same label has the same colour
    in every thumbnail and neighbouring labels differ.

    Parameters
    ----------
    labels
        Integer labels.
    alpha
        The opacity of labelled pixels (0-255).

    Returns
    -------
    numpy.ndarray
        ``(rows, columns, 4)`` unsigned bytes.
    """
    values = labels.astype(np.uint64, copy=False)
    # A multiplicative hash spreads consecutive labels over the hue circle.
    hashed = (values * np.uint64(2654435761)) & np.uint64(0xFFFFFF)
    rgba = np.zeros((*labels.shape, 4), dtype=np.uint8)
    rgba[..., 0] = ((hashed >> np.uint64(16)) & np.uint64(0xFF)) | np.uint64(0x40)
    rgba[..., 1] = ((hashed >> np.uint64(8)) & np.uint64(0xFF)) | np.uint64(0x40)
    rgba[..., 2] = (hashed & np.uint64(0xFF)) | np.uint64(0x40)
    rgba[..., 3] = np.where(values != 0, alpha, 0)
    return rgba


def overlay(base: npt.NDArray[np.uint8], top: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Lay ``top`` over ``base`` (both RGBA of one size) with alpha compositing.

    Parameters
    ----------
    base, top
        RGBA images.

    Returns
    -------
    numpy.ndarray
        The composite, RGBA.
    """
    a_top = top[..., 3:4].astype(np.float64) / 255
    a_base = base[..., 3:4].astype(np.float64) / 255
    a_out = a_top + a_base * (1 - a_top)
    rgb = top[..., :3] * a_top + base[..., :3] * a_base * (1 - a_top)
    rgb = np.divide(rgb, a_out, out=np.zeros_like(rgb), where=a_out > 0)
    out: npt.NDArray[np.uint8] = np.rint(np.concatenate([rgb, a_out * 255], axis=-1)).astype(
        np.uint8
    )
    return out


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(rgba: npt.NDArray[np.uint8], level: int = 6) -> bytes:
    """Encode an RGBA image as PNG (8 bits per channel, no filtering).

    Parameters
    ----------
    rgba
        ``(rows, columns, 4)`` unsigned bytes.
    level
        The zlib compression level, 0 to 9 (1 is fastest, 9 smallest).

    Returns
    -------
    bytes
        The PNG file.

    Examples
    --------
    >>> encode_png(np.zeros((2, 3, 4), dtype=np.uint8))[1:4]
    b'PNG'
    """
    rows, columns = rgba.shape[:2]
    raw = np.zeros((rows, 1 + columns * 4), dtype=np.uint8)  # filter byte 0 on every row
    raw[:, 1:] = np.ascontiguousarray(rgba, dtype=np.uint8).reshape(rows, columns * 4)
    header = struct.pack(">IIBBBBB", columns, rows, 8, 6, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw.tobytes(), level)),
            _chunk(b"IEND", b""),
        )
    )
