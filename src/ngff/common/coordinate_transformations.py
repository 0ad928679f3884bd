"""Scale and translation transformations as 0.4 and 0.5 define them.

A dataset (and optionally a whole multiscale image) carries a list of transformations:
exactly one ``scale``, optionally followed by one ``translation``, each with one value per
axis. 0.6 replaces these with the full set of RFC-5 transformations (``ngff.v06``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from ngff.common.base import OmeModel
from ngff.common.context import Context, Tokens

__all__ = [
    "ScaleTransformation",
    "Transformation",
    "TranslationTransformation",
    "check_scale_first",
    "check_transformation_lengths",
    "check_transformations",
    "scale_of",
]

_SECTION = "coordinateTransformations"


class ScaleTransformation(OmeModel):
    """A ``scale`` transformation: one factor per axis."""

    type: Literal["scale"]
    scale: list[float] = Field(min_length=2)


class TranslationTransformation(OmeModel):
    """A ``translation`` transformation: one offset per axis."""

    type: Literal["translation"]
    translation: list[float] = Field(min_length=2)


Transformation: TypeAlias = Annotated[
    ScaleTransformation | TranslationTransformation, Field(discriminator="type")
]
"""A transformation of 0.4 or 0.5, told apart by its ``type``."""


def check_scale_first(ctx: Context, transforms: Sequence[Transformation], at: Tokens) -> None:
    """Ensure exactly one scale, first, optionally followed by exactly one translation.

    Spec: coordinateTransformations — "MUST contain exactly one scale transformation ... It
    MAY contain exactly one translation ... If present it MUST be listed after scale".
    """
    kinds = [t.type for t in transforms]
    if kinds.count("scale") != 1:
        ctx.error(
            "ngff.transforms.scale-count",
            at,
            f"Expected exactly one scale transformation. Got {kinds.count('scale')}.",
            _SECTION,
        )
    elif kinds[0] != "scale":
        ctx.error(
            "ngff.transforms.order",
            [*at, 0],
            f"Expected the scale transformation first. Got {kinds[0]!r}.",
            _SECTION,
        )
    if kinds.count("translation") > 1:
        ctx.error(
            "ngff.transforms.translation-count",
            at,
            f"Expected at most one translation. Got {kinds.count('translation')}.",
            _SECTION,
        )


def check_transformation_lengths(
    ctx: Context, transforms: Sequence[Transformation], at: Tokens, n_axes: int
) -> None:
    """Ensure every scale and translation has one value per axis.

    Spec: multiscales — "The length of the scale and translation array MUST be the same as
    the length of 'axes'".
    """
    for i, t in enumerate(transforms):
        values = t.scale if isinstance(t, ScaleTransformation) else t.translation
        if len(values) != n_axes:
            ctx.error(
                f"ngff.multiscales.{t.type}-length",
                [*at, i, t.type],
                f"Expected {n_axes} values, one per axis. Got {len(values)}.",
                "multiscales",
            )


def check_transformations(
    ctx: Context, transforms: Sequence[Transformation], at: Tokens, n_axes: int | None
) -> None:
    """Run every rule on one list of 0.4/0.5 transformations.

    Parameters
    ----------
    ctx
        The check context.
    transforms
        The transformations.
    at
        Where the list is, relative to the OME metadata.
    n_axes
        The number of axes of the image, when known.
    """
    check_scale_first(ctx, transforms, at)
    if n_axes is not None:
        check_transformation_lengths(ctx, transforms, at, n_axes)


def scale_of(transforms: Sequence[Transformation]) -> tuple[float, ...] | None:
    """Return the scale vector of a list of transformations, if it has exactly one.

    Parameters
    ----------
    transforms
        The transformations.

    Returns
    -------
    tuple of float or None
        The scale factors.
    """
    scales = [t for t in transforms if isinstance(t, ScaleTransformation)]
    return tuple(scales[0].scale) if len(scales) == 1 else None
