"""The ``omero`` channel metadata of an image: labels, colours and display windows.

Transitional metadata (spec: "omero" metadata (transitional)): one channel object per
channel, with a label, a colour from a fixed palette (white for a single channel) and a
display window from the 0.1 % and 99.9 % quantiles of the coarsest level, read whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

import ngff.create.documents as documents
from ngff.create.options import CreationError
from ngff_geozarr.core.store import StoreHandle

if TYPE_CHECKING:
    from ngff.create.image import Image

__all__ = ["omero_of"]

_PALETTE = ("FFFFFF", "00FF00", "FF00FF", "00FFFF", "FF0000", "0000FF", "FFFF00")
_WINDOW_QUANTILES = (0.001, 0.999)


def omero_of(
    store: StoreHandle, image: Image, coarsest: str, names: Sequence[str] | None
) -> dict[str, Any]:
    """Return the ``omero`` object of an image: a window per channel from its coarsest level.

    Parameters
    ----------
    store
        The store holding the image.
    image
        The image's metadata (its axes tell the channel axis).
    coarsest
        The coarsest level's array path in the store.
    names
        The channel labels, or ``None`` (``Channel 0``, ``Channel 1``, ...).

    Returns
    -------
    dict
        The ``omero`` object, dumped from its model.

    Raises
    ------
    CreationError
        When the number of names differs from the number of channels.
    """
    array = store.open_array(coarsest)
    data = array.read(tuple(slice(0, n) for n in array.shape))
    channel_axis = next((i for i, a in enumerate(image.axes) if a.get("type") == "channel"), None)
    count = 1 if channel_axis is None else data.shape[channel_axis]
    if names is not None and len(names) != count:
        raise CreationError(f"Expected {count} channel names. Got {list(names)}.")
    dtype = array.dtype
    channels = []
    for c in range(count):
        values = data if channel_axis is None else np.take(data, c, axis=channel_axis)
        finite = values[np.isfinite(values)] if dtype.kind == "f" else values.ravel()
        if finite.size:
            low, high = (float(q) for q in np.quantile(finite, _WINDOW_QUANTILES))
            lowest, highest = float(finite.min()), float(finite.max())
        else:
            low = high = lowest = highest = 0.0
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            lowest, highest = float(info.min), float(info.max)
        elif dtype.kind == "b":
            lowest, highest = 0.0, 1.0
        channels.append(
            {
                "label": names[c] if names is not None else f"Channel {c}",
                "color": _PALETTE[0] if count == 1 else _PALETTE[1 + c % (len(_PALETTE) - 1)],
                "active": True,
                "window": {"start": low, "end": high, "min": lowest, "max": highest},
            }
        )
    return documents.dump(documents.omero(channels, "color" if count > 1 else "greyscale"))
