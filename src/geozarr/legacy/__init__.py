"""The GeoZarr v0.4 draft (before the December 2025 reset): Zarr v2, CF, TMS multiscales.

:mod:`~geozarr.legacy.v04` holds its models, :mod:`~geozarr.legacy.checks` its rules.
"""

from __future__ import annotations

__all__: list[str] = []
