"""The ``validate --for READER,...`` option both conventions' ``validate`` commands share.

A convention passes the names of the readers it supports (:mod:`ngff.profiles`,
:mod:`geozarr.profiles`); the option checks the comma-separated list before anything is read
(an unknown reader is a usage error, exit code 2) and hands the validator a tuple of names
as ``readers``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click

__all__ = ["readers_option"]


def readers_option(names: Iterable[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Build the ``--for READER,...`` option for a convention's ``validate``.

    Parameters
    ----------
    names
        The readers the convention supports.

    Returns
    -------
    callable
        The click option; the command receives ``readers``, a tuple of names.
    """
    supported = tuple(names)

    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
        chosen = tuple(dict.fromkeys(v.strip() for v in (value or "").split(",") if v.strip()))
        unknown = [v for v in chosen if v not in supported]
        if unknown:
            raise click.BadParameter(
                f"expected readers among {', '.join(supported)}. Got {', '.join(unknown)}."
            )
        return chosen

    return click.option(
        "--for",
        "readers",
        default=None,
        metavar="READER,...",
        callback=parse,
        help=f"Also check what these readers need ({', '.join(supported)}); their "
        "requirements are warnings that name the reader and the fix.",
    )
