"""OME-Zarr 0.4 multiscale images: as 0.5, with a ``version`` on each multiscale object."""

from __future__ import annotations

from ngff.common.multiscales import Multiscale as _Multiscale

__all__ = ["Multiscale"]


class Multiscale(_Multiscale):
    """One multiscale image of 0.4: axes, datasets, and the version of its metadata."""

    version: str | None = None
