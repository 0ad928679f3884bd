"""OME-Zarr 0.4 metadata: sections at the top level of the attributes, each versioned."""

from __future__ import annotations

from ngff.common.ome import VersionRules
from ngff.v04.labels import ImageLabel
from ngff.v04.multiscales import Multiscale
from ngff.v04.plate import Plate
from ngff.v04.well import Well

__all__ = ["RULES"]

RULES = VersionRules(
    version="0.4",
    multiscale=Multiscale,
    image_label=ImageLabel,
    plate=Plate,
    well=Well,
    versioned_sections=True,
)
"""The models and rules of OME-Zarr 0.4: 0.5's, with a ``version`` in each section."""
