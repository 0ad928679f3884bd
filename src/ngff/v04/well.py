"""OME-Zarr 0.4 wells: ``well`` carries its own ``version``.

The well rules are the same in every version: :func:`check_well` is
:func:`ngff.common.well.check_well_section`, kept here under its former name.
"""

from __future__ import annotations

from ngff.common.well import Well as _Well
from ngff.common.well import check_well_section as check_well

__all__ = ["Well", "check_well"]


class Well(_Well):
    """The ``well`` metadata of 0.4 (and, without ``version``, of 0.5)."""

    version: str | None = None
