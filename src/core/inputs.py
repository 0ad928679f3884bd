"""One input-reader layer for both conventions: TIFF, OME-TIFF, GeoTIFF, ``.npy``, Zarr arrays.

:func:`open_input` opens what a ``create`` command (``ngff create``, ``geozarr create``) or a
caller reads pixels from, lazily where it can, and returns one :class:`Source`: the
array-like and what the file says about it.

- ``.tif`` / ``.tiff``: the first series through tifffile, with the axes tifffile reports,
  the physical sample sizes of OME-XML or ImageJ metadata (:class:`Calibration`) and the
  OME-XML channel names. An uncompressed, contiguous file is memory-mapped; any other is
  decoded into memory (tifffile reads compressed TIFF pages whole).
- GeoTIFF (``georeferenced=True``, also ``.gtiff``): read through rasterio (the ``geo``
  extra), with its CRS (WKT), affine transform and nodata; one band becomes ``yx``, several
  ``cyx``.
- ``.npy``: memory-mapped, no axis names.
- anything else: a Zarr array, ``STORE`` (the root is the array) or ``STORE::PATH``.

A new input format is added here, once, and both conventions read it. What a convention
does with a source (OME axis order, the CRS a GeoZarr raster needs) stays in its package.
"""

from __future__ import annotations

import math
import os
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.store import open_store

__all__ = [
    "TIFF_SUFFIXES",
    "Calibration",
    "InputError",
    "Source",
    "open_input",
    "tiff_calibration",
]

TIFF_SUFFIXES = (".tif", ".tiff", ".gtiff")
"""File name endings read as TIFF."""


class InputError(NgffGeozarrError, ValueError):
    """An input cannot be read (missing, unreadable, or not a format this layer knows)."""


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
    InputError
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
        raise InputError(f"Could not read the TIFF file {path}: {exc}") from exc
    return Calibration()


@dataclass(frozen=True)
class Source:
    """An opened input: the array-like and what the file says about it.

    Parameters
    ----------
    data
        The pixels: a numpy array or memmap, or a Zarr array (read region by region).
    path
        The input as given.
    format
        ``"tiff"``, ``"ome-tiff"``, ``"geotiff"``, ``"npy"`` or ``"zarr"``.
    axes
        One letter per dimension as the file names them (tifffile's upper-case letters,
        ``yx``/``cyx`` for a GeoTIFF); ``None`` when the input does not name them.
    crs
        The CRS as WKT, for a GeoTIFF that declares one.
    transform
        The affine transform ``a, b, c, d, e, f`` (rasterio's order, pixel corners) of a
        GeoTIFF.
    nodata
        The nodata value a GeoTIFF declares.
    calibration
        The physical sample sizes an OME-TIFF or ImageJ TIFF declares.
    channel_names
        The channel names of an OME-TIFF, in order; empty when it names none.
    channel_colors
        One display colour per channel as ``RRGGBB`` hex (OME-XML ``Color``, ImageJ LUTs,
        red/green/blue for RGB photometric data); empty when the file gives none.
    channel_windows
        One display window ``(start, end)`` per channel (ImageJ ranges, OME-XML where
        present); empty when the file gives none.
    name
        The image name the file records (OME-XML ``Image/@Name``), or ``None``.
    rgb
        The samples of the last axis are the red, green, blue (and alpha) of one colour
        image (TIFF photometric RGB), not independent channels.
    """

    data: Any
    path: str
    format: str
    axes: str | None = None
    crs: str | None = None
    transform: tuple[float, ...] | None = None
    nodata: float | None = None
    calibration: Calibration = field(default_factory=lambda: Calibration())
    channel_names: tuple[str, ...] = ()
    channel_colors: tuple[str, ...] = ()
    channel_windows: tuple[tuple[float, float], ...] = ()
    name: str | None = None
    rgb: bool = False

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of :attr:`data`."""
        return tuple(int(n) for n in self.data.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        """The data type of :attr:`data`."""
        dtype: np.dtype[Any] = np.dtype(self.data.dtype)
        return dtype


def open_input(path: str | os.PathLike[str], *, georeferenced: bool = False) -> Source:
    """Open an input lazily, with the metadata its format carries.

    Parameters
    ----------
    path
        A TIFF file, a ``.npy`` file, or a Zarr array ``STORE`` / ``STORE::PATH``.
    georeferenced
        Read a TIFF as a GeoTIFF (CRS, transform, nodata) through rasterio.

    Returns
    -------
    Source
        The data and its metadata.

    Raises
    ------
    InputError
        When the input cannot be read; the message names it and what was expected.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "a.npy"
    >>> np.save(file, np.zeros((3, 4), "uint8"))
    >>> source = open_input(file)
    >>> source.format, source.shape, source.axes
    ('npy', (3, 4), None)
    """
    text = os.fspath(path)
    suffix = Path(text).suffix.lower()
    if suffix in (*TIFF_SUFFIXES, ".npy") and not Path(text).is_file():
        kind = "TIFF" if suffix in TIFF_SUFFIXES else ".npy"
        raise InputError(f"Could not read the {kind} file {text}: no such file.")
    if suffix in TIFF_SUFFIXES:
        return _open_geotiff(text) if georeferenced else _open_tiff(text)
    if suffix == ".npy":
        try:
            data = np.load(text, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(f"Could not read the .npy file {text}: {exc}") from exc
        return Source(data, text, "npy")
    return _open_zarr(text)


def _open_tiff(path: str) -> Source:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            axes = series.axes
            ome = tif.ome_metadata if tif.is_ome else None
            try:
                data: Any = tifffile.memmap(path, mode="r", series=0)
            except ValueError:
                data = series.asarray()
    except (OSError, tifffile.TiffFileError, IndexError) as exc:
        raise InputError(f"Could not read the TIFF file {path}: {exc}") from exc
    return Source(
        data,
        path,
        "ome-tiff" if ome else "tiff",
        axes=axes,
        calibration=tiff_calibration(path),
        channel_names=_channel_names(ome) if ome else (),
    )


def _open_geotiff(path: str) -> Source:
    try:
        import rasterio  # type: ignore[import-untyped]
    except ImportError:
        raise InputError(
            "reading GeoTIFF needs rasterio: pip install 'ngff-geozarr[geo]'"
        ) from None
    from rasterio.errors import (  # type: ignore[import-untyped]
        NotGeoreferencedWarning,
        RasterioError,
    )

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", NotGeoreferencedWarning)
            with rasterio.open(path) as ds:
                data = ds.read()
                crs, transform, nodata = ds.crs, ds.transform, ds.nodata
    except RasterioError as exc:
        raise InputError(f"Could not read the GeoTIFF file {path}: {exc}") from exc
    # a TIFF without georeferencing gets rasterio's identity transform: not a transform
    located = True
    for found in caught:
        if issubclass(found.category, NotGeoreferencedWarning):
            located = False
        else:
            warnings.warn(found.message, found.category, stacklevel=3)
    one_band = data.shape[0] == 1
    return Source(
        data[0] if one_band else data,
        path,
        "geotiff",
        axes="yx" if one_band else "cyx",
        crs=crs.to_wkt() if crs else None,
        transform=tuple(float(v) for v in tuple(transform)[:6]) if located else None,
        nodata=nodata,
    )


def _open_zarr(text: str) -> Source:
    store_path, _, array_path = text.partition("::")
    handle = open_store(store_path, "r")
    try:
        data = handle.open_array(array_path)
    except NgffGeozarrError:
        handle.close()
        raise InputError(
            f"{text}: expected a TIFF, a .npy file or a Zarr array (STORE or STORE::PATH)."
        ) from None
    return Source(data, text, "zarr")


def _channel_names(xml: str) -> tuple[str, ...]:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return ()
    pixels = next((e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Pixels"), None)
    if pixels is None:
        return ()
    channels = [e for e in pixels if e.tag.rsplit("}", 1)[-1] == "Channel"]
    names = tuple(c.get("Name") or "" for c in channels)
    return names if any(names) else ()
