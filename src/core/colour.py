"""Colour for pictures: display windows, colour maps and additive channel composites.

What :mod:`ngff_geozarr.core.thumbnail` draws with, kept apart so that each module stays
small: :func:`stretch` scales a slice between a display window (or two quantiles of its
valid values; NaN and the nodata value set aside), :func:`colormap_rgba` maps it through a
colour map (:data:`VIRIDIS` by default), :func:`composite_rgba` adds channels tinted with
their colours, as microscope viewers do, and :func:`parse_colour` reads OME's ``RRGGBB``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["VIRIDIS", "colormap_rgba", "composite_rgba", "parse_colour", "stretch"]

VIRIDIS = (
    (68, 1, 84),
    (72, 40, 120),
    (62, 73, 137),
    (49, 104, 142),
    (38, 130, 142),
    (31, 158, 137),
    (53, 183, 121),
    (110, 206, 88),
    (181, 222, 43),
    (253, 231, 37),
)
"""Anchors of the viridis colour map (perceptually uniform, colour-blind safe), low to high."""


def _valid(values: npt.NDArray[Any], nodata: float | int | None) -> npt.NDArray[np.bool_]:
    valid = np.ones(values.shape, dtype=bool)
    if values.dtype.kind in "fc":
        valid &= np.isfinite(values)
    if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)):
        valid &= values != nodata
    return valid


def stretch(
    values: npt.NDArray[Any],
    *,
    nodata: float | int | None = None,
    window: tuple[float, float] | None = None,
    quantiles: tuple[float, float] = (0.005, 0.995),
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], tuple[float, float]]:
    """Scale a slice to 0..1 between a display window, invalid pixels set aside.

    Parameters
    ----------
    values
        The slice.
    nodata
        A value that is not data (NaN and infinities never are); it does not count in
        the quantiles.
    window
        The values shown as 0 and 1; two quantiles of the valid values when omitted.
    quantiles
        The low and high quantiles of the window when none is given.

    Returns
    -------
    tuple
        The scaled values (clipped to 0..1; 0 where invalid), the validity mask and the
        window used.

    Examples
    --------
    >>> scaled, valid, window = stretch(np.array([0, 5, 10, -9999]), nodata=-9999,
    ...                                 quantiles=(0, 1))
    >>> scaled.tolist(), valid.tolist(), window
    ([0.0, 0.5, 1.0, 0.0], [True, True, True, False], (0.0, 10.0))
    """
    valid = _valid(values, nodata)
    data = values.astype(np.float64)
    if window is None:
        if valid.any():
            low, high = (float(q) for q in np.quantile(data[valid], quantiles))
        else:
            low, high = 0.0, 1.0
    else:
        low, high = float(window[0]), float(window[1])
    span = high - low if high > low else 1.0
    scaled = np.clip((np.where(valid, data, low) - low) / span, 0.0, 1.0)
    return scaled, valid, (low, high)


def colormap_rgba(
    values: npt.NDArray[Any],
    *,
    nodata: float | int | None = None,
    colormap: Sequence[tuple[int, int, int]] = VIRIDIS,
    quantiles: tuple[float, float] = (0.005, 0.995),
) -> tuple[npt.NDArray[np.uint8], tuple[float, float]]:
    """Map a 2-D slice through a colour map, contrast from quantiles of the valid values.

    Parameters
    ----------
    values
        The slice.
    nodata
        A value shown transparent (NaN always is); it does not stretch the contrast.
    colormap
        Colours evenly spaced from the low to the high end, interpolated linearly.
    quantiles
        The low and high quantiles mapped to the ends of the colour map.

    Returns
    -------
    tuple
        ``(rows, columns, 4)`` unsigned bytes (invalid pixels have alpha 0), and the
        values at the two ends (for a colour bar).

    Examples
    --------
    >>> rgba, ends = colormap_rgba(np.array([[1.0, 2.0, -9999.0]]), nodata=-9999,
    ...                            quantiles=(0, 1))
    >>> rgba[0, :, :3].tolist(), rgba[0, :, 3].tolist(), ends
    ([[68, 1, 84], [253, 231, 37], [0, 0, 0]], [255, 255, 0], (1.0, 2.0))
    """
    scaled, valid, window = stretch(values, nodata=nodata, quantiles=quantiles)
    anchors = np.asarray(colormap, dtype=np.float64)
    position = np.linspace(0.0, 1.0, len(anchors))
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    for band in range(3):
        channel = np.interp(scaled, position, anchors[:, band])
        rgba[..., band] = np.where(valid, np.rint(channel), 0).astype(np.uint8)
    rgba[..., 3] = np.where(valid, 255, 0)
    return rgba, window


def parse_colour(text: Any) -> tuple[int, int, int] | None:
    """Parse an ``RRGGBB`` colour (with or without ``#``), as OME ``omero`` writes them.

    Parameters
    ----------
    text
        The colour.

    Returns
    -------
    tuple or None
        Red, green and blue (0-255); ``None`` when it is not such a colour.

    Examples
    --------
    >>> parse_colour("FF00ff"), parse_colour("#00FF00"), parse_colour("green")
    ((255, 0, 255), (0, 255, 0), None)
    """
    if not isinstance(text, str):
        return None
    digits = text.removeprefix("#")
    if len(digits) != 6:
        return None
    try:
        value = int(digits, 16)
    except ValueError:
        return None
    return (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF


def composite_rgba(
    planes: Sequence[npt.NDArray[Any]],
    colours: Sequence[tuple[int, int, int]],
    windows: Sequence[tuple[float, float] | None] | None = None,
    *,
    nodata: float | int | None = None,
    alpha: npt.NDArray[Any] | None = None,
    quantiles: tuple[float, float] = (0.005, 0.995),
) -> npt.NDArray[np.uint8]:
    """Compose channels additively, each scaled in its window and tinted with its colour.

    What a microscope viewer shows: the sum of every channel's colour weighted by its
    scaled intensity, clipped to white. A red, a green and a blue channel make the
    photograph; a grey (``FFFFFF``) single channel stays grey.

    Parameters
    ----------
    planes
        One 2-D slice per channel, all of one shape.
    colours
        One colour per channel, 0-255 each.
    windows
        One display window per channel (``None``: quantiles of its valid values).
    nodata
        A value that is not data in any channel; a pixel is transparent where no channel
        has data.
    alpha
        An alpha channel (0-255 values) to use instead, as an RGBA raster has.
    quantiles
        The quantiles of a channel without a window.

    Returns
    -------
    numpy.ndarray
        ``(rows, columns, 4)`` unsigned bytes.

    Examples
    --------
    >>> green = np.array([[0, 255]]); magenta = np.array([[255, 255]])
    >>> composite_rgba([green, magenta], [(0, 255, 0), (255, 0, 255)],
    ...                [(0, 255), (0, 255)])[0].tolist()
    [[255, 0, 255, 255], [255, 255, 255, 255]]
    """
    if not planes:
        raise ValueError("a composite needs at least one channel")
    shape = planes[0].shape
    total = np.zeros((*shape, 3), dtype=np.float64)
    any_valid = np.zeros(shape, dtype=bool)
    for i, (plane, colour) in enumerate(zip(planes, colours, strict=True)):
        window = windows[i] if windows is not None else None
        scaled, valid, _ = stretch(plane, nodata=nodata, window=window, quantiles=quantiles)
        total += scaled[..., np.newaxis] * (np.asarray(colour, dtype=np.float64) / 255.0)
        any_valid |= valid
    rgba = np.zeros((*shape, 4), dtype=np.uint8)
    rgba[..., :3] = np.rint(np.clip(total, 0.0, 1.0) * 255).astype(np.uint8)
    if alpha is not None:
        rgba[..., 3] = np.where(any_valid, np.clip(alpha, 0, 255), 0).astype(np.uint8)
    else:
        rgba[..., 3] = np.where(any_valid, 255, 0)
    return rgba
