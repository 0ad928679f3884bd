"""Recognise OME-Zarr nodes and the children their metadata refers to.

OME-Zarr 0.5 and later keep their metadata under the ``ome`` attribute, with one
``version`` for the whole object; 0.4 puts ``multiscales``, ``plate``, ``well``, ``labels``
and ``image-label`` at the top level of the attributes, each carrying its own ``version``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ngff_geozarr.core.hierarchy import Hierarchy, Node

__all__ = ["KINDS", "detect", "discover", "node_kind", "node_kinds", "ome_attributes"]

KINDS = (
    ("plate", "plate"),
    ("bioformats2raw.layout", "bioformats2raw layout"),
    ("well", "well"),
    ("multiscales", "image"),
    ("image-label", "image"),
    ("labels", "labels"),
    ("series", "series"),
    ("scene", "scene"),
)
"""The metadata key that marks each kind of OME-Zarr node, and the kind's name.

The one table of node kinds: ``info`` labels nodes with it (:func:`detect`) and validation
tells a node's kind with it (:func:`node_kind`). In order of precedence: a node that
declares several keys is of the first kind listed."""


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


def node_kinds(ome: Mapping[str, Any]) -> list[str]:
    """Name every kind of OME node its metadata declares, in order of precedence.

    Parameters
    ----------
    ome
        The node's OME metadata (the ``ome`` object, or 0.4 attributes).

    Returns
    -------
    list of str
        Kind names of :data:`KINDS`, each once; a ``series`` list is part of a
        bioformats2raw layout when the node declares one, not a kind of its own.

    Examples
    --------
    >>> node_kinds({"version": "0.6", "scene": {}})
    ['scene']
    >>> node_kinds({"multiscales": [], "image-label": {}})
    ['image']
    >>> node_kinds({"bioformats2raw.layout": 3, "series": ["0"]})
    ['bioformats2raw layout']
    """
    kinds = dict.fromkeys(kind for key, kind in KINDS if key in ome)
    if "bioformats2raw layout" in kinds:
        kinds.pop("series", None)
    return list(kinds)


def node_kind(ome: Mapping[str, Any]) -> str:
    """Name the kind of OME node its metadata declares.

    The first of :func:`node_kinds` (``"plate"``, ``"bioformats2raw layout"``, ``"well"``,
    ``"image"``, ``"labels"``, ``"series"``, ``"scene"``), or ``"group"`` when it declares
    none.

    Examples
    --------
    >>> node_kind({"version": "0.5", "plate": {}, "bioformats2raw.layout": 3})
    'plate'
    >>> node_kind({"version": "0.5"})
    'group'
    """
    return next(iter(node_kinds(ome)), "group")


def detect(node: Node, hierarchy: Hierarchy) -> list[str]:
    """Label the OME-Zarr kinds a node's metadata declares.

    OME-Zarr's :data:`~ngff_geozarr.core.info.Detect` (the hierarchy is not needed): one
    label per kind of :func:`node_kinds`, such as ``"OME-Zarr 0.5 image"``, ``"OME-Zarr 0.4
    label image"`` or ``"OME-Zarr 0.6 scene"``; empty when the node declares nothing OME.
    """
    ome, version = ome_attributes(node.attributes)
    prefix = f"OME-Zarr {version}" if version else "OME-Zarr"
    labels = []
    for kind in node_kinds(ome):
        if kind == "image" and "image-label" in ome:
            kind = "label image"
        labels.append(f"{prefix} {kind}")
    return labels


def discover(node: Node) -> list[str]:
    """Name the children an OME-Zarr node refers to, relative to it.

    Used for stores that cannot be listed: dataset paths of multiscales, the ``labels``
    group of an image (probed: it may not exist), the label images a ``labels`` group names,
    a plate's wells, a well's images, a bioformats2raw layout's ``OME`` group and first
    series, the images the ``series`` of an ``OME`` group lists (paths relative to the
    collection, its parent: ``"../1"``; spec, bioformats2raw.layout: readers "MAY use the
    'series' attribute in the 'OME' group to determine a list of valid groups to display"),
    the groups a 0.6 scene's transformations lead from or to (``input`` and ``output`` with
    a ``path``). OME-Zarr's :data:`~ngff_geozarr.core.hierarchy.Discover`: the references
    as written, possibly of several names (``"A/1"``); the reader refuses those that would
    leave the store.

    Examples
    --------
    >>> discover(Node("OME", "group", 3, {"ome": {"version": "0.5", "series": ["0", "1"]}}, {}))
    ['../0', '../1']
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
    series = ome.get("series")
    if node.name == "OME" and node.parent is not None and isinstance(series, list):
        refs += [f"../{ref}" for ref in series if isinstance(ref, str) and ref]
    scene = ome.get("scene")
    if isinstance(scene, Mapping):
        transformations = scene.get("coordinateTransformations")
        for t in transformations if isinstance(transformations, list) else []:
            if isinstance(t, Mapping):
                refs += _paths([t.get("input"), t.get("output")])
    return list(dict.fromkeys(refs))


def _paths(entries: Any) -> list[str]:
    if not isinstance(entries, list):
        return []
    return [e["path"] for e in entries if isinstance(e, Mapping) and isinstance(e.get("path"), str)]
