"""Wells: the fields of view of one well of a plate."""

from __future__ import annotations

from pydantic import Field

from ngff.common.base import OmeModel
from ngff.common.context import CHECKS, Context, Tokens
from ngff.common.facts import WellFacts

__all__ = [
    "Well",
    "WellImage",
    "check_well",
    "check_well_section",
    "well_facts",
]

_SECTION = "well"


class WellImage(OmeModel):
    """One field of view: its path and, optionally, its acquisition (0.4, 0.5 path rules)."""

    path: str = Field(pattern=r"^[A-Za-z0-9]+$")
    acquisition: int | None = None


class Well(OmeModel):
    """The ``well`` metadata of 0.5 (0.4 adds ``version``; 0.6 widens image paths)."""

    images: list[WellImage] = Field(min_length=1)


check_well = CHECKS.runner("well")
"""Run every check of the ``well`` section that applies to the context's version."""


def well_facts(images: list[WellImage]) -> WellFacts:
    """Summarise a parsed well for the store checks.

    Parameters
    ----------
    images
        The well's parsed images.

    Returns
    -------
    WellFacts
        The image paths and acquisitions.
    """
    return WellFacts(images=tuple((i, im.path, im.acquisition) for i, im in enumerate(images)))


def check_well_section(ctx: Context, well: Well, at: Tokens) -> WellFacts:
    """Run the well rules on a parsed ``well`` section of any version and summarise it.

    Every version checks its wells the same way once parsed (0.4 adds ``version``, 0.6
    widens image paths: both are the models' business).

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
    check_well(ctx, well.images, at)
    return well_facts(well.images)
