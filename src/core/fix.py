"""Repair the metadata defects a validator reports, each by the one safe edit of its rule.

``ngff fix TARGET`` and ``geozarr fix TARGET`` validate the target, then hand every issue
whose rule has a repair (a :data:`Fixer`, keyed by rule id) to that repair. A repair edits a
draft of the node's documents (:class:`FixContext`) and says what it did, or declines when
the fix is not determined by the store itself (it never guesses). Nothing is written while
planning: the plan (:class:`FixPlan`) holds the documents that change, old and new, shown as
a diff.

Applied (:func:`apply_fixes`), the plan goes through the conversion journal that
``convert --in-place`` uses (:func:`ngff_geozarr.core.convert.apply_in_place`): the journal
first, then the documents, the consolidated metadata, the journal removed last. A failure
restores the old documents; a kill leaves the journal, and the next ``fix --apply`` (or
``convert --in-place``) completes it. Chunks are never written.

The scaffold repairs one rule itself, whatever the convention: stale consolidated metadata
(``zarr.consolidated.stale``) is written again from the nodes' own documents.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ngff_geozarr.core.convention import Validate
from ngff_geozarr.core.convert.apply import apply_in_place, converting_in_place
from ngff_geozarr.core.convert.journal import Journal
from ngff_geozarr.core.convert.plan import Plan, dump
from ngff_geozarr.core.errors import ConversionError
from ngff_geozarr.core.hierarchy import Discover, Hierarchy, Node, hierarchy_to_convert
from ngff_geozarr.core.report import Issue
from ngff_geozarr.core.store import StoreHandle, join_key, open_store

__all__ = [
    "STALE_CONSOLIDATED_RULE",
    "WRITABLE_KINDS",
    "FixContext",
    "FixPlan",
    "Fixer",
    "Repair",
    "apply_fixes",
    "plan_fixes",
    "set_value",
]

STALE_CONSOLIDATED_RULE = "zarr.consolidated.stale"
"""The rule the scaffold repairs itself: consolidated metadata written again."""
WRITABLE_KINDS = ("local", "s3")
"""The store kinds ``fix --apply`` writes (a zip cannot replace a member; HTTP is read-only)."""
_DESCRIPTION = "metadata repairs"


class FixContext:
    """The draft a plan edits: every node's documents as read, changed by the repairs.

    Parameters
    ----------
    hierarchy
        The hierarchy as read from the store's own documents.
    """

    def __init__(self, hierarchy: Hierarchy) -> None:
        self.hierarchy = hierarchy
        self._attributes: dict[str, dict[str, Any]] = {}
        self._metadata: dict[str, dict[str, Any]] = {}
        self.consolidate = False

    def node(self, path: str) -> Node | None:
        """Return the node at ``path`` as read (``None`` when the store has none there).

        Parameters
        ----------
        path
            The node's path.

        Returns
        -------
        Node or None
            The node.
        """
        return self.hierarchy.get(path)

    def attributes(self, path: str) -> dict[str, Any]:
        """Return the draft of a node's attributes, to read and edit.

        Parameters
        ----------
        path
            The node's path (it must exist).

        Returns
        -------
        dict
            The attributes, with the edits made so far.
        """
        if path not in self._attributes:
            self._attributes[path] = copy.deepcopy(dict(self.hierarchy[path].attributes))
        return self._attributes[path]

    def metadata(self, path: str) -> dict[str, Any]:
        """Return the draft of a node's metadata document (less its attributes), to edit.

        Parameters
        ----------
        path
            As for :meth:`attributes`.

        Returns
        -------
        dict
            ``zarr.json`` less ``attributes`` (Zarr v3), or ``.zarray`` / ``.zgroup``.
        """
        if path not in self._metadata:
            self._metadata[path] = copy.deepcopy(dict(self.hierarchy[path].metadata))
        return self._metadata[path]

    def changed(self) -> list[str]:
        """Return the paths of the nodes whose draft differs from what was read.

        Returns
        -------
        list of str
            The paths, in the hierarchy's order.
        """
        out = []
        for path, node in self.hierarchy.items():
            attrs = self._attributes.get(path, node.attributes)
            meta = self._metadata.get(path, node.metadata)
            if dict(attrs) != dict(node.attributes) or dict(meta) != dict(node.metadata):
                out.append(path)
        return out


Fixer = Callable[[FixContext, Issue], "str | None"]
"""A rule's repair: edits the draft for one reported issue and says what it did (one line),
``""`` when an earlier repair already made it, or ``None`` when the store does not determine
the fix (the issue stays)."""


def set_value(document: dict[str, Any], key: str, value: Any, what: str, why: str) -> str:
    """Set one key of a draft document, as a repair does, and say what changed.

    Parameters
    ----------
    document
        The draft (from :meth:`FixContext.attributes` or :meth:`FixContext.metadata`, or an
        object inside one).
    key
        The key to set.
    value
        Its repaired value.
    what
        What the key is, for the account (``"dimension_names"``).
    why
        Where the value comes from, for the account (``"the multiscale's axis names"``).

    Returns
    -------
    str
        ``""`` when the key held ``value`` already (nothing to repair), else the account:
        ``"set WHAT OLD -> VALUE (WHY)"``.

    Examples
    --------
    >>> doc = {"fill_value": 0}
    >>> set_value(doc, "fill_value", -9999, "the Zarr fill_value", "its _FillValue")
    'set the Zarr fill_value 0 -> -9999 (its _FillValue)'
    >>> doc, set_value(doc, "fill_value", -9999, "the Zarr fill_value", "its _FillValue")
    ({'fill_value': -9999}, '')
    """
    old = document.get(key)
    if old == value:
        return ""
    document[key] = value
    return f"set {what} {old} -> {value} ({why})"


@dataclass(frozen=True)
class Repair:
    """One repair planned.

    Parameters
    ----------
    rule
        The rule whose issue it repairs.
    path
        The node's path.
    pointer
        The issue's JSON pointer.
    description
        What the repair does.
    """

    rule: str
    path: str
    pointer: str
    description: str


@dataclass(frozen=True)
class FixPlan:
    """Every repair of a target, computed before anything is written.

    Parameters
    ----------
    target
        The target as named.
    repairs
        The repairs, in the order of the issues they repair.
    documents
        The documents that change: (key, old bytes or ``None``, new bytes).
    consolidate
        Whether consolidated metadata is written again (stale, or a document changed).
    unrepaired
        Issues no repair handles (errors and warnings ``validate`` still reports).
    interrupted
        An interrupted in-place change the store holds (``fix --apply`` completes it first).
    """

    target: str
    repairs: tuple[Repair, ...] = ()
    documents: tuple[tuple[str, bytes | None, bytes], ...] = ()
    consolidate: bool = False
    unrepaired: tuple[Issue, ...] = ()
    interrupted: Journal | None = field(default=None, compare=False)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to do (no repair, no interrupted change)."""
        return not self.repairs and self.interrupted is None

    def diff(self) -> str:
        """Return the documents' changes as a unified diff.

        Returns
        -------
        str
            One diff per changed document (consolidated metadata left out).
        """
        parts: list[str] = []
        for key, old, new in self.documents:
            before = _shown(old)
            after = _shown(new)
            parts.extend(
                difflib.unified_diff(
                    before.splitlines(keepends=True),
                    after.splitlines(keepends=True),
                    fromfile=f"a/{key}",
                    tofile=f"b/{key}",
                )
            )
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Return the plan as the JSON ``fix --format json`` prints.

        Returns
        -------
        dict
            ``target``, ``repairs`` (rule, path, pointer, repair), ``documents`` (keys),
            ``consolidate``, ``diff``, ``unrepaired`` (rule, path) and ``interrupted``.
        """
        return {
            "target": self.target,
            "repairs": [
                {"rule": r.rule, "path": r.path, "pointer": r.pointer, "repair": r.description}
                for r in self.repairs
            ],
            "documents": [key for key, _, _ in self.documents],
            "consolidate": self.consolidate,
            "diff": self.diff(),
            "unrepaired": [
                {"rule": i.rule, "path": i.path, "severity": i.severity.value}
                for i in self.unrepaired
            ],
            "interrupted": None if self.interrupted is None else self.interrupted.command,
        }


def _shown(raw: bytes | None) -> str:
    if raw is None:
        return ""
    try:
        document = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
    if isinstance(document, dict):
        document.pop("consolidated_metadata", None)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _fix_stale(ctx: FixContext, issue: Issue) -> str | None:
    if ctx.consolidate:
        return None
    ctx.consolidate = True
    return "write the consolidated metadata again from the nodes' own documents"


def plan_fixes(
    target: str | os.PathLike[str],
    *,
    validate: Validate,
    fixers: Mapping[str, Fixer],
    discover: Discover | None = None,
    storage_options: dict[str, Any] | None = None,
) -> FixPlan:
    """Plan the repairs of a store's metadata, writing nothing.

    Parameters
    ----------
    target
        The store.
    validate
        The convention's validator (``validate(target, strict=..., storage_options=...)``).
    fixers
        The convention's repairs, by the rule id they repair.
    discover
        The convention's child discovery (stores that cannot be listed).
    storage_options
        Options for remote stores.

    Returns
    -------
    FixPlan
        The repairs and the documents they change; only the interrupted change when the
        store holds one (its metadata is half old, half new: planned once completed).

    Raises
    ------
    ConversionError
        When some metadata cannot be read at all (nothing can be planned over it).
    TargetError
        When the target is no store that can be opened.
    """
    name = os.fspath(target)
    with open_store(name, "r", storage_options=storage_options) as handle:
        return _plan(handle, name, validate, fixers, discover, storage_options)


def _plan(
    handle: StoreHandle,
    name: str,
    validate: Validate,
    fixers: Mapping[str, Fixer],
    discover: Discover | None,
    storage_options: dict[str, Any] | None,
) -> FixPlan:
    journal = Journal.read(handle)
    if journal is not None:
        return FixPlan(name, interrupted=journal)
    # the nodes' own documents, never a consolidated copy (they are what is rewritten)
    own = dataclasses.replace(handle, consolidated=False)
    hierarchy = hierarchy_to_convert(own, discover, name)
    report = validate(name, strict=True, storage_options=storage_options)
    every = {STALE_CONSOLIDATED_RULE: _fix_stale, **fixers}
    ctx = FixContext(hierarchy)
    repairs: list[Repair] = []
    handled: set[int] = set()
    for rule, fixer in every.items():
        for n, issue in enumerate(report.issues):
            if issue.rule != rule or (issue.path not in hierarchy and fixer is not _fix_stale):
                continue
            done = fixer(ctx, issue)
            if done is not None:
                handled.add(n)
            if done:
                repairs.append(Repair(issue.rule, issue.path, issue.pointer, done))
    unrepaired = [i for n, i in enumerate(report.issues) if n not in handled]
    documents = _documents(handle, ctx)
    consolidate = handle.consolidated and (ctx.consolidate or bool(documents))
    return FixPlan(
        name,
        tuple(repairs),
        tuple(documents),
        consolidate,
        tuple(unrepaired),
    )


def _documents(handle: StoreHandle, ctx: FixContext) -> list[tuple[str, bytes | None, bytes]]:
    """Return the changed documents (key, old, new bytes), arrays before groups."""
    out: list[tuple[str, bytes | None, bytes]] = []
    changed = ctx.changed()
    order = sorted(
        changed,
        key=lambda p: (ctx.hierarchy[p].node_type != "array", -p.count("/") - (p != "")),
    )
    for path in order:
        node = ctx.hierarchy[path]
        attrs, meta = ctx.attributes(path), ctx.metadata(path)
        if node.zarr_format == 2:
            own = ".zarray" if node.node_type == "array" else ".zgroup"
            if meta != dict(node.metadata):
                out.append(_document(handle, join_key(path, own), meta))
            if attrs != dict(node.attributes):
                out.append(_document(handle, join_key(path, ".zattrs"), attrs))
            continue
        key = join_key(path, "zarr.json")
        old = handle.run(handle.read(key))
        raw: dict[str, Any] = json.loads(old) if old is not None else {}
        doc: dict[str, Any] = {}
        for k, v in raw.items():
            if k in ("attributes", "consolidated_metadata"):
                doc[k] = v
            elif k in meta:
                doc[k] = meta[k]
        doc.update({k: v for k, v in meta.items() if k not in doc})
        if attrs or "attributes" in raw:
            doc["attributes"] = attrs
        out.append((key, old, dump(doc)))
    return out


def _document(
    handle: StoreHandle, key: str, document: Mapping[str, Any]
) -> tuple[str, bytes | None, bytes]:
    return key, handle.run(handle.read(key)), dump(dict(document))


def apply_fixes(
    target: str | os.PathLike[str],
    *,
    validate: Validate,
    fixers: Mapping[str, Fixer],
    command: str,
    discover: Discover | None = None,
    storage_options: dict[str, Any] | None = None,
) -> tuple[FixPlan, Journal | None]:
    """Plan and apply the repairs of a store's metadata, in place, under the journal.

    An interrupted in-place change the store holds (a ``fix --apply`` or ``convert
    --in-place`` that was killed) is completed first; the repairs are then planned afresh.

    Parameters
    ----------
    target
        The store: a local directory, or an ``s3://`` prefix (:data:`WRITABLE_KINDS`).
    validate, fixers, discover, storage_options
        As for :func:`plan_fixes`.
    command
        The command line that completes the repairs when interrupted (``ngff fix T --apply``).

    Returns
    -------
    tuple of (FixPlan, Journal or None)
        The plan applied (empty when there was nothing to repair) and the interrupted change
        completed first, if any.

    Raises
    ------
    ConversionError
        When the store is of a kind that cannot be changed in place, or applying failed (the
        store then holds its old metadata, or the journal that completes the repairs).
    """
    name = os.fspath(target)
    with open_store(name, "r", storage_options=storage_options) as handle:
        kind = handle.kind
    if kind not in WRITABLE_KINDS:
        raise ConversionError(
            f"{name}: fix --apply changes only local directory stores and s3:// prefixes, not "
            f"a {kind} store; run fix without --apply to see the repairs, or apply them to a "
            "local copy."
        )
    with converting_in_place(name, storage_options) as (handle, finished):
        plan = _plan(handle, name, validate, fixers, discover, storage_options)
        if plan.repairs:
            apply_in_place(
                handle,
                Plan(writes=tuple((key, new) for key, _, new in plan.documents)),
                command=command,
                description=_DESCRIPTION,
                versions=("", ""),
                consolidated=plan.consolidate,
            )
    return plan, finished
