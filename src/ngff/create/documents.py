"""The OME metadata documents the writers emit, each built as its model.

The writers never assemble metadata as loose dictionaries: every section is constructed
here as the pydantic model of :mod:`ngff.common` (the 0.5 form, the toolkit's internal one)
and dumped by alias (a key never set stays absent, never ``null``);
:func:`ngff.create.rendering.render` then writes it in the version asked for, parsed by that
version's models.

Examples
--------
>>> ms = multiscale(
...     name="demo",
...     axes=[{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
...     datasets=[dataset("0", [1.0, 1.0], None), dataset("1", [2.0, 2.0], [0.5, 0.5])],
...     type="mean",
...     metadata={"method": "mean"},
... )
>>> dump(ms)["datasets"][1]["coordinateTransformations"][1]
{'type': 'translation', 'translation': [0.5, 0.5]}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pydantic

from ngff.common.axes import Axis
from ngff.common.coordinate_transformations import (
    ScaleTransformation,
    Transformation,
    TranslationTransformation,
)
from ngff.common.labels import Color, ImageLabel, Labels, Property, Source
from ngff.common.multiscales import Dataset, Multiscale
from ngff.common.omero import Omero
from ngff.common.plate import Acquisition, Column, Plate, Row, WellReference
from ngff.common.well import Well, WellImage
from ngff.v06.axes import Axis as V06Axis
from ngff.versions import SpecVersion
from ngff_geozarr.core.models import SpecModel

__all__ = [
    "axis",
    "axis_extras",
    "dataset",
    "dump",
    "image_label",
    "labels_group",
    "multiscale",
    "omero",
    "plate",
    "well",
]


def dump(model: SpecModel) -> dict[str, Any]:
    """Return a model as JSON: by alias, keys never set left out.

    Parameters
    ----------
    model
        A section model.

    Returns
    -------
    dict
        Its JSON object.
    """
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    return data


def axis(item: Mapping[str, Any]) -> Axis:
    """Build one axis object (``name``, optional ``type`` and ``unit``).

    Parameters
    ----------
    item
        The axis as a mapping.

    Returns
    -------
    Axis
        The model.
    """
    return Axis.model_validate(dict(item))


def axis_extras(
    axes: Sequence[Mapping[str, Any]], version: SpecVersion
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split axis objects into their 0.5 keys and the keys only ``version`` has (0.6).

    0.6 axes may also carry ``longName`` and ``discrete`` (:class:`ngff.v06.axes.Axis`); the
    internal 0.5 form (:class:`ngff.common.axes.Axis`) has no place for them, so they are
    kept aside and put back into the dumped axes.

    Parameters
    ----------
    axes
        The axis objects.
    version
        The version written.

    Returns
    -------
    tuple
        ``(axes, extras)``: each axis without the version-only keys, and those keys.

    Raises
    ------
    pydantic.ValidationError
        When an axis is not what ``version``'s axis model accepts.
    """
    only = set(V06Axis.model_fields) - set(Axis.model_fields) if version == "0.6" else set()
    core, extras = [], []
    model = V06Axis if version == "0.6" else Axis
    pydantic.TypeAdapter(list[model]).validate_python([dict(a) for a in axes])  # type: ignore[valid-type]
    for item in axes:
        core.append({k: v for k, v in item.items() if k not in only})
        extras.append({k: v for k, v in item.items() if k in only})
    return core, extras


def dataset(path: str, scale: Sequence[float], translation: Sequence[float] | None) -> Dataset:
    """Build one dataset: its path, a scale and, when given, a translation.

    Parameters
    ----------
    path
        The array's path, relative to the image group.
    scale
        One factor per axis.
    translation
        One offset per axis, or ``None`` for no translation.

    Returns
    -------
    Dataset
        The model.
    """
    transforms: list[Transformation] = [
        ScaleTransformation(type="scale", scale=[float(s) for s in scale])
    ]
    if translation is not None:
        offsets = [float(t) for t in translation]
        transforms.append(TranslationTransformation(type="translation", translation=offsets))
    return Dataset(path=path, coordinateTransformations=transforms)


def multiscale(
    *,
    name: str | None,
    axes: Sequence[Mapping[str, Any] | Axis],
    datasets: Sequence[Dataset],
    type: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Multiscale:
    """Build one multiscale image object in 0.5 form; ``None`` leaves a key out.

    Parameters
    ----------
    name
        The image's name.
    axes
        The axis objects.
    datasets
        The levels, base first.
    type
        The downsampling method.
    metadata
        Facts about the downsampling (method, version, arguments).

    Returns
    -------
    Multiscale
        The model.

    Raises
    ------
    pydantic.ValidationError
        When an axis is not what the model accepts.
    """
    fields: dict[str, Any] = {
        "axes": [a if isinstance(a, Axis) else dict(a) for a in axes],
        "datasets": list(datasets),
    }
    if name is not None:
        fields["name"] = name
    if type is not None:
        fields["type"] = type
    if metadata is not None:
        fields["metadata"] = dict(metadata)
    return Multiscale.model_validate(fields)


def omero(channels: Sequence[Mapping[str, Any]], model: str, name: str | None = None) -> Omero:
    """Build the ``omero`` object: channels, the rendering model and the image name.

    Parameters
    ----------
    channels
        One channel object per channel (``label``, ``color``, ``active``, ``window``).
    model
        ``"color"`` or ``"greyscale"`` (``rdefs.model``).
    name
        The image name (``name``, as the spec's example has it), or ``None`` for none.

    Returns
    -------
    Omero
        The model (``rdefs`` is one of the keys the transitional spec allows beyond it).
    """
    named = {} if name is None else {"name": name}
    return Omero.model_validate(
        {**named, "channels": [dict(c) for c in channels], "rdefs": {"model": model}}
    )


def image_label(
    colors: Sequence[tuple[int, Sequence[int]]] | None,
    properties: Sequence[Mapping[str, Any]] | None,
    source_image: str,
) -> ImageLabel:
    """Build the ``image-label`` object of a label image.

    Parameters
    ----------
    colors
        ``(label value, RGBA)`` pairs, or ``None`` for no ``colors``.
    properties
        The property objects (each with a ``label-value``), or ``None``.
    source_image
        The path from the label image to the image it labels.

    Returns
    -------
    ImageLabel
        The model.
    """
    fields: dict[str, Any] = {}
    if colors:
        fields["colors"] = [Color(label_value=v, rgba=list(rgba)) for v, rgba in colors]
    if properties is not None:
        fields["properties"] = [Property.model_validate(dict(p)) for p in properties]
    fields["source"] = Source(image=source_image)
    return ImageLabel(**fields)


def labels_group(names: Sequence[str]) -> Labels:
    """Build the ``labels`` object of a labels group.

    Parameters
    ----------
    names
        The paths of its label images.

    Returns
    -------
    Labels
        The model (its JSON value is :attr:`Labels.labels`).
    """
    return Labels(labels=list(names))


def well(fields: int, acquisitions: Sequence[int] | None = None) -> Well:
    """Build the ``well`` object of a well holding fields ``0`` to ``fields - 1``.

    Parameters
    ----------
    fields
        The number of fields of view.
    acquisitions
        The acquisition id of each field, or ``None`` (no field names one).

    Returns
    -------
    Well
        The model.
    """
    if acquisitions is None:
        return Well(images=[WellImage(path=str(i)) for i in range(fields)])
    images = [WellImage(path=str(i), acquisition=a) for i, a in enumerate(acquisitions)]
    return Well(images=images)


def plate(
    *,
    name: str | None,
    acquisitions: Sequence[Mapping[str, Any]] | None,
    rows: Sequence[str],
    columns: Sequence[str],
    wells: Sequence[tuple[str, int, int]],
    field_count: int | None,
) -> Plate:
    """Build the ``plate`` object.

    Parameters
    ----------
    name
        The plate's name, or ``None``.
    acquisitions
        The acquisition objects, or ``None``.
    rows, columns
        The row and column names.
    wells
        ``(path, row index, column index)`` of each well.
    field_count
        The largest number of fields in a well, or ``None``.

    Returns
    -------
    Plate
        The model.
    """
    fields: dict[str, Any] = {
        "rows": [Row(name=r) for r in rows],
        "columns": [Column(name=c) for c in columns],
        "wells": [WellReference(path=p, rowIndex=r, columnIndex=c) for p, r, c in wells],
    }
    if name is not None:
        fields["name"] = name
    if acquisitions is not None:
        fields["acquisitions"] = [Acquisition.model_validate(dict(a)) for a in acquisitions]
    if field_count is not None:
        fields["field_count"] = field_count
    return Plate(**fields)
