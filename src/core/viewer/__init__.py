"""An offline, interactive viewer for any store a convention can open (``view``).

A convention describes a target's images as a :class:`Catalogue` of scenes (:class:`Scene`:
axes, levels, channels, labels, georeferencing), each opened on first request;
:class:`Viewer` serves them on 127.0.0.1: one page with no external resource, tiles rendered
from the chunks at the level the zoom needs (:class:`Renderer`, cached in :class:`ByteCache`),
the values under the cursor, the validation issues and the report.
:func:`add_view_command` gives a convention's CLI its ``view`` command.
"""

from __future__ import annotations

from ngff_geozarr.core.viewer.catalogue import Catalogue, ImageEntry, OpenCatalogue
from ngff_geozarr.core.viewer.command import add_view_command, make_view_command
from ngff_geozarr.core.viewer.scene import (
    Channel,
    Layer,
    Locate,
    OpenScene,
    Scene,
    ViewAxis,
    ViewLevel,
)
from ngff_geozarr.core.viewer.server import Viewer
from ngff_geozarr.core.viewer.tiles import TILE, ByteCache, Renderer, TileError

__all__ = [
    "TILE",
    "ByteCache",
    "Catalogue",
    "Channel",
    "ImageEntry",
    "Layer",
    "Locate",
    "OpenCatalogue",
    "OpenScene",
    "Renderer",
    "Scene",
    "TileError",
    "ViewAxis",
    "ViewLevel",
    "Viewer",
    "add_view_command",
    "make_view_command",
]
