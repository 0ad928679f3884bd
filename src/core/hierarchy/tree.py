"""The tree of a Zarr hierarchy's metadata: :class:`Node` and :class:`Hierarchy`.

What readers build and every check consumes; this module imports neither zarr nor a reader.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, TypeAlias

from pydantic_zarr.v2 import ArraySpec as ArraySpecV2
from pydantic_zarr.v3 import ArraySpec as ArraySpecV3

from ngff_geozarr.core.hierarchy.array_checks import parse_dtype
from ngff_geozarr.core.report import UNREADABLE_NODE_RULE, Issue
from ngff_geozarr.core.store.keys import ZarrFormat, join_key

__all__ = [
    "ARRAY_DIMENSIONS",
    "JSON_SUFFIXES",
    "MAX_DEPTH",
    "MAX_NODES",
    "ArraySpec",
    "Discover",
    "Hierarchy",
    "Node",
    "NodeType",
    "path_key",
]

ArraySpec: TypeAlias = ArraySpecV2[Any] | ArraySpecV3[Any]
"""A pydantic-zarr array spec of either Zarr format."""
NodeType = Literal["group", "array"]
"""The two kinds of Zarr node."""
Discover: TypeAlias = Callable[["Node"], Iterable[str]]
"""Names the nodes a node's metadata refers to, as paths relative to the node: below it, or
beside it after a leading ``../`` (never out of the store: the reader refuses those)."""

MAX_DEPTH = 256
"""Deepest JSON nesting accepted in a metadata document."""
MAX_NODES = 200_000
"""Most nodes read from one hierarchy; reading stops there and says so."""
ARRAY_DIMENSIONS = "_ARRAY_DIMENSIONS"
"""The attribute that names an array's dimensions in Zarr format 2 (xarray's convention)."""
JSON_SUFFIXES = (".json", ".zattrs", ".zarray", ".zgroup", ".zmetadata")
"""File endings of targets read as JSON documents rather than as stores."""


@dataclass(frozen=True, slots=True)
class Node:
    """One group or array of a hierarchy, as its metadata describes it.

    Parameters
    ----------
    path
        The node's path inside the store, ``""`` for the root.
    node_type
        ``"group"`` or ``"array"``.
    zarr_format
        2 or 3; ``None`` when the source does not say (bare attributes read from JSON).
    attributes
        The user attributes (``attributes`` of ``zarr.json``, or ``.zattrs``).
    metadata
        The node's metadata document without its attributes (``zarr.json`` less
        ``attributes`` and ``consolidated_metadata``, or ``.zarray`` / ``.zgroup``).
    array
        For an array whose metadata parsed, its pydantic-zarr spec; else ``None``.
    children
        Names of the child nodes, sorted.
    """

    path: str
    node_type: NodeType
    zarr_format: ZarrFormat | None
    attributes: Mapping[str, Any]
    metadata: Mapping[str, Any]
    array: ArraySpec | None = None
    children: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The last component of the path (``""`` for the root)."""
        return self.path.rpartition("/")[2]

    @property
    def parent(self) -> str | None:
        """The parent's path, or ``None`` for the root."""
        return None if self.path == "" else self.path.rpartition("/")[0]

    def document(self) -> dict[str, Any]:
        """Return the node's document in the uniform form JSON pointers refer to.

        Returns
        -------
        dict
            The metadata keys at the top level and the attributes under ``attributes``.
        """
        return {**self.metadata, "attributes": dict(self.attributes)}

    def dimension_names(self) -> tuple[str | None, ...] | None:
        """Return the array's dimension names, from Zarr metadata or ``_ARRAY_DIMENSIONS``.

        Returns
        -------
        tuple or None
            ``dimension_names`` (format 3) or the ``_ARRAY_DIMENSIONS`` attribute (format 2,
            or format 3 written by tools that keep it); ``None`` when neither is present.
        """
        names = self.metadata.get("dimension_names")
        if not isinstance(names, list):
            names = self.attributes.get(ARRAY_DIMENSIONS)
        if isinstance(names, list) and all(n is None or isinstance(n, str) for n in names):
            return tuple(names)
        return None

    @property
    def array_shape(self) -> tuple[int, ...] | None:
        """The array's shape from its metadata; ``None`` for a group or a malformed shape."""
        shape = self.metadata.get("shape") if self.node_type == "array" else None
        if isinstance(shape, list) and all(isinstance(n, int) for n in shape):
            return tuple(shape)
        return None

    @property
    def data_type(self) -> str | None:
        """The array's data type as written: ``data_type`` (Zarr v3) or ``dtype`` (v2).

        A structured (v2) or parametrised (v3) type is given as JSON with sorted keys, so
        that two equal types compare equal; ``None`` when the metadata has none.
        """
        raw: Any = self.metadata.get("data_type", self.metadata.get("dtype"))
        if raw is None or isinstance(raw, str):
            return raw
        return json.dumps(raw, sort_keys=True)

    @property
    def dtype_name(self) -> str | None:
        """The array's data type as numpy names it (``"<f8"`` is ``float64``).

        A type numpy does not read (a structured one, a Zarr v3 extension) is given as
        :attr:`data_type` gives it; ``None`` when the metadata has none.
        """
        text = self.data_type
        raw = self.metadata.get("data_type", self.metadata.get("dtype"))
        dtype = parse_dtype(raw) if isinstance(raw, str) else None
        return text if dtype is None else dtype.name

    @property
    def data_type_pointer(self) -> str:
        """The JSON pointer of the data type in the metadata: ``/data_type`` or ``/dtype``."""
        return "/data_type" if self.zarr_format == 3 else "/dtype"


@dataclass(frozen=True)
class Hierarchy(Mapping[str, Node]):
    """Every node of a Zarr hierarchy, by path, root first, depth-first in name order.

    Parameters
    ----------
    target
        The target the hierarchy was read from, as the user named it.
    nodes
        The nodes by path.
    issues
        Problems met while reading (malformed documents, unsafe keys, unlistable groups).
    zarr_format
        The root's Zarr format, if known.
    source
        ``"store"`` when read from a store (arrays can be checked against their metadata),
        ``"json"`` when built from a JSON document (metadata only).
    consolidated
        Whether the nodes came from consolidated metadata.
    """

    target: str
    nodes: Mapping[str, Node]
    issues: tuple[Issue, ...] = ()
    zarr_format: ZarrFormat | None = None
    source: Literal["store", "json"] = "store"
    consolidated: bool = False
    _order: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        order = tuple(sorted(self.nodes, key=path_key))
        object.__setattr__(self, "_order", order)

    def __getitem__(self, path: str) -> Node:
        return self.nodes[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def root(self) -> Node | None:
        """The root node, if the hierarchy has one."""
        return self.nodes.get("")

    @cached_property
    def unread(self) -> frozenset[str]:
        """The paths of the nodes that could not be read (``zarr.store.unreadable`` issues)."""
        return frozenset(i.path for i in self.issues if i.rule == UNREADABLE_NODE_RULE)

    def not_read(self, path: str) -> bool:
        """Tell whether nothing is known of ``path``: it, or a group above it, was not read.

        Not read: a request the store failed after the retries, or refused. A check derives
        no defect from the absence of such a node: it may exist.

        Parameters
        ----------
        path
            A node path.

        Returns
        -------
        bool
            Whether the path or one of its ancestors is among :attr:`unread`.

        Examples
        --------
        >>> h = Hierarchy("t", {}, (Issue.error(UNREADABLE_NODE_RULE, "a", "", "x"),))
        >>> h.not_read("a/0"), h.not_read("a"), h.not_read("b")
        (True, True, False)
        """
        unread = self.unread
        if not unread:
            return False
        names = path.split("/") if path else []
        return any("/".join(names[:n]) in unread for n in range(len(names) + 1))

    def children(self, path: str) -> tuple[Node, ...]:
        """Return the child nodes of ``path``, in name order.

        Parameters
        ----------
        path
            A node path; ``""`` for the root.

        Returns
        -------
        tuple of Node
            The children (empty for arrays and unknown paths).
        """
        node = self.nodes.get(path)
        if node is None:
            return ()
        return tuple(self.nodes[join_key(path, c)] for c in node.children)

    def walk(self, path: str = "") -> Iterator[Node]:
        """Yield ``path`` and every node below it, depth-first in name order.

        Parameters
        ----------
        path
            Where to start (``""`` for the root).

        Yields
        ------
        Node
            The nodes.
        """
        prefix = path + "/" if path else ""
        for p in self._order:
            if p == path or p.startswith(prefix):
                yield self.nodes[p]


def path_key(path: str) -> tuple[str, ...]:
    """Return the sort key of a node path: its names, so that a parent precedes its children.

    Parameters
    ----------
    path
        A node path (``""`` for the root).

    Returns
    -------
    tuple of str
        The path's names.

    Examples
    --------
    >>> sorted(["a/b", "a-b", "a"], key=path_key)
    ['a', 'a/b', 'a-b']
    """
    return tuple(path.split("/")) if path else ()
