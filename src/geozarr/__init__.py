"""GeoZarr and CF: recognise, inspect and (in coming releases) validate and create.

The command line is ``geozarr``; see ``geozarr --help``.
"""

from __future__ import annotations

from geozarr.detection import detect, discover

__all__ = ["detect", "discover"]
