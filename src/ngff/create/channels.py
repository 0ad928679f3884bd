"""Channel settings of an image: names, colours, display windows, RGB; checked up front.

:func:`channel_settings` checks what a caller gives (or a file records) against the image's
channel count before the first byte is written, and fills what is missing:

- **names**: ``Channel 0``, ``Channel 1``, ...; for RGB(A) data ``red``, ``green``, ``blue``
  (and ``alpha``).
- **colours**: ``RRGGBB`` or ``#RRGGBB`` hex, or a name as microscopy viewers name their
  lookup tables (:data:`COLOR_NAMES`: ``green`` is ``00FF00``, ``gray`` the greyscale ramp
  ``FFFFFF``). RGB(A) data gets ``FF0000``, ``00FF00``, ``0000FF`` (alpha ``FFFFFF``,
  shown inactive) and the rendering model ``color``; one channel gets white and the model
  ``greyscale``; several channels get :data:`DEFAULT_COLORS`, distinct colours that stay
  apart for colour-blind viewers (magenta and green first, then the Okabe-Ito set).
- **windows**: ``(start, end)`` per channel, ``start < end``; computed from the data when
  omitted (see :mod:`ngff.create.omero`).

The ``omero`` section these settings become is transitional metadata (spec: "omero" metadata
(transitional), "color" is "a string of 6 hexadecimal digits", "window" has "start", "end",
"min" and "max").

Examples
--------
>>> parse_color("#00ff00"), parse_color("magenta")
('00FF00', 'FF00FF')
>>> settings = channel_settings(3, rgb=True)
>>> settings.colors, settings.model
(('FF0000', '00FF00', '0000FF'), 'color')
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ngff.create.options import CreationError

__all__ = [
    "COLOR_NAMES",
    "DEFAULT_COLORS",
    "ChannelSettings",
    "channel_settings",
    "parse_color",
]

COLOR_NAMES: dict[str, str] = {
    "red": "FF0000",
    "green": "00FF00",
    "lime": "00FF00",
    "blue": "0000FF",
    "cyan": "00FFFF",
    "magenta": "FF00FF",
    "yellow": "FFFF00",
    "orange": "FF8000",
    "white": "FFFFFF",
    "gray": "FFFFFF",
    "grey": "FFFFFF",
}
"""Colour names and the lookup-table colour each stands for."""

DEFAULT_COLORS: tuple[str, ...] = (
    "FF00FF",  # magenta
    "00FF00",  # green
    "56B4E9",  # sky blue (Okabe-Ito)
    "E69F00",  # orange
    "F0E442",  # yellow
    "0072B2",  # blue
    "D55E00",  # vermillion
    "CC79A7",  # reddish purple
    "009E73",  # bluish green
)
"""The colours of several channels without colours of their own, in order (then repeated)."""

_RGB_COLORS = ("FF0000", "00FF00", "0000FF", "FFFFFF")
_RGB_NAMES = ("red", "green", "blue", "alpha")
_HEX = re.compile(r"#?([0-9A-Fa-f]{6})")


def parse_color(text: str) -> str:
    """Return a colour as the six upper-case hex digits ``omero`` stores.

    Parameters
    ----------
    text
        ``RRGGBB``, ``#RRGGBB`` or a name of :data:`COLOR_NAMES` (any case).

    Returns
    -------
    str
        ``RRGGBB``.

    Raises
    ------
    CreationError
        When the text is neither.
    """
    found = _HEX.fullmatch(text.strip())
    if found:
        return found.group(1).upper()
    named = COLOR_NAMES.get(text.strip().lower())
    if named is None:
        raise CreationError(
            f"Expected a colour as RRGGBB, #RRGGBB or one of {', '.join(COLOR_NAMES)}. "
            f"Got {text!r}."
        )
    return named


@dataclass(frozen=True)
class ChannelSettings:
    """What the ``omero`` section of an image says of its channels (checked, complete).

    Parameters
    ----------
    names
        One label per channel.
    colors
        One ``RRGGBB`` colour per channel.
    windows
        One ``(start, end)`` per channel, or ``None`` for a channel whose window comes from
        the data.
    active
        Whether each channel is shown.
    model
        The rendering model, ``"color"`` or ``"greyscale"``.
    name
        The image name (``omero`` ``name``), or ``None``.
    rgb
        Whether the channels are the red, green, blue (alpha) of one colour image; their
        default windows are then the dtype's whole range.
    """

    names: tuple[str, ...]
    colors: tuple[str, ...]
    windows: tuple[tuple[float, float] | None, ...]
    active: tuple[bool, ...]
    model: str
    name: str | None = None
    rgb: bool = False


def _counted(what: str, values: Sequence[object] | None, count: int) -> None:
    if values is not None and len(values) != count:
        raise CreationError(
            f"Expected {count} channel {what} (one per channel). Got {len(values)}: {list(values)}."
        )


def _window(value: object) -> tuple[float, float]:
    try:
        start, end = (float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise CreationError(f"Expected a window as (start, end). Got {value!r}.") from None
    if not (math.isfinite(start) and math.isfinite(end) and start < end):
        raise CreationError(f"Expected a window with finite start < end. Got ({start:g}, {end:g}).")
    return start, end


def channel_settings(
    count: int,
    *,
    names: Sequence[str] | None = None,
    colors: Sequence[str] | None = None,
    windows: Sequence[Sequence[float]] | None = None,
    rgb: bool = False,
    name: str | None = None,
) -> ChannelSettings:
    """Check the channel settings against the channel count and fill the defaults.

    Parameters
    ----------
    count
        The number of channels (the extent of the channel axis; 1 without one).
    names, colors, windows
        One per channel, or ``None`` for the defaults (see the module).
    rgb
        The channels are red, green, blue (and alpha): 3 or 4 of them.
    name
        The image name.

    Returns
    -------
    ChannelSettings
        The complete settings.

    Raises
    ------
    CreationError
        When a list does not hold one value per channel, a colour or window is malformed, a
        name is empty, or ``rgb`` is asked of other than 3 or 4 channels.
    """
    if rgb and count not in (3, 4):
        raise CreationError(
            f"Expected 3 (RGB) or 4 (RGBA) channels for rgb=True. Got {count}: pass "
            "rgb=False (--no-rgb) or the axes that name the colour samples."
        )
    _counted("names", names, count)
    _counted("colors", colors, count)
    _counted("windows", windows, count)
    if names is not None and not all(isinstance(n, str) and n.strip() for n in names):
        raise CreationError(f"Expected non-empty channel names. Got {list(names)}.")
    if rgb:
        default_names, default_colors = _RGB_NAMES[:count], _RGB_COLORS[:count]
    else:
        default_names = tuple(f"Channel {c}" for c in range(count))
        default_colors = (
            ("FFFFFF",)
            if count == 1
            else tuple(DEFAULT_COLORS[c % len(DEFAULT_COLORS)] for c in range(count))
        )
    return ChannelSettings(
        names=tuple(names) if names is not None else default_names,
        colors=tuple(parse_color(c) for c in colors) if colors is not None else default_colors,
        windows=(tuple(_window(w) for w in windows) if windows is not None else (None,) * count),
        active=tuple(not (rgb and c == 3) for c in range(count)),
        model="color" if rgb or count > 1 or colors is not None else "greyscale",
        name=name,
        rgb=rgb,
    )
