"""Create OME-Zarr images, label images and plates: metadata builder, writers, extra levels.

The workflow mirrors the one users know from other tools — array specs, image metadata,
write, add downsampled levels — on top of the toolkit's pyramid engine
(:mod:`ngff_geozarr.core.pyramid`). The package has one module per job:

- :mod:`ngff.create.options`: what the writers accept (axes, units, chunks, array specs,
  targets) and :class:`CreationError`;
- :mod:`ngff.create.documents`: every OME metadata document the writers emit, built as its
  model and dumped from it;
- :mod:`ngff.create.rendering`: those documents in the version written, each parsed by that
  version's model (a document the models refuse is never written);
- :mod:`ngff.create.image`: :class:`Image`, the metadata of one multiscale image
  (:meth:`Image.new`, :meth:`Image.attributes`, :meth:`Image.to_store`), and the
  ``type``/``metadata`` that record how a pyramid was made;
- :mod:`ngff.create.write`: :func:`write_image`, level 0 and every downsampled level in one
  pass over the data, metadata last;
- :mod:`ngff.create.arrange`: any axes order (and file paths) into OME order, lazily;
- :mod:`ngff.create.channels`: channel names, colours, windows and RGB, checked up front;
- :mod:`ngff.create.target`: the target's state, checked first, and ``overwrite`` (a new
  store swapped in once complete);
- :mod:`ngff.create.omero`: ``omero`` channel metadata;
- :mod:`ngff.create.labels`: :func:`write_labels`;
- :mod:`ngff.create.levels`: :func:`add_levels`;
- :mod:`ngff.create.plate`: :func:`write_plate`;
- :mod:`ngff.create.collection`: :func:`write_series_collection` (every series of a file);
- :mod:`ngff.create.groups`: group documents in a store, written and read back;
- :mod:`ngff.create.sources`: the inputs of ``ngff create`` (TIFF, ``.npy``, Zarr arrays).

The examples are on the modules: :class:`~ngff.create.image.Image` shows a document built
as a model.
"""

from __future__ import annotations

from ngff.create.collection import write_series_collection
from ngff.create.image import Image
from ngff.create.labels import write_labels
from ngff.create.levels import add_levels
from ngff.create.options import (
    ArraySpec,
    AxesLike,
    CreationError,
    Target,
    UnitsLike,
    default_chunks,
    make_axes,
)
from ngff.create.plate import write_plate
from ngff.create.write import write_image

__all__ = [
    "ArraySpec",
    "AxesLike",
    "CreationError",
    "Image",
    "Target",
    "UnitsLike",
    "add_levels",
    "default_chunks",
    "make_axes",
    "write_image",
    "write_labels",
    "write_plate",
    "write_series_collection",
]
