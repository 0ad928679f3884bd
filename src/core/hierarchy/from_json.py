"""A hierarchy from a JSON document: a node document, attributes, or a whole-hierarchy dump."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ngff_geozarr.core.hierarchy.documents as documents
from ngff_geozarr.core.errors import UnsafePathError, UnsupportedTargetError
from ngff_geozarr.core.hierarchy.tree import MAX_NODES, Hierarchy, Node
from ngff_geozarr.core.report import Issue, json_pointer
from ngff_geozarr.core.store.keys import CONSOLIDATED_LIMIT, ZarrFormat, join_key

__all__ = ["hierarchy_from_json", "is_json_target", "read_json_file"]

_RULE = "zarr"

_NETCDF_ADVICE = "read it with xarray and write it with geozarr.write"
_BINARY_FORMATS: tuple[tuple[bytes, str, str], ...] = (
    # HDF5's format signature (NetCDF-4 files are HDF5 files); NetCDF classic, 64-bit offset
    # and CDF-5 start with "CDF" and a version byte.
    (b"\x89HDF\r\n\x1a\n", "NetCDF/HDF5", _NETCDF_ADVICE),
    (b"CDF\x01", "NetCDF", _NETCDF_ADVICE),
    (b"CDF\x02", "NetCDF", _NETCDF_ADVICE),
    (b"CDF\x05", "NetCDF", _NETCDF_ADVICE),
    # TIFF and BigTIFF, little and big endian.
    (b"II*\x00", "TIFF", "make a Zarr store of it with the create command"),
    (b"MM\x00*", "TIFF", "make a Zarr store of it with the create command"),
    (b"II+\x00", "TIFF", "make a Zarr store of it with the create command"),
    (b"MM\x00+", "TIFF", "make a Zarr store of it with the create command"),
)


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
        return documents.assemble(
            target, {}, issues, zarr_format=None, source="json", consolidated=False
        )
    fmt = document.get("zarr_format")
    nodes: dict[str, Node]
    consolidated = False
    if base == ".zmetadata" or "zarr_consolidated_format" in document:
        nodes = documents.from_consolidated_v2(target, document, issues, base or ".zmetadata")
        fmt, consolidated = 2, True
    elif "members" in document and base not in (".zattrs",):
        nodes = {}
        _from_dump(document, "", fmt if fmt in (2, 3) else None, nodes, issues)
    elif base == "zarr.json" or (fmt == 3 and "node_type" in document):
        if isinstance(document.get("consolidated_metadata"), dict):
            nodes, consolidated = documents.from_consolidated_v3(document, issues), True
        else:
            node, issues = documents.node_v3("", document, base or "zarr.json")
            nodes = {} if node is None else {"": node}
    elif base == ".zarray" or (fmt == 2 and "shape" in document):
        node, issues = documents.node_v2("", {".zarray": document}, "")
        nodes = {} if node is None else {"": node}
    elif base == ".zgroup" or document == {"zarr_format": 2}:
        node, issues = documents.node_v2("", {".zgroup": document}, "")
        nodes = {} if node is None else {"": node}
    else:
        nodes = {"": Node("", "group", None, document, {})}
        fmt = None
    return documents.assemble(
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
        node, more = documents.node_v3(path, body, f"{path or '/'} (dump)")
    else:
        attributes = body.pop("attributes", {})
        body.setdefault("zarr_format", 2)
        key = ".zarray" if is_array else ".zgroup"
        node, more = documents.node_v2(
            path, {key: body, ".zattrs": attributes}, f"{path}/" if path else ""
        )
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
            issues.append(
                documents.unsafe_issue(
                    path, json_pointer("members", str(name)), "Member name", name
                )
            )
            continue
        try:
            child = join_key(path, name)
        except UnsafePathError:
            issues.append(
                documents.unsafe_issue(path, json_pointer("members", name), "Member name", name)
            )
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
        (``zarr.json`` included), or that is a regular file other than a ``.zip`` or ``.ozx``.
    """
    text = os.fspath(target)
    if "://" in text and not text.startswith("file://"):
        return False
    path = Path(text.removeprefix("file://"))
    return path.is_file() and path.suffix.lower() not in (".zip", ".ozx")


def read_json_file(path: Path, target: str) -> Hierarchy:
    """Read a local JSON document (at most ``CONSOLIDATED_LIMIT`` bytes) as a hierarchy.

    Parameters
    ----------
    path
        The file.
    target
        The name to report the hierarchy under.

    Returns
    -------
    Hierarchy
        See :func:`hierarchy_from_json`; a document that cannot be decoded gives an empty
        hierarchy with the issue.

    Raises
    ------
    UnsupportedTargetError
        When the file is a known binary format (NetCDF, HDF5, TIFF): the message says what it
        is and how to make a Zarr store of it.
    """
    with path.open("rb") as fh:
        raw = fh.read(CONSOLIDATED_LIMIT + 1)
    for magic, what, advice in _BINARY_FORMATS:
        if raw.startswith(magic):
            raise UnsupportedTargetError(
                f"{target}: a {what} file, not a Zarr store or a JSON metadata document; {advice}."
            )
    limit = CONSOLIDATED_LIMIT
    document, issues = documents.parse_document(
        raw, key=path.name, path="", pointer="", limit=limit
    )
    if document is None:
        return documents.assemble(
            target, {}, issues, zarr_format=None, source="json", consolidated=False
        )
    return hierarchy_from_json(document, target=target, filename=path.name)
