"""OME-Zarr's pyramids for ``ngff validate --deep`` (the engine is :mod:`ngff_geozarr.core.deep`).

Every node declaring ``multiscales`` (0.4: in its attributes; 0.5 and 0.6: under ``ome``) is
one pyramid per multiscale: its ``datasets`` paths, finest first. The method comes from the
multiscale's ``type`` or ``metadata.method`` (OME-Zarr 0.4/0.5 §multiscales: "It SHOULD
contain the field "type", which gives the type of downscaling method used to generate the
multiscale image pyramid." and "It SHOULD contain the field "metadata", which contains a
dictionary with additional information about the downscaling method."). A node declaring
``image-label`` holds labels (§labels: "The "image-label" dictionary ...").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ngff.detection import ome_attributes
from ngff_geozarr.core.deep import LevelSet, kernel_of, level_paths
from ngff_geozarr.core.hierarchy import Hierarchy

__all__ = ["pyramids"]


def _declared(multiscale: Mapping[str, Any]) -> str | None:
    kind = multiscale.get("type")
    metadata = multiscale.get("metadata")
    method = metadata.get("method") if isinstance(metadata, Mapping) else None
    for value in (kind, method):
        if isinstance(value, str) and kernel_of(value) is not None:
            return value
    return None


def pyramids(hierarchy: Hierarchy) -> list[LevelSet]:
    """Return every OME-Zarr multiscale image of a hierarchy as a pyramid.

    This is OME-Zarr's :class:`~ngff_geozarr.core.deep.Pyramids`, which documents the
    argument and the result: one pyramid per multiscale of every image and label image.

    Examples
    --------
    >>> from ngff_geozarr.core.hierarchy import Hierarchy, Node
    >>> attrs = {"ome": {"version": "0.5", "image-label": {}, "multiscales": [
    ...     {"datasets": [{"path": "0"}, {"path": "1"}], "type": "mode"}]}}
    >>> tree = Hierarchy("x", {"": Node("", "group", 3, attrs, {})})
    >>> pyramids(tree)[0].levels, pyramids(tree)[0].labels, pyramids(tree)[0].method
    (('0', '1'), True, 'mode')
    """
    found = []
    for node in hierarchy.values():
        if node.node_type != "group":
            continue
        ome, _ = ome_attributes(node.attributes)
        multiscales = ome.get("multiscales") if isinstance(ome, Mapping) else None
        if not isinstance(multiscales, list):
            continue
        labels = isinstance(ome.get("image-label"), Mapping)
        for multiscale in multiscales:
            datasets = multiscale.get("datasets") if isinstance(multiscale, Mapping) else None
            if not isinstance(datasets, list):
                continue
            paths = level_paths(
                node.path, [d.get("path") if isinstance(d, Mapping) else None for d in datasets]
            )
            if paths is None:
                continue
            found.append(
                LevelSet(
                    path=node.path,
                    levels=paths,
                    method=kernel_of(_declared(multiscale)),
                    labels=labels,
                )
            )
    return found
