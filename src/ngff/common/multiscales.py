"""Multiscale images as 0.4 and 0.5 describe them: axes, datasets and their transformations.

0.4 adds a ``version`` to each multiscale object (``ngff.v04``); 0.6 replaces ``axes`` with
coordinate systems (``ngff.v06``). The dataset-path rule and the resolution order of the
levels (from their scales) are shared by all three.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import Field

from ngff.common.axes import Axis, check_axes
from ngff.common.base import OmeModel
from ngff.common.context import Context, Tokens
from ngff.common.coordinate_transformations import (
    Transformation,
    check_transformations,
    scale_of,
)
from ngff.common.facts import ImageFacts
from ngff_geozarr.core.errors import UnsafePathError
from ngff_geozarr.core.store import check_key

__all__ = [
    "Dataset",
    "DatasetOf",
    "Multiscale",
    "MultiscaleOf",
    "check_dataset_paths",
    "check_multiscale",
    "check_multiscale_recommended_fields",
    "check_relative_keys",
    "check_resolution_order",
    "image_facts",
]

_SECTION = "multiscales"

_T = TypeVar("_T")  # the transformation type of a version's datasets
_D = TypeVar("_D")  # the dataset type of a version's multiscales


class DatasetOf(OmeModel, Generic[_T]):
    """One resolution level, generic in the type of its transformations (a version's union).

    The generic form of :class:`Dataset` that 0.6 reuses with its own transformations.
    """

    path: str
    coordinateTransformations: list[_T] = Field(min_length=1)


class Dataset(DatasetOf[Transformation]):
    """One resolution level: the path of its array and its transformations."""


class MultiscaleOf(OmeModel, Generic[_D, _T]):
    """The fields of a multiscale image that every version has, generic in its datasets.

    Each version adds how it names the image's dimensions: ``axes`` (0.4, 0.5) or
    ``coordinateSystems`` (0.6), which a dump lists after the shared fields.
    """

    name: str | None = None
    datasets: list[_D] = Field(min_length=1)
    coordinateTransformations: list[_T] | None = Field(default=None, min_length=1)
    type: str | None = None
    metadata: dict[str, Any] | None = None


class Multiscale(MultiscaleOf[Dataset, Transformation]):
    """One multiscale image of 0.5 (0.4 adds ``version``)."""

    axes: list[Axis] = Field(min_length=1)


def check_dataset_paths(ctx: Context, paths: Sequence[str], at: Tokens) -> None:
    """Ensure every dataset path is a relative key that stays inside the store.

    Spec: multiscales — "path ... to the Zarr array for this resolution relative to the
    current Zarr group". A path that is absolute or climbs with ``..`` is never followed.
    """
    check_relative_keys(
        ctx, paths, at, "ngff.multiscales.dataset-path", "image group", _SECTION, ("path",)
    )


def check_relative_keys(
    ctx: Context,
    paths: Sequence[Any],
    at: Tokens,
    rule: str,
    group: str,
    section: str,
    inner: Tokens = (),
) -> None:
    """Report every path that is not a non-empty relative key staying inside the store.

    Parameters
    ----------
    ctx
        The validation context.
    paths
        The paths a group lists.
    at
        The location of the list; an issue is at ``[*at, i, *inner]``.
    rule
        The rule id reported.
    group
        What the paths are relative to, as named in the message (``"image group"``).
    section
        The spec section cited.
    inner
        The tokens from a list item to its path.
    """
    for i, path in enumerate(paths):
        try:
            check_key(path)
            if path == "":
                raise UnsafePathError("empty")
        except UnsafePathError:
            ctx.error(
                rule,
                [*at, i, *inner],
                f"Expected a path relative to the {group}, inside the store. Got {path!r}.",
                section,
            )


def check_multiscale_recommended_fields(
    ctx: Context, fields: set[str], at: Tokens, recommended: Sequence[str] = ("name",)
) -> None:
    """Recommend ``name``, ``type`` and ``metadata`` on each multiscale image.

    Spec: multiscales — "SHOULD contain the field 'name'", "SHOULD contain the field
    'type'", "SHOULD contain the field 'metadata'". The strict profile requires all three;
    the default profile reports only ``name``.
    """
    wanted = ("name", "type", "metadata") if ctx.strict else recommended
    for key in wanted:
        if key not in fields:
            ctx.should(
                f"ngff.multiscales.{key}",
                [*at],
                f"The multiscale image has no {key!r}; the spec recommends one.",
                _SECTION,
            )


def check_multiscale(ctx: Context, ms: Multiscale, at: Tokens) -> None:
    """Run every metadata rule on one 0.4/0.5 multiscale image.

    Parameters
    ----------
    ctx
        The check context.
    ms
        The parsed multiscale image.
    at
        Where it is, relative to the OME metadata.
    """
    check_axes(ctx, ms.axes, [*at, "axes"])
    check_multiscale_recommended_fields(ctx, set(ms.model_fields_set), at)
    check_dataset_paths(ctx, [d.path for d in ms.datasets], [*at, "datasets"])
    n_axes = len(ms.axes)
    for j, ds in enumerate(ms.datasets):
        check_transformations(
            ctx,
            ds.coordinateTransformations,
            [*at, "datasets", j, "coordinateTransformations"],
            n_axes,
        )
    if ms.coordinateTransformations is not None:
        check_transformations(
            ctx, ms.coordinateTransformations, [*at, "coordinateTransformations"], n_axes
        )


def image_facts(index: int, ms: Multiscale) -> ImageFacts:
    """Summarise a parsed 0.4/0.5 multiscale image for the store checks.

    Parameters
    ----------
    index
        Its index in ``multiscales``.
    ms
        The parsed multiscale image.

    Returns
    -------
    ImageFacts
        Dataset paths, axis names and scales.
    """
    return ImageFacts(
        index=index,
        paths=tuple((j, d.path) for j, d in enumerate(ms.datasets)),
        axes=tuple(a.name for a in ms.axes),
        scales=tuple(scale_of(d.coordinateTransformations) for d in ms.datasets),
        axis_types=tuple(a.type for a in ms.axes),
    )


def check_resolution_order(ctx: Context, image: ImageFacts, at: Tokens) -> None:
    """Ensure no level is finer than the one before along a spatial axis (from the scales).

    Spec: multiscales — "The paths MUST be ordered from largest (i.e. highest resolution)
    to smallest". A level whose scale along a ``space`` axis is smaller than the previous
    level's samples that axis more finely: the levels are out of order (readers take the
    first as the full resolution and pick levels for zoom by their position).

    Parameters
    ----------
    ctx
        The check context.
    image
        The image's facts: its axis types and each level's scale.
    at
        Where the multiscale image is, relative to the OME metadata.
    """
    types = image.axis_types
    names = image.axes
    if types is None or names is None:
        return
    spatial = [d for d, t in enumerate(types) if t == "space"]
    levels = [(j, image.scales[j]) for j, _ in image.paths]
    for (i, before), (j, scale) in itertools.pairwise(levels):
        if before is None or scale is None or not len(before) == len(scale) == len(types):
            continue
        finer = [d for d in spatial if 0 < scale[d] < before[d]]
        if finer:
            shown = ", ".join(f"{names[d]!r} ({scale[d]:g} < {before[d]:g})" for d in finer)
            ctx.error(
                "ngff.multiscales.resolution-order",
                [*at, "datasets", j, "coordinateTransformations"],
                f"Level {j} is finer than level {i} along {shown}: the levels must go from "
                "the highest resolution to the lowest.",
                _SECTION,
            )
