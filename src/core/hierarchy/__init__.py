"""Read the metadata of a whole Zarr hierarchy, once, into an immutable tree.

A :class:`Hierarchy` maps node paths to :class:`Node` objects: path, node type, Zarr format,
attributes, the raw metadata document, and for arrays a pydantic-zarr spec. It is built from

- a store (:func:`read_hierarchy`, :func:`hierarchy_from_store`): from consolidated metadata
  when the root has it, otherwise level by level — list every group of a level, then fetch
  every child's metadata, all concurrently — so a remote hierarchy costs about two sequential
  round trips per level of depth, plus one per ``MAX_CONCURRENCY`` (256) nodes of its widest
  levels, rather than one per node. A group the store will
  not list (object stores behind plain HTTP) is explored through ``discover``, a callable
  that names the children a node's metadata refers to (a convention's knowledge);
- a JSON document (:func:`hierarchy_from_json`): one node document (``zarr.json``,
  ``.zarray``, ``.zgroup``), bare attributes (``.zattrs``), consolidated metadata
  (``.zmetadata``), or a whole-hierarchy dump in pydantic-zarr GroupSpec form (nested
  ``members``).

Reading never touches chunk data and never allocates a declared shape. A document that is
malformed, not UTF-8, larger than ``DOCUMENT_LIMIT`` (16 MiB, in
:mod:`~ngff_geozarr.core.store`), nested deeper than
:data:`MAX_DEPTH`, or whose fields have the wrong types becomes an issue naming its node; the
rest of the hierarchy is still read. A key or path that would leave the store root is refused
and reported, never followed.

Its modules, by job: :mod:`~ngff_geozarr.core.hierarchy.tree` (the tree),
:mod:`~ngff_geozarr.core.hierarchy.documents` (documents to nodes),
:mod:`~ngff_geozarr.core.hierarchy.from_json` (JSON input) and
:mod:`~ngff_geozarr.core.hierarchy.from_store` (store input, which loads zarr: its names are
imported on first use, see :mod:`ngff_geozarr.core.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ngff_geozarr.core.hierarchy.from_json import hierarchy_from_json, is_json_target
from ngff_geozarr.core.hierarchy.tree import (
    ARRAY_DIMENSIONS,
    JSON_SUFFIXES,
    MAX_DEPTH,
    MAX_NODES,
    ArraySpec,
    Discover,
    Hierarchy,
    Node,
    NodeType,
)
from ngff_geozarr.core.lazy import lazy_exports

if TYPE_CHECKING:
    from ngff_geozarr.core.hierarchy.from_store import (
        hierarchy_from_store,
        hierarchy_to_convert,
        read_hierarchy,
    )

__all__ = [  # what the reading modules define
    "hierarchy_from_json",
    "hierarchy_from_store",
    "hierarchy_to_convert",
    "is_json_target",
    "read_hierarchy",
]
__all__ += ["ARRAY_DIMENSIONS", "JSON_SUFFIXES", "MAX_DEPTH", "MAX_NODES"]  # the tree's limits
__all__ += ["ArraySpec", "Discover", "Hierarchy", "Node", "NodeType"]  # the tree

lazy_exports(
    __name__,
    {
        "hierarchy_from_store": "ngff_geozarr.core.hierarchy.from_store",
        "hierarchy_to_convert": "ngff_geozarr.core.hierarchy.from_store",
        "read_hierarchy": "ngff_geozarr.core.hierarchy.from_store",
    },
)
