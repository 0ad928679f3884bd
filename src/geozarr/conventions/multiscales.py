"""The ``multiscales`` convention: the layout of a pyramid of resolution levels.

Spec: the multiscales README (v0.1 / v1). ``multiscales`` is an object with ``layout`` (at
least one layout object) and an optional default ``resampling_method``; each layout object has
``asset`` (a relative path, no leading ``/``, no ``..``), optional ``derived_from`` (same
syntax), ``transform`` (``scale`` / ``translation`` per axis; required when ``derived_from`` is
present), ``resampling_method``, and, composed with ``spatial:``, level-specific
``spatial:shape`` and ``spatial:transform``. Additional properties are allowed everywhere.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, PositiveInt, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from geozarr.conventions.spatial import Number
from ngff_geozarr.core.models import ExtensibleModel

__all__ = ["KNOWN_RESAMPLING_METHODS", "LayoutEntry", "Multiscales", "Transform"]

KNOWN_RESAMPLING_METHODS = frozenset(
    {
        "nearest",
        "average",
        "bilinear",
        "cubic",
        "cubic_spline",
        "lanczos",
        "mode",
        "max",
        "min",
        "med",
        "sum",
        "q1",
        "q3",
        "rms",
        "gauss",
    }
)
"""The methods the spec names (multiscales §resampling_method); others are allowed but
readers may not know them."""

_Path = Annotated[str, StringConstraints(pattern=r"^(?!/)(?!.*(\.\.))([^/]+(/[^/]+)*)$")]


class Transform(ExtensibleModel):
    """Relative transformation from the source level to this one (multiscales §Transform Object)."""

    scale: list[Number] | None = None
    translation: list[Number] | None = None


class LayoutEntry(ExtensibleModel):
    """One resolution level (multiscales §Layout Object).

    Rule ``geozarr.multiscales.transform-required``: ``transform`` is required when
    ``derived_from`` is present.
    """

    model_config = ConfigDict(regex_engine="python-re")  # the spec's pattern uses look-ahead

    asset: _Path
    derived_from: _Path | None = None
    transform: Transform | None = None
    resampling_method: str | None = None
    spatial_shape: Annotated[list[PositiveInt], Field(min_length=2, max_length=2)] | None = Field(
        default=None, alias="spatial:shape"
    )
    spatial_transform: Annotated[list[Number], Field(min_length=6, max_length=6)] | None = Field(
        default=None, alias="spatial:transform"
    )

    @model_validator(mode="after")
    def _transform_with_source(self) -> LayoutEntry:
        """Rule geozarr.multiscales.transform-required (multiscales §Layout Object)."""
        if self.derived_from is not None and self.transform is None:
            raise PydanticCustomError(
                "geozarr.multiscales.transform-required",
                "Expected a transform: the level is derived_from {source!r}. Got none.",
                {"source": self.derived_from},
            )
        return self


class Multiscales(ExtensibleModel):
    """The ``multiscales`` attribute of a group (multiscales §Configuration)."""

    layout: Annotated[list[LayoutEntry], Field(min_length=1)]
    resampling_method: str | None = None
