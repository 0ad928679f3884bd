"""The one-page HTML report of an OME-Zarr store: tree, issues, and a picture of each image.

Each multiscale image gets one thumbnail, read from the smallest level whose y and x sides
reach 256 pixels (a middle slice through every other axis: only the chunks under it are
read), with the label images found under its ``labels`` group laid over it in a
categorical palette. The caption lists every level's shape, chunks and data type, read
from the metadata. Label images are shown over their image, not on their own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ngff.detection import detect, discover, ome_attributes
from ngff.validate import check_hierarchy
from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.html import Thumbnail, level_cards, report_page
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.store import StoreHandle, join_key
from ngff_geozarr.core.thumbnail import (
    choose_level,
    encode_png,
    intensity_rgba,
    labels_rgba,
    overlay,
    read_stored_slice,
)

__all__ = ["build_report", "image_thumbnails"]


def _multiscale(node: Node) -> Mapping[str, Any] | None:
    ome, _ = ome_attributes(node.attributes)
    ms = ome.get("multiscales")
    if isinstance(ms, list) and ms and isinstance(ms[0], Mapping):
        return ms[0]
    return None


def _levels(hierarchy: Hierarchy, node: Node, ms: Mapping[str, Any]) -> list[Node] | None:
    """Return the level arrays of an image, finest first; ``None`` if any is unusable."""
    datasets = ms.get("datasets")
    if not isinstance(datasets, list):
        return None
    levels = []
    for dataset in datasets:
        path = dataset.get("path") if isinstance(dataset, Mapping) else None
        if not isinstance(path, str):
            return None
        try:
            key = join_key(node.path, path)
        except NgffGeozarrError:
            return None
        level = hierarchy.get(key)
        if level is None or level.array is None:
            return None
        levels.append(level)
    return levels or None


def _spatial_axes(ms: Mapping[str, Any], ndim: int) -> tuple[int, int]:
    """Return the y and x axes: the last two of type space, else the last two."""
    axes = ms.get("axes")
    names: list[str] = []
    spatial: list[int] = []
    if isinstance(axes, list) and len(axes) == ndim:
        for i, axis in enumerate(axes):
            name = axis.get("name") if isinstance(axis, Mapping) else axis
            names.append(str(name))
            kind = axis.get("type") if isinstance(axis, Mapping) else None
            if kind == "space" or (kind is None and str(name) in ("y", "x")):
                spatial.append(i)
    if len(spatial) >= 2:
        return spatial[-2], spatial[-1]
    return ndim - 2, ndim - 1


def _picture(
    store: StoreHandle,
    hierarchy: Hierarchy,
    image: Node,
    level: int,
    shape: tuple[int, ...],
    spatial: tuple[int, int],
) -> tuple[bytes, bool, list[str]] | None:
    """Read one level's middle slice, its label images laid over it; ``None`` if unreadable."""
    levels = _levels(hierarchy, image, _multiscale(image) or {})
    if levels is None:
        return None
    read = read_stored_slice(store, levels[level].path, spatial)
    if read is None:
        return None
    plane, cropped = read
    rgba = intensity_rgba(plane)
    overlaid = []
    for label_node, label_ms in _label_images(hierarchy, image):
        label_levels = _levels(hierarchy, label_node, label_ms)
        if label_levels is None or len(label_levels) <= level:
            continue
        label_level = label_levels[level]
        if label_level.array is None or tuple(label_level.array.shape) != shape:
            continue
        labels = read_stored_slice(store, label_level.path, spatial)
        if labels is None:
            continue
        rgba = overlay(rgba, labels_rgba(labels[0]))
        overlaid.append(label_node.name)
    return encode_png(rgba), cropped, overlaid


def image_thumbnails(hierarchy: Hierarchy, store: StoreHandle) -> list[Thumbnail]:
    """Make a thumbnail of every level of every multiscale image, labels laid over it.

    The smallest level whose y and x sides reach 256 pixels is read, and every coarser
    level (each costs less); a finer level is shown with that level's picture, which at
    thumbnail size looks the same, so the report never reads the large levels.

    OME-Zarr's :data:`~ngff_geozarr.core.html.MakeThumbnails`: one picture per level of
    every image whose levels all resolve to arrays of two or more dimensions, finest first.
    """
    thumbnails = []
    for node in hierarchy.values():
        ms = _multiscale(node)
        ome, _ = ome_attributes(node.attributes)
        if ms is None or "image-label" in ome:
            continue
        levels = _levels(hierarchy, node, ms)
        if levels is None or levels[0].array is None or len(levels[0].array.shape) < 2:
            continue
        spatial = _spatial_axes(ms, len(levels[0].array.shape))
        shapes = [tuple(level.array.shape) for level in levels if level.array is not None]
        chosen = choose_level(shapes, spatial)
        name = ms.get("name") if isinstance(ms.get("name"), str) else (node.name or "image")

        def read(
            i: int,
            image: Node = node,
            shapes: list[tuple[int, ...]] = shapes,
            spatial: tuple[int, int] = spatial,
        ) -> tuple[bytes, list[str]] | None:
            made = _picture(store, hierarchy, image, i, shapes[i], spatial)
            if made is None:
                return None
            png, cropped, overlaid = made
            notes = ["centre crop"] if cropped else []
            if overlaid:
                notes.append("labels: " + ", ".join(overlaid))
            return png, notes

        thumbnails += level_cards(str(name), levels, chosen, read, lambda lv: f"level {lv.name}")
    return thumbnails


def _label_images(hierarchy: Hierarchy, image: Node) -> list[tuple[Node, Mapping[str, Any]]]:
    try:
        labels_path = join_key(image.path, "labels")
    except NgffGeozarrError:
        return []
    found = []
    for child in hierarchy.children(labels_path):
        ms = _multiscale(child)
        if ms is not None:
            found.append((child, ms))
    return found


def build_report(
    target: str | os.PathLike[str],
    *,
    strict: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> tuple[str, Report]:
    """Validate a target and render its OME-Zarr report: each image, labels overlaid.

    This is OME-Zarr's :class:`~ngff_geozarr.core.convention.BuildReport`, which documents
    the arguments and the result.
    """
    return report_page(
        target,
        lambda h: check_hierarchy(h, strict=strict),
        discover=discover,
        detect=detect,
        thumbnails=image_thumbnails,
        storage_options=storage_options,
    )
