"""Metadata documents to nodes: decoding, one node's documents, consolidated metadata.

Every way a document can be broken (not UTF-8, malformed, too large or deep, wrong field
types) becomes an issue naming its node, never an exception. No I/O happens here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

from pydantic_zarr.v2 import ArraySpec as ArraySpecV2
from pydantic_zarr.v3 import ArraySpec as ArraySpecV3

from ngff_geozarr.core.errors import UnsafePathError
from ngff_geozarr.core.hierarchy.array_checks import array_document_issues
from ngff_geozarr.core.hierarchy.tree import (
    MAX_DEPTH,
    ArraySpec,
    Hierarchy,
    Node,
    NodeType,
)
from ngff_geozarr.core.models import parse_model
from ngff_geozarr.core.report import Issue, json_pointer, short_json
from ngff_geozarr.core.store.keys import ZarrFormat, check_key

__all__ = [
    "V2_DOCUMENTS",
    "assemble",
    "from_consolidated_v2",
    "from_consolidated_v3",
    "node_v2",
    "node_v3",
    "parse_document",
    "unsafe_issue",
]

V2_DOCUMENTS = (".zgroup", ".zarray", ".zattrs")
"""The metadata documents of one node in Zarr format 2."""
_RULE = "zarr"


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


def parse_document(
    raw: bytes, *, key: str, path: str, pointer: str, limit: int
) -> tuple[dict[str, Any] | None, list[Issue]]:
    """Decode one metadata document; every way it can be broken becomes an issue.

    Parameters
    ----------
    raw
        The document's bytes (possibly cut one byte past ``limit``).
    key
        The document's key, named in messages.
    path
        The node's path, which issues are reported on.
    pointer
        Where the document sits in the node's uniform document (``"/attributes"`` for a
        ``.zattrs``, else ``""``).
    limit
        The largest size accepted, in bytes.

    Returns
    -------
    tuple
        The JSON object (``None`` when it cannot be used) and the issues found.
    """

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
    except ValueError as exc:  # valid JSON the reader refuses: an integer of 4,300+ digits
        return None, issue("number-too-long", f"{key}: not read: {exc}.")
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
    except (ValueError, TypeError, OverflowError, SyntaxError) as exc:
        # SyntaxError: numpy parses a v2 dtype string with commas as Python literals
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


def node_v3(path: str, doc: dict[str, Any], key: str) -> tuple[Node | None, list[Issue]]:
    """Build a format-3 node from its ``zarr.json``.

    Parameters
    ----------
    path
        The node's path.
    doc
        The parsed ``zarr.json``.
    key
        How to name the document in messages.

    Returns
    -------
    tuple
        The node (wrong fields are reported and read as best they can) and the issues found.
    """
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
        issues += more + _shape_issues(spec, path) + array_document_issues(3, metadata, path, key)
    return Node(path, node_type, 3, attributes, metadata, spec), issues


def node_v2(
    path: str, docs: Mapping[str, dict[str, Any] | None], prefix: str
) -> tuple[Node | None, list[Issue]]:
    """Build a format-2 node from whichever of ``.zgroup``, ``.zarray``, ``.zattrs`` exist.

    Parameters
    ----------
    path
        The node's path.
    docs
        The parsed documents by name (absent or unparsable ones missing or ``None``).
    prefix
        How to name the node's documents in messages (``"a/b/"``; ``""`` for the root).

    Returns
    -------
    tuple
        The node, or ``None`` when there is neither ``.zgroup`` nor ``.zarray``; the issues.
    """
    issues: list[Issue] = []
    zgroup, zarray, zattrs = (docs.get(k) for k in V2_DOCUMENTS)
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
        issues += array_document_issues(2, zarray, path, prefix + ".zarray")
        return Node(path, "array", 2, attributes, zarray, spec), issues
    assert zgroup is not None
    return Node(path, "group", 2, attributes, zgroup), issues


# ----------------------------------------------------------------------------------------
# assembling a hierarchy


def assemble(
    target: str,
    nodes: dict[str, Node],
    issues: list[Issue],
    *,
    zarr_format: ZarrFormat | None,
    source: Literal["store", "json"],
    consolidated: bool,
) -> Hierarchy:
    """Fill in every node's children from the set of paths and freeze the result.

    Parameters
    ----------
    nodes
        The nodes read, by path (their ``children`` are ignored and recomputed).
    issues
        The problems met while reading.
    target, zarr_format, source, consolidated
        As for :class:`~ngff_geozarr.core.hierarchy.tree.Hierarchy`.

    Returns
    -------
    Hierarchy
        The frozen hierarchy.
    """
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


def unsafe_issue(path: str, pointer: str, what: str, key: str) -> Issue:
    """Report a key or reference that would leave the store root (it is never followed).

    Parameters
    ----------
    path
        The node whose metadata holds it.
    pointer
        Where in that node's document.
    what
        What it is (``"Reference"``, ``"Path"``, ...), the start of the message.
    key
        The offending key.

    Returns
    -------
    Issue
        An error with rule ``zarr.path.unsafe``.
    """
    return Issue.error(
        f"{_RULE}.path.unsafe",
        path,
        pointer,
        f"{what} {key!r} would leave the store root; refused, not followed.",
    )


def from_consolidated_v2(
    target: str, meta: dict[str, Any], issues: list[Issue], pointer_base: str
) -> dict[str, Node]:
    """Read the nodes of consolidated Zarr v2 metadata (a ``.zmetadata`` document).

    Parameters
    ----------
    target
        The target as the user named it.
    meta
        The parsed ``.zmetadata``.
    issues
        Where problems are appended.
    pointer_base
        How to name the document in messages.

    Returns
    -------
    dict
        The nodes by path.
    """
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
            issues.append(unsafe_issue("", json_pointer("metadata", key), "Consolidated key", key))
            continue
        if doc_name not in V2_DOCUMENTS:
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
        node, more = node_v2(path, docs, f"{path}/" if path else "")
        issues += more
        if node is not None:
            nodes[path] = node
    return nodes


def from_consolidated_v3(root_doc: dict[str, Any], issues: list[Issue]) -> dict[str, Node]:
    """Read the root and the nodes of a root ``zarr.json`` holding consolidated metadata.

    Parameters
    ----------
    root_doc
        The parsed root ``zarr.json``.
    issues
        Where problems are appended.

    Returns
    -------
    dict
        The nodes by path, the root included.
    """
    nodes: dict[str, Node] = {}
    root, more = node_v3("", root_doc, "zarr.json")
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
                unsafe_issue(
                    "", json_pointer("consolidated_metadata", "metadata", path), "Path", path
                )
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
        node, more = node_v3(path, doc, f"{path}/zarr.json (consolidated)")
        issues += more
        if node is not None:
            nodes[path] = node
    return nodes
