"""The RFC-9 checks of a single-file OME-Zarr (``.ozx``): the archive around the hierarchy.

RFC-9 ("Single-file OME-Zarr", https://ngff.openmicroscopy.org/rfc/9/) says how an
OME-Zarr hierarchy is stored in one ZIP archive. Its requirements are about the archive, not
the metadata, so they are checked from the archive's layout (its end records, comment and
central directory: :func:`~ngff_geozarr.core.store.ozx_read.archive_layout`, two range reads
for a remote file) and only for targets whose name ends in ``.ozx`` (the name RFC-9 gives
them; a ``.zip`` store is a plain zip store). Each check reports a rule of the
``ngff.ozx.*`` family declared in ``data/rules.toml`` with the sentence it enforces.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from ngff.rules import REGISTRY
from ngff_geozarr.core.hierarchy import Hierarchy
from ngff_geozarr.core.report import Issue, Report
from ngff_geozarr.core.store.ziparchive import ZipEntry, ZipLayout

__all__ = ["archive_issues", "is_ozx", "with_archive_checks"]

_VERSIONS = ("0.5", "0.6")
_METADATA = "zarr.json"


def is_ozx(target: object) -> bool:
    """Tell whether a target names an ``.ozx`` file (a path or URL).

    Parameters
    ----------
    target
        The target.

    Returns
    -------
    bool
        Whether its name ends in ``.ozx``.
    """
    if not isinstance(target, str | os.PathLike):
        return False
    text = os.fspath(target)
    return isinstance(text, str) and text.split("?", 1)[0].lower().endswith(".ozx")


def _is_json(entry: ZipEntry) -> bool:
    return entry.name == _METADATA or entry.name.endswith("/" + _METADATA)


def _order(entries: Sequence[ZipEntry]) -> str | None:
    """Why the entries do not start with every zarr.json breadth-first, or ``None``."""
    names = [e.name for e in entries if not e.name.endswith("/")]
    jsons = [n for n in names if n == _METADATA or n.endswith("/" + _METADATA)]
    leading = names[: len(jsons)]
    if leading != jsons:
        first_other = next(n for n in leading if n not in jsons)
        return f"{first_other!r} comes before zarr.json documents"
    depths = [n.count("/") for n in jsons]
    if depths != sorted(depths):
        at = next(i for i in range(1, len(depths)) if depths[i] < depths[i - 1])
        return f"{jsons[at]!r} comes after the deeper {jsons[at - 1]!r} (not breadth-first)"
    return None


def _chunk_count(metadata: dict[str, Any]) -> int:
    shape, grid = metadata.get("shape"), metadata.get("chunk_grid")
    try:
        chunks = grid["configuration"]["chunk_shape"]  # type: ignore[index]
        counts = [-(-int(n) // max(1, int(c))) for n, c in zip(shape, chunks, strict=True)]  # type: ignore[arg-type]
    except (TypeError, KeyError, ValueError):
        return 1
    total = 1
    for count in counts:
        total *= count
    return total


def _is_sharded(metadata: dict[str, Any]) -> bool:
    codecs = metadata.get("codecs")
    return isinstance(codecs, list) and any(
        isinstance(c, dict) and c.get("name") == "sharding_indexed" for c in codecs
    )


def archive_issues(
    layout: ZipLayout, hierarchy: Hierarchy, version: str | None, *, strict: bool
) -> list[Issue]:
    """Check an archive against RFC-9.

    Parameters
    ----------
    layout
        The archive's layout.
    hierarchy
        The hierarchy read from it (its arrays are checked for sharding).
    version
        The hierarchy's OME-Zarr version (the comment must name it).
    strict
        Apply the strict profile (SHOULDs are errors).

    Returns
    -------
    list of Issue
        One issue per requirement not met.
    """
    issues: list[Issue] = []

    def report(rule: str, message: str, path: str = "") -> None:
        issues.append(Issue(REGISTRY.severity(rule, strict), rule, path, "", message))

    if layout.split:
        report("ngff.ozx.split", "The end records declare more than one disk (a split archive).")
    for entry in layout.entries:
        if entry.name.lower().endswith(".ozx"):
            report("ngff.ozx.nested", f"The archive holds another .ozx file: {entry.name!r}.")
    if not layout.zip64:
        report("ngff.ozx.zip64", "The archive has no ZIP64 end of central directory record.")
    compressed = [e.name for e in layout.entries if e.method != 0]
    if compressed:
        report(
            "ngff.ozx.compressed",
            f"{len(compressed)} entries are compressed by the ZIP (method other than stored), "
            f"first {compressed[0]!r}.",
        )
    for node in hierarchy.values():
        if node.node_type == "array" and node.zarr_format == 3:
            meta = dict(node.metadata)
            if _chunk_count(meta) > 1 and not _is_sharded(meta):
                report(
                    "ngff.ozx.unsharded",
                    f"The array of {_chunk_count(meta)} chunks is not sharded: one archive "
                    "entry per chunk.",
                    node.path,
                )
    for where, entries in (("file", layout.file_order()), ("central directory", layout.entries)):
        names = [e.name for e in entries if not e.name.endswith("/")]
        if names and names[0] != _METADATA:
            report(
                "ngff.ozx.root-not-first",
                f"The first entry in the {where} is {names[0]!r}, not the root zarr.json.",
            )
        elif (why := _order(entries)) is not None:
            report("ngff.ozx.json-order", f"In the {where}, {why}.")
    _check_comment(layout, version, report)
    return issues


def _check_comment(
    layout: ZipLayout, version: str | None, report: Callable[[str, str], None]
) -> None:
    raw = layout.comment.rstrip(b"\0")
    if not raw:
        report("ngff.ozx.comment", 'The archive has no comment ({"ome": {"version": ...}}).')
        return
    try:
        comment = json.loads(raw.decode("utf-8"))
        declared = comment["ome"]["version"]
    except (ValueError, KeyError, TypeError):
        report("ngff.ozx.comment", "The archive comment is not UTF-8 JSON with ome.version.")
        return
    if not isinstance(declared, str) or (version is not None and declared != version):
        report(
            "ngff.ozx.comment",
            f"The archive comment declares version {declared!r}; the hierarchy is {version!r}.",
        )
    try:
        json_first = comment["ome"]["zipFile"]["centralDirectory"]["jsonFirst"]
    except (KeyError, TypeError):
        json_first = False
    if json_first is True and (why := _order(layout.entries)) is not None:
        report(
            "ngff.ozx.json-first",
            f"The comment declares jsonFirst, but in the central directory {why}.",
        )


def with_archive_checks(
    check: Callable[[Hierarchy], Report],
    target: str,
    storage_options: dict[str, Any] | None,
    *,
    strict: bool,
) -> Callable[[Hierarchy], Report]:
    """Add the RFC-9 archive checks to a hierarchy check, for an ``.ozx`` target.

    Parameters
    ----------
    check
        The hierarchy's checks.
    target
        The ``.ozx`` file (path or URL).
    storage_options
        Options for an HTTP target.
    strict
        Apply the strict profile.

    Returns
    -------
    callable
        The check, whose report also holds the archive's issues (0.5 and 0.6 hierarchies).
    """

    def checked(hierarchy: Hierarchy) -> Report:
        from ngff_geozarr.core.store.ozx_read import archive_layout

        report = check(hierarchy)
        if report.version not in _VERSIONS:
            return report
        layout = archive_layout(target, storage_options)
        extra = archive_issues(layout, hierarchy, report.version, strict=strict)
        return replace(report, issues=(*report.issues, *extra))

    return checked
