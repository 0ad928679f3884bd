"""The inputs of ``ngff create``; moved to :mod:`ngff.create.sources`, re-exported here.

Import from :mod:`ngff.create.sources` in new code; these names stay for existing callers.
"""

from __future__ import annotations

import ngff.create.sources as _sources

__all__ = ["OME_ORDER", "Calibration", "open_source", "tiff_calibration", "to_ome_order"]

OME_ORDER = _sources.OME_ORDER
"""The order OME-Zarr requires of the axes it names."""
Calibration = _sources.Calibration
open_source = _sources.open_source
tiff_calibration = _sources.tiff_calibration
to_ome_order = _sources.to_ome_order
