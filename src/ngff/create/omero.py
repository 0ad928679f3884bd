"""The ``omero`` channel metadata of an image: labels, colours and display windows.

Transitional metadata (spec: "omero" metadata (transitional)): one channel object per
channel with the label, colour and activity of its :class:`~ngff.create.channels.ChannelSettings`
and a display window:

- ``min`` and ``max``: the dtype's range for integer data (0 and 1 for booleans), the data's
  minimum and maximum for floats;
- ``start`` and ``end``: the window given, else the whole dtype range for RGB(A) channels,
  else the 0.1 % and 99.9 % quantiles of the coarsest level.

Bounded memory: the data is read from the coarsest level only, one channel at a time, and
along every axis but the last two (y and x) at most :data:`SAMPLED_PLANES` evenly spaced
indices are read, so a long time series or a deep stack costs a few planes per channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import ngff.create.documents as documents
from ngff.create.channels import ChannelSettings
from ngff_geozarr.core.store import ArrayIO, StoreHandle

if TYPE_CHECKING:
    from ngff.create.image import Image

__all__ = ["SAMPLED_PLANES", "omero_of"]

SAMPLED_PLANES = 8
"""How many indices of each axis other than y and x the window statistics read, at most."""

_WINDOW_QUANTILES = (0.001, 0.999)


def _sample(array: ArrayIO, channel_axis: int | None, channel: int) -> np.ndarray[Any, Any]:
    """Read one channel of the coarsest level, a few evenly spaced planes of it."""
    pieces: list[np.ndarray[Any, Any]] = []
    ndim = len(array.shape)
    choices: list[list[int] | None] = []
    for axis, extent in enumerate(array.shape):
        if axis == channel_axis:
            choices.append([channel])
        elif axis >= ndim - 2 or extent <= SAMPLED_PLANES:
            choices.append(None)
        else:
            picks = np.linspace(0, extent - 1, SAMPLED_PLANES).round().astype(int)
            choices.append(sorted({int(i) for i in picks}))
    outer = [i for i, c in enumerate(choices) if c is not None]

    def visit(axis_pos: int, region: list[slice]) -> None:
        if axis_pos == len(outer):
            pieces.append(np.asarray(array.read(tuple(region))).ravel())
            return
        axis = outer[axis_pos]
        for index in choices[axis] or ():
            region[axis] = slice(index, index + 1)
            visit(axis_pos + 1, region)

    visit(0, [slice(0, n) for n in array.shape])
    return np.concatenate(pieces) if pieces else np.zeros(0, array.dtype)


def omero_of(
    store: StoreHandle, image: Image, coarsest: str, settings: ChannelSettings
) -> dict[str, Any]:
    """Return the ``omero`` object of an image; windows from its coarsest level when not given.

    Parameters
    ----------
    store
        The store holding the image.
    image
        The image's metadata (its axes tell the channel axis).
    coarsest
        The coarsest level's array path in the store.
    settings
        The channels' labels, colours, windows and rendering model (checked against the
        channel count before anything was written).

    Returns
    -------
    dict
        The ``omero`` object, dumped from its model.
    """
    array = store.open_array(coarsest)
    channel_axis = next((i for i, a in enumerate(image.axes) if a.get("type") == "channel"), None)
    dtype = np.dtype(array.dtype)
    channels = []
    for c, (label, color, given, active) in enumerate(
        zip(settings.names, settings.colors, settings.windows, settings.active, strict=True)
    ):
        lowest: float | None
        highest: float | None
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            lowest, highest = float(info.min), float(info.max)
        elif dtype.kind == "b":
            lowest, highest = 0.0, 1.0
        else:
            lowest = highest = None
        if given is not None and lowest is not None and highest is not None:
            low, high = given
        elif settings.rgb and lowest is not None and highest is not None:
            low, high = lowest, highest
        else:
            values = _sample(array, channel_axis, c)
            finite = values[np.isfinite(values)] if dtype.kind == "f" else values
            if finite.size:
                low, high = (float(q) for q in np.quantile(finite, _WINDOW_QUANTILES))
                data_low, data_high = float(finite.min()), float(finite.max())
            else:
                low = high = data_low = data_high = 0.0
            if given is not None:
                low, high = given
            if lowest is None or highest is None:
                lowest, highest = min(data_low, low), max(data_high, high)
        channels.append(
            {
                "label": label,
                "color": color,
                "active": active,
                "window": {"start": low, "end": high, "min": lowest, "max": highest},
            }
        )
    return documents.dump(documents.omero(channels, settings.model, settings.name))
