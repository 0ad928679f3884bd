"""OME-Zarr 0.6 axes: 0.5's, plus ``longName`` and ``discrete``, and more axis types."""

from __future__ import annotations

from ngff.common.axes import Axis as _Axis

__all__ = ["AXIS_TYPES", "Axis"]

AXIS_TYPES = ("array", "space", "time", "channel", "coordinate", "displacement", "frequency")
"""The axis types 0.6 defines (its strict schema allows only these)."""


class Axis(_Axis):
    """One axis of a coordinate system."""

    longName: str | None = None
    discrete: bool | None = None
