"""TIFF, OME-TIFF and ImageJ TIFF through tifffile: series, pyramid levels, pixels, metadata.

The pixels of a series are read one of two ways:

- uncompressed and contiguous: memory-mapped (:func:`tifffile.memmap`), a numpy array;
- anything else (tiled, compressed, scattered strips): a :class:`LazyArray` over tifffile's
  Zarr store of the series (``series.aszarr()``), opened read-only by
  :func:`~ngff_geozarr.core.store.open_store`. A region read decodes only the tiles or
  strips it overlaps, so a file far larger than memory converts in bounded memory.

The sub-resolution levels of a pyramidal file (OME-TIFF SubIFDs, SVS and other
tifffile-recognised pyramids) are opened the same way, one array per level.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.inputs.formats import InputError
from ngff_geozarr.core.inputs.metadata import (
    Calibration,
    ImageMetadata,
    imagej_calibration,
    imagej_display,
    ome_image,
)
from ngff_geozarr.core.inputs.regions import LazyArray
from ngff_geozarr.core.store import open_store

__all__ = [
    "RGB_COLORS",
    "SeriesInfo",
    "TiffContent",
    "list_series",
    "read_tiff",
    "tiff_calibration",
]

RGB_COLORS = ("FF0000", "00FF00", "0000FF", "FFFFFF")
"""The channel colours of RGB(A) photometric samples: red, green, blue (and alpha)."""

_READ_ERRORS: tuple[type[BaseException], ...] = (OSError, IndexError, ValueError, KeyError)


@dataclass(frozen=True)
class SeriesInfo:
    """One image series of a TIFF file, described without reading its pixels.

    Parameters
    ----------
    index
        Its position, as ``open_input(path, series=index)`` takes it.
    shape
        The shape of its base level.
    axes
        tifffile's axis letters, one per dimension.
    dtype
        Its data type, as a numpy name.
    name
        Its name (OME-XML ``Image/@Name``), or ``None``.
    levels
        The number of resolution levels, the base included (1 when not pyramidal).
    """

    index: int
    shape: tuple[int, ...]
    axes: str
    dtype: str
    name: str | None
    levels: int


@dataclass(frozen=True)
class TiffContent:
    """What :func:`read_tiff` found: the series' arrays and what the file says about them."""

    data: Any
    levels: tuple[Any, ...]
    axes: str
    ome: bool
    series: int
    series_count: int
    calibration: Calibration
    channel_names: tuple[str, ...]
    channel_colors: tuple[str, ...]
    channel_windows: tuple[tuple[float, float], ...]
    name: str | None
    rgb: bool


def _tifffile() -> Any:
    try:
        import tifffile
    except ImportError:  # pragma: no cover - tifffile is in the test environment
        raise InputError("reading TIFF needs tifffile: pip install 'ngff-geozarr[tiff]'") from None
    return tifffile


def _failure(path: str, exc: BaseException) -> InputError:
    return InputError(f"Could not read the TIFF file {path}: {exc}")


def _series_name(tif: Any, series: Any) -> str | None:
    return (str(series.name) or None) if tif.is_ome else None


def list_series(path: str | Path) -> list[SeriesInfo]:
    """List the image series of a TIFF file (an OME-TIFF may hold several).

    Parameters
    ----------
    path
        A ``.tif`` / ``.tiff`` file.

    Returns
    -------
    list of SeriesInfo
        One entry per series, in file order; ``open_input(path, series=i)`` opens entry
        ``i``.

    Raises
    ------
    InputError
        When the file cannot be read as a TIFF.
    """
    tifffile = _tifffile()
    try:
        with tifffile.TiffFile(path) as tif:
            return [
                SeriesInfo(
                    index=i,
                    shape=tuple(int(n) for n in s.shape),
                    axes=str(s.axes),
                    dtype=str(s.dtype),
                    name=_series_name(tif, s),
                    levels=len(s.levels),
                )
                for i, s in enumerate(tif.series)
            ]
    except (*_READ_ERRORS, tifffile.TiffFileError) as exc:
        raise _failure(str(path), exc) from exc


def _calibration(tif: Any, series: int, name: str | None) -> tuple[Calibration, ImageMetadata]:
    image = ImageMetadata()
    if tif.is_ome and tif.ome_metadata:
        image = ome_image(tif.ome_metadata, series, name)
        if image.calibration.scale:
            return image.calibration, image
    if tif.is_imagej:
        return imagej_calibration(tif), image
    return Calibration(), image


def tiff_calibration(path: str | Path, series: int = 0) -> Calibration:
    """Read the physical sample sizes a TIFF file declares (OME-XML first, then ImageJ's).

    Plain TIFF resolution tags are not used: outside ImageJ files they are nearly always a
    print resolution (72 dpi), not a sample size.

    Parameters
    ----------
    path
        A ``.tif`` / ``.tiff`` file.
    series
        The series (OME-XML ``Image``) whose sizes to read.

    Returns
    -------
    Calibration
        What the file declares; empty when it declares nothing usable.

    Raises
    ------
    InputError
        When the file cannot be read.
    """
    tifffile = _tifffile()
    try:
        with tifffile.TiffFile(path) as tif:
            name = _series_name(tif, tif.series[series]) if series < len(tif.series) else None
            return _calibration(tif, series, name)[0]
    except (*_READ_ERRORS, tifffile.TiffFileError) as exc:
        raise _failure(str(path), exc) from exc


def _channel_count(axes: str, shape: tuple[int, ...]) -> int:
    for letter in ("C", "S"):
        if letter in axes:
            return int(shape[axes.index(letter)])
    return 1


def _per_channel(values: tuple[Any, ...], channels: int) -> tuple[Any, ...]:
    return values if len(values) == channels else ()


class _OpenFile:
    """The open TiffFile that tifffile's Zarr stores read through, closed with its last reader."""

    def __init__(self, tif: Any) -> None:
        self.handles: list[Any] = []
        self._finalizer = weakref.finalize(self, _close, tif, self.handles)

    def close(self) -> None:
        self._finalizer()


def _close(tif: Any, handles: list[Any]) -> None:
    for handle in handles:
        handle.close()
    tif.close()


@dataclass(frozen=True, eq=False)
class _LevelReader:
    """One level's region reads, holding the open file they need.

    Pickled (sent to a worker process), it is its file's path, series and level, and the
    receiving process opens the file again.
    """

    array: Any
    owner: _OpenFile
    origin: tuple[str, int, int]

    def __reduce__(self) -> tuple[Any, tuple[str, int, int]]:
        return _reopen, self.origin

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.array.shape)

    @property
    def dtype(self) -> Any:
        return self.array.dtype

    def read(self, region: tuple[slice, ...]) -> Any:
        return self.array.read(region)


def _reader(series: Any, level: int, owner: _OpenFile, origin: tuple[str, int, int]) -> Any:
    """Open the level's region reads over tifffile's Zarr store (read tile by tile)."""
    handle = open_store(series.aszarr(level=level), "r")
    owner.handles.append(handle)
    try:
        array = handle.open_array("")
    except NgffGeozarrError as exc:
        raise ValueError(f"tifffile's Zarr view of the series is not an array ({exc})") from exc
    return _LevelReader(array, owner, origin)


def _reopen(path: str, series: int, level: int) -> Any:
    """Open a level's reader again, in a process a reader was sent to."""
    tif = _tifffile().TiffFile(path)
    return _reader(tif.series[series], level, _OpenFile(tif), (path, series, level))


def _level(path: str, tifffile: Any, series: Any, index: int, level: int, owner: _OpenFile) -> Any:
    try:
        return tifffile.memmap(path, mode="r", series=index, level=level)
    except ValueError:  # compressed, tiled or scattered: not memory-mappable
        return LazyArray(_reader(series, level, owner, (os.path.abspath(path), index, level)))


def read_tiff(path: str, series: int | None) -> TiffContent:
    """Open one series of a TIFF file lazily, with its levels and metadata.

    Parameters
    ----------
    path
        The file.
    series
        The series index; the first when ``None``.

    Returns
    -------
    TiffContent
        The arrays and the metadata.

    Raises
    ------
    InputError
        When the file cannot be read or has no such series.
    """
    tifffile = _tifffile()
    index = 0 if series is None else series
    try:
        tif = tifffile.TiffFile(path)
    except (*_READ_ERRORS, tifffile.TiffFileError) as exc:
        raise _failure(path, exc) from exc
    owner = _OpenFile(tif)
    try:
        count = len(tif.series)
        if not 0 <= index < count:
            raise InputError(
                f"{path}: no series {index}; the file has {count} "
                f"(0 to {count - 1}; list them with list_series)."
            )
        chosen = tif.series[index]
        axes = str(chosen.axes)
        name = _series_name(tif, chosen)
        ome = bool(tif.is_ome and tif.ome_metadata)
        calibration, image = _calibration(tif, index, name)
        meta = tif.imagej_metadata if tif.is_imagej else None
        photometric = int(chosen.keyframe.photometric)
        data = _level(path, tifffile, chosen, index, 0, owner)
        levels = tuple(
            _level(path, tifffile, chosen, index, k, owner) for k in range(1, len(chosen.levels))
        )
    except InputError:
        owner.close()
        raise
    except (*_READ_ERRORS, tifffile.TiffFileError) as exc:
        owner.close()
        raise _failure(path, exc) from exc
    if not owner.handles:
        owner.close()  # everything is memory-mapped: nothing reads through this file
    shape = tuple(int(n) for n in data.shape)
    channels = _channel_count(axes, shape)
    rgb = (
        "S" in axes
        and shape[axes.index("S")] in (3, 4)
        and photometric in (int(tifffile.PHOTOMETRIC.RGB), int(tifffile.PHOTOMETRIC.YCBCR))
    )
    colors: tuple[str, ...] = image.channel_colors
    windows: tuple[tuple[float, float], ...] = ()
    if meta:
        lut_colors, windows = imagej_display(meta, channels)
        colors = colors or lut_colors
    if rgb:
        colors = RGB_COLORS[: shape[axes.index("S")]]
    return TiffContent(
        data=data,
        levels=levels,
        axes=axes,
        ome=ome,
        series=index,
        series_count=count,
        calibration=calibration,
        channel_names=_per_channel(image.channel_names, channels),
        channel_colors=_per_channel(colors, channels),
        channel_windows=_per_channel(windows, channels),
        name=image.name,
        rgb=rgb,
    )
