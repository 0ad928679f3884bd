"""OME-Zarr 0.4 wells: ``well`` carries its own ``version``.

The well rules are the same in every version and live in :mod:`ngff.common.well`;
:func:`check_well` keeps its former name here.
"""

from __future__ import annotations

from ngff.common.context import Context, Tokens
from ngff.common.facts import WellFacts
from ngff.common.well import Well as _Well
from ngff.common.well import check_well_section

__all__ = ["Well", "check_well"]


class Well(_Well):
    """The ``well`` metadata of 0.4 (and, without ``version``, of 0.5)."""

    version: str | None = None


def check_well(ctx: Context, well: _Well, at: Tokens) -> WellFacts:
    """Run the well rules on a parsed well (:func:`ngff.common.well.check_well_section`).

    Parameters
    ----------
    ctx
        The check context.
    well
        The parsed well.
    at
        Where it is, relative to the OME metadata.

    Returns
    -------
    WellFacts
        What the store checks need.
    """
    return check_well_section(ctx, well, at)
