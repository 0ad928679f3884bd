"""ngff-geozarr: toolkit for the OME-Zarr and GeoZarr/CF conventions.

Users import :mod:`ngff` and :mod:`geozarr`; the shared machinery that knows no convention
lives in :mod:`ngff_geozarr.core`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("ngff-geozarr")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
