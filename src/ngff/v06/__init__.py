"""OME-Zarr 0.6: coordinate systems, the RFC-5 transformations, scenes.

The version string is seen as ``0.6``, ``0.6rc0`` and ``0.6.devN``; all read as 0.6.
"""

from __future__ import annotations

from ngff.common.bioformats2raw import Bioformats2rawLayout, Series
from ngff.common.labels import ImageLabel, Labels
from ngff.common.omero import Omero
from ngff.common.plate import Plate
from ngff.v06.axes import Axis
from ngff.v06.coordinate_systems import CoordinateSystem
from ngff.v06.coordinate_transformations import Transformation
from ngff.v06.multiscales import Dataset, Multiscale
from ngff.v06.ome import RULES
from ngff.v06.scene import Scene
from ngff.v06.well import Well

__all__ = [  # what 0.6 defines
    "RULES",
    "Axis",
    "CoordinateSystem",
    "Dataset",
    "Multiscale",
    "Scene",
    "Transformation",
    "Well",
]
__all__ += ["Bioformats2rawLayout", "ImageLabel", "Labels", "Omero", "Plate", "Series"]  # shared
