"""Recognise OME-Zarr nodes and the children their metadata refers to.

OME-Zarr 0.5 and later keep their metadata under the ``ome`` attribute, with one
``version`` for the whole object; 0.4 puts ``multiscales``, ``plate``, ``well``, ``labels``
and ``image-label`` at the top level of the attributes, each carrying its own ``version``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ngff_geozarr.core.hierarchy import Hierarchy, Node

__all__ = ["KINDS", "detect", "discover", "ome_attributes"]

KINDS = (
    ("plate", "plate"),
    ("well", "well"),
    ("multiscales", "image"),
    ("labels", "labels"),
    ("bioformats2raw.layout", "bioformats2raw layout"),
    ("series", "series"),
)
"""The metadata key that marks each kind of OME-Zarr node, and the kind's name."""


def ome_attributes(attributes: Mapping[str, Any]) -> tuple[Mapping[str, Any], str | None]:
    """Return the OME metadata of a node and the version it declares.

    Parameters
    ----------
    attributes
        A node's attributes.

    Returns
    -------
    tuple
        The OME metadata (the ``ome`` object in 0.5+, the attributes themselves in 0.4)
        and the version string as written, or ``None`` when none is declared.

    Examples
    --------
    >>> ome_attributes({"ome": {"version": "0.5", "multiscales": []}})[1]
    '0.5'
    >>> ome_attributes({"multiscales": [{"version": "0.4", "datasets": []}]})[1]
    '0.4'
    """
    ome = attributes.get("ome")
    if isinstance(ome, Mapping):
        version = ome.get("version")
        return ome, version if isinstance(version, str) else None
    for key in ("multiscales", "plate", "well", "image-label"):
        value = attributes.get(key)
        first = value[0] if isinstance(value, list) and value else value
        if isinstance(first, Mapping) and isinstance(first.get("version"), str):
            return attributes, first["version"]
    return attributes, None


def detect(node: Node, hierarchy: Hierarchy) -> list[str]:
    """Label the OME-Zarr kinds a node's metadata declares.

    Parameters
    ----------
    node
        The node.
    hierarchy
        Its hierarchy (unused here; part of the detector signature).

    Returns
    -------
    list of str
        Labels such as ``"OME-Zarr 0.5 image"`` or ``"OME-Zarr 0.4 label image"``; empty
        when the node declares nothing OME.
    """
    ome, version = ome_attributes(node.attributes)
    prefix = f"OME-Zarr {version}" if version else "OME-Zarr"
    labels = []
    for key, kind in KINDS:
        if key not in ome:
            continue
        if key == "series" and "bioformats2raw.layout" in ome:
            continue
        if key == "multiscales" and "image-label" in ome:
            kind = "label image"
        labels.append(f"{prefix} {kind}")
    return labels


def discover(node: Node) -> list[str]:
    """Name the children an OME-Zarr node refers to, relative to it.

    Used for stores that cannot be listed: dataset paths of multiscales, the ``labels``
    group of an image (probed: it may not exist), the label images a ``labels`` group names,
    a plate's wells, a well's images, a bioformats2raw layout's ``OME`` group and first
    series. The references are returned as written; the reader refuses unsafe ones.

    Parameters
    ----------
    node
        A group node.

    Returns
    -------
    list of str
        Relative paths, possibly with several names (``"A/1"``).
    """
    ome, _ = ome_attributes(node.attributes)
    refs: list[str] = []
    multiscales = ome.get("multiscales")
    if isinstance(multiscales, list):
        for ms in multiscales:
            datasets = ms.get("datasets") if isinstance(ms, Mapping) else None
            refs += _paths(datasets)
        refs.append("labels")
    labels = ome.get("labels")
    if isinstance(labels, list):
        refs += [name for name in labels if isinstance(name, str)]
    plate = ome.get("plate")
    if isinstance(plate, Mapping):
        refs += _paths(plate.get("wells"))
    well = ome.get("well")
    if isinstance(well, Mapping):
        refs += _paths(well.get("images"))
    if "bioformats2raw.layout" in ome:
        refs += ["OME", "0"]
    return list(dict.fromkeys(refs))


def _paths(entries: Any) -> list[str]:
    if not isinstance(entries, list):
        return []
    return [e["path"] for e in entries if isinstance(e, Mapping) and isinstance(e.get("path"), str)]
