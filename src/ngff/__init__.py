"""OME-Zarr (OME-NGFF): recognise, inspect and (in coming releases) validate and create.

The command line is ``ngff``; see ``ngff --help``.
"""

from __future__ import annotations

from ngff.detection import detect, discover, ome_attributes

__all__ = ["detect", "discover", "ome_attributes"]
