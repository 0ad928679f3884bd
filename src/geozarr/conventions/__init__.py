"""The Zarr conventions GeoZarr builds on: ``zarr_conventions``, ``proj:``, ``spatial:``, etc.

One module per convention, named after it; :mod:`geozarr.conventions.registry` recognises a
convention from its ``zarr_conventions`` declaration, and :mod:`geozarr.conventions.checks`
holds the rules that need more than one node's attributes.
"""

from __future__ import annotations

__all__: list[str] = []
