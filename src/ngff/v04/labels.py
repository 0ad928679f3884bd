"""OME-Zarr 0.4 label images: ``image-label`` carries its own ``version``."""

from __future__ import annotations

from ngff.common.labels import ImageLabel as _ImageLabel

__all__ = ["ImageLabel"]


class ImageLabel(_ImageLabel):
    """The ``image-label`` metadata of 0.4."""

    version: str | None = None
