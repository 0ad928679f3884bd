"""GeoZarr and CF: recognise, inspect and validate geospatial Zarr stores.

The command line is ``geozarr``; see ``geozarr --help``. In Python::

    report = geozarr.validate("elevation.zarr")       # profile="auto"
    report.valid, [i.rule for i in report.issues]
"""

from __future__ import annotations

from geozarr.detection import detect, discover
from geozarr.validate import Profile, validate

__all__ = ["Profile", "detect", "discover", "validate"]
