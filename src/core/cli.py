"""Command-line plumbing shared by the ``ngff`` and ``geozarr`` commands.

Each convention's CLI is a click group; this module gives them the commands whose logic is
the same (``info``, ``report``, ``rules``), the options they share (``--strict``,
``--storage-option``, ``--compression``) and the entry-point guard that keeps every failure
to one line: a target that cannot be read, a bad option or an unexpected error prints one line
on standard error and exits with code 2, never a traceback (set ``NGFF_GEOZARR_DEBUG=1`` to see
one).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.text import Text

from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.hierarchy import Discover, read_hierarchy
from ngff_geozarr.core.info import Detect, info_dict, render_info_text
from ngff_geozarr.core.report import EXIT_UNREADABLE, EXIT_VALID, Report
from ngff_geozarr.core.rules import RuleRegistry
from ngff_geozarr.core.store import COMPRESSIONS, compressors_for

__all__ = [
    "compression_option",
    "console_for_output",
    "emit_report",
    "make_info_command",
    "make_report_command",
    "make_rules_command",
    "parse_storage_options",
    "run_guarded",
    "storage_option",
    "strict_option",
]

_F = TypeVar("_F", bound=Callable[..., Any])
_DEBUG_VARIABLE = "NGFF_GEOZARR_DEBUG"
_PIPE_WIDTH = 1000


def parse_storage_options(values: tuple[str, ...]) -> dict[str, Any]:
    """Turn repeated ``KEY=VALUE`` options into fsspec storage options.

    Parameters
    ----------
    values
        ``KEY=VALUE`` strings; a value that parses as JSON (``true``, ``5``,
        ``{"a": 1}``) is taken as that value, otherwise as a string.

    Returns
    -------
    dict
        The options.

    Raises
    ------
    click.BadParameter
        When an entry has no ``=``.

    Examples
    --------
    >>> parse_storage_options(("endpoint_url=http://127.0.0.1:9000", "anon=false"))
    {'endpoint_url': 'http://127.0.0.1:9000', 'anon': False}
    """
    options: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE. Got {item!r}.")
        try:
            options[key] = json.loads(raw)
        except ValueError:
            options[key] = raw
    return options


def storage_option(command: _F) -> _F:
    """Add ``--storage-option KEY=VALUE`` to a command that reads a target.

    Parameters
    ----------
    command
        The command function; it receives the values as ``storage_options``, a tuple of
        strings for :func:`parse_storage_options`.

    Returns
    -------
    callable
        The command with the option.
    """
    return click.option(
        "--storage-option",
        "storage_options",
        multiple=True,
        metavar="KEY=VALUE",
        help="Option for a remote store (e.g. endpoint_url=..., anon=false); repeatable.",
    )(command)


def strict_option(command: _F) -> _F:
    """Add ``--strict`` to a ``validate`` command: the same profile for every convention.

    Parameters
    ----------
    command
        The command function; it receives the flag as ``strict``.

    Returns
    -------
    callable
        The command with the option.
    """
    return click.option(
        "--strict",
        is_flag=True,
        help="Apply the strict profile: SHOULD-level issues become errors (see the rules "
        "command for each rule's level).",
    )(command)


def make_rules_command(registry: RuleRegistry, convention: str) -> click.Command:
    """Build the ``rules`` command of a convention's CLI.

    Parameters
    ----------
    registry
        Every rule the convention's validator can report.
    convention
        The convention's name (``"ome-zarr"``, ``"geozarr"``), in the JSON output.

    Returns
    -------
    click.Command
        ``rules [--format text|json]``: every rule with its level, severity under each
        profile, versions, node kinds, clause and description; exit code 0.
    """

    @click.command(
        name="rules",
        help="List every rule validate can report: its id, level (MUST, SHOULD, ADVICE), "
        "severity by default and under --strict, the versions and node kinds it applies to, "
        "the spec clause it enforces and what it checks.",
    )
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
    )
    def rules(output_format: str) -> None:
        if output_format == "json":
            click.echo(registry.to_json(convention))
            return
        console = console_for_output()
        for rule in registry:
            strict = rule.level.severity(strict=True).value
            console.print(
                Text.assemble(
                    (rule.id, "bold"),
                    f"  {rule.level.value} ({rule.level.severity(strict=False).value}, "
                    f"{strict} under --strict)  {', '.join(rule.versions)}",
                )
            )
            console.print(Text("  " + rule.description))
            console.print(Text("  see " + rule.clause.section, style="dim"))
        console.print(Text(f"{len(registry)} rules"))

    return rules


def compression_option(command: _F) -> _F:
    """Add ``--compression NAME[:LEVEL]`` to a command that writes arrays.

    Parameters
    ----------
    command
        The command function; it receives the checked preset as ``compression``.

    Returns
    -------
    callable
        The command with the option (a bad preset is a usage error, exit code 2).
    """

    def check(ctx: click.Context, param: click.Parameter, value: str) -> str:
        try:
            compressors_for(value, 3)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        return value

    return click.option(
        "--compression",
        default=COMPRESSIONS[0],
        show_default=True,
        metavar="NAME[:LEVEL]",
        callback=check,
        help=f"Codec preset: {', '.join(COMPRESSIONS)}, optionally with a level "
        "(e.g. zstd:1, blosc-zstd:3).",
    )(command)


def make_info_command(detect: Detect, discover: Discover, convention: str) -> click.Command:
    """Build the ``info`` command of a convention's CLI.

    Parameters
    ----------
    detect
        Labels each node with the conventions it follows.
    discover
        Names the children a node refers to, for stores that cannot be listed.
    convention
        The convention's name, for the help text.

    Returns
    -------
    click.Command
        ``info TARGET [--format text|json] [--storage-option KEY=VALUE ...]``.
    """

    @click.command(
        name="info",
        help=f"Show the tree of groups and arrays in TARGET, with the {convention} metadata "
        "recognised on each node. TARGET is a store (directory, .zip, file://, http(s)://, "
        "s3://) or a JSON metadata document. Exit 0 when read without error, 1 when some "
        "metadata could not be read, 2 when the target could not be read at all.",
    )
    @click.argument("target")
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
    )
    @storage_option
    def info(target: str, output_format: str, storage_options: tuple[str, ...]) -> None:
        hierarchy = read_hierarchy(
            target, discover=discover, storage_options=parse_storage_options(storage_options)
        )
        if output_format == "json":
            click.echo(json.dumps(info_dict(hierarchy, detect), indent=2, ensure_ascii=False))
        else:
            render_info_text(hierarchy, detect, console_for_output())
        sys.exit(Report(target, hierarchy.issues).exit_code)

    return info


def make_report_command(
    build: Callable[[str, dict[str, Any]], tuple[str, Report]], convention: str
) -> click.Command:
    """Build the ``report`` command of a convention's CLI.

    Parameters
    ----------
    build
        Validates a target and renders its page: ``(target, storage_options) -> (html,
        report)``.
    convention
        The convention's name, for the help text.

    Returns
    -------
    click.Command
        ``report TARGET -o FILE [--storage-option KEY=VALUE ...]``; it exits with the
        validation's code (0 valid, 1 invalid, 2 unreadable), the page written in every case.
    """

    @click.command(
        name="report",
        help=f"Write a self-contained HTML page about TARGET: its tree, the {convention} "
        "validation report with each issue linked to its node, and a thumbnail of each "
        "image. The page embeds its images and opens from a file, offline. Exit codes as "
        "for validate.",
    )
    @click.argument("target")
    @click.option(
        "--output",
        "-o",
        "output",
        required=True,
        type=click.Path(dir_okay=False, writable=True),
        help="The HTML file to write.",
    )
    @storage_option
    def report(target: str, output: str, storage_options: tuple[str, ...]) -> None:
        page, result = build(target, parse_storage_options(storage_options))
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(page)
        verdict = "valid" if result.valid else "unreadable" if not result.readable else "invalid"
        n_err, n_warn = len(result.errors), len(result.warnings)
        click.echo(f"wrote {output}: {verdict}, {n_err} error(s), {n_warn} warning(s)")
        sys.exit(result.exit_code)

    return report


def console_for_output() -> Console:
    """Return the console command output is printed on.

    Returns
    -------
    rich.console.Console
        On a terminal, its width (long lines fold); when piped, lines are never cut, so
        that tools reading the output see whole lines.
    """
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=_PIPE_WIDTH)
    return console


def emit_report(report: Report, output_format: str) -> NoReturn:
    """Print a validation report and exit with its code.

    Parameters
    ----------
    report
        The report.
    output_format
        ``"text"`` for people, ``"json"`` for the JSON contract on standard output. A target
        that could not be read also gets one line on standard error, in both formats.
    """
    if output_format == "json":
        click.echo(report.to_json())
    else:
        report.render_text(console_for_output())
    if not report.readable:
        _fail(report.issues[0].message)
    sys.exit(report.exit_code)


def run_guarded(cli: click.Command, args: list[str] | None = None) -> NoReturn:
    """Run a click command; every failure becomes one line on stderr and exit code 2.

    Parameters
    ----------
    cli
        The command (group) to run.
    args
        The arguments; ``sys.argv[1:]`` when omitted.
    """
    try:
        cli.main(args=args, standalone_mode=False)
    except SystemExit as exc:
        raise SystemExit(exc.code) from None
    except click.exceptions.Abort:
        _fail("aborted.")
    except click.ClickException as exc:
        _fail(exc.format_message())
    except NgffGeozarrError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted.")
    except Exception as exc:
        if os.environ.get(_DEBUG_VARIABLE):
            raise
        _fail(
            f"unexpected {type(exc).__name__}: {exc} "
            f"(set {_DEBUG_VARIABLE}=1 for the traceback, and please report it)."
        )
    raise SystemExit(EXIT_VALID)


def _fail(message: str) -> NoReturn:
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "ngff-geozarr"
    click.echo(f"{name}: error: {message}", err=True)
    raise SystemExit(EXIT_UNREADABLE)
