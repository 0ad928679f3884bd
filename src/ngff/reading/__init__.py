"""Read OME-Zarr back: ``ngff.open(target)`` -> an image, labels, plate, well or collection.

:func:`open` reads a target's metadata once (any of 0.4, 0.5 and 0.6, from a directory, a
``.zip``, ``http(s)://`` or ``s3://``) and returns the typed object its root declares:

- :class:`ImageNode`: a multiscale image (or label image): its parsed metadata, axes,
  channel names, its levels (:class:`Level`) as lazy dask arrays, ``to_xarray(level)``, and
  its label images (``image.labels["cells"]``);
- :class:`LabelsNode`: a ``labels`` group, a mapping of label names to images;
- :class:`PlateNode` -> :class:`WellNode` -> fields (images), by path;
- :class:`CollectionNode`: a bioformats2raw collection, a mapping of series to images.

No chunk is read until a level is computed. Its modules, by job:
:mod:`~ngff.reading.source` (the store, the metadata, lazy arrays, :class:`ReadError`),
:mod:`~ngff.reading.image` (images, levels, labels), :mod:`~ngff.reading.groups` (plates,
wells, collections), :mod:`~ngff.reading.xarray` (``DataArray``),
:mod:`~ngff.reading.opening` (:func:`open`).
"""

from __future__ import annotations

from ngff.reading.groups import CollectionNode, PlateNode, WellNode
from ngff.reading.image import ImageNode, LabelsNode, Level
from ngff.reading.opening import OmeNode, open
from ngff.reading.source import OpenedNode, ReadError

__all__ = [
    "CollectionNode",
    "ImageNode",
    "LabelsNode",
    "Level",
    "OmeNode",
    "OpenedNode",
    "PlateNode",
    "ReadError",
    "WellNode",
    "open",
]
