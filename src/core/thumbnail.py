"""Thumbnails of multiscale levels: a middle slice, contrast-stretched, as PNG.

A thumbnail is read from the smallest level whose spatial extent reaches the target size
(:func:`choose_level`), as one slice through the middle of every non-spatial axis
(:func:`middle_slice`): only the chunks under that slice are read. Intensities are stretched
between two quantiles of the valid values (:func:`intensity_rgba`); NaN and the nodata value
are transparent. Label images get a categorical palette, label 0 transparent
(:func:`labels_rgba`), and can be laid over an image (:func:`overlay`). :func:`encode_png`
writes the pixels with the standard library alone.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ngff_geozarr.core.errors import NgffGeozarrError

__all__ = [
    "CROP_ABOVE",
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
    "read_slice",
    "read_stored_slice",
]

MIN_SIDE = 256
"""A thumbnail is read from the smallest level whose spatial sides reach this many pixels."""
MAX_SIDE = 512
"""A slice larger than this on a side is subsampled to fit."""
CROP_ABOVE = 2048
"""A spatial side longer than this is cropped to its centre rather than subsampled."""


class RegionReader(Protocol):
    """An array whose regions can be read: what a thumbnail needs of a level."""

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


def read_slice(
    array: RegionReader,
    spatial_axes: Sequence[int],
    max_side: int = MAX_SIDE,
    crop_above: int = CROP_ABOVE,
) -> tuple[npt.NDArray[Any], bool]:
    """Read the 2-D middle slice of an array, at most ``max_side`` pixels a side.

    Only the chunks under the unstrided region are read; the stride is applied in memory.

    Parameters
    ----------
    array
        The level.
    spatial_axes
        The indices of the rows and columns axes.
    max_side
        The longest side returned.
    crop_above
        Spatial sides longer than this are cropped to their centre (see
        :func:`middle_slice`).

    Returns
    -------
    tuple
        A 2-D array (rows by columns) and whether it is a central crop.
    """
    region, cropped = middle_slice(array.shape, spatial_axes, max_side, crop_above)
    unstrided = tuple(slice(s.start, s.stop) for s in region)
    data = np.asarray(array.read(unstrided))
    strided = data[tuple(slice(None, None, s.step) for s in region)]
    plane = strided.reshape([strided.shape[a] for a in sorted(spatial_axes)])
    if spatial_axes[0] > spatial_axes[1]:
        plane = plane.T
    return plane, cropped


class ArrayOpener(Protocol):
    """A store whose arrays open by path, as :class:`~ngff_geozarr.core.store.StoreHandle`."""

    def open_array(self, path: str) -> RegionReader:
        """Open the array at ``path``."""
        ...


def read_stored_slice(
    store: ArrayOpener, path: str, spatial_axes: Sequence[int]
) -> tuple[npt.NDArray[Any], bool] | None:
    """Read the middle slice of the array at ``path`` (:func:`read_slice`); ``None`` if unreadable.

    What both report builders do for every picture: an array that cannot be opened or read
    (a corrupt chunk, an unknown codec, a bad shape) gets no thumbnail, never an error:
    the report still shows the tree and the issues.

    Parameters
    ----------
    store
        The store, open for reading.
    path
        The array's path.
    spatial_axes
        The indices of the rows and columns axes.

    Returns
    -------
    tuple or None
        As :func:`read_slice`; ``None`` when the array cannot be read.
    """
    try:
        return read_slice(store.open_array(path), spatial_axes)
    except (NgffGeozarrError, ValueError, OSError, RuntimeError):
        # RuntimeError: what codecs raise for a corrupt chunk (zstd's "invalid input data")
        return None


def _valid(values: npt.NDArray[Any], nodata: float | int | None) -> npt.NDArray[np.bool_]:
    valid = np.ones(values.shape, dtype=bool)
    if values.dtype.kind in "fc":
        valid &= np.isfinite(values)
    if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)):
        valid &= values != nodata
    return valid


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
    valid = _valid(values, nodata)
    data = values.astype(np.float64)
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    if valid.any():
        low, high = np.quantile(data[valid], quantiles)
        span = high - low if high > low else 1.0
        grey = np.clip((np.where(valid, data, low) - low) / span, 0.0, 1.0)
        level = np.rint(grey * 255).astype(np.uint8)
        rgba[..., 0] = rgba[..., 1] = rgba[..., 2] = level
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


def encode_png(rgba: npt.NDArray[np.uint8]) -> bytes:
    """Encode an RGBA image as PNG (8 bits per channel, no filtering).

    Parameters
    ----------
    rgba
        ``(rows, columns, 4)`` unsigned bytes.

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
            _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)),
            _chunk(b"IEND", b""),
        )
    )
