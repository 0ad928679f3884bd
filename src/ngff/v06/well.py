"""OME-Zarr 0.6 wells: image paths may also hold ``_``, ``.`` and ``-``."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from ngff.common.base import OmeModel

__all__ = ["Well", "WellImage"]


class WellImage(OmeModel):
    """One field of view of a 0.6 well."""

    path: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    acquisition: int | None = None

    @field_validator("path")
    @classmethod
    def _not_reserved(cls, path: str) -> str:
        """Spec 0.6 well schema: a path is not only dots and does not start with ``__``."""
        if set(path) == {"."} or path.startswith("__"):
            raise PydanticCustomError(
                "ngff.well.image-path",
                "Expected a path that is not only dots nor starts with '__'.",
            )
        return path


class Well(OmeModel):
    """The ``well`` metadata of 0.6."""

    images: list[WellImage] = Field(min_length=1)
