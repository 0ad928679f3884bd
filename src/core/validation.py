"""Run a convention's checks over a target's hierarchy and collect one report.

Each convention supplies a :data:`Check`: a function from a :class:`Hierarchy` to a
:class:`Report` holding its findings. :func:`validate_target` reads the hierarchy, runs the
check and returns one report with the problems met while reading first; a target that cannot
be read at all gives an unreadable report (exit code 2), never an exception.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ngff_geozarr.core.convert.journal import interrupted_issues
from ngff_geozarr.core.errors import TargetError
from ngff_geozarr.core.hierarchy import Discover, Hierarchy, read_hierarchy
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.store import read_once

__all__ = ["Check", "read_and_check", "validate_target"]

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
    with read_once():  # a check that opens the store again gets the documents read here
        try:
            hierarchy = read_hierarchy(name, discover=discover, storage_options=storage_options)
        except TargetError as exc:
            return None, Report.unreadable(name, str(exc))
        report = check(hierarchy)
        if hierarchy.source == "store":  # an in-place conversion interrupted part way
            report = replace(
                report, issues=(*interrupted_issues(name, storage_options), *report.issues)
            )
    return hierarchy, replace(report, target=name, issues=(*hierarchy.issues, *report.issues))
