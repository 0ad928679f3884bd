"""OME-Zarr as the viewer sees it: :func:`open_scene` for ``ngff view``.

The target is opened with :func:`ngff.open`; a plate shows its first field of its first
well, a collection its first image, a labels group its first label image. The scene has the
image's axes (types and units), its levels with their scale and translation, its channels
with the colours and windows of ``omero`` (``active`` says which are shown first), and its
label images as layers.
"""

from __future__ import annotations

from typing import Any

from ngff.reading import CollectionNode, ImageNode, LabelsNode, PlateNode, ReadError, WellNode
from ngff.reading import open as open_ome
from ngff_geozarr.core.colour import parse_colour
from ngff_geozarr.core.viewer import Channel, Layer, Scene, ViewAxis, ViewLevel

__all__ = ["open_scene"]

_DEFAULT_COLOURS = (
    (255, 0, 0),
    (0, 255, 0),
    (0, 0, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 0),
)
_KINDS = {"x": "space", "y": "space", "z": "space", "t": "time", "c": "channel"}


def _image(node: Any) -> ImageNode:
    """Return the image a node shows first."""
    if isinstance(node, ImageNode):
        return node
    if isinstance(node, PlateNode):
        wells = [node[ref] for ref in node]
        node = wells[0] if wells else None
    if isinstance(node, WellNode):
        fields = node.fields
        return fields[0] if fields else _nothing(node)
    if isinstance(node, CollectionNode):
        images = node.images
        return images[0] if images else _nothing(node)
    if isinstance(node, LabelsNode):
        names = list(node)
        return node[names[0]] if names else _nothing(node)
    return _nothing(node)


def _nothing(node: Any) -> ImageNode:
    raise ReadError(f"{getattr(node, 'target', '')}: there is no image to show.")


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


def open_scene(target: str, storage_options: dict[str, Any]) -> Scene:
    """Open an OME-Zarr target as the scene ``ngff view`` shows.

    Parameters
    ----------
    target
        A store path or URL.
    storage_options
        Options for remote stores.

    Returns
    -------
    Scene
        The image, its channels and its label images.

    Raises
    ------
    ReadError
        When the target holds no image to show, or its metadata cannot be read.
    """
    image = _image(open_ome(target, storage_options=storage_options))
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
        image.close()
        raise ReadError(f"{target}: {exc}.") from None
