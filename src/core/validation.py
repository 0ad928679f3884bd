"""Run a convention's checks over a target's hierarchy and collect one report.

Each convention supplies a :data:`Check`: a function from a :class:`Hierarchy` to a
:class:`Report` holding its findings. :func:`validate_target` reads the hierarchy, runs the
check and returns one report with the problems met while reading first; a target that cannot
be read at all gives an unreadable report (exit code 2), never an exception.

Remote requests follow the remote policy (:mod:`ngff_geozarr.core.store.policy`): the report
counts the retries the run needed, and every request given up after its retries, by the
reader or by a check that read chunks, becomes a ``zarr.store.unreadable`` issue on its node:
the verdict is then "incomplete" (exit code 3), never valid.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ngff_geozarr.core.convert.journal import Journal
from ngff_geozarr.core.errors import TargetError
from ngff_geozarr.core.hierarchy import Discover, Hierarchy, read_hierarchy
from ngff_geozarr.core.report import UNREADABLE_NODE_RULE, Issue, Report
from ngff_geozarr.core.store import METADATA_KEYS, StoreHandle, read_once
from ngff_geozarr.core.store.opening import read_target
from ngff_geozarr.core.store.policy import (
    AccessRefusedError,
    FaultLog,
    unreadable_issue,
    watching,
)
from ngff_geozarr.core.store.writelock import write_record_issue

__all__ = [
    "Check",
    "interruption_issues",
    "read_and_check",
    "read_watched",
    "unreported_faults",
    "validate_target",
]

Check = Callable[[Hierarchy], Report]
"""A convention's checks: the findings on a hierarchy, as a report."""


def validate_target(
    target: str | os.PathLike[str],
    check: Check,
    *,
    discover: Discover | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Report:
    """Read a target and run a convention's checks on it.

    Parameters
    ----------
    target
        A store path or URL, or a JSON document (see
        :func:`~ngff_geozarr.core.hierarchy.read_hierarchy`).
    check
        The convention's checks.
    discover
        Names the children a node refers to, for stores that cannot be listed.
    storage_options
        Options for remote stores.

    Returns
    -------
    Report
        The problems met while reading, then the check's findings; an unreadable report when
        the target could not be read at all.
    """
    return read_and_check(target, check, discover=discover, storage_options=storage_options)[1]


def read_and_check(
    target: str | os.PathLike[str],
    check: Check,
    *,
    discover: Discover | None = None,
    storage_options: dict[str, Any] | None = None,
) -> tuple[Hierarchy | None, Report]:
    """Read a target, run a convention's checks, and keep the hierarchy for the caller.

    Parameters
    ----------
    target, check, discover, storage_options
        As for :func:`validate_target`.

    Returns
    -------
    tuple
        The hierarchy (``None`` when the target could not be read) and the report.
    """
    name = os.fspath(target)
    # A check that opens the store again gets the documents read here; the faults of every
    # store opened in the block are counted.
    with read_once(), watching() as log:
        try:
            hierarchy = read_hierarchy(name, discover=discover, storage_options=storage_options)
        except TargetError as exc:
            return None, replace(Report.unreadable(name, str(exc)), retries=log.retries)
        report = check(hierarchy)
        if hierarchy.source == "store":  # a write or in-place conversion interrupted part way
            left = interruption_issues(name, storage_options)
            report = replace(report, issues=(*left, *report.issues))
    faults = unreported_faults(log, hierarchy, (*hierarchy.issues, *report.issues))
    issues = (*hierarchy.issues, *faults, *report.issues)
    return hierarchy, replace(report, target=name, issues=issues, retries=log.retries)


def interruption_issues(
    target: str | os.PathLike[str], storage_options: dict[str, Any] | None = None
) -> list[Issue]:
    """Report what a writer that did not finish left in a store, with how to complete it.

    A write in progress or interrupted leaves its record (an error naming the partial arrays,
    :func:`~ngff_geozarr.core.store.writelock.write_record_issue`); an in-place conversion
    interrupted part way leaves its journal (a warning,
    :meth:`~ngff_geozarr.core.convert.journal.Journal.issue`). The store is opened once.

    Parameters
    ----------
    target
        The store, as validated.
    storage_options
        Options for remote stores.

    Returns
    -------
    list of Issue
        The write's error, then the conversion's warning, each when its record is there;
        none when the target is no store this can open (the validator says why).
    """

    def left(handle: StoreHandle) -> list[Issue]:
        journal = Journal.read(handle)
        found = [write_record_issue(handle), None if journal is None else journal.issue()]
        return [issue for issue in found if issue is not None]

    return read_target(target, storage_options, left) or []


def read_watched(
    target: str | os.PathLike[str],
    *,
    discover: Discover | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Hierarchy:
    """Read a target's hierarchy with the requests given up reported on their nodes.

    What ``info`` shows: a listing or a document the store failed after the retries is a
    ``zarr.store.unreadable`` issue (as in :func:`read_and_check`), not a group with fewer
    children.

    Parameters
    ----------
    target, discover, storage_options
        As for :func:`~ngff_geozarr.core.hierarchy.read_hierarchy`.

    Returns
    -------
    Hierarchy
        The hierarchy, its issues followed by one per node not read.

    Raises
    ------
    TargetError
        When the target cannot be read at all.
    """
    with read_once(), watching() as log:
        hierarchy = read_hierarchy(target, discover=discover, storage_options=storage_options)
    faults = unreported_faults(log, hierarchy, hierarchy.issues)
    return replace(hierarchy, issues=(*hierarchy.issues, *faults)) if faults else hierarchy


def unreported_faults(
    log: FaultLog, hierarchy: Hierarchy, issues: tuple[Issue, ...]
) -> list[Issue]:
    """Turn the requests a run gave up or was refused into ``zarr.store.unreadable`` issues.

    One issue per node (a node with both names the requests given up); a node already
    reported unreadable (by the reader) gets no second issue.

    Parameters
    ----------
    log
        The run's faults.
    hierarchy
        The nodes read (a chunk key is reported on the array that holds it).
    issues
        The issues of the run so far.

    Returns
    -------
    list of Issue
        The new issues: the requests given up, in the order they failed, then the refused.
    """
    known = {i.path for i in issues if i.rule == UNREADABLE_NODE_RULE}
    found: dict[str, list[str]] = {}
    for key, cause in log.failures:
        path = _node_of(key, hierarchy)
        if path not in known:
            found.setdefault(path, []).append(f"{key!r}: {cause}")
    refused: dict[str, AccessRefusedError] = {}
    for key, cause in log.refusals:  # the first refusal of a node not reported otherwise
        path = _node_of(key, hierarchy)
        if path not in known and path not in found:
            refused.setdefault(path, AccessRefusedError(key, cause))
    return [
        *(unreadable_issue(path, "; ".join(dict.fromkeys(c))) for path, c in found.items()),
        *(unreadable_issue(path, refusal) for path, refusal in refused.items()),
    ]


def _node_of(key: str, hierarchy: Hierarchy) -> str:
    """Return the node a key belongs to: a document's node, a chunk's array, a listed group."""
    parent, _, last = key.strip("/").rpartition("/")
    if last in METADATA_KEYS:
        return parent
    path = key.strip("/")
    while path and path not in hierarchy.nodes:
        path = path.rpartition("/")[0]
    return path
