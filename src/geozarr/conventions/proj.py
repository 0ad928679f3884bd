"""The ``proj:`` convention: a node's coordinate reference system.

Spec: the geo-proj README (``proj:`` v0.1 / geo-proj v1). Properties: ``proj:code``
(authority:code, pattern ``^[A-Z]+:[0-9]+$``), ``proj:wkt2`` (a WKT2 string), ``proj:projjson``
(a PROJJSON object); each may be ``null``; at least one MUST be provided. Whether the CRS
resolves is checked in :mod:`geozarr.crs`, not here (models do no I/O).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from ngff_geozarr.core.models import SpecModel

__all__ = ["PROJ_KEYS", "ProjAttributes"]

PROJ_KEYS = ("proj:code", "proj:wkt2", "proj:projjson")
"""The properties the convention defines."""

_Code = Annotated[str, StringConstraints(pattern=r"^[A-Z]+:[0-9]+$")]


class ProjAttributes(SpecModel):
    """The ``proj:`` properties of one node (the ``proj:``-prefixed attributes only).

    Rule ``geozarr.proj.crs-required`` (proj: §proj:code): "At least one of ``proj:code``,
    ``proj:wkt2``, or ``proj:projjson`` MUST be provided."
    """

    code: _Code | None = Field(default=None, alias="proj:code")
    wkt2: str | None = Field(default=None, alias="proj:wkt2")
    projjson: dict[str, Any] | None = Field(default=None, alias="proj:projjson")

    @model_validator(mode="after")
    def _crs_required(self) -> ProjAttributes:
        """Rule geozarr.proj.crs-required: some CRS representation is given."""
        if self.code is None and self.wkt2 is None and self.projjson is None:
            raise PydanticCustomError(
                "geozarr.proj.crs-required",
                "Expected at least one of proj:code, proj:wkt2, proj:projjson. Got none.",
            )
        return self
