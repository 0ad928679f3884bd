"""Open an input by its kind: :func:`open_input` and the :class:`Source` it returns."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.inputs.formats import TIFF_SUFFIXES, InputError, supported_formats_text
from ngff_geozarr.core.inputs.geotiff import GeoTiffReader
from ngff_geozarr.core.inputs.metadata import Calibration
from ngff_geozarr.core.inputs.regions import LazyArray
from ngff_geozarr.core.inputs.tiff import read_tiff
from ngff_geozarr.core.store import open_store

__all__ = ["Source", "open_input"]

# Files a Zarr store may be (a zip archive); any other file that is no format above is refused.
_ZARR_FILE_SUFFIXES = (".zip", ".ozx")


@dataclass(frozen=True)
class Source:
    """An opened input: the array-like and what the file says about it.

    Parameters
    ----------
    data
        The pixels: a numpy array or memmap; a
        :class:`~ngff_geozarr.core.inputs.LazyArray` (tiled or compressed TIFF:
        numpy-style slicing and transposing give views, ``numpy.asarray`` reads only the
        region a view covers); or, for a Zarr input, the array's
        :class:`~ngff_geozarr.core.store.ArrayIO` (region reads).
    path
        The input as given.
    format
        ``"tiff"``, ``"ome-tiff"``, ``"geotiff"``, ``"npy"``, ``"zarr"`` or ``"xarray"``.
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
        One name per channel (OME-XML ``Channel/@Name``), in order; empty when the file
        names none (or not one per channel).
    channel_colors
        One display colour per channel as ``RRGGBB`` hex: OME-XML ``Channel/@Color`` (a
        channel without one gets the schema's default, white), the top colour of each
        ImageJ LUT, ``FF0000``, ``00FF00``, ``0000FF`` (and ``FFFFFF`` for alpha) for RGB
        photometric samples; empty when the file gives none.
    channel_windows
        One display window ``(start, end)`` per channel: ImageJ ``Ranges`` (``min`` and
        ``max`` for one channel). OME-XML has no standard display window; empty when the
        file gives none.
    name
        The image name the file records (OME-XML ``Image/@Name``), or ``None``.
    rgb
        The samples axis (tifffile's ``S``) holds the red, green, blue (and alpha) of one
        colour image (TIFF photometric RGB), not independent channels.
    series
        The series of a TIFF file this is (0 for other inputs).
    series_count
        How many series the file holds (an OME-TIFF may hold several; 1 for other
        inputs). Above 1, the other series are opened with ``open_input(path, series=i)``
        and described by :func:`~ngff_geozarr.core.inputs.list_series`; a writer makes
        one image of each, or a collection (``bioformats2raw.layout``).
    levels
        The sub-resolution levels of a pyramidal TIFF, finest first, the base (``data``)
        excluded; each in ``data``'s axis order and as lazy as ``data`` (memory-mapped or
        a :class:`~ngff_geozarr.core.inputs.LazyArray`). A writer may copy them when
        they match its own plan.
    dims
        The dimension names of an xarray input (its own words, not letters); empty for
        files, whose axes are :attr:`axes`.
    dim_types
        The axis type of each of :attr:`dims` (``"time"``, ``"channel"``, ``"space"``, or
        ``None`` when nothing says; see
        :func:`~ngff_geozarr.core.inputs.labelled.axis_type_of`).
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
    series: int = 0
    series_count: int = 1
    levels: tuple[Any, ...] = ()
    dims: tuple[str, ...] = ()
    dim_types: tuple[str | None, ...] = ()

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of :attr:`data`."""
        return tuple(int(n) for n in self.data.shape)

    @property
    def dtype(self) -> np.dtype[Any]:
        """The data type of :attr:`data`."""
        dtype: np.dtype[Any] = np.dtype(self.data.dtype)
        return dtype


_SOURCE_FIELDS = frozenset(f.name for f in fields(Source))


def open_input(
    path: str | os.PathLike[str], *, georeferenced: bool = False, series: int | None = None
) -> Source:
    """Open an input lazily, with the metadata its format carries.

    Parameters
    ----------
    path
        A TIFF file, a ``.npy`` file, or a Zarr array ``STORE`` / ``STORE::PATH``: one of
        :data:`~ngff_geozarr.core.inputs.SUPPORTED_FORMATS`.
    georeferenced
        Read a TIFF as a GeoTIFF (CRS, transform, nodata) through rasterio.
    series
        The series of a TIFF file to open (see
        :func:`~ngff_geozarr.core.inputs.list_series`); the first when omitted, and
        :attr:`Source.series_count` says how many there are.

    Returns
    -------
    Source
        The data and its metadata.

    Raises
    ------
    InputError
        When the input cannot be read, is no supported format (the message names the
        supported ones), or has no such series.

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
    if series is not None and (suffix not in TIFF_SUFFIXES or georeferenced):
        raise InputError(f"{text}: series= applies to TIFF files (read by tifffile) only.")
    if series is not None and series < 0:
        raise InputError(f"{text}: expected a series index of 0 or more. Got {series}.")
    if suffix in TIFF_SUFFIXES:
        return _open_geotiff(text) if georeferenced else _open_tiff(text, series)
    if suffix == ".npy":
        try:
            data = np.load(text, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(f"Could not read the .npy file {text}: {exc}") from exc
        return Source(data, text, "npy")
    if "::" not in text and suffix not in _ZARR_FILE_SUFFIXES and Path(text).is_file():
        raise InputError(
            f"{text}: not a supported input format ({suffix or 'no suffix'}). "
            f"Supported: {supported_formats_text()}."
        )
    return _open_zarr(text)


def _open_tiff(path: str, series: int | None) -> Source:
    found = read_tiff(path, series)
    # The reader names what it finds as Source does: every field the two share is carried.
    shared = {f.name: getattr(found, f.name) for f in fields(found) if f.name in _SOURCE_FIELDS}
    return Source(path=path, format="ome-tiff" if found.ome else "tiff", **shared)


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
                shape, dtype = (ds.count, ds.height, ds.width), np.dtype(ds.dtypes[0])
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
    data = LazyArray(GeoTiffReader(path, shape, dtype))  # read window by window
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
            f"{text}: expected a Zarr array (STORE or STORE::PATH) or another supported "
            f"input: {supported_formats_text()}."
        ) from None
    return Source(data, text, "zarr")
