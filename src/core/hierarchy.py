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
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeAlias

from pydantic_zarr.v2 import ArraySpec as ArraySpecV2
from pydantic_zarr.v3 import ArraySpec as ArraySpecV3

from ngff_geozarr.core.errors import NotZarrError, StoreAccessError, UnsafePathError
from ngff_geozarr.core.models import parse_model
from ngff_geozarr.core.report import Issue, json_pointer, short_json
from ngff_geozarr.core.store import (
    CONSOLIDATED_LIMIT,
    DOCUMENT_LIMIT,
    StoreHandle,
    ZarrFormat,
    check_key,
    join_key,
    open_store,
)

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
    "hierarchy_from_json",
    "hierarchy_from_store",
    "is_json_target",
    "read_hierarchy",
]

ArraySpec: TypeAlias = ArraySpecV2[Any] | ArraySpecV3[Any]
"""A pydantic-zarr array spec of either Zarr format."""
NodeType = Literal["group", "array"]
"""The two kinds of Zarr node."""
Discover: TypeAlias = Callable[["Node"], Iterable[str]]
"""Names the children a node's metadata refers to, as paths relative to the node."""

MAX_DEPTH = 256
"""Deepest JSON nesting accepted in a metadata document."""
MAX_NODES = 200_000
"""Most nodes read from one hierarchy; reading stops there and says so."""
ARRAY_DIMENSIONS = "_ARRAY_DIMENSIONS"
"""The attribute that names an array's dimensions in Zarr format 2 (xarray's convention)."""
JSON_SUFFIXES = (".json", ".zattrs", ".zarray", ".zgroup", ".zmetadata")
"""File endings of targets read as JSON documents rather than as stores."""

_V2_DOCS = (".zgroup", ".zarray", ".zattrs")
_RULE = "zarr"


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


@dataclass(frozen=True)
class Hierarchy(Mapping[str, Node]):
    """Every node of a Zarr hierarchy, by path, root first, depth-first in name order.

    Parameters
    ----------
    target
        The target as the user named it.
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
        order = tuple(sorted(self.nodes, key=_path_key))
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

    def children(self, path: str) -> tuple[Node, ...]:
        """Return the child nodes of ``path``, in name order.

        Parameters
        ----------
        path
            A node path.

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


def _path_key(path: str) -> tuple[str, ...]:
    return tuple(path.split("/")) if path else ()


# ----------------------------------------------------------------------------------------
# parsing one document


def _depth_exceeds(obj: Any, limit: int) -> bool:
    """Tell whether a parsed JSON value nests deeper than ``limit``, without recursion."""
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, dict | list))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, dict | list))
    return False


def _parse_document(
    raw: bytes, *, key: str, path: str, pointer: str, limit: int
) -> tuple[dict[str, Any] | None, list[Issue]]:
    """Decode one metadata document; every way it can be broken becomes an issue."""

    def issue(rule: str, message: str) -> list[Issue]:
        return [Issue.error(f"{_RULE}.metadata.{rule}", path, pointer, message)]

    if len(raw) > limit:
        return None, issue(
            "too-large", f"{key}: larger than {limit // 2**20} MiB; not read further."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, issue(
            "not-utf8", f"{key}: not UTF-8 text (invalid byte at offset {exc.start})."
        )
    try:
        value = json.loads(text)
    except RecursionError:
        return None, issue("too-deep", f"{key}: JSON nested deeper than {MAX_DEPTH} levels.")
    except json.JSONDecodeError as exc:
        return None, issue(
            "malformed-json",
            f"{key}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).",
        )
    if _depth_exceeds(value, MAX_DEPTH):
        return None, issue("too-deep", f"{key}: JSON nested deeper than {MAX_DEPTH} levels.")
    if not isinstance(value, dict):
        return None, issue(
            "not-an-object", f"{key}: expected a JSON object. Got {type(value).__name__}."
        )
    return value, []


# ----------------------------------------------------------------------------------------
# building one node from its documents


def _parse_array_spec(
    fmt: ZarrFormat, metadata: dict[str, Any], path: str, key: str
) -> tuple[ArraySpec | None, list[Issue]]:
    model: type[ArraySpecV2[Any]] | type[ArraySpecV3[Any]] = (
        ArraySpecV3 if fmt == 3 else ArraySpecV2
    )
    doc = {**metadata, "attributes": {}}
    if fmt == 3:
        # Extension keys a reader may skip are allowed by the spec ({"must_understand": false}).
        doc = {
            k: v
            for k, v in doc.items()
            if not (isinstance(v, dict) and v.get("must_understand") is False)
        }
    try:
        spec, issues = parse_model(
            model,
            doc,
            path=path,
            rule=f"{_RULE}.metadata.invalid",
            unknown_key_rule=f"{_RULE}.metadata.unknown-key",
        )
    except (ValueError, TypeError, OverflowError) as exc:
        return None, [Issue.error(f"{_RULE}.metadata.invalid", path, "", f"{key}: {exc}")]
    return spec, [replace(i, message=f"{key}: {i.message}") for i in issues]


def _shape_issues(spec: ArraySpec | None, path: str) -> list[Issue]:
    if spec is None:
        return []
    size = math.prod(spec.shape)
    if size <= 2**63 - 1:
        return []
    return [
        Issue.warning(
            f"{_RULE}.array.shape-overflow",
            path,
            json_pointer("shape"),
            f"Declares {size:.3g} elements, more than a 64-bit index addresses "
            f"({2**63 - 1:.3g}); most readers cannot open it.",
        )
    ]


def _attributes(
    value: Any, path: str, key: str, pointer: str
) -> tuple[dict[str, Any], list[Issue]]:
    if isinstance(value, dict):
        return value, []
    return {}, [
        Issue.error(
            f"{_RULE}.metadata.invalid",
            path,
            pointer,
            f"{key}: attributes must be a JSON object. Got {type(value).__name__}.",
        )
    ]


def _node_v3(path: str, doc: dict[str, Any], key: str) -> tuple[Node | None, list[Issue]]:
    issues: list[Issue] = []
    if doc.get("zarr_format") != 3:
        issues.append(
            Issue.error(
                f"{_RULE}.metadata.invalid",
                path,
                json_pointer("zarr_format"),
                f"{key}: expected zarr_format 3. Got {short_json(doc.get('zarr_format'))}.",
            )
        )
    node_type = doc.get("node_type")
    if node_type not in ("group", "array"):
        guess: NodeType = "array" if "shape" in doc else "group"
        issues.append(
            Issue.error(
                f"{_RULE}.metadata.invalid",
                path,
                json_pointer("node_type"),
                f"{key}: expected node_type 'group' or 'array'. Got {short_json(node_type)}; "
                f"read as {guess}.",
            )
        )
        node_type = guess
    attributes, more = _attributes(doc.get("attributes", {}), path, key, "/attributes")
    issues += more
    metadata = {k: v for k, v in doc.items() if k not in ("attributes", "consolidated_metadata")}
    spec = None
    if node_type == "array":
        spec, more = _parse_array_spec(3, metadata, path, key)
        issues += more + _shape_issues(spec, path)
    return Node(path, node_type, 3, attributes, metadata, spec), issues


def _node_v2(
    path: str, docs: Mapping[str, dict[str, Any] | None], prefix: str
) -> tuple[Node | None, list[Issue]]:
    """Build a format-2 node from whichever of ``.zgroup``, ``.zarray``, ``.zattrs`` exist."""
    issues: list[Issue] = []
    zgroup, zarray, zattrs = (docs.get(k) for k in _V2_DOCS)
    if zarray is None and zgroup is None:
        if zattrs is not None:
            issues.append(
                Issue.error(
                    f"{_RULE}.metadata.missing",
                    path,
                    "",
                    f"{prefix}.zattrs exists without .zgroup or .zarray; not a Zarr node.",
                )
            )
        return None, issues
    attributes, more = _attributes(zattrs or {}, path, prefix + ".zattrs", "/attributes")
    issues += more
    if zarray is not None:
        if zgroup is not None:
            issues.append(
                Issue.error(
                    f"{_RULE}.metadata.ambiguous-node",
                    path,
                    "",
                    f"{prefix}: both .zarray and .zgroup exist; read as an array.",
                )
            )
        spec, more = _parse_array_spec(2, zarray, path, prefix + ".zarray")
        issues += more + _shape_issues(spec, path)
        return Node(path, "array", 2, attributes, zarray, spec), issues
    assert zgroup is not None
    return Node(path, "group", 2, attributes, zgroup), issues


# ----------------------------------------------------------------------------------------
# assembling a hierarchy


def _assemble(
    target: str,
    nodes: dict[str, Node],
    issues: list[Issue],
    *,
    zarr_format: ZarrFormat | None,
    source: Literal["store", "json"],
    consolidated: bool,
) -> Hierarchy:
    """Fill in every node's children from the set of paths and freeze the result."""
    children: dict[str, list[str]] = {p: [] for p in nodes}
    for p in nodes:
        if p:
            parent, _, name = p.rpartition("/")
            if parent in children:
                children[parent].append(name)
    final = {
        p: Node(
            n.path,
            n.node_type,
            n.zarr_format,
            n.attributes,
            n.metadata,
            n.array,
            tuple(sorted(children[p])),
        )
        for p, n in nodes.items()
    }
    return Hierarchy(
        target=target,
        nodes=final,
        issues=tuple(issues),
        zarr_format=zarr_format,
        source=source,
        consolidated=consolidated,
    )


def _unsafe(path: str, pointer: str, what: str, key: str) -> Issue:
    return Issue.error(
        f"{_RULE}.path.unsafe",
        path,
        pointer,
        f"{what} {key!r} would leave the store root; refused, not followed.",
    )


def _from_consolidated_v2(
    target: str, meta: dict[str, Any], issues: list[Issue], pointer_base: str
) -> dict[str, Node]:
    entries = meta.get("metadata")
    if not isinstance(entries, dict):
        issues.append(
            Issue.error(
                f"{_RULE}.consolidated.invalid",
                "",
                json_pointer("metadata"),
                f"{pointer_base}: expected a 'metadata' object.",
            )
        )
        return {}
    grouped: dict[str, dict[str, dict[str, Any] | None]] = {}
    for key, value in entries.items():
        parent, _, doc_name = key.rpartition("/")
        try:
            check_key(parent)
        except UnsafePathError:
            issues.append(_unsafe("", json_pointer("metadata", key), "Consolidated key", key))
            continue
        if doc_name not in _V2_DOCS:
            continue
        if not isinstance(value, dict):
            issues.append(
                Issue.error(
                    f"{_RULE}.metadata.not-an-object",
                    parent,
                    "",
                    f"{pointer_base}[{key!r}]: expected a JSON object.",
                )
            )
            value = None
        grouped.setdefault(parent, {})[doc_name] = value
    nodes: dict[str, Node] = {}
    for path, docs in grouped.items():
        node, more = _node_v2(path, docs, f"{path}/" if path else "")
        issues += more
        if node is not None:
            nodes[path] = node
    return nodes


def _from_consolidated_v3(root_doc: dict[str, Any], issues: list[Issue]) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    root, more = _node_v3("", root_doc, "zarr.json")
    issues += more
    if root is not None:
        nodes[""] = root
    entries = (root_doc.get("consolidated_metadata") or {}).get("metadata")
    if not isinstance(entries, dict):
        issues.append(
            Issue.error(
                f"{_RULE}.consolidated.invalid",
                "",
                json_pointer("consolidated_metadata", "metadata"),
                "zarr.json: consolidated_metadata.metadata must be an object of node documents.",
            )
        )
        return nodes
    for path, doc in entries.items():
        try:
            check_key(path)
        except UnsafePathError:
            issues.append(
                _unsafe("", json_pointer("consolidated_metadata", "metadata", path), "Path", path)
            )
            continue
        if path == "":
            continue
        if not isinstance(doc, dict):
            issues.append(
                Issue.error(
                    f"{_RULE}.metadata.not-an-object",
                    path,
                    "",
                    f"{path}/zarr.json (consolidated): expected a JSON object.",
                )
            )
            continue
        node, more = _node_v3(path, doc, f"{path}/zarr.json (consolidated)")
        issues += more
        if node is not None:
            nodes[path] = node
    return nodes


# ----------------------------------------------------------------------------------------
# from a store


def hierarchy_from_store(handle: StoreHandle, discover: Discover | None = None) -> Hierarchy:
    """Read every node's metadata from an opened store.

    Parameters
    ----------
    handle
        A store opened with :func:`~ngff_geozarr.core.store.open_store`.
    discover
        Names the children a node refers to; used for groups the store will not list.

    Returns
    -------
    Hierarchy
        The tree, with the problems met while reading as issues.

    Raises
    ------
    NotZarrError
        When the store's root holds no Zarr metadata.
    """
    return handle.run(_read_store(handle, discover))


async def _read_store(handle: StoreHandle, discover: Discover | None) -> Hierarchy:
    fmt = handle.zarr_format
    if fmt is None:
        raise NotZarrError(f"{handle.target}: not a Zarr hierarchy.")
    issues: list[Issue] = []
    docs = handle.root_documents
    if fmt == 3 and (".zgroup" in docs or ".zarray" in docs):
        issues.append(
            Issue.warning(
                f"{_RULE}.format.mixed",
                "",
                "",
                "The root holds both zarr.json and Zarr v2 documents; read as Zarr v3.",
            )
        )

    if handle.consolidated:
        nodes = _consolidated_from_root(handle, issues)
        if nodes is not None:
            if handle.kind in _CHEAP_TO_LIST:
                # Listing costs nothing here: check the copy against the nodes' own documents.
                listed_issues: list[Issue] = []
                listed = await _listed_nodes(handle, fmt, discover, listed_issues)
                stale = _stale_entries(nodes, listed)
                if stale:
                    # The documents are the hierarchy; the copy is what some readers see.
                    nodes = listed
                    issues += stale + listed_issues
            return _assemble(
                handle.target,
                nodes,
                issues,
                zarr_format=fmt,
                source="store",
                consolidated=True,
            )

    nodes = await _listed_nodes(handle, fmt, discover, issues)
    return _assemble(
        handle.target, nodes, issues, zarr_format=fmt, source="store", consolidated=False
    )


_CHEAP_TO_LIST = ("local", "zip", "memory")


async def _listed_nodes(
    handle: StoreHandle, fmt: ZarrFormat, discover: Discover | None, issues: list[Issue]
) -> dict[str, Node]:
    """Read the hierarchy node by node, level by level (listing each group)."""
    root = _root_node(handle, issues)
    nodes = {} if root is None else {"": root}
    frontier = [root] if root is not None and root.node_type == "group" else []
    unlistable: list[str] = []
    while frontier and len(nodes) < MAX_NODES:
        listings = await asyncio.gather(*(handle.list_dir(g.path) for g in frontier))
        candidates: dict[str, None] = {}
        for group, names in zip(frontier, listings, strict=True):
            if names is None:
                unlistable.append(group.path)
                refs = _discovered(group, discover, issues)
            else:
                refs = [n for n in names if n not in _ALL_DOCS]
            for ref in refs:
                for p in _with_intermediates(group.path, ref):
                    if p not in nodes:
                        candidates[p] = None
        found = await asyncio.gather(*(_fetch_node(handle, fmt, p) for p in candidates))
        frontier = []
        for node, more in found:
            issues += more
            if node is not None and len(nodes) < MAX_NODES:
                nodes[node.path] = node
                if node.node_type == "group":
                    frontier.append(node)
    if len(nodes) >= MAX_NODES:
        issues.append(
            Issue.warning(
                f"{_RULE}.hierarchy.truncated",
                "",
                "",
                f"More than {MAX_NODES} nodes; reading stopped there.",
            )
        )
    if unlistable:
        shown = ", ".join(repr(p) for p in unlistable[:5]) + (" ..." if len(unlistable) > 5 else "")
        issues.append(
            Issue.warning(
                f"{_RULE}.hierarchy.unlistable",
                "",
                "",
                f"The store does not list {len(unlistable)} group(s) ({shown}); their children "
                "were found through the references in their metadata only.",
            )
        )
    return nodes


# What a consolidated copy must agree on. Writers spell defaults differently (zarr-python adds
# ``storage_transformers: []``, Blosc's ``typesize``, v2's ``dimension_separator: "."``), so
# the copy is compared on what readers act on, with absent, null and empty alike.
_ESSENTIAL = (
    "node_type",
    "zarr_format",
    "shape",
    "data_type",
    "dtype",
    "fill_value",
    "dimension_names",
    "chunks",
    "chunk_grid",
    "chunk_key_encoding",
)
_DEFAULTS: dict[str, Any] = {"dimension_separator": ".", "order": "C"}


def _canonical(node: Node) -> list[Any]:
    meta = node.metadata
    essence: dict[str, Any] = {k: meta[k] for k in _ESSENTIAL if meta.get(k) not in (None, [], {})}
    for key, default in _DEFAULTS.items():
        if meta.get(key) not in (None, default):
            essence[key] = meta[key]
    codecs = meta.get("codecs")
    if isinstance(codecs, list):
        essence["codecs"] = [c.get("name") if isinstance(c, dict) else c for c in codecs]
    for key in ("compressor", "filters"):
        value = meta.get(key)
        if isinstance(value, dict):
            essence[key] = value.get("id")
        elif isinstance(value, list) and value:
            essence[key] = [v.get("id") if isinstance(v, dict) else v for v in value]
    return [essence, node.attributes]  # compared with ==: 0 and 0.0 are the same fill value


def _stale_entries(consolidated: Mapping[str, Node], listed: Mapping[str, Node]) -> list[Issue]:
    """One warning per node whose consolidated copy differs from its own documents."""
    issues = []
    for path in sorted(set(consolidated) | set(listed), key=_path_key):
        copy, own = consolidated.get(path), listed.get(path)
        if copy is not None and own is not None:
            if _canonical(copy) == _canonical(own):
                continue
            what = "differs from the node's own metadata"
        elif own is None:
            what = "lists a node that the store does not hold"
        else:
            what = "does not list this node"
        issues.append(
            Issue.warning(
                f"{_RULE}.consolidated.stale",
                path,
                "",
                f"The consolidated metadata {what}: readers that use it (xarray, "
                "zarr.open_consolidated, GDAL) see another hierarchy than the documents. "
                "Consolidate again after editing; the documents were validated.",
            )
        )
    return issues


_ALL_DOCS = frozenset(("zarr.json", *_V2_DOCS, ".zmetadata"))


def _with_intermediates(base: str, ref: str) -> list[str]:
    """Return the paths from ``base`` down to ``base/ref`` (``ref`` may have several names)."""
    names = ref.split("/")
    return ["/".join(p for p in (base, *names[: i + 1]) if p) for i in range(len(names))]


def _discovered(group: Node, discover: Discover | None, issues: list[Issue]) -> list[str]:
    if discover is None:
        return []
    refs: list[str] = []
    for ref in discover(group):
        try:
            join_key(group.path, ref)
        except UnsafePathError:
            issues.append(_unsafe(group.path, "/attributes", "Reference", ref))
            continue
        refs.append(ref)
    return refs


def _root_node(handle: StoreHandle, issues: list[Issue]) -> Node | None:
    docs = handle.root_documents
    if handle.zarr_format == 3:
        limit = CONSOLIDATED_LIMIT if handle.consolidated else DOCUMENT_LIMIT
        doc, more = _parse_document(
            docs["zarr.json"], key="zarr.json", path="", pointer="", limit=limit
        )
        issues += more
        if doc is None:
            return None
        node, more = _node_v3("", doc, "zarr.json")
        issues += more
        return node
    parsed: dict[str, dict[str, Any] | None] = {}
    for name in _V2_DOCS:
        if name in docs:
            pointer = "/attributes" if name == ".zattrs" else ""
            parsed[name], more = _parse_document(
                docs[name], key=name, path="", pointer=pointer, limit=DOCUMENT_LIMIT
            )
            issues += more
    node, more = _node_v2("", parsed, "")
    issues += more
    return node


def _consolidated_from_root(handle: StoreHandle, issues: list[Issue]) -> dict[str, Node] | None:
    """Nodes from the root's consolidated metadata; ``None`` when it cannot be used."""
    docs = handle.root_documents
    key = "zarr.json" if handle.zarr_format == 3 else ".zmetadata"
    meta, more = _parse_document(docs[key], key=key, path="", pointer="", limit=CONSOLIDATED_LIMIT)
    issues += more
    if meta is None:
        return None
    if handle.zarr_format == 3:
        return _from_consolidated_v3(meta, issues)
    return _from_consolidated_v2(handle.target, meta, issues, ".zmetadata")


async def _fetch_node(
    handle: StoreHandle, fmt: ZarrFormat, path: str
) -> tuple[Node | None, list[Issue]]:
    """Fetch and parse one candidate child's metadata documents, concurrently."""
    names = ("zarr.json",) if fmt == 3 else _V2_DOCS
    try:
        keys = [join_key(path, n) for n in names]
    except UnsafePathError:
        return None, [_unsafe(path.rpartition("/")[0], "", "Path", path)]
    try:
        raws = await asyncio.gather(*(handle.read(k, DOCUMENT_LIMIT) for k in keys))
    except StoreAccessError as exc:
        return None, [Issue.error(f"{_RULE}.store.read-failed", path, "", str(exc))]
    issues: list[Issue] = []
    parsed: dict[str, dict[str, Any] | None] = {}
    for name, key, raw in zip(names, keys, raws, strict=True):
        if raw is None:
            continue
        pointer = "/attributes" if name == ".zattrs" else ""
        parsed[name], more = _parse_document(
            raw, key=key, path=path, pointer=pointer, limit=DOCUMENT_LIMIT
        )
        issues += more
    if fmt == 3:
        doc = parsed.get("zarr.json")
        if doc is None:
            return None, issues
        node, more = _node_v3(path, doc, f"{path}/zarr.json")
        return node, issues + more
    if all(v is None for v in parsed.values()) and not issues:
        return None, []
    node, more = _node_v2(path, parsed, f"{path}/")
    return node, issues + more


# ----------------------------------------------------------------------------------------
# from a JSON document


def hierarchy_from_json(document: Any, *, target: str = "<json>", filename: str = "") -> Hierarchy:
    """Build a hierarchy from a JSON value: a node document, attributes, or a whole dump.

    The kind of document is told from its content, with the file name as a hint:
    ``.zmetadata`` or ``zarr_consolidated_format`` — consolidated Zarr v2 metadata; a
    ``members`` key — a pydantic-zarr GroupSpec dump; ``zarr_format`` 3 with ``node_type`` —
    a ``zarr.json`` (its ``consolidated_metadata``, if any, gives the whole tree);
    ``zarr_format`` 2 with ``shape`` — a ``.zarray``; ``{"zarr_format": 2}`` — a ``.zgroup``;
    anything else — the attributes of a group (``.zattrs``, or attributes alone).

    Parameters
    ----------
    document
        The parsed JSON value.
    target
        The name to report the hierarchy under.
    filename
        The document's file name, used as a hint (``zarr.json``, ``.zattrs``, ...).

    Returns
    -------
    Hierarchy
        A hierarchy whose ``source`` is ``"json"``.
    """
    issues: list[Issue] = []
    base = os.path.basename(filename)
    if not isinstance(document, dict):
        issues.append(
            Issue.error(
                f"{_RULE}.metadata.not-an-object",
                "",
                "",
                f"{base or target}: expected a JSON object. Got {type(document).__name__}.",
            )
        )
        return _assemble(target, {}, issues, zarr_format=None, source="json", consolidated=False)
    fmt = document.get("zarr_format")
    nodes: dict[str, Node]
    consolidated = False
    if base == ".zmetadata" or "zarr_consolidated_format" in document:
        nodes = _from_consolidated_v2(target, document, issues, base or ".zmetadata")
        fmt, consolidated = 2, True
    elif "members" in document and base not in (".zattrs",):
        nodes = {}
        _from_dump(document, "", fmt if fmt in (2, 3) else None, nodes, issues)
    elif base == "zarr.json" or (fmt == 3 and "node_type" in document):
        if isinstance(document.get("consolidated_metadata"), dict):
            nodes, consolidated = _from_consolidated_v3(document, issues), True
        else:
            node, issues = _node_v3("", document, base or "zarr.json")
            nodes = {} if node is None else {"": node}
    elif base == ".zarray" or (fmt == 2 and "shape" in document):
        node, issues = _node_v2("", {".zarray": document}, "")
        nodes = {} if node is None else {"": node}
    elif base == ".zgroup" or document == {"zarr_format": 2}:
        node, issues = _node_v2("", {".zgroup": document}, "")
        nodes = {} if node is None else {"": node}
    else:
        nodes = {"": Node("", "group", None, document, {})}
        fmt = None
    return _assemble(
        target,
        nodes,
        issues,
        zarr_format=fmt if fmt in (2, 3) else None,
        source="json",
        consolidated=consolidated,
    )


def _from_dump(
    doc: dict[str, Any],
    path: str,
    inherited: ZarrFormat | None,
    nodes: dict[str, Node],
    issues: list[Issue],
) -> None:
    """Add the node of a GroupSpec dump entry, and its members, to ``nodes``."""
    if len(nodes) >= MAX_NODES:
        return
    fmt = doc.get("zarr_format", inherited)
    fmt = fmt if fmt in (2, 3) else inherited
    members = doc.get("members")
    body = {k: v for k, v in doc.items() if k != "members"}
    is_array = doc.get("node_type") == "array" or ("shape" in doc and members is None)
    node: Node | None
    if fmt == 3:
        body.setdefault("zarr_format", 3)
        body.setdefault("node_type", "array" if is_array else "group")
        node, more = _node_v3(path, body, f"{path or '/'} (dump)")
    else:
        attributes = body.pop("attributes", {})
        body.setdefault("zarr_format", 2)
        key = ".zarray" if is_array else ".zgroup"
        node, more = _node_v2(path, {key: body, ".zattrs": attributes}, f"{path}/" if path else "")
    issues += more
    if node is None:
        return
    nodes[path] = node
    if members is None or node.node_type == "array":
        return
    if not isinstance(members, dict):
        issues.append(
            Issue.error(
                f"{_RULE}.metadata.invalid",
                path,
                json_pointer("members"),
                f"{path or '/'} (dump): members must be an object of node documents.",
            )
        )
        return
    for name, member in members.items():
        if not isinstance(name, str) or "/" in name or name in ("", ".", ".."):
            issues.append(_unsafe(path, json_pointer("members", str(name)), "Member name", name))
            continue
        try:
            child = join_key(path, name)
        except UnsafePathError:
            issues.append(_unsafe(path, json_pointer("members", name), "Member name", name))
            continue
        if not isinstance(member, dict):
            issues.append(
                Issue.error(
                    f"{_RULE}.metadata.not-an-object",
                    child,
                    "",
                    f"{child} (dump): expected a JSON object. Got {type(member).__name__}.",
                )
            )
            continue
        _from_dump(member, child, fmt, nodes, issues)


# ----------------------------------------------------------------------------------------
# entry point


def is_json_target(target: str | os.PathLike[str]) -> bool:
    """Tell whether a target names a JSON document rather than a store.

    Parameters
    ----------
    target
        A path or URL.

    Returns
    -------
    bool
        True for an existing local file whose name ends in one of :data:`JSON_SUFFIXES`
        (``zarr.json`` included), or that is a regular file other than a ``.zip``.
    """
    text = os.fspath(target)
    if "://" in text and not text.startswith("file://"):
        return False
    path = Path(text.removeprefix("file://"))
    return path.is_file() and path.suffix.lower() != ".zip"


def read_hierarchy(
    target: str | os.PathLike[str],
    *,
    discover: Discover | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Hierarchy:
    """Read a target's whole hierarchy: a store, or a JSON document describing one.

    Parameters
    ----------
    target
        A store path or URL (see :func:`~ngff_geozarr.core.store.open_store`), or a local
        JSON file (see :func:`hierarchy_from_json`).
    discover
        Names the children a node refers to; used for groups the store will not list.
    storage_options
        Options for remote stores.

    Returns
    -------
    Hierarchy
        The tree with the problems met while reading.

    Raises
    ------
    TargetError
        When the target cannot be read at all (missing, unreachable, not Zarr, a JSON file
        that cannot be decoded at all).
    """
    text = os.fspath(target)
    if is_json_target(text):
        return _read_json_file(Path(text.removeprefix("file://")), text)
    with open_store(text, "r", storage_options=storage_options) as handle:
        return hierarchy_from_store(handle, discover)


def _read_json_file(path: Path, target: str) -> Hierarchy:
    with path.open("rb") as fh:
        raw = fh.read(CONSOLIDATED_LIMIT + 1)
    limit = CONSOLIDATED_LIMIT
    document, issues = _parse_document(raw, key=path.name, path="", pointer="", limit=limit)
    if document is None:
        return _assemble(target, {}, issues, zarr_format=None, source="json", consolidated=False)
    return hierarchy_from_json(document, target=target, filename=path.name)
