"""The one-page HTML report of an OME-Zarr store: tree, issues, metadata, a picture of each image.

Each multiscale image gets one thumbnail, read from the smallest level whose y and x sides
reach 256 pixels (a middle slice through every other axis but the channel axis: only the
chunks under it are read), with the label images found under its ``labels`` group laid over
it in a categorical palette. Channels are composed additively in their ``omero`` colours and
display windows, as a viewer shows them; without ``omero``, a single channel is grey, red,
green and blue channels are the photograph they make, and other channels get distinct
colours. The picture keeps the image's aspect ratio, pixel sizes included. An image the
validator rejects is still pictured when its arrays can be read.

The page's "Metadata" section is :func:`ngff.describe.describe_ome`, as ``ngff info``
prints it.
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import partial

from ngff.describe import (
    channel_axis,
    channel_display,
    describe_ome,
    image_axes,
    image_levels,
    label_images,
    level_geometry,
    multiscale_of,
    spatial_axes,
)
from ngff.detection import detect, discover, ome_attributes
from ngff.validate import check_hierarchy
from ngff_geozarr.core.colour import composite_rgba
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.html import ReportParts, Thumbnail, level_cards
from ngff_geozarr.core.store import StoreHandle
from ngff_geozarr.core.thumbnail import (
    choose_level,
    encode_png,
    labels_rgba,
    overlay,
    read_stored_planes,
)

__all__ = ["build_report", "image_thumbnails"]


def _picture(
    store: StoreHandle,
    hierarchy: Hierarchy,
    image: Node,
    level: Node,
    spatial: tuple[int, int],
    pixel_size: tuple[float, float],
) -> tuple[bytes, bool, list[str]] | None:
    """Read one level's middle slice, composed, labels laid over it; ``None`` if unreadable."""
    ms = multiscale_of(image) or {}
    ome, _ = ome_attributes(image.attributes)
    assert level.array is not None
    ndim = len(level.array.shape)
    channels = channel_axis(image_axes(ms, ndim))
    read = read_stored_planes(store, level.path, spatial, channels, pixel_size)
    if read is None:
        return None
    planes, cropped = read
    dtype = planes.dtype
    display = channel_display(ome, planes.shape[0], dtype.kind, dtype.itemsize)
    rgba = composite_rgba(
        [planes[i] for i, _, _ in display], [c for _, c, _ in display], [w for _, _, w in display]
    )
    overlaid = []
    for label_node, label_ms in label_images(hierarchy, image):
        match = [
            lv
            for lv in image_levels(hierarchy, label_node, label_ms)
            if lv.array is not None and tuple(lv.array.shape) == tuple(level.array.shape)
        ]
        if not match:
            continue
        labels = read_stored_planes(store, match[0].path, spatial, None, pixel_size)
        if labels is None or labels[0].shape[1:] != rgba.shape[:2]:
            continue
        rgba = overlay(rgba, labels_rgba(labels[0][0]))
        overlaid.append(label_node.name)
    return encode_png(rgba), cropped, overlaid


def image_thumbnails(hierarchy: Hierarchy, store: StoreHandle) -> list[Thumbnail]:
    """Make a thumbnail of every level of every multiscale image, labels laid over it.

    The smallest level whose y and x sides reach 256 pixels is read, and every coarser
    level (each costs less); a finer level is shown with that level's picture, which at
    thumbnail size looks the same, so the report never reads the large levels.

    OME-Zarr's :data:`~ngff_geozarr.core.html.MakeThumbnails`: one picture per level that
    resolves to an array of two or more dimensions, finest first, for every image (valid or
    not) but label images, which are laid over their image.
    """
    thumbnails = []
    for node in hierarchy.values():
        ms = multiscale_of(node)
        ome, _ = ome_attributes(node.attributes)
        if ms is None or "image-label" in ome:
            continue
        levels = image_levels(hierarchy, node, ms)
        if not levels or levels[0].array is None:
            continue
        ndim = len(levels[0].array.shape)
        spatial = spatial_axes(image_axes(ms, ndim), ndim)
        shapes = [tuple(level.array.shape) for level in levels if level.array is not None]
        chosen = choose_level(shapes, spatial)
        name = ms.get("name") if isinstance(ms.get("name"), str) else (node.name or "image")
        scale = level_geometry(ms, 0, ndim)[0]
        # The finest level's extent on the ground; each level's pixel is its share of it
        # (a level downsampled along x only keeps the picture's aspect).
        ground = (
            shapes[0][spatial[0]] * abs(scale[spatial[0]]),
            shapes[0][spatial[1]] * abs(scale[spatial[1]]),
        )

        def read(
            i: int,
            image: Node = node,
            levels: list[Node] = levels,
            spatial: tuple[int, int] = spatial,
            ground: tuple[float, float] = ground,
            shapes: list[tuple[int, ...]] = shapes,
        ) -> tuple[bytes, list[str]] | None:
            rows, columns = (max(1, shapes[i][a]) for a in spatial)
            pixel = (ground[0] / rows, ground[1] / columns)
            made = _picture(store, hierarchy, image, levels[i], spatial, pixel)
            if made is None:
                return None
            png, cropped, overlaid = made
            notes = ["centre crop"] if cropped else []
            if overlaid:
                notes.append("labels: " + ", ".join(overlaid))
            return png, notes

        thumbnails += level_cards(str(name), levels, chosen, read, lambda lv: f"level {lv.name}")
    return thumbnails


_PARTS = ReportParts(
    discover,
    detect,
    image_thumbnails,
    describe_ome,
    "ngff view",
    checking=lambda target, options, strict: nullcontext(partial(check_hierarchy, strict=strict)),
)

build_report = _PARTS.build_report
"""Validate a target and render its OME-Zarr report: each image, labels overlaid.

A :class:`~ngff_geozarr.core.convention.BuildReport`.
"""
