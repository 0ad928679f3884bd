"""Reprojection to another CRS, and web-map pyramids on the WebMercatorQuad tile matrix set.

:func:`write_webmap_pyramid` reprojects a GeoTIFF or GeoZarr raster (nodata-aware
``average``, ``nearest`` or ``mode``) into a new GeoZarr store whose chunks are tiles and
whose levels are zoom levels; :mod:`geozarr.reproject.grids` plans the target grid,
:mod:`geozarr.reproject.warp` reads a source on it tile by tile.
"""

from __future__ import annotations

from geozarr.reproject.grids import (
    WEB_MERCATOR_QUAD,
    TargetGrid,
    plan_target,
    zoom_for_resolution,
    zoom_resolution,
)
from geozarr.reproject.warp import RESAMPLING, Resampling, WarpedArray
from geozarr.reproject.webmap import (
    SourceRaster,
    WebMapPyramid,
    open_source,
    write_webmap_pyramid,
)

__all__ = [
    "RESAMPLING",
    "WEB_MERCATOR_QUAD",
    "Resampling",
    "SourceRaster",
    "TargetGrid",
    "WarpedArray",
    "WebMapPyramid",
    "open_source",
    "plan_target",
    "write_webmap_pyramid",
    "zoom_for_resolution",
    "zoom_resolution",
]
