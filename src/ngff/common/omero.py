"""Transitional ``omero`` rendering metadata.

The spec marks it transitional: values of the wrong type (a colour that is not a string, a
window bound that is not a number) are errors, as the schemas say; anything else (a colour
that is not six hex digits, a window whose minimum exceeds its maximum, missing fields) is a
warning readers can live with.
"""

from __future__ import annotations

import re

from ngff.common.base import OmeExtensibleModel
from ngff.common.context import CHECKS, Context, Tokens

__all__ = [
    "Channel",
    "Omero",
    "Window",
    "check_omero",
    "check_omero_channel",
    "check_omero_channels",
]

_SECTION = "omero"
_HEX6 = re.compile(r"[0-9A-Fa-f]{6}")


class Window(OmeExtensibleModel):
    """The display window of a channel."""

    start: float
    end: float
    min: float
    max: float


class Channel(OmeExtensibleModel):
    """Rendering settings of one channel."""

    color: str | None = None
    window: Window | None = None
    label: str | None = None
    family: str | None = None
    active: bool | None = None
    coefficient: float | None = None
    inverted: bool | None = None


class Omero(OmeExtensibleModel):
    """The ``omero`` metadata: channels and rendering defaults."""

    channels: list[Channel]


def check_omero_channel(ctx: Context, channel: Channel, at: Tokens) -> None:
    """Recommend a six-digit hex colour and an ordered window on each channel.

    Spec: omero (transitional) — "Each dictionary in 'channels' MUST contain the field
    'color', which is a string of 6 hexadecimal digits ... MUST contain the field 'window'".
    Transitional metadata: reported as warnings.
    """
    if channel.color is None:
        ctx.warn("ngff.omero.color", at, "The channel has no 'color'.", _SECTION)
    elif not _HEX6.fullmatch(channel.color):
        ctx.warn(
            "ngff.omero.color",
            [*at, "color"],
            f"Expected 6 hexadecimal digits (RRGGBB). Got {channel.color!r}.",
            _SECTION,
        )
    if channel.window is None:
        ctx.warn("ngff.omero.window", at, "The channel has no 'window'.", _SECTION)
    elif channel.window.min > channel.window.max:
        ctx.warn(
            "ngff.omero.window",
            [*at, "window"],
            f"Window min {channel.window.min:g} is above max {channel.window.max:g}.",
            _SECTION,
        )


@CHECKS.check("omero", "ngff.omero.color", "ngff.omero.window")
def check_omero_channels(ctx: Context, omero: Omero, at: Tokens) -> None:
    """Check the rendering settings of every channel (:func:`check_omero_channel`)."""
    for i, channel in enumerate(omero.channels):
        check_omero_channel(ctx, channel, [*at, "channels", i])


check_omero = CHECKS.runner("omero")
"""Run every check of the ``omero`` section that applies to the context's version."""
