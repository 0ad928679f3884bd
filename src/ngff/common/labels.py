"""Labels: the ``labels`` group listing label images, and ``image-label`` metadata."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field

from ngff.common.base import OmeExtensibleModel, OmeModel
from ngff.common.context import CHECKS, Context, Tokens
from ngff.common.multiscales import check_relative_keys

__all__ = [
    "Color",
    "ImageLabel",
    "Labels",
    "Property",
    "Source",
    "check_colors_rgba",
    "check_image_label",
    "check_label_paths",
    "check_label_values_integer",
]

_SECTION = "labels"


class Color(OmeExtensibleModel):
    """The display colour of one label value (further keys are allowed)."""

    label_value: int | float = Field(alias="label-value")  # an integer stays one on output
    rgba: list[int] | None = Field(default=None, min_length=4, max_length=4)

    def rgba_in_range(self) -> bool:
        """Tell whether every RGBA component is a byte (0 to 255)."""
        return self.rgba is None or all(0 <= c <= 255 for c in self.rgba)


class Property(OmeExtensibleModel):
    """Arbitrary properties of one label value."""

    label_value: int = Field(alias="label-value")


class Source(OmeExtensibleModel):
    """Where the label image comes from."""

    image: str | None = None


class ImageLabel(OmeModel):
    """The ``image-label`` metadata of a label image (0.4 adds ``version``)."""

    colors: list[Color] | None = Field(default=None, min_length=1)
    properties: list[Property] | None = Field(default=None, min_length=1)
    source: Source | None = None


class Labels(OmeModel):
    """The ``labels`` metadata of a labels group: the paths of its label images."""

    labels: list[str] = Field(min_length=1)


@CHECKS.check("image-label", "ngff.image-label.rgba")
def check_colors_rgba(ctx: Context, label: ImageLabel, at: Tokens) -> None:
    """Ensure each colour is four integers between 0 and 255.

    Spec: labels — "the objects in this array MAY contain an rgba key whose value MUST be an
    array of four integers between 0 and 255, inclusive".
    """
    for i, color in enumerate(label.colors or ()):
        if not color.rgba_in_range():
            ctx.error(
                "ngff.image-label.rgba",
                [*at, "colors", i, "rgba"],
                f"Expected four integers between 0 and 255. Got {color.rgba}.",
                _SECTION,
            )


@CHECKS.check("image-label", "ngff.image-label.label-value")
def check_label_values_integer(ctx: Context, label: ImageLabel, at: Tokens) -> None:
    """Ensure colour label values are integers.

    Spec: labels — "Each of these objects MUST contain the label-value key, whose value MUST
    be the integer corresponding to a particular label".
    """
    for i, color in enumerate(label.colors or ()):
        if not float(color.label_value).is_integer():
            ctx.error(
                "ngff.image-label.label-value",
                [*at, "colors", i, "label-value"],
                f"Expected an integer label value. Got {color.label_value}.",
                _SECTION,
            )


check_image_label = CHECKS.runner("image-label")
"""Run every check of the ``image-label`` section that applies to the context's version."""


def check_label_paths(ctx: Context, paths: Sequence[Any], at: Tokens) -> None:
    """Ensure every path a labels group lists is a relative key inside the store.

    Spec: labels — "a JSON array of paths to the labeled multiscale image(s)" within the
    labels group.
    """
    check_relative_keys(ctx, paths, at, "ngff.labels.path", "labels group", _SECTION)
