"""Base classes of the OME-Zarr models: JSON types taken literally.

The models validate JSON, where ``"0"`` is a string and not the integer 0: they run in
pydantic's strict mode (an integer is still accepted where a number is expected).
"""

from __future__ import annotations

from pydantic import ConfigDict

from ngff_geozarr.core.models import ExtensibleModel, SpecModel

__all__ = ["OmeExtensibleModel", "OmeModel"]


class OmeModel(SpecModel):
    """An OME-Zarr spec object: frozen, unknown keys reported, JSON types strict."""

    model_config = ConfigDict(strict=True)


class OmeExtensibleModel(ExtensibleModel):
    """An OME-Zarr spec object that allows further keys, JSON types strict."""

    model_config = ConfigDict(strict=True)
