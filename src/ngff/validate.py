"""Validate an OME-Zarr hierarchy: every node's metadata, then the arrays it describes.

:func:`validate` reads the whole hierarchy once (metadata only, never chunks), tells each
node's version and kind from its metadata, checks every OME section of every node with that
version's rules, then checks the hierarchy against itself: dataset paths resolve to arrays
whose dimensions, dtypes and shapes agree with the metadata; label images are integer-typed
and match their image; a plate's wells and a well's images exist. Every problem is an issue
with a stable rule id, the node path and a JSON pointer — all of them, in one pass.

A target read from a JSON document has no arrays to compare with: those checks are skipped
and the report says so. The checks against the store are :mod:`ngff.store_checks`; every
rule id is declared in :mod:`ngff.rules`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from ngff.common.context import Context
from ngff.common.facts import NodeFacts
from ngff.common.ome import SECTION_KEYS, VersionRules, check_ome
from ngff.deep import pyramids
from ngff.detection import discover, node_kind, ome_attributes
from ngff.ozx_checks import is_ozx, with_archive_checks
from ngff.profiles import READERS
from ngff.rules import REGISTRY
from ngff.store_checks import CheckedNode, StoreChecks
from ngff.v04.ome import RULES as RULES_04
from ngff.v05.ome import RULES as RULES_05
from ngff.v06.ome import RULES as RULES_06
from ngff.versions import SpecVersion, spec_version
from ngff_geozarr.core.deep import Budget, budget_of, with_deep
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.profiles.readers import select_readers, with_readers
from ngff_geozarr.core.report import Issue, Report, json_pointer
from ngff_geozarr.core.validation import Check, validate_target

__all__ = ["CONVENTION", "RULES", "check_hierarchy", "validate"]

CONVENTION = "ome-zarr"
"""The convention name reports carry."""

RULES: Mapping[SpecVersion, VersionRules] = {"0.4": RULES_04, "0.5": RULES_05, "0.6": RULES_06}
"""Each version's models and rules."""


def _issue(
    rule: str, path: str, pointer: str, message: str, version: str, section: str, strict: bool
) -> Issue:
    severity = REGISTRY.severity(rule, strict)
    return Issue(severity, rule, path, pointer, message, f"OME-Zarr {version} §{section}")


def _read_node(
    node: Node, strict: bool, fallback: SpecVersion | None, issues: list[Issue]
) -> CheckedNode | None:
    """Tell a node's version and kind, and check its metadata; ``None`` if it is not OME."""
    attrs = node.attributes
    namespaced = "ome" in attrs
    if namespaced:
        ome = attrs["ome"]
        if not isinstance(ome, Mapping):
            issues.append(
                _issue(
                    "ngff.schema",
                    node.path,
                    "/attributes/ome",
                    f"Expected the ome namespace to be an object. Got {type(ome).__name__}.",
                    fallback or "0.5",
                    "metadata",
                    strict,
                )
            )
            return None
        raw = ome.get("version")
        # a version of another JSON type is shown as written (and is unsupported)
        text = raw if isinstance(raw, str) or raw is None else json.dumps(raw)
        base: tuple[str, ...] = ("attributes", "ome")
    else:
        if not any(k in attrs for k in SECTION_KEYS):
            return None
        ome, text = ome_attributes(attrs)
        base = ("attributes",)
    version = spec_version(text)
    where = json_pointer(*base)
    shown = fallback or ("0.5" if namespaced else "0.4")
    if namespaced and text is None:
        issues.append(
            _issue(
                "ngff.version.missing",
                node.path,
                where,
                "The ome namespace has no 'version'; it is required.",
                shown,
                "metadata",
                strict,
            )
        )
        version = fallback or "0.5"
    elif text is not None and version is None:
        issues.append(
            _issue(
                "ngff.version.unsupported",
                node.path,
                json_pointer(*base, "version") if namespaced else where,
                f"Expected OME-Zarr version 0.4, 0.5 or 0.6 (0.6rc0, 0.6.devN). Got {text!r}.",
                shown,
                "metadata",
                strict,
            )
        )
        return CheckedNode(node, Context(node.path, shown), NodeFacts(), text, node_kind(ome))
    elif version is None:
        version = "0.4"
    if (version == "0.4") == namespaced:
        expected = "at the top level of the attributes" if version == "0.4" else "under 'ome'"
        issues.append(
            _issue(
                "ngff.version.layout",
                node.path,
                where,
                f"OME-Zarr {version} metadata belongs {expected}.",
                version,
                "metadata",
                strict,
            )
        )
        return CheckedNode(node, Context(node.path, version), NodeFacts(), text, node_kind(ome))
    assert version is not None
    ctx = Context(node.path, version, strict, base)
    facts = check_ome(ctx, ome, RULES[version], namespaced=namespaced)
    issues.extend(ctx.issues)
    return CheckedNode(node, ctx, facts, text, node_kind(ome))


def check_hierarchy(hierarchy: Hierarchy, *, strict: bool = False) -> Report:
    """Check every node of a hierarchy, and the hierarchy against its metadata.

    Parameters
    ----------
    hierarchy
        The hierarchy, read from a store or a JSON document.
    strict
        Apply the strict profile: the spec's SHOULDs become errors.

    Returns
    -------
    Report
        The findings (the problems met while reading are added by the caller).
    """
    issues: list[Issue] = []
    checked: dict[str, CheckedNode] = {}
    version: SpecVersion | None = None
    for path in hierarchy:
        result = _read_node(hierarchy[path], strict, version, issues)
        if result is None:
            continue
        checked[path] = result
        if version is None:
            version = result.ctx.version
        elif result.ctx.version != version:
            issues.append(
                _issue(
                    "ngff.version.inconsistent",
                    path,
                    json_pointer(*result.ctx.base),
                    f"Expected version {version} as the rest of the hierarchy. "
                    f"Got {result.version_text!r}.",
                    version,
                    "metadata",
                    strict,
                )
            )
    root = checked.get("")
    if not checked:
        issues.append(
            Issue(
                REGISTRY.severity("ngff.metadata.missing", strict),
                "ngff.metadata.missing",
                "",
                "",
                "No OME-Zarr metadata in this target: no node declares multiscales, labels, "
                "plate, well, bioformats2raw.layout or an ome namespace.",
            )
        )
    elif hierarchy.source == "json":
        issues.append(
            Issue(
                REGISTRY.severity("ngff.arrays.not-checked", strict),
                "ngff.arrays.not-checked",
                "",
                "",
                "Read from a JSON document: the arrays, wells and images the metadata refers "
                "to were not checked (validate the store to check them).",
            )
        )
    else:
        for item in checked.values():
            issues.extend(StoreChecks(hierarchy, checked, item, strict).run())
    first = root or next(iter(checked.values()), None)
    return Report(
        target=hierarchy.target,
        issues=tuple(issues),
        convention=CONVENTION,
        version=first.version_text if first else None,
        node_type=root.kind if root else "group",
    )


def validate(
    target: str | os.PathLike[str],
    *,
    strict: bool = False,
    storage_options: dict[str, Any] | None = None,
    readers: Sequence[str] = (),
    deep: bool | Budget = False,
    sample: int | None = None,
    max_requests: int | None = None,
    max_bytes: int | None = None,
) -> Report:
    """Validate an OME-Zarr store or JSON document.

    This is OME-Zarr's :class:`~ngff_geozarr.core.convention.Validate`, which documents the
    arguments, the result and the errors. Its ``readers`` are ``napari``, ``ome-zarr-py``
    and ``xarray`` (:mod:`ngff.profiles`); ``deep`` reads the pyramids :mod:`ngff.deep`
    finds. An ``.ozx`` target also gets the RFC-9 archive checks (:mod:`ngff.ozx_checks`).
    """
    profiles = select_readers(readers, READERS)
    check: Check = with_readers(partial(check_hierarchy, strict=strict), profiles, REGISTRY, strict)
    budget = budget_of(deep, sample, max_requests, max_bytes)
    if budget is not None:
        check = with_deep(check, pyramids, budget, strict=strict, storage_options=storage_options)
    if is_ozx(target):
        check = with_archive_checks(check, os.fspath(target), storage_options, strict=strict)
    return validate_target(
        target,
        check,
        discover=discover,
        storage_options=storage_options,
    )
