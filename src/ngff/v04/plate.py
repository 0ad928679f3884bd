"""OME-Zarr 0.4 plates: ``plate`` carries its own ``version``."""

from __future__ import annotations

from ngff.common.plate import Plate as _Plate

__all__ = ["Plate"]


class Plate(_Plate):
    """The ``plate`` metadata of 0.4."""

    version: str | None = None
