"""OME-Zarr 0.4 wells: ``well`` carries its own ``version``."""

from __future__ import annotations

from ngff.common.context import Context, Tokens
from ngff.common.facts import WellFacts
from ngff.common.well import Well as _Well
from ngff.common.well import check_well as _check_well
from ngff.common.well import well_facts

__all__ = ["Well", "check_well"]


class Well(_Well):
    """The ``well`` metadata of 0.4 (and, without ``version``, of 0.5)."""

    version: str | None = None


def check_well(ctx: Context, well: _Well, at: Tokens) -> WellFacts:
    """Run the well rules on a parsed 0.4 or 0.5 well and summarise it.

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
    _check_well(ctx, well.images, at)
    return well_facts(well.images)
