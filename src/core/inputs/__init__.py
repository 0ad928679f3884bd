"""One input-reader layer for both conventions: TIFF, GeoTIFF, ``.npy``, Zarr, xarray.

:func:`open_input` opens what a ``create`` command (``ngff create``, ``geozarr create``) or a
caller reads pixels from, lazily, and returns one :class:`Source`: the array-like and what
the file says about it. :data:`SUPPORTED_FORMATS` lists the formats, in one place:

- ``.tif`` / ``.tiff``: one series through tifffile (the first, or ``series=``; an OME-TIFF
  may hold several, :func:`list_series` lists them and :attr:`Source.series_count` counts
  them), with the axes tifffile reports, the physical sample sizes of OME-XML or ImageJ
  metadata (:class:`Calibration`), the OME-XML image and channel names, channel colours
  (OME-XML, ImageJ LUTs, red/green/blue for RGB samples), ImageJ display ranges, and the
  sub-resolution levels of a pyramidal file (:attr:`Source.levels`). Uncompressed,
  contiguous data is memory-mapped; tiled or compressed data is a :class:`LazyArray` read
  tile by tile through tifffile's Zarr interface, so memory stays bounded.
- GeoTIFF (``georeferenced=True``, also ``.gtiff``): read through rasterio (the ``geo``
  extra), with its CRS (WKT), affine transform and nodata; one band becomes ``yx``, several
  ``cyx``.
- ``.npy``: memory-mapped, no axis names.
- a Zarr array: ``STORE`` (the root is the array) or ``STORE::PATH``.
- an xarray ``DataArray``, or one variable of a ``Dataset`` (:func:`open_labelled`):
  dimension names, regular coordinates as sample sizes and origins with their units,
  channel labels, the name; dask data stays lazy.

Any other file is refused with an :class:`InputError` that names the supported formats.

A new input format is added here, once (and in :data:`SUPPORTED_FORMATS`), and both
conventions read it. What a convention does with a source (OME axis order, the CRS a
GeoZarr raster needs, one image per series or a collection) stays in its package.

Examples
--------
A two-series OME-TIFF, each series written as its own image::

    for info in list_series("plate.ome.tif"):
        source = open_input("plate.ome.tif", series=info.index)
        ngff.write_image(source.data, f"out/{info.index}", ...)
"""

from __future__ import annotations

from ngff_geozarr.core.inputs.formats import (
    SUPPORTED_FORMATS,
    TIFF_SUFFIXES,
    InputError,
    InputFormat,
    supported_formats_text,
)
from ngff_geozarr.core.inputs.labelled import (
    LabelledKind,
    axis_type_of,
    is_dataarray,
    is_dataset,
    is_labelled,
    labelled_kind,
    open_labelled,
)
from ngff_geozarr.core.inputs.metadata import Calibration, unit_name
from ngff_geozarr.core.inputs.opening import Source, open_input
from ngff_geozarr.core.inputs.regions import LazyArray
from ngff_geozarr.core.inputs.tiff import SeriesInfo, list_series, tiff_calibration

__all__ = [
    "SUPPORTED_FORMATS",
    "TIFF_SUFFIXES",
    "Calibration",
    "InputError",
    "InputFormat",
    "LabelledKind",
    "LazyArray",
    "SeriesInfo",
    "Source",
    "axis_type_of",
    "is_dataarray",
    "is_dataset",
    "is_labelled",
    "labelled_kind",
    "list_series",
    "open_input",
    "open_labelled",
    "supported_formats_text",
    "tiff_calibration",
    "unit_name",
]
