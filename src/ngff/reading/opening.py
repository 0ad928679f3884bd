"""``ngff.open``: a target to the opened OME-Zarr object it holds."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ngff.common.ome import SECTION_KEYS
from ngff.detection import discover, node_kind, ome_attributes
from ngff.reading.groups import CollectionNode, PlateNode, WellNode
from ngff.reading.image import ImageNode, LabelsNode
from ngff.reading.source import ReadError, StoreSource
from ngff.versions import SpecVersion, spec_version
from ngff_geozarr.core.hierarchy import Node, hierarchy_from_store, is_json_target
from ngff_geozarr.core.store import StoreHandle, open_store

__all__ = ["OmeNode", "open"]

OmeNode = ImageNode | LabelsNode | PlateNode | WellNode | CollectionNode
"""What :func:`open` returns: the opened object of the kind the target's metadata declares."""

_OPENERS: Mapping[str, type[OmeNode]] = {
    "image": ImageNode,
    "labels": LabelsNode,
    "plate": PlateNode,
    "well": WellNode,
    "bioformats2raw layout": CollectionNode,
}


def open(
    target: str | os.PathLike[str],
    *,
    storage_options: dict[str, Any] | None = None,
) -> OmeNode:
    """Open an OME-Zarr target as the typed object its metadata declares, reading no array.

    The metadata of the whole hierarchy is read once (consolidated metadata where present);
    each image's levels are dask arrays whose chunks are read only when computed
    (:attr:`Level.data <ngff.reading.image.Level.data>`,
    :meth:`ImageNode.to_xarray <ngff.reading.image.ImageNode.to_xarray>`).

    Parameters
    ----------
    target
        A store: a directory, a ``.zip`` file, a ``file://``, ``http(s)://`` or ``s3://`` URL;
        its root is the object to open (an image, a labels group, a plate, a well, or a
        bioformats2raw collection), in OME-Zarr 0.4, 0.5 or 0.6.
    storage_options
        Options for remote stores (``endpoint_url``, ``anon``, credentials, ...).

    Returns
    -------
    ImageNode, LabelsNode, PlateNode, WellNode or CollectionNode
        The opened object; it keeps the store open for its levels (close it, or use it in a
        ``with`` block, when done: a zip file is held open until then).

    Raises
    ------
    ReadError
        When the target holds no OME-Zarr object this reader reads, or its metadata is broken
        where the object needs it (one line: target, node, what is wrong).
    TargetError
        When the target cannot be opened at all (missing, unreachable, not Zarr).

    Examples
    --------
    >>> import ngff, numpy as np, tempfile, os
    >>> target = os.path.join(tempfile.mkdtemp(), "image.ome.zarr")
    >>> _ = ngff.write_image(np.zeros((4, 6), "uint8"), target, axes="yx", scale=(2, 3))
    >>> with ngff.open(target) as image:
    ...     print(image.kind, image.axis_names, image.levels[0].shape, image.levels[0].scale)
    image ('y', 'x') (4, 6) (2.0, 3.0)
    """
    text = os.fspath(target)
    if is_json_target(text):
        raise ReadError(
            f"{text}: a JSON document describes metadata, not arrays; open the store instead."
        )
    handle = open_store(text, "r", storage_options=storage_options)
    try:
        return _open(handle)
    except BaseException:
        handle.close()
        raise


def _open(handle: StoreHandle) -> OmeNode:
    hierarchy = hierarchy_from_store(handle, discover)
    root = hierarchy.root
    if root is None:
        problem = next((i.message for i in hierarchy.issues if i.path == ""), "")
        raise ReadError(" ".join(f"{handle.target}: the root cannot be read. {problem}".split()))
    ome, _ = ome_attributes(root.attributes)
    kind = node_kind(ome)
    opener = _OPENERS.get(kind)
    if opener is None:
        found = "no OME-Zarr metadata" if kind == "group" else f"an OME-Zarr {kind}"
        raise ReadError(
            f"{handle.target}: expected an OME-Zarr image, labels group, plate, well or "
            f"bioformats2raw collection at the root. Got {found}."
        )
    # A collection's series are read with the rest: discover follows the OME group's list.
    source = StoreSource(handle, hierarchy, _version(handle.target, root))
    return opener(source, "")


def _version(target: str, root: Node) -> SpecVersion:
    """Tell the version the root declares: 0.4 for top-level sections without one."""
    attributes = root.attributes
    _, text = ome_attributes(attributes)
    version = spec_version(text)
    if version is not None:
        return version
    if text is not None:
        raise ReadError(
            f"{target}: expected OME-Zarr version 0.4, 0.5 or 0.6 (0.6rc0, 0.6.devN). Got {text!r}."
        )
    if "ome" in attributes:
        raise ReadError(f"{target}: the ome namespace has no 'version'; it is required.")
    if any(key in attributes for key in SECTION_KEYS):
        return "0.4"
    raise ReadError(f"{target}: no OME-Zarr version declared.")
