"""Open the inputs of ``ngff create``: TIFF files, ``.npy`` files and Zarr arrays, lazily.

:func:`open_source` returns an array the pyramid engine reads region by region, never the
whole file when it can avoid it, and the OME axis names of its dimensions:

- ``.tif`` / ``.tiff``: the first series, with the axes tifffile reports for it. An
  uncompressed, contiguous file is memory-mapped; any other is decoded into memory (tifffile
  reads compressed TIFF pages whole).
- ``.npy``: memory-mapped.
- anything else: a Zarr array (a directory, ``.zip`` or URL whose root is an array).

Axes are put in OME order (time, channel, then z, y, x) by a view, never a copy; axes of
extent 1 that OME-Zarr has no name for (tifffile's ``Q``, ``I``, ...) are dropped. tifffile's
letters map as ``T`` → ``t``, ``C`` or ``S`` (samples, e.g. RGB) → ``c``, ``Z`` → ``z``,
``Y`` → ``y``, ``X`` → ``x``, and ``I`` or ``Q`` (image sequence, unknown) → ``z`` when the
file has no ``Z``.

Examples
--------
>>> import numpy as np
>>> data, axes = to_ome_order(np.zeros((5, 1, 3, 4)), "ZQYX")
>>> data.shape, axes
((5, 3, 4), ['z', 'y', 'x'])
>>> to_ome_order(np.zeros((4, 3, 2)), "yxc")[0].shape
(2, 4, 3)
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ngff.create.options import CreationError
from ngff_geozarr.core.store import open_store

__all__ = ["OME_ORDER", "Calibration", "open_source", "tiff_calibration", "to_ome_order"]

OME_ORDER = "tczyx"
"""The order OME-Zarr requires of the axes it names."""

_TIFF_AXES = {"T": "t", "C": "c", "S": "c", "Z": "z", "Y": "y", "X": "x"}
# Unit spellings of OME-XML and ImageJ, as the OME-Zarr (UDUNITS-2) names.
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
        Where it came from: ``"OME-XML"``, ``"ImageJ"``, or ``""`` for nothing.
    """

    scale: dict[str, float] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    source: str = ""

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


def _unit(text: str | None) -> str | None:
    if not text:
        return None
    return _UNITS.get(text.strip()) or _UNITS.get(text.strip().lower())


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _ome_calibration(xml: str) -> Calibration:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return Calibration()
    pixels = next((e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Pixels"), None)
    if pixels is None:
        return Calibration()
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


def _imagej_calibration(tif: Any) -> Calibration:
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


def tiff_calibration(path: str | Path) -> Calibration:
    """Read the physical sample sizes a TIFF file declares (OME-XML first, then ImageJ's).

    Plain TIFF resolution tags are not used: outside ImageJ files they are nearly always a
    print resolution (72 dpi), not a sample size.

    Parameters
    ----------
    path
        A ``.tif`` / ``.tiff`` file.

    Returns
    -------
    Calibration
        What the file declares; empty when it declares nothing usable.

    Raises
    ------
    CreationError
        When the file cannot be read.
    """
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            if tif.is_ome and tif.ome_metadata:
                found = _ome_calibration(tif.ome_metadata)
                if found.scale:
                    return found
            if tif.is_imagej:
                return _imagej_calibration(tif)
    except (OSError, tifffile.TiffFileError, IndexError) as exc:
        raise CreationError(f"Could not read the TIFF file {path}: {exc}") from exc
    return Calibration()


_SEQUENCE_AXES = ("I", "Q")


def to_ome_order(data: Any, axes: str | Sequence[str]) -> tuple[Any, list[str]]:
    """Drop unnamed axes of extent 1 and transpose the rest into OME order (a view).

    Parameters
    ----------
    data
        A numpy array or memmap.
    axes
        One name per dimension of ``data``: OME names (``t``, ``c``, ``z``, ``y``, ``x``) or
        tifffile's upper-case letters.

    Returns
    -------
    tuple
        The reordered array and its OME axis names.

    Raises
    ------
    CreationError
        When the axes do not match the data, repeat, or name something OME-Zarr cannot
        hold with an extent above 1.
    """
    letters = list(axes)
    if len(letters) != data.ndim:
        raise CreationError(
            f"Expected {data.ndim} axes for data of shape {list(data.shape)}. "
            f"Got {''.join(letters)!r}."
        )
    upper = [a.upper() for a in letters]
    has_z = "Z" in upper
    names: list[str | None] = []
    for letter in letters:
        if letter in _TIFF_AXES.values():
            names.append(letter)
        elif letter.upper() in _TIFF_AXES:
            names.append(_TIFF_AXES[letter.upper()])
        elif letter.upper() in _SEQUENCE_AXES and not has_z:
            names.append("z")
            has_z = True
        else:
            names.append(None)
    index: list[Any] = []
    kept: list[str] = []
    for name, extent, letter in zip(names, data.shape, letters, strict=True):
        if name is None or (extent == 1 and name in kept):
            if extent != 1:
                raise CreationError(
                    f"Expected axes among t, c, z, y, x. Axis {letter!r} (extent {extent}) "
                    "has no OME-Zarr equivalent; pass --axes."
                )
            index.append(0)
            continue
        if name in kept:
            raise CreationError(f"Expected each of t, c, z, y, x once. Got {''.join(letters)!r}.")
        index.append(slice(None))
        kept.append(name)
    view = data[tuple(index)]
    order = sorted(range(len(kept)), key=lambda i: OME_ORDER.index(kept[i]))
    return np.transpose(view, order), [kept[i] for i in order]


def _open_tiff(path: Path) -> tuple[Any, str]:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            axes = series.axes
            try:
                data: Any = tifffile.memmap(path, mode="r", series=0)
            except ValueError:
                data = series.asarray()
    except (OSError, tifffile.TiffFileError, IndexError) as exc:
        raise CreationError(f"Could not read the TIFF file {path}: {exc}") from exc
    return data, axes


def open_source(path: str | Path, axes: str | None = None) -> tuple[Any, list[str] | None]:
    """Open an input lazily and name its axes.

    Parameters
    ----------
    path
        A ``.tif``/``.tiff`` file, a ``.npy`` file, or a Zarr array.
    axes
        The axes of the input, in its own order (one letter per dimension); a TIFF file's
        own axes, or ``None`` (the writer's default by dimension count), when omitted.

    Returns
    -------
    tuple
        The array (in OME axis order when axes are known) and its axis names, or ``None``
        when neither the file nor ``axes`` names them.

    Raises
    ------
    CreationError
        When the input cannot be read or its axes cannot be put in OME order.
    """
    source = Path(path)
    suffix = source.suffix.lower()
    file_axes: str | None = None
    if suffix in (".tif", ".tiff"):
        data, file_axes = _open_tiff(source)
    elif suffix == ".npy":
        try:
            data = np.load(source, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise CreationError(f"Could not read the .npy file {source}: {exc}") from exc
    else:
        store = open_store(str(path), "r")
        data = store.open_array("")
    chosen = axes if axes is not None else file_axes
    if chosen is None:
        return data, None
    if not isinstance(data, np.ndarray):
        names = list(chosen)
        if [n for n in names if n in OME_ORDER] != sorted(names, key=OME_ORDER.find) or any(
            n not in OME_ORDER for n in names
        ):
            raise CreationError(
                f"Expected the axes of a Zarr input in OME order (t, c, z, y, x). Got {chosen!r}."
            )
        return data, names
    return to_ome_order(data, chosen)
