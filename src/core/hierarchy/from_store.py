"""A hierarchy from a store: consolidated metadata, or level by level (uses zarr).

From consolidated metadata when the root has it (checked against the nodes' own documents
where listing is cheap), otherwise level by level: list every group of a level, then fetch
every child's metadata, all concurrently. A group the store will not list is explored
through a convention's ``discover`` callable.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ngff_geozarr.core.errors import (
    ConversionError,
    NotZarrError,
    StoreAccessError,
    UnsafePathError,
)
from ngff_geozarr.core.hierarchy.documents import (
    V2_DOCUMENTS,
    assemble,
    from_consolidated_v2,
    from_consolidated_v3,
    node_v2,
    node_v3,
    parse_document,
    unsafe_issue,
)
from ngff_geozarr.core.hierarchy.from_json import is_json_target, read_json_file
from ngff_geozarr.core.hierarchy.tree import MAX_NODES, Discover, Hierarchy, Node, path_key
from ngff_geozarr.core.report import Issue, Severity
from ngff_geozarr.core.store import (
    CONSOLIDATED_LIMIT,
    DOCUMENT_LIMIT,
    METADATA_KEYS,
    StoreHandle,
    ZarrFormat,
    join_key,
    open_store,
)
from ngff_geozarr.core.store.policy import (
    AccessRefusedError,
    RemoteFaultError,
    unreadable_issue,
)

__all__ = ["hierarchy_from_store", "hierarchy_to_convert", "read_hierarchy"]

_RULE = "zarr"


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
            return assemble(
                handle.target,
                nodes,
                issues,
                zarr_format=fmt,
                source="store",
                consolidated=True,
            )

    nodes = await _listed_nodes(handle, fmt, discover, issues)
    return assemble(
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
                keys = _discovered(group, discover, issues)
            else:
                keys = [n for n in names if n not in _ALL_DOCS]
            for key in keys:
                base = "" if names is None else group.path  # discovered keys are whole
                for p in _with_intermediates(base, key):
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


def hierarchy_to_convert(handle: StoreHandle, discover: Discover | None, name: str) -> Hierarchy:
    """Read the hierarchy a converter rewrites, refusing one it cannot read whole.

    A converter rewrites every metadata document of a store; one it could not read would be
    lost, so a hierarchy with an error issue is not converted at all.

    Parameters
    ----------
    handle
        The opened source store.
    discover
        The convention's child discovery (see :func:`hierarchy_from_store`).
    name
        The source as the user named it, for the message.

    Returns
    -------
    Hierarchy
        The hierarchy, read without an error.

    Raises
    ------
    ConversionError
        When a document could not be read; nothing is converted then.
    """
    hierarchy = hierarchy_from_store(handle, discover)
    errors = [i for i in hierarchy.issues if i.severity is Severity.ERROR]
    if errors:
        raise ConversionError(
            f"{name}: its metadata cannot all be read ({errors[0].message}); nothing converted."
        )
    return hierarchy


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
    for path in sorted(set(consolidated) | set(listed), key=path_key):
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


_ALL_DOCS = frozenset(METADATA_KEYS)


def _with_intermediates(base: str, ref: str) -> list[str]:
    """Return the paths from ``base`` down to ``base/ref`` (``ref`` may have several names)."""
    names = ref.split("/")
    return ["/".join(p for p in (base, *names[: i + 1]) if p) for i in range(len(names))]


def _discovered(group: Node, discover: Discover | None, issues: list[Issue]) -> list[str]:
    """Return the store keys of the nodes a group's metadata refers to; report unsafe ones."""
    if discover is None:
        return []
    keys: list[str] = []
    for ref in discover(group):
        try:
            keys.append(_resolved(group.path, ref))
        except UnsafePathError:
            issues.append(unsafe_issue(group.path, "/attributes", "Reference", ref))
    return keys


def _resolved(base: str, ref: str) -> str:
    """Return the store key of a reference made in the node at ``base``.

    A reference names nodes below ``base``; it may start by climbing with ``../`` (a
    bioformats2raw ``OME`` group names the images beside it), but never out of the store.

    Raises
    ------
    UnsafePathError
        When the reference would leave the store root, or is not a plain key after its
        leading ``../``.
    """
    parts = base.split("/") if base else []
    rest = ref
    while rest.startswith("../"):
        if not parts:
            raise UnsafePathError(f"Expected a key inside the store. Got {ref!r} from {base!r}.")
        parts.pop()
        rest = rest[3:]
    return join_key("/".join(parts), rest)


def _root_node(handle: StoreHandle, issues: list[Issue]) -> Node | None:
    docs = handle.root_documents
    if handle.zarr_format == 3:
        limit = CONSOLIDATED_LIMIT if handle.consolidated else DOCUMENT_LIMIT
        doc, more = parse_document(
            docs["zarr.json"], key="zarr.json", path="", pointer="", limit=limit
        )
        issues += more
        if doc is None:
            return None
        node, more = node_v3("", doc, "zarr.json")
        issues += more
        return node
    parsed: dict[str, dict[str, Any] | None] = {}
    for name in V2_DOCUMENTS:
        if name in docs:
            pointer = "/attributes" if name == ".zattrs" else ""
            parsed[name], more = parse_document(
                docs[name], key=name, path="", pointer=pointer, limit=DOCUMENT_LIMIT
            )
            issues += more
    node, more = node_v2("", parsed, "")
    issues += more
    return node


def _consolidated_from_root(handle: StoreHandle, issues: list[Issue]) -> dict[str, Node] | None:
    """Nodes from the root's consolidated metadata; ``None`` when it cannot be used."""
    docs = handle.root_documents
    key = "zarr.json" if handle.zarr_format == 3 else ".zmetadata"
    meta, more = parse_document(docs[key], key=key, path="", pointer="", limit=CONSOLIDATED_LIMIT)
    issues += more
    if meta is None:
        return None
    if handle.zarr_format == 3:
        return from_consolidated_v3(meta, issues)
    return from_consolidated_v2(handle.target, meta, issues, ".zmetadata")


async def _fetch_node(
    handle: StoreHandle, fmt: ZarrFormat, path: str
) -> tuple[Node | None, list[Issue]]:
    """Fetch and parse one candidate child's metadata documents, concurrently."""
    names = ("zarr.json",) if fmt == 3 else V2_DOCUMENTS
    try:
        keys = [join_key(path, n) for n in names]
    except UnsafePathError:
        return None, [unsafe_issue(path.rpartition("/")[0], "", "Path", path)]
    try:
        raws = await handle.read_many(keys, DOCUMENT_LIMIT)
    except (RemoteFaultError, AccessRefusedError) as exc:  # not a defect: the node is not known
        return None, [unreadable_issue(path, exc)]
    except StoreAccessError as exc:
        return None, [Issue.error(f"{_RULE}.store.read-failed", path, "", str(exc))]
    issues: list[Issue] = []
    parsed: dict[str, dict[str, Any] | None] = {}
    for name, key, raw in zip(names, keys, raws, strict=True):
        if raw is None:
            continue
        pointer = "/attributes" if name == ".zattrs" else ""
        parsed[name], more = parse_document(
            raw, key=key, path=path, pointer=pointer, limit=DOCUMENT_LIMIT
        )
        issues += more
    if fmt == 3:
        doc = parsed.get("zarr.json")
        if doc is None:
            return None, issues
        node, more = node_v3(path, doc, f"{path}/zarr.json")
        return node, issues + more
    if all(v is None for v in parsed.values()) and not issues:
        return None, []
    node, more = node_v2(path, parsed, f"{path}/")
    return node, issues + more


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
        JSON file (see :func:`~ngff_geozarr.core.hierarchy.hierarchy_from_json`).
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
        return read_json_file(Path(text.removeprefix("file://")), text)
    with open_store(text, "r", storage_options=storage_options) as handle:
        return hierarchy_from_store(handle, discover)
