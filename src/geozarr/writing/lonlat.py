"""A latitude / longitude grid without a grid mapping: the CRS its coordinates imply.

Most climate and weather data (CMIP, ERA5, CORDEX on regular grids) has coordinate variables
``lat`` / ``lon`` in degrees and no grid mapping variable: CF makes one optional there ("When
the coordinate variables for a horizontal grid are longitude and latitude, a grid mapping
variable with ``grid_mapping_name`` of ``latitude_longitude`` may be used to specify the
ellipsoid and prime meridian", CF §5.6). The grid is geographic; the datum is left unsaid.

GeoZarr needs a CRS (``proj:``) and a CF grid mapping at every level, so such a source is
written in WGS 84 (EPSG:4326), the datum GDAL's netCDF driver gives the same files, and the
writer says so (:data:`ASSUMED`), so that a user whose data is on another datum passes the
CRS. A coordinate counts as latitude or longitude by CF §4.1-4.2: its ``units``
(``degrees_north``, ``degrees_east`` and their spellings) or its ``standard_name``
(``latitude``, ``longitude``); a rotated pole's ``grid_latitude`` / ``grid_longitude`` does
not count, as it needs its mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyproj import CRS

__all__ = ["ASSUMED", "LATITUDE_UNITS", "LONGITUDE_UNITS", "implied_crs"]

ASSUMED = (
    "{where}: no grid mapping, and {y} / {x} are latitude / longitude (CF §4.1-4.2): "
    "written in WGS 84 (EPSG:4326), as GDAL reads such files; give the CRS to say otherwise."
)
"""The note a writer gives when it took the CRS from :func:`implied_crs`."""

LATITUDE_UNITS = frozenset(
    {"degrees_north", "degree_north", "degree_N", "degrees_N", "degreeN", "degreesN"}
)
"""The units of latitude (CF §4.1)."""
LONGITUDE_UNITS = frozenset(
    {"degrees_east", "degree_east", "degree_E", "degrees_E", "degreeE", "degreesE"}
)
"""The units of longitude (CF §4.2)."""


def _is(attributes: Mapping[str, Any], name: str, units: frozenset[str]) -> bool:
    return attributes.get("units") in units or attributes.get("standard_name") == name


def implied_crs(y: Mapping[str, Any], x: Mapping[str, Any]) -> CRS | None:
    """Return the CRS a grid's coordinates imply when no grid mapping names one.

    Parameters
    ----------
    y, x
        The attributes of the rows' and the columns' coordinate variables.

    Returns
    -------
    pyproj.CRS or None
        WGS 84 (EPSG:4326) when ``y`` is latitude and ``x`` longitude; ``None`` otherwise.

    Examples
    --------
    >>> implied_crs({"units": "degrees_north"}, {"standard_name": "longitude"}).to_epsg()
    4326
    >>> implied_crs({"standard_name": "grid_latitude"}, {"standard_name": "grid_longitude"})
    """
    if _is(y, "latitude", LATITUDE_UNITS) and _is(x, "longitude", LONGITUDE_UNITS):
        return CRS.from_epsg(4326)
    return None
