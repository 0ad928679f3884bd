"""OME-Zarr 0.6 scenes: coordinate systems and transformations relating several images."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ngff.common.base import OmeModel
from ngff.common.context import Context, Tokens
from ngff.common.parsing import parse_section
from ngff.v06.coordinate_systems import CoordinateSystem, check_coordinate_systems
from ngff.v06.coordinate_transformations import Transformation
from ngff.v06.multiscales import check_local_transformations

__all__ = ["Scene", "check_scene"]


class Scene(OmeModel):
    """The ``scene`` metadata: how the coordinate systems of several images relate."""

    coordinateSystems: list[CoordinateSystem] | None = None
    coordinateTransformations: list[Transformation] = Field(min_length=1)


def check_scene(ctx: Context, value: Any, at: Tokens) -> None:
    """Parse and check a ``scene`` section.

    Spec: scene — every transformation references its input and output coordinate systems,
    defined in the same document (no path) or in a subgroup (path given).

    Parameters
    ----------
    ctx
        The check context.
    value
        The ``scene`` value.
    at
        Where it is, relative to the OME metadata.
    """
    scene = parse_section(ctx, Scene, value, at, "scene")
    if scene is None:
        return
    systems = scene.coordinateSystems or []
    check_coordinate_systems(ctx, systems, [*at, "coordinateSystems"])
    check_local_transformations(
        ctx, scene.coordinateTransformations, [*at, "coordinateTransformations"], systems, "scene"
    )
