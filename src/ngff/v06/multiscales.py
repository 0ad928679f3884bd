"""OME-Zarr 0.6 multiscale images: coordinate systems, datasets, and their transformations.

The last coordinate system is the image's default one. Each dataset has exactly one
transformation from its array to that system (a scale, an identity, or a sequence of a
scale and a translation); further transformations of the whole image go in the multiscale's
own ``coordinateTransformations``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import Field

from ngff.common.context import Context, Tokens
from ngff.common.facts import ImageFacts
from ngff.common.multiscales import (
    DatasetOf,
    MultiscaleOf,
    check_dataset_paths,
    check_multiscale_recommended_fields,
)
from ngff.v06.coordinate_systems import CoordinateSystem, check_coordinate_systems
from ngff.v06.coordinate_transformations import (
    ByDimension,
    Identity,
    Scale,
    Sequence_,
    Transformation,
    TransformationBase,
    Translation,
    check_by_dimension,
    check_parameter_values,
    check_references,
    check_transformation_dimensions,
    walk_transformations,
)

__all__ = [
    "Dataset",
    "Multiscale",
    "check_dataset_transformation",
    "check_label_transformations",
    "check_local_transformations",
    "check_multiscale",
    "dataset_scale",
    "image_facts",
]

_SECTION = "multiscales"


class Dataset(DatasetOf[Transformation]):
    """One resolution level: its array's path and its transformation to the default system."""


class Multiscale(MultiscaleOf[Dataset, Transformation]):
    """One multiscale image of 0.6."""

    coordinateSystems: list[CoordinateSystem] = Field(min_length=1)


def dataset_scale(transform: TransformationBase) -> tuple[float, ...] | None:
    """Return the scale a dataset transformation applies, if it has one inline.

    Parameters
    ----------
    transform
        A dataset's transformation.

    Returns
    -------
    tuple of float or None
        The scale factors (all 1 for an identity).
    """
    if isinstance(transform, Scale):
        return None if transform.scale is None else tuple(transform.scale)
    if isinstance(transform, Sequence_):
        scales = [t for t in transform.transformations if isinstance(t, Scale)]
        return dataset_scale(scales[0]) if len(scales) == 1 else None
    return None


def _is_scale_translation(transform: TransformationBase) -> bool:
    if not isinstance(transform, Sequence_) or len(transform.transformations) != 2:
        return False
    first, second = transform.transformations
    return isinstance(first, Scale) and isinstance(second, Translation)


def check_dataset_transformation(
    ctx: Context, ds: Dataset, at: Tokens, default: CoordinateSystem
) -> None:
    """Ensure a dataset has one transformation from its array to the default system.

    Spec: multiscales — "This transformation MUST be one of: a single scale or identity
    transformation; a sequence transformation containing one scale and one translation
    transformation". "The value of 'input' SHOULD equal the value of path". "The `name` field
    under `input` SHOULD be omitted." "The value of the transformation's output MUST be the
    name of the default coordinate system". "The `path` field of `output` SHOULD be omitted."
    """
    transforms = ds.coordinateTransformations
    where = [*at, "coordinateTransformations"]
    if len(transforms) != 1:
        ctx.error(
            "ngff.multiscales.dataset-transformation-count",
            where,
            f"Expected exactly one transformation per dataset. Got {len(transforms)}.",
            _SECTION,
        )
    t = transforms[0]
    here = [*where, 0]
    if not (isinstance(t, Scale | Identity) or _is_scale_translation(t)):
        ctx.error(
            "ngff.multiscales.dataset-transformation-type",
            here,
            "Expected a scale, an identity, or a sequence of one scale and one translation. "
            f"Got {t.type!r}"
            + (f" of {[c.type for c in t.transformations]}" if isinstance(t, Sequence_) else "")
            + ".",
            _SECTION,
        )
    if t.input is None or t.input.path is None:
        ctx.error(
            "ngff.transforms.input-output",
            [*here, "input"] if t.input is not None else here,
            'Expected "input": {"path": ...} naming the dataset\'s array.',
            _SECTION,
        )
    elif t.input.path != ds.path:
        ctx.should(
            "ngff.multiscales.dataset-input",
            [*here, "input", "path"],
            f"Expected the input path to equal the dataset path {ds.path!r}. Got {t.input.path!r}.",
            _SECTION,
        )
    extras = (
        ("input", "name", t.input.name if t.input is not None else None, "its array"),
        (
            "output",
            "path",
            t.output.path if t.output is not None else None,
            "a coordinate system of this image",
        ),
    )
    for side, key, value, what in extras:
        if value is not None:
            ctx.should(
                "ngff.multiscales.dataset-reference",
                [*here, side, key],
                f"A dataset transformation's {side} is {what}: the spec recommends omitting "
                f"{key!r} under {side}. Got {value!r}.",
                _SECTION,
            )
    check_parameter_values(ctx, t, here)
    out = t.output.name if t.output is not None else None
    if out != default.name:
        ctx.error(
            "ngff.multiscales.dataset-output",
            [*here, "output"] if t.output is not None else here,
            f"Expected the output to be the default (last) coordinate system "
            f"{default.name!r}. Got {out!r}.",
            _SECTION,
        )
    for inner, tokens in walk_transformations(t, here):
        if isinstance(inner, Scale | Translation):
            values = inner.scale if isinstance(inner, Scale) else inner.translation
            if values is not None and len(values) != len(default.axes):
                ctx.error(
                    f"ngff.multiscales.{inner.type}-length",
                    [*tokens, inner.type],
                    f"Expected {len(default.axes)} values, one per axis of "
                    f"{default.name!r}. Got {len(values)}.",
                    _SECTION,
                )


def check_local_transformations(
    ctx: Context,
    transforms: Sequence[TransformationBase],
    at: Tokens,
    systems: Sequence[CoordinateSystem],
    section: str,
) -> None:
    """Check transformations stored beside coordinate systems (a multiscale's, a scene's).

    Each names its input and output; where both are coordinate systems of the same
    document, its parameters are checked against their dimensionality.

    Parameters
    ----------
    ctx
        The check context.
    transforms
        The transformations, each naming its input and output.
    at
        Where their list is, relative to the OME metadata.
    systems
        The coordinate systems of the document.
    section
        The spec section, for the references.
    """
    by_name: Mapping[str, int] = {cs.name: len(cs.axes) for cs in systems}
    for i, t in enumerate(transforms):
        here = [*at, i]
        check_references(ctx, t, here, by_name, section=section)
        check_parameter_values(ctx, t, here)
        refs = (t.input, t.output)
        if any(r is None or r.path is not None or r.name not in by_name for r in refs):
            continue
        assert t.input is not None
        assert t.output is not None
        n_in, n_out = by_name[t.input.name or ""], by_name[t.output.name or ""]
        check_transformation_dimensions(ctx, t, here, n_in, n_out)
        if isinstance(t, ByDimension):
            check_by_dimension(ctx, t, here, n_in, n_out)


def check_label_transformations(
    ctx: Context, transforms: Sequence[TransformationBase], at: Tokens
) -> None:
    """Restrict a multiscale-level transformation into a child labels group.

    Spec: multiscales — "When referencing a coordinate system in a child labels group, the
    transformation MUST be one of `identity`, `scale`, or `translation`." labels — "This
    transformation, if specified, MUST be one of `identity`, 'scale', a 'translation' or a
    'sequence' of a scale and a translation transformation." A reference with a ``path`` is
    one into a child labels group (the only place a multiscale-level reference may point);
    the labels section's sequence of a scale and a translation is accepted too.
    """
    for i, t in enumerate(transforms):
        paths = [r.path for r in (t.input, t.output) if r is not None and r.path is not None]
        if not paths:
            continue
        if isinstance(t, Identity | Scale | Translation) or _is_scale_translation(t):
            continue
        ctx.error(
            "ngff.transforms.labels-type",
            [*at, i, "type"],
            f"A transformation into the child labels group {paths[0]!r} must be an identity, "
            "a scale, a translation, or a sequence of a scale and a translation. "
            f"Got {getattr(t, 'type', None)!r}.",
            _SECTION,
        )


def check_multiscale(ctx: Context, ms: Multiscale, at: Tokens) -> None:
    """Run every metadata rule on one 0.6 multiscale image.

    The arguments are those of :func:`ngff.common.multiscales.check_multiscale` (the check of
    0.4/0.5 images), with a 0.6 multiscale image.
    """
    check_coordinate_systems(ctx, ms.coordinateSystems, [*at, "coordinateSystems"])
    check_multiscale_recommended_fields(ctx, set(ms.model_fields_set), at)
    check_dataset_paths(ctx, [d.path for d in ms.datasets], [*at, "datasets"])
    default = ms.coordinateSystems[-1]
    for j, ds in enumerate(ms.datasets):
        check_dataset_transformation(ctx, ds, [*at, "datasets", j], default)
    if ms.coordinateTransformations is not None:
        check_local_transformations(
            ctx,
            ms.coordinateTransformations,
            [*at, "coordinateTransformations"],
            ms.coordinateSystems,
            _SECTION,
        )
        check_label_transformations(
            ctx, ms.coordinateTransformations, [*at, "coordinateTransformations"]
        )


def image_facts(index: int, ms: Multiscale) -> ImageFacts:
    """Summarise a parsed 0.6 multiscale image for the store checks.

    As :func:`ngff.common.multiscales.image_facts` does for 0.4/0.5 images (same arguments);
    the axis names are those of the default coordinate system.
    """
    return ImageFacts(
        index=index,
        paths=tuple((j, d.path) for j, d in enumerate(ms.datasets)),
        axes=tuple(a.name for a in ms.coordinateSystems[-1].axes),
        scales=tuple(dataset_scale(d.coordinateTransformations[0]) for d in ms.datasets),
        axis_types=tuple(a.type for a in ms.coordinateSystems[-1].axes),
    )
