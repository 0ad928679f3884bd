"""OME-Zarr as the viewer sees it: :func:`open_scene` for ``ngff view``.

The target is opened with :func:`ngff.open` and listed as the catalogue of its images
(:func:`open_images`): an image, every field of a plate or a well, every series of a
collection, every label image of a labels group; the first is shown first
(:func:`open_scene` opens only that one). The scene has the
image's axes (types and units), its levels with their scale and translation, its channels
with the colours and windows of ``omero`` (``active`` says which are shown first), and its
label images as layers.
"""

from __future__ import annotations

from typing import Any

from ngff.reading import CollectionNode, ImageNode, LabelsNode, PlateNode, ReadError, WellNode
from ngff.reading import open as open_ome
from ngff_geozarr.core.colour import parse_colour
from ngff_geozarr.core.viewer import (
    Catalogue,
    Channel,
    ImageEntry,
    Layer,
    Scene,
    ViewAxis,
    ViewLevel,
)
from ngff_geozarr.core.viewer.catalogue import closed_on_failure, first_scene

__all__ = ["open_images", "open_scene"]

_DEFAULT_COLOURS = (
    (255, 0, 0),
    (0, 255, 0),
    (0, 0, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 0),
)
_KINDS = {"x": "space", "y": "space", "z": "space", "t": "time", "c": "channel"}


def _axes(image: ImageNode) -> tuple[ViewAxis, ...]:
    return tuple(
        ViewAxis(
            a.name,
            a.type if a.type in ("space", "time", "channel") else _KINDS.get(a.name, "other"),
            a.unit or "",
        )
        for a in image.axes
    )


def _levels(image: ImageNode) -> tuple[ViewLevel, ...]:
    return tuple(ViewLevel(v.path, v.shape, v.scale, v.translation) for v in image.levels)


def _channels(image: ImageNode, axes: tuple[ViewAxis, ...]) -> tuple[Channel, ...]:
    axis = next((i for i, a in enumerate(axes) if a.kind == "channel"), None)
    if axis is None:
        return ()
    count = image.levels[0].shape[axis]
    stated = list(image.omero.channels) if image.omero is not None else []
    channels = []
    for i in range(count):
        default = (255, 255, 255) if count == 1 else _DEFAULT_COLOURS[i % len(_DEFAULT_COLOURS)]
        if i < len(stated) and len(stated) == count:
            ch = stated[i]
            window = (ch.window.start, ch.window.end) if ch.window is not None else None
            channels.append(
                Channel(
                    ch.label or f"channel {i}",
                    parse_colour(ch.color) or default,
                    window if window is None or window[1] > window[0] else None,
                    ch.active is not False,
                )
            )
        else:
            channels.append(Channel(f"channel {i}", default))
    return tuple(channels)


def _title(node: Any, path: str, ref: str) -> str:
    """Name an image for the picker: its reference, and its name when it has one."""
    try:
        multiscales = node.source.ome(path, "a multiscale image").get("multiscales")
        name = multiscales[0].get("name") if isinstance(multiscales, list) else None
    except (ReadError, AttributeError, IndexError, KeyError):
        name = None
    return f"{ref}: {name}" if isinstance(name, str) and name and name != ref else ref


def _entries(node: Any) -> list[ImageEntry]:
    """List the images a node holds: itself, or its fields, series or label images."""
    if isinstance(node, ImageNode):
        return [ImageEntry(node.path, node.name or node.target)]
    if isinstance(node, PlateNode):
        found = []
        for ref in node:
            try:
                well = node[ref]
            except ReadError:
                continue  # a broken well: validation says why, the other wells are shown
            found += [
                ImageEntry(node.source.child(well.path, field), f"{ref}, field {field}")
                for field in well
            ]
        return found
    if isinstance(node, (WellNode, CollectionNode, LabelsNode)):
        found = []
        for ref in node:
            path = node.source.child(node.path, ref)
            found.append(ImageEntry(path, _title(node, path, ref)))
        return found
    return []


def _scene(target: str, image: ImageNode) -> Scene:
    axes = _axes(image)
    try:
        labels = []
        for name in image.labels:
            label = image.labels[name]
            labels.append(Layer(name, _axes(label), _levels(label)))
        return Scene(
            target=target,
            title=target,
            path=image.path,
            store=image.source.handle,
            axes=axes,
            levels=_levels(image),
            channels=_channels(image, axes),
            labels=tuple(labels),
        )
    except ValueError as exc:
        raise ReadError(f"{target}: {exc}.") from None


def open_images(target: str, storage_options: dict[str, Any]) -> Catalogue:
    """Open an OME-Zarr target as the catalogue of its images, for ``ngff view``.

    An image is its one entry; a plate lists every field of every well (``"A/1, field
    0"``), a well its fields, a bioformats2raw collection its series, a labels group its
    label images. This is OME-Zarr's :data:`~ngff_geozarr.core.viewer.OpenCatalogue`,
    which documents the arguments and the result.
    """
    node = open_ome(target, storage_options=storage_options)
    with closed_on_failure(node.close):
        entries = _entries(node)
        if not entries:
            raise ReadError(f"{target}: there is no image to show.")

    def open_entry(path: str) -> Scene:
        image = node if isinstance(node, ImageNode) else ImageNode(node.source, path)
        return _scene(target, image)

    return Catalogue(entries, open_entry, node.close)


open_scene = first_scene(open_images, "OME-Zarr")
