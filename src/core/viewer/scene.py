"""What the viewer shows, whatever the convention: a :class:`Scene`.

A convention opens a target and describes it as a scene: its axes (with units), its levels
(shape, and the scale and translation of each axis), its channels (colours and display
windows), its label layers, its georeferencing. The viewer's server and page know only
this; ``ngff`` builds a scene from :func:`ngff.open`, ``geozarr`` from its raster grids.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ngff_geozarr.core.thumbnail import ArrayOpener

__all__ = [
    "Channel",
    "Layer",
    "Locate",
    "OpenScene",
    "Scene",
    "ViewAxis",
    "ViewLevel",
    "spatial_axes",
]

Locate = Callable[[float, float], Mapping[str, float]]
"""Map coordinates of a point given in pixels of level 0 (column, row; corners at
integers): e.g. ``{"x": ..., "y": ..., "lon": ..., "lat": ...}``."""


@dataclass(frozen=True, slots=True)
class ViewAxis:
    """One axis of an image.

    Parameters
    ----------
    name
        Its name (``"z"``, ``"band"``).
    kind
        ``"space"``, ``"time"``, ``"channel"`` or ``"other"``.
    unit
        Its unit, ``""`` when none is stated.
    """

    name: str
    kind: str
    unit: str = ""


@dataclass(frozen=True, slots=True)
class ViewLevel:
    """One resolution level: an array and where its samples are.

    Parameters
    ----------
    path
        The level array's path in the store.
    shape
        Its shape.
    scale
        The distance between samples along each axis, in the axis' unit.
    translation
        Where the first sample is along each axis.
    """

    path: str
    shape: tuple[int, ...]
    scale: tuple[float, ...]
    translation: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Channel:
    """One channel as shown: its name, colour and display window.

    Parameters
    ----------
    label
        Its name.
    colour
        Red, green and blue, 0-255.
    window
        The values shown black and full colour; ``None``: taken from the data.
    visible
        Whether it is shown at first.
    """

    label: str
    colour: tuple[int, int, int]
    window: tuple[float, float] | None = None
    visible: bool = True


@dataclass(frozen=True, slots=True)
class Layer:
    """A label image laid over the scene.

    Parameters
    ----------
    name
        Its name.
    axes
        Its axes.
    levels
        Its levels, finest first.
    """

    name: str
    axes: tuple[ViewAxis, ...]
    levels: tuple[ViewLevel, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Scene:
    """An image as the viewer shows it.

    Parameters
    ----------
    target
        The store the image is read from, as the user named it.
    title
        What the page is called.
    path
        The image's node path in the store (issues on it are highlighted).
    store
        The opened store its arrays are read from.
    axes
        Its axes; the last two ``"space"`` axes are the rows and columns shown.
    levels
        Its levels, finest first, each with one scale and translation entry per axis.
    channels
        One per index of the channel axis (empty without one).
    labels
        Label images laid over it.
    nodata
        A value shown transparent.
    colormap
        Show a single channel through a colour map (rasters) rather than grey.
    flip_rows
        Row 0 is the southern edge: show the rows in reverse so that north is up.
    crs
        The coordinate reference system's name, ``""`` when none.
    transform
        The affine transform of level 0, ``(a, b, c, d, e, f)``: ``x = a*col + b*row + c``,
        ``y = d*col + e*row + f`` at pixel corners, as stored (rows not flipped).
    locate
        Map coordinates and longitude/latitude of a point, for georeferenced scenes.
    """

    target: str
    title: str
    path: str
    store: ArrayOpener
    axes: tuple[ViewAxis, ...]
    levels: tuple[ViewLevel, ...]
    channels: tuple[Channel, ...] = ()
    labels: tuple[Layer, ...] = ()
    nodata: float | int | None = None
    colormap: bool = False
    flip_rows: bool = False
    crs: str = ""
    transform: tuple[float, ...] | None = None
    locate: Locate | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.levels:
            raise ValueError("a scene needs at least one level")
        spatial_axes(self.axes)
        for level in self.levels:
            if not len(level.shape) == len(level.scale) == len(level.translation) == len(self.axes):
                raise ValueError(f"level {level.path!r} does not have one entry per axis")

    @property
    def spatial(self) -> tuple[int, int]:
        """The indices of the rows and columns axes."""
        return spatial_axes(self.axes)

    @property
    def channel_axis(self) -> int | None:
        """The index of the channel axis, ``None`` without one."""
        return next((i for i, a in enumerate(self.axes) if a.kind == "channel"), None)

    def to_json(self) -> dict[str, Any]:
        """Describe the scene for the page.

        Returns
        -------
        dict
            JSON-ready: target, title, axes, levels, channels, label layers, CRS.
        """
        return {
            "target": self.target,
            "title": self.title,
            "path": self.path,
            "axes": [_axis_json(a) for a in self.axes],
            "spatial": list(self.spatial),
            "channel_axis": self.channel_axis,
            "levels": [_level_json(level) for level in self.levels],
            "channels": [
                {
                    "label": c.label,
                    "colour": "#{:02x}{:02x}{:02x}".format(*c.colour),
                    "window": list(c.window) if c.window is not None else None,
                    "visible": c.visible,
                }
                for c in self.channels
            ],
            "labels": [
                {
                    "name": layer.name,
                    "axes": [_axis_json(a) for a in layer.axes],
                    "spatial": list(spatial_axes(layer.axes)),
                    "levels": [_level_json(level) for level in layer.levels],
                }
                for layer in self.labels
            ],
            "nodata": _number(self.nodata),
            "geo": self.locate is not None,
            "crs": self.crs,
            "transform": list(self.transform) if self.transform is not None else None,
            "flip_rows": self.flip_rows,
        }


OpenScene = Callable[[str, dict[str, Any]], Scene]
"""Opens a target as a scene: ``(target, storage_options) -> Scene``; raises
:class:`~ngff_geozarr.core.errors.NgffGeozarrError` (one line) when it cannot."""


def spatial_axes(axes: Sequence[ViewAxis]) -> tuple[int, int]:
    """Return the rows and columns axes: the last two space axes.

    Parameters
    ----------
    axes
        The axes.

    Returns
    -------
    tuple of int
        Their indices.

    Raises
    ------
    ValueError
        With fewer than two space axes.

    Examples
    --------
    >>> spatial_axes([ViewAxis("c", "channel"), ViewAxis("y", "space"), ViewAxis("x", "space")])
    (1, 2)
    """
    space = [i for i, a in enumerate(axes) if a.kind == "space"]
    if len(space) < 2:
        raise ValueError("an image to view needs two space axes")
    return space[-2], space[-1]


def _axis_json(axis: ViewAxis) -> dict[str, str]:
    return {"name": axis.name, "kind": axis.kind, "unit": axis.unit}


def _level_json(level: ViewLevel) -> dict[str, Any]:
    return {
        "path": level.path,
        "shape": list(level.shape),
        "scale": list(level.scale),
        "translation": list(level.translation),
    }


def _number(value: float | int | None) -> float | int | str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
