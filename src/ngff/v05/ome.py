"""OME-Zarr 0.5 metadata: every section under the ``ome`` namespace, one version for all."""

from __future__ import annotations

from ngff.common.labels import ImageLabel
from ngff.common.multiscales import Multiscale, check_multiscale, image_facts
from ngff.common.ome import VersionRules
from ngff.common.plate import Plate
from ngff.common.well import Well, check_well_section

__all__ = ["RULES"]

RULES = VersionRules(
    version="0.5",
    multiscale=Multiscale,
    check_multiscale=check_multiscale,
    image_facts=image_facts,
    image_label=ImageLabel,
    plate=Plate,
    well=Well,
    check_well=check_well_section,
)
"""The models and rules of OME-Zarr 0.5."""
