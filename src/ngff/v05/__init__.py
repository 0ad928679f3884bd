"""OME-Zarr 0.5: models and rules (metadata under ``ome`` in ``zarr.json``, Zarr v3).

0.5 changed where the metadata lives, not its sections: the models are those of
``ngff.common``, without the per-section ``version`` of 0.4.
"""

from __future__ import annotations

from ngff.common.axes import Axis
from ngff.common.bioformats2raw import Bioformats2rawLayout, Series
from ngff.common.coordinate_transformations import (
    ScaleTransformation,
    TranslationTransformation,
)
from ngff.common.labels import ImageLabel, Labels
from ngff.common.multiscales import Dataset, Multiscale
from ngff.common.omero import Omero
from ngff.common.plate import Plate
from ngff.common.well import Well
from ngff.v05.ome import RULES

__all__ = [
    "RULES",
    "Axis",
    "Bioformats2rawLayout",
    "Dataset",
    "ImageLabel",
    "Labels",
    "Multiscale",
    "Omero",
    "Plate",
    "ScaleTransformation",
    "Series",
    "TranslationTransformation",
    "Well",
]
