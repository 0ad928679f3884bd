"""The readers ``ngff validate --for`` knows: napari, ome-zarr-py and xarray.

napari shows a multiscale image as a list of levels "from larger to smaller" and takes the
first level's data type for all (``napari/layers/_multiscale_data.py``, ``MultiScaleData``);
ome-zarr-py 0.18 (the reader behind napari-ome-zarr) knows OME-Zarr 0.1 to 0.5
(``ome_zarr/format.py``), refuses some axes orders (``ome_zarr/axes.py``,
``Axes._validate_axes_types``) and stitches every field of a well as if it were the first
(``ome_zarr/reader.py``, ``Well``). Every rule id is declared in
``ngff_geozarr/core/profiles/data/rules.toml``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ngff.detection import ome_attributes
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.profiles.readers import (
    XARRAY,
    Finding,
    ReaderProfile,
)

__all__ = [
    "NAPARI",
    "OME_ZARR_PY",
    "READERS",
    "check_axes",
    "check_level_dtype",
    "check_level_order",
    "check_version",
    "check_well_fields",
]

_KNOWN_VERSIONS = ("0.1", "0.2", "0.3", "0.4", "0.5")
_KNOWN_AXIS_TYPES = ("space", "time", "channel")


def _join(group: str, relative: str) -> str:
    return f"{group}/{relative}" if group else relative


def _multiscales(node: Node) -> tuple[list[Mapping[str, Any]], str]:
    """Return a node's multiscales entries and the JSON pointer of the list."""
    ome, _ = ome_attributes(node.attributes)
    found = ome.get("multiscales")
    base = "/attributes/ome" if "ome" in node.attributes else "/attributes"
    if not isinstance(found, list):
        return [], base
    return [m for m in found if isinstance(m, Mapping)], f"{base}/multiscales"


def _levels(hierarchy: Hierarchy, node: Node, multiscale: Mapping[str, Any]) -> list[Node]:
    """Return the level arrays a multiscale names that exist (the validator reports the rest)."""
    datasets = multiscale.get("datasets")
    levels = []
    for dataset in datasets if isinstance(datasets, list) else ():
        path = dataset.get("path") if isinstance(dataset, Mapping) else None
        level = hierarchy.get(_join(node.path, path)) if isinstance(path, str) else None
        if level is not None and level.array_shape is not None:
            levels.append(level)
    return levels


def _images(hierarchy: Hierarchy) -> Iterator[tuple[Node, str, list[Node]]]:
    for node in hierarchy.values():
        if node.node_type != "group":
            continue
        entries, pointer = _multiscales(node)
        for index, multiscale in enumerate(entries):
            yield node, f"{pointer}/{index}", _levels(hierarchy, node, multiscale)


def check_level_order(hierarchy: Hierarchy) -> Iterator[Finding]:
    """napari: levels from larger to smaller, in every dimension.

    A :class:`~ngff_geozarr.core.profiles.readers.ReaderCheck`: one ``reader.napari.level-order``
    finding per level larger than the one before it.
    """
    for node, pointer, levels in _images(hierarchy):
        for before, level in itertools.pairwise(levels):
            big, small = before.array_shape or (), level.array_shape or ()
            if len(big) == len(small) and all(s <= b for s, b in zip(small, big, strict=True)):
                continue
            yield Finding(
                "reader.napari.level-order",
                node.path,
                f"{pointer}/datasets",
                f"napari expects levels from larger to smaller: {level.path!r} "
                f"{list(small)} follows {before.path!r} {list(big)}. Fix: list the datasets "
                "from the full resolution down.",
            )
            break


def check_level_dtype(hierarchy: Hierarchy) -> Iterator[Finding]:
    """napari: every level of the first level's data type.

    A :class:`~ngff_geozarr.core.profiles.readers.ReaderCheck`: one ``reader.napari.level-dtype``
    finding per level of another type.
    """
    for node, pointer, levels in _images(hierarchy):
        first = levels[0].data_type if levels else None
        for level in levels[1:]:
            if level.data_type != first:
                yield Finding(
                    "reader.napari.level-dtype",
                    node.path,
                    f"{pointer}/datasets",
                    f"napari shows every level as {first} (the first level's type); "
                    f"{level.path!r} is {level.data_type}. Fix: write every level in one "
                    "data type.",
                )


def check_version(hierarchy: Hierarchy) -> Iterator[Finding]:
    """ome-zarr-py: OME-Zarr versions it does not know (newer than 0.5).

    A :class:`~ngff_geozarr.core.profiles.readers.ReaderCheck`: one ``reader.ome-zarr-py.version``
    finding per node declaring such a version.
    """
    for node in hierarchy.values():
        _, version = ome_attributes(node.attributes)
        if version is None or version in _KNOWN_VERSIONS:
            continue
        pointer = "/attributes/ome/version" if "ome" in node.attributes else "/attributes"
        yield Finding(
            "reader.ome-zarr-py.version",
            node.path,
            pointer,
            f"ome-zarr-py reads OME-Zarr 0.1 to 0.5; this node is {version!r}, which it does "
            "not recognise. Fix: ngff convert --to 0.5 for readers built on ome-zarr-py.",
        )


def _axes_problem(types: Sequence[Any]) -> str | None:
    """Return why ``Axes._validate_axes_types`` (ome-zarr-py 0.18) refuses these types."""
    unknown = [t for t in types if t not in _KNOWN_AXIS_TYPES]
    if len(unknown) > 1:
        return f"more than one axis of unknown type ({unknown})"
    if "time" in types and max(i for i, t in enumerate(types) if t == "time") > 0:
        return "a 'time' axis that is not the first"
    if types.count("channel") > 1:
        return "two 'channel' axes"
    channels = [i for i, t in enumerate(types) if t == "channel"]
    if channels and "space" in types and channels[-1] > types.index("space"):
        return "a 'channel' axis after a 'space' axis"
    return None


def check_axes(hierarchy: Hierarchy) -> Iterator[Finding]:
    """ome-zarr-py: axes it raises ``ValueError`` on (it checks them for 0.3 and later).

    A :class:`~ngff_geozarr.core.profiles.readers.ReaderCheck`: one ``reader.ome-zarr-py.axes``
    finding per multiscale whose axes it refuses.
    """
    for node in hierarchy.values():
        entries, pointer = _multiscales(node)
        if not entries:
            continue
        # ome-zarr-py takes the version of multiscales[0] itself, "0.1" when absent
        if entries[0].get("version", "0.1") not in ("0.4", "0.5"):
            continue
        axes = entries[0].get("axes")
        if not isinstance(axes, list):
            continue
        types = [a.get("type") if isinstance(a, Mapping) else None for a in axes]
        problem = _axes_problem(types)
        if problem is not None:
            yield Finding(
                "reader.ome-zarr-py.axes",
                node.path,
                f"{pointer}/0/axes",
                f"ome-zarr-py refuses these axes ({problem}) and opens no image. Fix: order "
                "the axes time, channel, then space.",
            )


def _field_facts(levels: Sequence[Node]) -> tuple[int, tuple[int, ...] | None, str | None]:
    """Return what ome-zarr-py takes from a well's field: level count, shape, data type."""
    if not levels:
        return 0, None, None
    return len(levels), levels[0].array_shape, levels[0].data_type


def check_well_fields(hierarchy: Hierarchy) -> Iterator[Finding]:
    """ome-zarr-py: fields of a well unlike its first field.

    A :class:`~ngff_geozarr.core.profiles.readers.ReaderCheck`: one
    ``reader.ome-zarr-py.well-fields`` finding per field that differs from the first.
    """
    for node in hierarchy.values():
        ome, _ = ome_attributes(node.attributes)
        well = ome.get("well")
        images = well.get("images") if isinstance(well, Mapping) else None
        if not isinstance(images, list):
            continue
        fields = []
        for image in images:
            path = image.get("path") if isinstance(image, Mapping) else None
            field = hierarchy.get(_join(node.path, path)) if isinstance(path, str) else None
            if field is not None:
                entries, _ = _multiscales(field)
                levels = _levels(hierarchy, field, entries[0]) if entries else []
                fields.append((field, levels))
        if not fields or not fields[0][1]:
            continue
        first, first_levels = fields[0]
        expected = (len(first_levels), first_levels[0].array_shape, first_levels[0].data_type)
        for field, levels in fields[1:]:
            got = (
                len(levels),
                *((levels[0].array_shape, levels[0].data_type) if levels else (None, None)),
            )
            if got != expected:
                yield Finding(
                    "reader.ome-zarr-py.well-fields",
                    node.path,
                    "/attributes",
                    f"ome-zarr-py stitches every field of this well as {first.path!r} "
                    f"({expected[0]} levels, shape {list(expected[1] or ())}, {expected[2]}); "
                    f"{field.path!r} has {got[0]} levels, shape {list(got[1] or ())}, "
                    f"{got[2]}. Fix: write every field alike.",
                )


NAPARI = ReaderProfile("napari", "napari", (check_level_order, check_level_dtype))
"""napari's multiscale image layers."""
OME_ZARR_PY = ReaderProfile(
    "ome-zarr-py", "ome-zarr-py", (check_version, check_axes, check_well_fields)
)
"""ome-zarr-py 0.18's reader (behind napari-ome-zarr)."""
READERS: Mapping[str, ReaderProfile] = {p.name: p for p in (NAPARI, OME_ZARR_PY, XARRAY)}
"""The readers ``ngff validate --for`` takes, by name."""
