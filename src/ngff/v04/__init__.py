"""OME-Zarr 0.4: models and rules (sections at the top level of ``.zattrs``, Zarr v2).

Sections unchanged since are shared with later versions (``ngff.common``); this package
adds the per-section ``version`` keys of 0.4.
"""

from __future__ import annotations

from ngff.common.axes import Axis
from ngff.common.bioformats2raw import Bioformats2rawLayout, Series
from ngff.common.coordinate_transformations import (
    ScaleTransformation,
    TranslationTransformation,
)
from ngff.common.labels import Labels
from ngff.common.multiscales import Dataset
from ngff.common.omero import Omero
from ngff.v04.labels import ImageLabel
from ngff.v04.multiscales import Multiscale
from ngff.v04.ome import RULES
from ngff.v04.plate import Plate
from ngff.v04.well import Well

__all__ = ["RULES", "ImageLabel", "Multiscale", "Plate", "Well"]  # what 0.4 defines
__all__ += [  # what 0.4 shares with later versions (ngff.common)
    "Axis",
    "Bioformats2rawLayout",
    "Dataset",
    "Labels",
    "Omero",
    "ScaleTransformation",
    "Series",
    "TranslationTransformation",
]
