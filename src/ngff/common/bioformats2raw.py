"""The transitional bioformats2raw layout: a collection of images, and its ``OME`` group."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ngff.common.base import OmeModel

__all__ = ["Bioformats2rawLayout", "Series"]


class Bioformats2rawLayout(OmeModel):
    """The ``bioformats2raw.layout`` marker of a collection's top-level group (value 3)."""

    bioformats2raw_layout: Literal[3] = Field(alias="bioformats2raw.layout")


class Series(OmeModel):
    """The ``series`` of the ``OME`` group: paths of the images, in OME-XML order."""

    series: list[str] = Field(min_length=1)
