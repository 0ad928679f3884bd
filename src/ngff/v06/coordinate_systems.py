"""OME-Zarr 0.6 coordinate systems: named lists of axes."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from ngff.common.axes import check_axes, check_axis_names_unique
from ngff.common.base import OmeModel
from ngff.common.context import CHECKS, Context, Tokens
from ngff.v06.axes import AXIS_TYPES, Axis

__all__ = [
    "CoordinateSystem",
    "check_array_coordinate_system",
    "check_coordinate_systems",
]


class CoordinateSystem(OmeModel):
    """A named coordinate system and its axes."""

    name: str = Field(min_length=1)
    axes: list[Axis] = Field(min_length=1, max_length=5)


_SECTION = "coordinateSystems"


def check_array_coordinate_system(ctx: Context, cs: CoordinateSystem, at: Tokens) -> None:
    """Ensure a coordinate system of ``array`` axes has at least two of them.

    Spec: axes schema — a coordinate system holds 2 or 3 space axes, or at least 2 array axes.
    """
    if len(cs.axes) < 2:
        ctx.error(
            "ngff.axes.count",
            [*at, "axes"],
            f"Expected at least 2 array axes. Got {len(cs.axes)}.",
            "axes",
        )
    check_axis_names_unique(ctx, cs.axes, [*at, "axes"])


def check_coordinate_systems(ctx: Context, systems: Sequence[CoordinateSystem], at: Tokens) -> None:
    """Run every rule on a list of coordinate systems.

    Parameters
    ----------
    ctx
        The check context.
    systems
        The parsed coordinate systems.
    at
        Where the list is, relative to the OME metadata.
    """
    CHECKS.run("coordinateSystems", ctx, systems, at, version=ctx.version)
    for i, cs in enumerate(systems):
        if cs.axes and all(a.type == "array" for a in cs.axes):
            check_array_coordinate_system(ctx, cs, [*at, i])
        else:
            check_axes(ctx, cs.axes, [*at, i, "axes"], AXIS_TYPES)
