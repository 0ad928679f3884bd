"""OME-Zarr 0.4 wells: ``well`` carries its own ``version``.

The well rules are the same in every version and live in :mod:`ngff.common.well`;
``check_well`` keeps its former name here (an alias of
:func:`ngff.common.well.check_well_section`).
"""

from __future__ import annotations

from ngff.common.well import Well as _Well
from ngff.common.well import check_well_section

__all__ = ["Well", "check_well"]


class Well(_Well):
    """The ``well`` metadata of 0.4 (and, without ``version``, of 0.5)."""

    version: str | None = None


check_well = check_well_section
"""The well rules of 0.4, under their former name: those of every version."""
