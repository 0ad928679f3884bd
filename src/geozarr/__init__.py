"""GeoZarr and CF: create, inspect, validate and convert geospatial Zarr stores.

The command line is ``geozarr``; see ``geozarr --help``. In Python::

    geozarr.write(data, "dem.zarr", crs="EPSG:32632", transform=(30, 0, 5e5, 0, -30, 5.2e6))
    geozarr.pyramid("dem.zarr")                        # NaN/nodata-aware mean overviews
    geozarr.convert("dem.zarr", "dem-v2.zarr", zarr_format=2)
    ds = geozarr.open("dem.zarr", level=1)              # xr.Dataset, CRS set for rioxarray
    report = geozarr.validate("dem.zarr")             # profile="auto"
    report.valid, [i.rule for i in report.issues]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geozarr.detection import detect, discover
from ngff_geozarr.core.lazy import lazy_exports

if TYPE_CHECKING:
    from geozarr.convert import convert
    from geozarr.pyramid import pyramid
    from geozarr.reading import open
    from geozarr.reproject import write_webmap_pyramid
    from geozarr.validate import Profile, validate
    from geozarr.write import write

__all__ = [
    "Profile",
    "convert",
    "detect",
    "discover",
    "open",
    "pyramid",
    "validate",
    "write",
    "write_webmap_pyramid",
]

# Writers, converters and the validator load zarr (and pyproj): imported on first use, so that
# importing a model (``geozarr.conventions``, ``geozarr.cf``) stays light.
lazy_exports(
    __name__,
    {
        "Profile": "geozarr.validate",
        "convert": "geozarr.convert",
        "open": "geozarr.reading",
        "pyramid": "geozarr.pyramid",
        "validate": "geozarr.validate",
        "write": "geozarr.write",
        "write_webmap_pyramid": "geozarr.reproject",
    },
)
