"""Axes: the dimensions of an image (0.4, 0.5) or of a coordinate system (0.6).

The rules here are shared by every version: 0.6 applies them to each coordinate system.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import Field

from ngff.common.base import OmeModel
from ngff.common.context import Context, Tokens

__all__ = [
    "AXIS_TYPES",
    "SPACE_UNITS",
    "TIME_UNITS",
    "Axis",
    "check_axes",
    "check_axis_count",
    "check_axis_names_unique",
    "check_axis_order",
    "check_axis_type_counts",
    "check_axis_types_known",
    "check_axis_units",
    "check_space_axis_count",
    "check_space_axis_order",
]

AXIS_TYPES = ("space", "time", "channel")
"""The axis types 0.4 and 0.5 define (0.6 adds more)."""

SPACE_UNITS = frozenset(
    [
        "angstrom",
        "attometer",
        "centimeter",
        "decimeter",
        "exameter",
        "femtometer",
        "foot",
        "gigameter",
        "hectometer",
        "inch",
        "kilometer",
        "megameter",
        "meter",
        "micrometer",
        "mile",
        "millimeter",
        "nanometer",
        "parsec",
        "petameter",
        "picometer",
        "terameter",
        "yard",
        "yoctometer",
        "yottameter",
        "zeptometer",
        "zettameter",
    ]
)
"""Units a ``space`` axis SHOULD use (UDUNITS-2 names listed by the spec)."""

TIME_UNITS = frozenset(
    [
        "attosecond",
        "centisecond",
        "day",
        "decisecond",
        "exasecond",
        "femtosecond",
        "gigasecond",
        "hectosecond",
        "hour",
        "kilosecond",
        "megasecond",
        "microsecond",
        "millisecond",
        "minute",
        "nanosecond",
        "petasecond",
        "picosecond",
        "second",
        "terasecond",
        "yoctosecond",
        "yottasecond",
        "zeptosecond",
        "zettasecond",
    ]
)
"""Units a ``time`` axis SHOULD use (UDUNITS-2 names listed by the spec)."""

_SECTION = "axes"


class Axis(OmeModel):
    """One axis: a name, and optionally a type and a unit."""

    name: str = Field(min_length=1)
    type: str | None = None
    unit: str | None = None


def check_axis_count(ctx: Context, axes: Sequence[Axis], at: Tokens) -> None:
    """Ensure an image has 2 to 5 axes.

    Spec: multiscales — "The length of 'axes' must be between 2 and 5".
    """
    if not 2 <= len(axes) <= 5:
        ctx.error(
            "ngff.axes.count",
            at,
            f"Expected 2 to 5 axes. Got {len(axes)}.",
            _SECTION,
        )


def check_axis_names_unique(ctx: Context, axes: Sequence[Axis], at: Tokens) -> None:
    """Ensure axis names are unique.

    Spec: axes — "MUST contain the field 'name' ... The values MUST be unique".
    """
    counts = Counter(a.name for a in axes)
    for i, axis in enumerate(axes):
        if counts[axis.name] > 1 and [a.name for a in axes].index(axis.name) != i:
            ctx.error(
                "ngff.axes.unique-names",
                [*at, i, "name"],
                f"Axis name {axis.name!r} is used more than once; names MUST be unique.",
                _SECTION,
            )


def check_space_axis_count(ctx: Context, axes: Sequence[Axis], at: Tokens) -> None:
    """Ensure an image has 2 or 3 axes of type ``space``.

    Spec: multiscales — "The 'axes' MUST contain 2 or 3 entries of 'type:space'".
    """
    n = sum(a.type == "space" for a in axes)
    if n not in (2, 3):
        ctx.error(
            "ngff.axes.space-count",
            at,
            f"Expected 2 or 3 axes of type 'space'. Got {n}.",
            _SECTION,
        )


def check_axis_type_counts(ctx: Context, axes: Sequence[Axis], at: Tokens) -> None:
    """Ensure at most one ``time`` axis and at most one ``channel`` or custom-typed axis.

    Spec: multiscales — "MAY contain one additional entry of 'type:time' and MAY contain one
    additional entry of 'type:channel' or a null / custom type".
    """
    times = [i for i, a in enumerate(axes) if a.type == "time"]
    others = [i for i, a in enumerate(axes) if a.type not in ("space", "time")]
    if len(times) > 1:
        ctx.error(
            "ngff.axes.type-count",
            [*at, times[1]],
            f"Expected at most one axis of type 'time'. Got {len(times)}.",
            _SECTION,
        )
    if len(others) > 1:
        ctx.error(
            "ngff.axes.type-count",
            [*at, others[1]],
            f"Expected at most one axis of type 'channel' or of a custom type. Got {len(others)}.",
            _SECTION,
        )


def check_axis_order(ctx: Context, axes: Sequence[Axis], at: Tokens) -> None:
    """Ensure axes are ordered time, then channel or custom, then space.

    Spec: multiscales — "the entries MUST be ordered by 'type' where the 'time' axis must come
    first (if present), followed by the 'channel' or custom axis (if present) and the axes of
    type 'space'".
    """

    def rank(axis: Axis) -> int:
        return {"time": 0, "space": 2}.get(axis.type or "", 1)

    ranks = [rank(a) for a in axes]
    for i in range(1, len(axes)):
        if ranks[i] < ranks[i - 1]:
            order = ", ".join(f"{a.name}:{a.type or 'untyped'}" for a in axes)
            ctx.error(
                "ngff.axes.order",
                [*at, i],
                f"Expected time, then channel or custom, then space axes. Got {order}.",
                _SECTION,
            )
            return


def check_space_axis_order(ctx: Context, axes: Sequence[Axis], at: Tokens) -> None:
    """Recommend the order ``z``, ``y``, ``x`` for three space axes of those names.

    Spec: multiscales — "If there are three spatial axes where two correspond to the image
    plane ("yx") and images are stacked along the other (anisotropic) axis ("z"), the
    spatial axes SHOULD be ordered as "zyx"." Only axes named ``z``, ``y`` and ``x`` say
    which is the stacking axis, so only those are compared.
    """
    space = [(i, a.name) for i, a in enumerate(axes) if a.type == "space"]
    names = [name for _, name in space]
    if sorted(names) == ["x", "y", "z"] and names != ["z", "y", "x"]:
        ctx.should(
            "ngff.axes.space-order",
            [*at, space[0][0]],
            f"Expected the space axes in the order z, y, x. Got {', '.join(names)}.",
            _SECTION,
        )


def check_axis_types_known(
    ctx: Context, axes: Sequence[Axis], at: Tokens, known: Sequence[str] = AXIS_TYPES
) -> None:
    """Recommend a type on every axis, and the axis types the spec defines.

    Spec: axes — "SHOULD contain the field 'type'. It SHOULD be one of the strings ...";
    an axis without ``type`` and a custom type are both allowed (a warning, an error under
    the strict profile).
    """
    for i, axis in enumerate(axes):
        if axis.type is None:
            ctx.should(
                "ngff.axes.type",
                [*at, i],
                f"Axis {axis.name!r} has no 'type'; the spec recommends one ({', '.join(known)}).",
                _SECTION,
            )
        elif axis.type not in known:
            ctx.should(
                "ngff.axes.type",
                [*at, i, "type"],
                f"Axis {axis.name!r}: type {axis.type!r} is not one the spec defines "
                f"({', '.join(known)}).",
                _SECTION,
            )


def check_axis_units(ctx: Context, axes: Sequence[Axis], at: Tokens) -> None:
    """Recommend UDUNITS-2 units that match the axis type.

    Spec: axes — "SHOULD contain the field 'unit' ... The value SHOULD be one of the
    following strings" (space and time units listed).
    """
    for i, axis in enumerate(axes):
        if axis.unit is None:
            continue
        allowed = {"space": SPACE_UNITS, "time": TIME_UNITS}.get(axis.type or "")
        if allowed is None:
            if axis.unit in SPACE_UNITS | TIME_UNITS:
                continue
            expected = "a UDUNITS-2 space or time unit"
        elif axis.unit in allowed:
            continue
        else:
            expected = f"a {axis.type} unit"
        ctx.should(
            "ngff.axes.unit",
            [*at, i, "unit"],
            f"Axis {axis.name!r}: expected {expected}. Got {axis.unit!r}.",
            _SECTION,
        )


def check_axes(
    ctx: Context, axes: Sequence[Axis], at: Tokens, known: Sequence[str] = AXIS_TYPES
) -> None:
    """Run every axes rule on an image's axes.

    Parameters
    ----------
    ctx
        The check context.
    axes
        The axes.
    at
        Where the axes list is, relative to the OME metadata.
    known
        The axis types the version defines.
    """
    check_axis_count(ctx, axes, at)
    check_axis_names_unique(ctx, axes, at)
    check_space_axis_count(ctx, axes, at)
    check_axis_type_counts(ctx, axes, at)
    check_axis_order(ctx, axes, at)
    check_space_axis_order(ctx, axes, at)
    check_axis_types_known(ctx, axes, at, known)
    check_axis_units(ctx, axes, at)
