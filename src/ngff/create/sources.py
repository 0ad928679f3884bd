"""The inputs of ``ngff create`` in OME axis order, over the shared reader layer.

Files are opened by :mod:`ngff_geozarr.core.inputs` (TIFF and OME-TIFF, ``.npy``, Zarr
arrays ``STORE`` or ``STORE::PATH``), the one reader both conventions use, lazily: an
uncompressed TIFF or a ``.npy`` is memory-mapped, a Zarr array read region by region.
:func:`open_source` returns the array the pyramid engine reads and the OME axis names of
its dimensions; what is OME-specific lives here.

Axes are put in OME order (time, channel, then z, y, x) by a view, never a copy; axes of
extent 1 that OME-Zarr has no name for (tifffile's ``Q``, ``I``, ...) are dropped. tifffile's
letters map as ``T`` → ``t``, ``C`` or ``S`` (samples, e.g. RGB) → ``c``, ``Z`` → ``z``,
``Y`` → ``y``, ``X`` → ``x``, and ``I`` or ``Q`` (image sequence, unknown) → ``z`` when the
file has no ``Z``.

Examples
--------
>>> import numpy as np
>>> data, axes = to_ome_order(np.zeros((5, 1, 3, 4)), "ZQYX")
>>> data.shape, axes
((5, 3, 4), ['z', 'y', 'x'])
>>> to_ome_order(np.zeros((4, 3, 2)), "yxc")[0].shape
(2, 4, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import ngff_geozarr.core.inputs as inputs
from ngff.create.options import CreationError

__all__ = [
    "OME_ORDER",
    "Calibration",
    "open_source",
    "source_in_ome_order",
    "tiff_calibration",
    "to_ome_order",
]

OME_ORDER = "tczyx"
"""The order OME-Zarr requires of the axes it names."""

Calibration = inputs.Calibration
"""The physical sample sizes a file declares (:class:`ngff_geozarr.core.inputs.Calibration`)."""

_TIFF_AXES = {"T": "t", "C": "c", "S": "c", "Z": "z", "Y": "y", "X": "x"}
# Unit spellings of OME-XML and ImageJ, as the OME-Zarr (UDUNITS-2) names.

_SEQUENCE_AXES = ("I", "Q")


def to_ome_order(data: Any, axes: str | Sequence[str]) -> tuple[Any, list[str]]:
    """Drop unnamed axes of extent 1 and transpose the rest into OME order (a view).

    Parameters
    ----------
    data
        A numpy array or memmap.
    axes
        One name per dimension of ``data``: OME names (``t``, ``c``, ``z``, ``y``, ``x``) or
        tifffile's upper-case letters.

    Returns
    -------
    tuple
        The reordered array and its OME axis names.

    Raises
    ------
    CreationError
        When the axes do not match the data, repeat, or name something OME-Zarr cannot
        hold with an extent above 1.
    """
    letters = list(axes)
    if len(letters) != data.ndim:
        raise CreationError(
            f"Expected {data.ndim} axes for data of shape {list(data.shape)}. "
            f"Got {''.join(letters)!r}."
        )
    upper = [a.upper() for a in letters]
    has_z = "Z" in upper
    names: list[str | None] = []
    for letter in letters:
        if letter in _TIFF_AXES.values():
            names.append(letter)
        elif letter.upper() in _TIFF_AXES:
            names.append(_TIFF_AXES[letter.upper()])
        elif letter.upper() in _SEQUENCE_AXES and not has_z:
            names.append("z")
            has_z = True
        else:
            names.append(None)
    index: list[Any] = []
    kept: list[str] = []
    for name, extent, letter in zip(names, data.shape, letters, strict=True):
        if name is None or (extent == 1 and name in kept):
            if extent != 1:
                raise CreationError(
                    f"Expected axes among t, c, z, y, x. Axis {letter!r} (extent {extent}) "
                    "has no OME-Zarr equivalent; pass --axes."
                )
            index.append(0)
            continue
        if name in kept:
            raise CreationError(f"Expected each of t, c, z, y, x once. Got {''.join(letters)!r}.")
        index.append(slice(None))
        kept.append(name)
    view = data[tuple(index)]
    order = sorted(range(len(kept)), key=lambda i: OME_ORDER.index(kept[i]))
    return np.transpose(view, order), [kept[i] for i in order]


def tiff_calibration(path: str | Path) -> Calibration:
    """Read the physical sample sizes a TIFF file declares (OME-XML first, then ImageJ's).

    The shared reader's :func:`ngff_geozarr.core.inputs.tiff_calibration`, raising
    :class:`~ngff.create.CreationError` when the file cannot be read.
    """
    try:
        return inputs.tiff_calibration(path)
    except inputs.InputError as exc:
        raise CreationError(str(exc)) from exc


def open_source(path: str | Path, axes: str | None = None) -> tuple[Any, list[str] | None]:
    """Open an input lazily and name its axes.

    Parameters
    ----------
    path
        A ``.tif``/``.tiff`` file, a ``.npy`` file, or a Zarr array (``STORE`` or
        ``STORE::PATH``).
    axes
        The axes of the input, in its own order (one letter per dimension); a TIFF file's
        own axes, or ``None`` (the writer's default by dimension count), when omitted.

    Returns
    -------
    tuple
        The array (in OME axis order when axes are known) and its axis names, or ``None``
        when neither the file nor ``axes`` names them.

    Raises
    ------
    CreationError
        When the input cannot be read or its axes cannot be put in OME order.
    """
    try:
        source = inputs.open_input(path)
    except inputs.InputError as exc:
        raise CreationError(str(exc)) from exc
    return source_in_ome_order(source, axes)


def source_in_ome_order(
    source: inputs.Source, axes: str | None = None
) -> tuple[Any, list[str] | None]:
    """Put an opened input's axes in OME order.

    Parameters
    ----------
    source
        The input, from :func:`ngff_geozarr.core.inputs.open_input`.
    axes
        The axes of the input, in its own order; the file's own axes when omitted.

    Returns
    -------
    tuple
        As :func:`open_source`.

    Raises
    ------
    CreationError
        When the axes cannot be put in OME order.
    """
    data = source.data
    chosen = axes if axes is not None else source.axes
    if chosen is None:
        return data, None
    if not isinstance(data, np.ndarray | inputs.LazyArray):
        names = list(chosen)
        if [n for n in names if n in OME_ORDER] != sorted(names, key=OME_ORDER.find) or any(
            n not in OME_ORDER for n in names
        ):
            raise CreationError(
                f"Expected the axes of a Zarr input in OME order (t, c, z, y, x). Got {chosen!r}."
            )
        return data, names
    return to_ome_order(data, chosen)
