"""The command line's remote options and its answer to an internal error under ``--format json``.

:func:`storage_option` gives a command that reads a target ``--storage-option KEY=VALUE``
(repeatable) together with the remote policy's ``--timeout SECONDS`` and ``--retries N``
(defaults from ``NGFF_GEOZARR_TIMEOUT`` / ``NGFF_GEOZARR_RETRIES``, else 30 s and 3): one
decorator, so every such command has all three. :func:`guarded_report` keeps the JSON
contract when a validator fails unexpectedly: the report of an unreadable target, exit code 2.
"""

from __future__ import annotations

import dataclasses
import errno
import os
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import click

from ngff_geozarr.core.errors import NgffGeozarrError, causes
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.store.policy import (
    RETRIES_VARIABLE,
    TIMEOUT_VARIABLE,
    PolicyError,
    remote_policy,
    set_remote_policy,
)

__all__ = [
    "DEBUG_VARIABLE",
    "OptionDecorator",
    "guarded_report",
    "option_group",
    "out_of_space",
    "storage_option",
    "unexpected",
]

_F = TypeVar("_F", bound=Callable[..., Any])
DEBUG_VARIABLE = "NGFF_GEOZARR_DEBUG"
"""Set it (to anything) to see the traceback of an unexpected error."""


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def out_of_space(exc: BaseException) -> str | None:
    """Say in one line that a write ran out of space, when that is what ``exc`` is.

    The error may come wrapped (a worker thread's, a store's): its causes are followed.

    Parameters
    ----------
    exc
        The error the write ended with.

    Returns
    -------
    str or None
        The message (the cause, the file, and that ``--resume`` completes the write once
        space is freed); ``None`` when no out-of-space error is in the chain.
    """
    for current in causes(exc):
        if isinstance(current, OSError) and current.errno in _NO_SPACE:
            where = f" writing {current.filename}" if current.filename else ""
            cause = current.strerror or os.strerror(current.errno or errno.ENOSPC)
            return (
                f"{cause}{where}: the output is incomplete (marked so in the store); free "
                "space, then run the same command with --resume to complete it."
            )
    return None


def unexpected(exc: Exception) -> str:
    """Say what an unexpected error was, and how to see its traceback, in one line.

    Parameters
    ----------
    exc
        The error that no other rule of this policy explains.

    Returns
    -------
    str
        The message.
    """
    text = " ".join(str(exc).split())[:300]
    return (
        f"unexpected {type(exc).__name__}: {text} "
        f"(set {DEBUG_VARIABLE}=1 for the traceback, and please report it)."
    )


def _policy_callback(field: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """Set one field of the remote policy for the time of the command."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None:
            return value
        try:
            policy = dataclasses.replace(remote_policy(), **{field: value})
        except PolicyError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
        set_remote_policy(policy)
        ctx.call_on_close(lambda: set_remote_policy(None))
        return value

    return callback


class OptionDecorator(Protocol):
    """What ``click.option(...)`` returns: adds its option to a command function."""

    def __call__(self, command: _F, /) -> _F:
        """Add the option to ``command`` and return it."""
        ...


def option_group(*options: OptionDecorator) -> OptionDecorator:
    """Make one decorator of several click options, shown in ``--help`` in the order given.

    Parameters
    ----------
    *options
        The options (what ``click.option(...)`` returns, or other such decorators).

    Returns
    -------
    callable
        A decorator that adds every option to a command function.

    Examples
    --------
    >>> verbose = option_group(click.option("--quiet", is_flag=True), click.option("--loud"))
    >>> [p.name for p in click.command()(verbose(lambda quiet, loud: None)).params]
    ['quiet', 'loud']
    """

    def add(command: _F) -> _F:
        for option in reversed(options):
            command = option(command)
        return command

    return add


_storage = click.option(
    "--storage-option",
    "storage_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Option for a remote store (e.g. endpoint_url=..., anon=false); repeatable.",
)
_timeout = click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=86400),
    default=None,
    expose_value=False,
    callback=_policy_callback("timeout"),
    metavar="SECONDS",
    help=f"Remote requests: seconds to connect and between reads (default: ${TIMEOUT_VARIABLE} "
    "or 30).",
)
_retries = click.option(
    "--retries",
    type=click.IntRange(min=0, max=100),
    default=None,
    expose_value=False,
    callback=_policy_callback("retries"),
    metavar="N",
    help="Remote requests: retries of 5xx, 429, resets, truncated bodies and timeouts, with "
    f"backoff (default: ${RETRIES_VARIABLE} or 3).",
)


storage_option = option_group(_storage, _timeout, _retries)
storage_option.__doc__ = (
    "``--storage-option KEY=VALUE``, ``--timeout`` and ``--retries`` for a command that opens "
    "stores. The command receives a tuple of strings as ``storage_options`` (for "
    "``parse_storage_options``); ``--timeout`` and ``--retries`` set the remote policy of the "
    "stores the command opens, and are not passed on."
)


def guarded_report(target: str, validate: Callable[[], Report]) -> Report:
    """Run a validator; an unexpected failure becomes the report of an unreadable target.

    Parameters
    ----------
    target
        The target as the user named it.
    validate
        Runs the validation.

    Returns
    -------
    Report
        The validator's report, or (when it raised something other than the toolkit's own
        errors) an unreadable report naming the failure, so that ``--format json`` still
        prints the contract.

    Raises
    ------
    Exception
        The failure itself when ``NGFF_GEOZARR_DEBUG`` is set, to see its traceback.
    """
    try:
        return validate()
    except NgffGeozarrError:
        raise
    except Exception as exc:
        if os.environ.get(DEBUG_VARIABLE):
            raise
        return Report.unreadable(target, unexpected(exc))
