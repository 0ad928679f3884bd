"""The ``spatial:`` convention: how array indices map to X/Y coordinates.

Spec: the spatial README (v0.1). Properties (all ``spatial:``-prefixed): ``dimensions``
(``string[2]``, Y then X; required on arrays), ``bbox`` (``number[4]``, xmin ymin xmax ymax),
``transform_type`` (default ``"affine"``), ``transform`` (``number[6]``, ``[a, b, c, d, e, f]``,
required when the type is affine), ``shape`` (``integer[2]``, height then width, each >= 1),
``registration`` (``"pixel"`` default, or ``"node"``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, PositiveInt, StrictFloat, StrictInt, field_validator
from pydantic_core import PydanticCustomError

from ngff_geozarr.core.models import SpecModel

__all__ = ["AFFINE", "Number", "SpatialAttributes"]

AFFINE = "affine"
"""The transform type defined by v0.1 (and assumed when ``spatial:transform_type`` is absent)."""

Number = StrictInt | StrictFloat
"""A JSON number (booleans and strings refused)."""


class SpatialAttributes(SpecModel):
    """The ``spatial:`` properties of one node (the ``spatial:``-prefixed attributes only).

    Rule ``geozarr.spatial.bbox-order`` (spatial: §spatial:bbox): ``[xmin, ymin, xmax, ymax]``,
    so xmin < xmax and ymin < ymax; a degenerate box such as ``[0, 0, 0, 0]`` bounds nothing.
    """

    dimensions: Annotated[list[str], Field(min_length=2, max_length=2)] | None = Field(
        default=None, alias="spatial:dimensions"
    )
    bbox: Annotated[list[Number], Field(min_length=4, max_length=4)] | None = Field(
        default=None, alias="spatial:bbox"
    )
    transform_type: str | None = Field(default=None, alias="spatial:transform_type")
    transform: Annotated[list[Number], Field(min_length=6, max_length=6)] | None = Field(
        default=None, alias="spatial:transform"
    )
    shape: Annotated[list[PositiveInt], Field(min_length=2, max_length=2)] | None = Field(
        default=None, alias="spatial:shape"
    )
    registration: Literal["pixel", "node"] | None = Field(
        default=None, alias="spatial:registration"
    )

    @field_validator("bbox")
    @classmethod
    def _bbox_ordered(cls, bbox: list[int | float] | None) -> list[int | float] | None:
        """Rule geozarr.spatial.bbox-order: the box has a positive extent on both axes."""
        if bbox is not None:
            xmin, ymin, xmax, ymax = bbox
            if not (xmin < xmax and ymin < ymax):
                raise PydanticCustomError(
                    "geozarr.spatial.bbox-order",
                    "Expected [xmin, ymin, xmax, ymax] with xmin < xmax and ymin < ymax. "
                    "Got {bbox}.",
                    {"bbox": list(bbox)},
                )
        return bbox
