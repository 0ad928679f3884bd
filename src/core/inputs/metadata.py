"""What a microscopy TIFF says about its pixels: OME-XML and ImageJ metadata, read without pixels.

- physical sample sizes (:class:`Calibration`): OME-XML ``Pixels/@PhysicalSize*`` and
  ``@TimeIncrement``, or ImageJ's resolution tags, ``spacing``, ``finterval`` and ``unit``;
- per image (one OME-XML ``Image`` per series): its ``@Name`` and its channels' ``@Name``
  and ``@Color``;
- ImageJ display settings: the LUT of each channel (its top colour) and its display range
  (``Ranges``, or ``min``/``max`` for one channel).

Colours are ``RRGGBB`` hex strings. An OME-XML ``Color`` is "a signed 32 bit encoding of
RGBA so "-1" is #FFFFFFFF or solid white", and a channel without one has that default
(OME schema 2016-06, ``Channel/@Color`` and the ``Color`` type).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "OME_DEFAULT_COLOR",
    "Calibration",
    "ImageMetadata",
    "imagej_calibration",
    "imagej_display",
    "ome_color",
    "ome_image",
    "unit_name",
]

_UNITS = {
    "nm": "nanometer",
    "nanometer": "nanometer",
    "um": "micrometer",
    "\u00b5m": "micrometer",  # micro sign
    "\u03bcm": "micrometer",  # Greek mu
    "micron": "micrometer",
    "microns": "micrometer",
    "micrometer": "micrometer",
    "mm": "millimeter",
    "millimeter": "millimeter",
    "cm": "centimeter",
    "centimeter": "centimeter",
    "m": "meter",
    "meter": "meter",
    "\u00c5": "angstrom",
    "angstrom": "angstrom",
    "pm": "picometer",
    "s": "second",
    "sec": "second",
    "second": "second",
    "ms": "millisecond",
    "millisecond": "millisecond",
    "\u00b5s": "microsecond",
    "us": "microsecond",
    "min": "minute",
    "minute": "minute",
    "h": "hour",
    "hour": "hour",
}

OME_DEFAULT_COLOR = "FFFFFF"
"""The colour of an OME-XML channel without ``Color`` (the schema's default, -1)."""


@dataclass(frozen=True)
class Calibration:
    """The physical sample size a file declares, per OME axis name.

    Parameters
    ----------
    scale
        Sample size by axis name (``x``, ``y``, ``z``, ``t``); axes the file does not
        calibrate are absent.
    units
        The unit of each calibrated axis, as an OME-Zarr unit name; absent when the file
        gives a size without a unit it names.
    source
        Where it came from: ``"OME-XML"``, ``"ImageJ"``, ``"xarray"``, or ``""`` for
        nothing.
    origin
        The position of the first sample's centre by axis name, where the input says
        (an xarray coordinate's first value); absent axes start at 0.
    """

    scale: dict[str, float] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    source: str = ""
    origin: dict[str, float] = field(default_factory=dict)

    def for_axes(self, names: Sequence[str]) -> tuple[list[float], dict[str, str]] | None:
        """Return the scale of every axis (1 where uncalibrated) and the units, or ``None``.

        Parameters
        ----------
        names
            The OME axis names of the array, in order.

        Returns
        -------
        tuple or None
            ``(scale, units)`` for :func:`ngff.write_image`; ``None`` when the file
            calibrates none of these axes.
        """
        if not any(n in self.scale for n in names):
            return None
        return (
            [self.scale.get(n, 1.0) for n in names],
            {n: u for n, u in self.units.items() if n in names},
        )

    def origin_for_axes(self, names: Sequence[str]) -> list[float] | None:
        """Return the origin of every axis (0 where none is given), or ``None``.

        Parameters
        ----------
        names
            The axis names of the array, in order.

        Returns
        -------
        list of float or None
            The translation for :func:`ngff.write_image`; ``None`` when no axis has a
            non-zero origin.
        """
        values = [self.origin.get(n, 0.0) for n in names]
        return values if any(values) else None


@dataclass(frozen=True)
class ImageMetadata:
    """What OME-XML says about one image (one series of an OME-TIFF).

    Parameters
    ----------
    name
        ``Image/@Name``, or ``None``.
    calibration
        From its ``Pixels`` element.
    channel_names
        ``Channel/@Name`` of each channel; empty when no channel is named.
    channel_colors
        ``Channel/@Color`` of each channel as ``RRGGBB``; empty when no channel has one.
    """

    name: str | None = None
    calibration: Calibration = field(default_factory=lambda: Calibration())
    channel_names: tuple[str, ...] = ()
    channel_colors: tuple[str, ...] = ()


def unit_name(text: Any) -> str | None:
    """Return the OME-Zarr (UDUNITS-2) name of a unit as files spell it, else ``None``.

    Parameters
    ----------
    text
        A unit as OME-XML, ImageJ or a coordinate's ``units`` attribute spells it
        (``"µm"``, ``"micron"``, ``"um"``, ``"micrometer"``, ``"s"``, ...); anything else
        (``None``, a number, an unknown unit) gives ``None``.

    Returns
    -------
    str or None
        The unit's OME-Zarr name.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    return _UNITS.get(text.strip()) or _UNITS.get(text.strip().lower())


_unit = unit_name


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def ome_color(value: str) -> str | None:
    """Turn an OME-XML ``Color`` (a signed 32-bit RGBA integer) into ``RRGGBB`` hex.

    Parameters
    ----------
    value
        The attribute's text, e.g. ``"-16776961"`` (opaque red).

    Returns
    -------
    str or None
        The colour without its alpha; ``None`` when the text is not a 32-bit integer.

    Examples
    --------
    >>> ome_color("-1"), ome_color("-16776961"), ome_color("16711935")
    ('FFFFFF', 'FF0000', '00FF00')
    """
    try:
        number = int(value.strip())
    except ValueError:
        return None
    if not -(2**31) <= number < 2**31:
        return None
    rgba = number & 0xFFFFFFFF
    return f"{rgba >> 8:06X}"


def _ome_calibration(pixels: ET.Element) -> Calibration:
    scale: dict[str, float] = {}
    units: dict[str, str] = {}
    for axis, key, unit_key, default in (
        ("x", "PhysicalSizeX", "PhysicalSizeXUnit", "micrometer"),
        ("y", "PhysicalSizeY", "PhysicalSizeYUnit", "micrometer"),
        ("z", "PhysicalSizeZ", "PhysicalSizeZUnit", "micrometer"),
        ("t", "TimeIncrement", "TimeIncrementUnit", "second"),
    ):
        size = _positive(pixels.get(key))
        if size is None:
            continue
        scale[axis] = size
        unit = _unit(pixels.get(unit_key)) if pixels.get(unit_key) else default
        if unit is not None:
            units[axis] = unit
    return Calibration(scale, units, "OME-XML" if scale else "")


def ome_image(xml: str, series: int = 0, name: str | None = None) -> ImageMetadata:
    """Read one image's name, calibration and channels from an OME-XML document.

    Parameters
    ----------
    xml
        The OME-XML text.
    series
        The series index: the ``Image`` element at this position, when the document has one
        ``Image`` per series.
    name
        The series' name (tifffile's), used to find the ``Image`` when the position does not
        match (images without pixel data in the file are not series).

    Returns
    -------
    ImageMetadata
        Empty when the document cannot be parsed or has no such image.
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return ImageMetadata()
    images = [e for e in root if _local(e) == "Image"]
    named = [e for e in images if name is not None and e.get("Name") == name]
    if len(named) == 1:
        image = named[0]
    elif 0 <= series < len(images):
        image = images[series]
    else:
        return ImageMetadata()
    pixels = next((e for e in image if _local(e) == "Pixels"), None)
    if pixels is None:
        return ImageMetadata(name=image.get("Name") or None)
    channels = [e for e in pixels if _local(e) == "Channel"]
    names = tuple(c.get("Name") or "" for c in channels)
    found = [c.get("Color") for c in channels]
    colors = tuple(
        (ome_color(text) if text is not None else None) or OME_DEFAULT_COLOR for text in found
    )
    return ImageMetadata(
        name=image.get("Name") or None,
        calibration=_ome_calibration(pixels),
        channel_names=names if any(names) else (),
        channel_colors=colors if any(text is not None for text in found) else (),
    )


def imagej_calibration(tif: Any) -> Calibration:
    """Read the physical sample sizes of an ImageJ TIFF.

    Parameters
    ----------
    tif
        An open ``tifffile.TiffFile`` whose ``imagej_metadata`` is set.

    Returns
    -------
    Calibration
        x and y from the resolution tags (pixels per unit), z from ``spacing``, t from
        ``finterval`` (seconds), in ``unit``.
    """
    meta = tif.imagej_metadata or {}
    unit = _unit(str(meta.get("unit") or ""))
    scale: dict[str, float] = {}
    page = tif.pages[0]
    for axis, tag in (("x", "XResolution"), ("y", "YResolution")):
        found = page.tags.get(tag)
        value = found.value if found is not None else None
        if isinstance(value, tuple) and len(value) == 2 and value[0]:
            size = _positive(value[1] / value[0])  # pixels per unit -> unit per pixel
            if size is not None and size != 1.0:
                scale[axis] = size
    spacing = _positive(meta.get("spacing"))
    if spacing is not None:
        scale["z"] = spacing
    units = {a: unit for a in scale if unit is not None}
    interval = _positive(meta.get("finterval"))
    if interval is not None:
        scale["t"] = interval
        units["t"] = "second"
    return Calibration(scale, units, "ImageJ" if scale else "")


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def imagej_display(
    meta: dict[str, Any], channels: int
) -> tuple[tuple[str, ...], tuple[tuple[float, float], ...]]:
    """Read the channel colours and display windows of an ImageJ TIFF.

    Parameters
    ----------
    meta
        ``tifffile.TiffFile.imagej_metadata``.
    channels
        The number of channels of the image.

    Returns
    -------
    tuple
        The colour of each channel (the top entry of its LUT, ``RRGGBB``) and its display
        window (``Ranges``; ``min``/``max`` when there is one channel); each empty when the
        file does not give one per channel.
    """
    colors: tuple[str, ...] = ()
    luts = meta.get("LUTs")
    if isinstance(luts, list | tuple) and len(luts) == channels:
        tops: list[str] = []
        for lut in luts:
            table = np.asarray(lut)
            if table.ndim != 2 or table.shape[0] != 3 or table.shape[1] == 0:
                tops = []
                break
            red, green, blue = (int(v) for v in table[:, -1])
            tops.append(f"{red:02X}{green:02X}{blue:02X}")
        colors = tuple(tops)
    windows: tuple[tuple[float, float], ...] = ()
    ranges = meta.get("Ranges")
    if isinstance(ranges, list | tuple) and len(ranges) == 2 * channels:
        values = [_finite(v) for v in ranges]
        pairs = [(values[i], values[i + 1]) for i in range(0, len(values), 2)]
        if all(lo is not None and hi is not None and lo <= hi for lo, hi in pairs):
            windows = tuple((float(lo), float(hi)) for lo, hi in pairs)  # type: ignore[arg-type]
    elif channels == 1:
        low, high = _finite(meta.get("min")), _finite(meta.get("max"))
        if low is not None and high is not None and low <= high:
            windows = ((low, high),)
    return colors, windows
