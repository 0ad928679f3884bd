"""OME-Zarr 0.6 metadata: 0.5's layout, with coordinate systems and scenes."""

from __future__ import annotations

from ngff.common.ome import VersionRules
from ngff.v06.multiscales import Multiscale, check_multiscale, image_facts
from ngff.v06.scene import check_scene
from ngff.v06.well import Well

__all__ = ["RULES"]

RULES = VersionRules(
    version="0.6",
    multiscale=Multiscale,
    check_multiscale=check_multiscale,
    image_facts=image_facts,
    well=Well,
    extra_sections={"scene": check_scene},
)
"""The models and rules of OME-Zarr 0.6: 0.5's, with its own multiscale image, well and scene."""
