"""The ``--deep`` options of both ``validate`` commands, and the hook into a validator."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, Protocol

import click

from ngff_geozarr.core.deep.budget import DEFAULT_BUDGET, Budget
from ngff_geozarr.core.deep.levels import LevelSet
from ngff_geozarr.core.hierarchy import Hierarchy
from ngff_geozarr.core.report import Report

__all__ = ["DEEP_OPTIONS", "Pyramids", "with_deep"]


class Pyramids(Protocol):
    """Finds a convention's pyramids in a hierarchy (:func:`ngff.deep.pyramids`, ...)."""

    def __call__(self, hierarchy: Hierarchy, /) -> Iterable[LevelSet]:
        """Return the pyramids of ``hierarchy``.

        Parameters
        ----------
        hierarchy
            The hierarchy read from the store, every level's array metadata included.

        Returns
        -------
        iterable of LevelSet
            One pyramid per multiscale image or variable, levels finest first.
        """
        ...


_POSITIVE = click.IntRange(min=1)


def _needs_deep(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    """Refuse a budget option given without ``--deep`` (a usage error, exit code 2)."""
    if value is not None and not ctx.params.get("deep"):
        raise click.UsageError(f"--{str(param.name).replace('_', '-')} needs --deep.", ctx)
    return value


DEEP_OPTIONS: tuple[Callable[[Callable[..., Any]], Callable[..., Any]], ...] = (
    click.option(
        "--deep",
        is_flag=True,
        is_eager=True,  # known when the budget options are checked
        help="Also read chunk data: coverage of every pyramid level, shard indexes, sampled "
        "blocks of each level against the reduction of the level above (zarr.data.* rules).",
    ),
    click.option(
        "--sample",
        type=_POSITIVE,
        default=None,
        callback=_needs_deep,
        help=f"With --deep: blocks sampled per level [default: {DEFAULT_BUDGET.sample}].",
    ),
    click.option(
        "--max-requests",
        type=_POSITIVE,
        default=None,
        callback=_needs_deep,
        help=f"With --deep: most store requests [default: {DEFAULT_BUDGET.max_requests}].",
    ),
    click.option(
        "--max-bytes",
        type=_POSITIVE,
        default=None,
        callback=_needs_deep,
        help=f"With --deep: most bytes of chunk data read, counted decoded "
        f"[default: {DEFAULT_BUDGET.max_bytes}].",
    ),
)
"""``--deep``, ``--sample N``, ``--max-requests N``, ``--max-bytes N``: their values reach a
convention's validator as the keyword arguments ``deep``, ``sample``, ``max_requests`` and
``max_bytes`` (see :func:`~ngff_geozarr.core.deep.budget_of`)."""


def with_deep(
    check: Callable[[Hierarchy], Report],
    pyramids: Pyramids,
    budget: Budget,
    *,
    strict: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> Callable[[Hierarchy], Report]:
    """Add the deep check to a convention's checks.

    Parameters
    ----------
    check
        The convention's checks over a hierarchy.
    pyramids
        Finds the convention's pyramids in a hierarchy.
    budget
        What the deep check may read.
    strict
        Apply the strict profile.
    storage_options
        Options for remote stores.

    Returns
    -------
    callable
        The checks, then the deep check's findings (none for a hierarchy read from JSON).
    """

    def checked(hierarchy: Hierarchy) -> Report:
        from ngff_geozarr.core.deep.engine import deep_issues

        report = check(hierarchy)
        found = deep_issues(
            hierarchy,
            pyramids(hierarchy),
            budget,
            strict=strict,
            storage_options=storage_options,
        )
        return replace(report, issues=(*report.issues, *found)) if found else report

    return checked
