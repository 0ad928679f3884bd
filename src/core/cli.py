"""Command-line plumbing shared by the ``ngff`` and ``geozarr`` commands.

:func:`make_cli` turns a :class:`~ngff_geozarr.core.convention.Convention` into its click
group with the commands whose logic is the same (``validate``, ``info``, ``report``,
``rules``), so both CLIs have identical options, help structure and messages. The options
every command shares (``--format``, ``--strict``, ``--storage-option``, ``--compression``,
``--resume``, ``--workers``, ``--quiet``), number-list parsing and the one progress bar live
here too, for the commands a convention adds (``create``, ``pyramid``, ``convert``).

One error policy: the group (:class:`ConventionGroup`) and :func:`run_guarded` keep every
failure to one line, ``"<command>: error: <message>"`` on standard error with exit code 2 (a
target that cannot be read, a bad option, a failed conversion, an unexpected error), never a
traceback (set ``NGFF_GEOZARR_DEBUG=1`` to see one).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, Protocol, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ngff_geozarr.core import cli_policy
from ngff_geozarr.core.cli_policy import guarded_report, out_of_space, unexpected
from ngff_geozarr.core.convention import BuildReport, Convention
from ngff_geozarr.core.errors import NgffGeozarrError, TargetError
from ngff_geozarr.core.hierarchy import Discover
from ngff_geozarr.core.info import Describe, Detect, info_dict, render_info_text
from ngff_geozarr.core.report import EXIT_UNREADABLE, EXIT_VALID, Report
from ngff_geozarr.core.rules import RuleRegistry
from ngff_geozarr.core.store import COMPRESSIONS, compressors_for, read_once
from ngff_geozarr.core.validation import read_watched

__all__ = [
    "ConventionGroup",
    "ProgressReport",
    "compression_option",
    "console_for_output",
    "emit_report",
    "fail",
    "format_option",
    "make_cli",
    "make_info_command",
    "make_report_command",
    "make_rules_command",
    "make_validate_command",
    "parse_numbers",
    "parse_storage_options",
    "progress_bar",
    "quiet_option",
    "resume_option",
    "run_guarded",
    "storage_option",
    "strict_option",
    "workers_option",
    "write_options",
]

_F = TypeVar("_F", bound=Callable[..., Any])
_N = TypeVar("_N", int, float)
_DEBUG_VARIABLE = "NGFF_GEOZARR_DEBUG"
_PIPE_WIDTH = 1000
_SHARED_TARGETS = (
    "TARGET is a store (directory, .zip, .ozx, file://, http(s)://, s3://) or a JSON metadata "
    "document (zarr.json, .zattrs, GroupSpec dump)."
)
_VALIDATE_EXIT_CODES = (
    "Exit 0 valid (warnings allowed), 1 invalid, 2 unreadable, 3 incomplete (some nodes "
    "could not be read after --retries)."
)


class ConventionGroup(click.Group):
    """A convention's command group that applies the one error policy itself.

    Run standalone (console script, :class:`click.testing.CliRunner`), every failure is one
    line ``"<name>: error: <message>"`` on standard error and exit code 2, where ``name``
    is the group's name (the console command), however the program was started.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the group; standalone, through the error policy of :func:`run_guarded`."""

        def run() -> Any:
            return super(ConventionGroup, self).main(
                args, prog_name, complete_var, standalone_mode=False, **extra
            )

        if not standalone_mode:
            return run()
        _guard(run, self.name or "ngff-geozarr")


class ProgressReport(Protocol):
    """What a writer reports after each finished unit of work (tile, chunk)."""

    @property
    def done(self) -> int:
        """Units finished so far."""
        ...

    @property
    def total(self) -> int:
        """Units this run processes."""
        ...


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


storage_option = cli_policy.storage_option
"""``--storage-option``, ``--timeout`` and ``--retries`` (see ``core.cli_policy``)."""

strict_option = click.option(
    "--strict",
    is_flag=True,
    help="Apply the strict profile: SHOULD-level issues become errors (see the rules "
    "command for each rule's level).",
)
strict_option.__doc__ = (
    "``--strict`` for a ``validate`` command, the same profile for every convention; the "
    "command receives ``strict``."
)


format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
format_option.__doc__ = (
    "``--format text|json`` (default text) for a command that prints a result; the command "
    "receives ``output_format``."
)


resume_option = click.option(
    "--resume",
    is_flag=True,
    help="Complete an interrupted run, keeping the chunks already written.",
)
resume_option.__doc__ = (
    "``--resume`` for a command that writes chunks; the command receives ``resume``."
)

workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Threads to write with (default: the number of CPUs).",
)
workers_option.__doc__ = (
    "``--workers N`` for a command that writes chunks; ``workers`` is ``None`` for one per CPU."
)

quiet_option = click.option("--quiet", is_flag=True, help="No progress bar.")
quiet_option.__doc__ = (
    "``--quiet`` for a command that shows :func:`progress_bar`; the command receives ``quiet``."
)


write_options = cli_policy.option_group(resume_option, workers_option, quiet_option)
write_options.__doc__ = (
    "``--resume``, ``--workers`` and ``--quiet``, in that order, for a writing command (see "
    "each option)."
)


def parse_numbers(text: str | None, kind: type[_N], option: str) -> list[_N] | None:
    """Parse a comma-separated list of numbers given to an option.

    Parameters
    ----------
    text
        The option's value; ``None`` when not given.
    kind
        ``int`` or ``float``.
    option
        The option's name, for the message.

    Returns
    -------
    list or None
        The numbers, ``None`` for ``None``.

    Raises
    ------
    click.BadParameter
        When an item is not a number of that kind (a usage error, exit code 2).

    Examples
    --------
    >>> parse_numbers("64, 256,256", int, "--chunks")
    [64, 256, 256]
    """
    if text is None:
        return None
    try:
        return [kind(v) for v in text.split(",")]
    except ValueError:
        raise click.BadParameter(
            f"expected comma-separated {kind.__name__} values, got {text!r}.", param_hint=option
        ) from None


@contextmanager
def progress_bar(
    description: str, *, unit: str = "tiles", quiet: bool = False
) -> Iterator[Callable[[ProgressReport], None]]:
    """Show a progress bar on standard error, fed by a writer's progress callback.

    Parameters
    ----------
    description
        What is being done, shown before the bar.
    unit
        What is counted (``"tiles"`` of a pyramid, ``"chunks"`` of a copy), after the count.
    quiet
        Show nothing (the callback still accepts reports).

    Yields
    ------
    callable
        The callback to pass as a writer's ``progress``: it takes any report with ``done``
        and ``total`` (tiles of a pyramid, chunks of a conversion). The bar stays once the
        work is done; when it fails, the bar is cleared so that the failure is one line.
    """
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=quiet,
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(report: ProgressReport) -> None:
            bar.update(task, total=report.total, completed=report.done)

        try:
            yield update
        except BaseException:
            # a failure leaves only its one error line: the bar is erased on a terminal,
            # and nothing of it is printed elsewhere
            bar.live.transient = True
            bar.console.quiet = not bar.console.is_terminal
            raise


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
    @format_option
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


def make_info_command(
    detect: Detect, discover: Discover, convention: str, describe: Describe | None = None
) -> click.Command:
    """Build the ``info`` command of a convention's CLI.

    Parameters
    ----------
    detect
        Labels each node with the conventions it follows.
    discover
        Names the children a node refers to, for stores that cannot be listed.
    convention
        The convention's name, for the help text.
    describe
        States what the convention's metadata means (after the tree; ``facts`` in JSON).

    Returns
    -------
    click.Command
        ``info TARGET [--format text|json] [--storage-option KEY=VALUE ...]``; with
        ``--format json``, a target that cannot be read prints the ``validate`` JSON
        contract's unreadable report, then the one error line, exit code 2.
    """

    @click.command(
        name="info",
        help=f"Show the tree of groups and arrays in TARGET, with the {convention} metadata "
        f"recognised on each node. {_SHARED_TARGETS} Exit 0 when read without error, 1 when "
        "some metadata could not be read, 2 when the target could not be read at all, 3 when "
        "some nodes could not be read after --retries.",
    )
    @click.argument("target")
    @format_option
    @storage_option
    def info(target: str, output_format: str, storage_options: tuple[str, ...]) -> None:
        try:
            hierarchy = read_watched(
                target, discover=discover, storage_options=parse_storage_options(storage_options)
            )
        except TargetError as exc:
            if output_format != "json":
                raise
            emit_report(Report.unreadable(target, str(exc)), output_format)
        if output_format == "json":
            described = info_dict(hierarchy, detect, describe)
            click.echo(json.dumps(described, indent=2, ensure_ascii=False))
        else:
            render_info_text(hierarchy, detect, console_for_output(), describe)
        sys.exit(Report(target, hierarchy.issues).exit_code)

    return info


def make_report_command(build: BuildReport, convention: str) -> click.Command:
    """Build the ``report`` command of a convention's CLI.

    Parameters
    ----------
    build
        Validates a target and renders its page: ``build(target, strict=...,
        storage_options=...) -> (html, report)``.
    convention
        The convention's name, for the help text.

    Returns
    -------
    click.Command
        ``report TARGET -o FILE [--strict] [--storage-option KEY=VALUE ...]``; it exits
        with the validation's code (0 valid, 1 invalid), the page written; a target that
        cannot be read at all is one error line on standard error and exit code 2, with no
        page written.
    """

    @click.command(
        name="report",
        help=f"Write a self-contained HTML page about TARGET: its tree, the {convention} "
        "validation report with each issue linked to its node, and a thumbnail of each "
        "image. The page embeds its images and opens from a file, offline. Exit codes as "
        "for validate; no page is written for a target that cannot be read.",
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
    @strict_option
    @storage_option
    def report(target: str, output: str, strict: bool, storage_options: tuple[str, ...]) -> None:
        options = parse_storage_options(storage_options)
        with read_once():  # validation and pictures fetch each metadata document once
            page, result = build(target, strict=strict, storage_options=options)
        if not result.readable:
            # Nothing to show: one line on stderr, exit 2, and no page that looks like a report.
            raise _Unreadable(result.issues[0].message)
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(page)
        verdict = "valid" if result.valid else "invalid"
        n_err, n_warn = len(result.errors), len(result.warnings)
        click.echo(f"wrote {output}: {verdict}, {n_err} error(s), {n_warn} warning(s)")
        sys.exit(result.exit_code)

    return report


def make_validate_command(convention: Convention) -> click.Command:
    """Build the ``validate`` command of a convention's CLI.

    Parameters
    ----------
    convention
        The convention: its validator, the first part of the help text and its own options.

    Returns
    -------
    click.Command
        ``validate TARGET [--format text|json] [own options] [--strict]
        [--storage-option KEY=VALUE ...]``: the report on standard output, exit code 0
        valid, 1 invalid, 2 unreadable (then also one error line on standard error).
    """

    def validate(
        target: str,
        output_format: str,
        strict: bool,
        storage_options: tuple[str, ...],
        **extra: Any,
    ) -> None:
        options = parse_storage_options(storage_options)
        report = guarded_report(
            target,
            lambda: convention.validate(target, strict=strict, storage_options=options, **extra),
        )
        emit_report(report, output_format)

    command: Callable[..., Any] = strict_option(storage_option(validate))
    for option in reversed(convention.validate_options):
        command = option(command)
    command = format_option(click.argument("target")(command))
    return click.command(
        name="validate",
        help=f"{convention.validate_help} {_SHARED_TARGETS} Each issue names its rule and "
        f"clause (see the rules command). {_VALIDATE_EXIT_CODES}",
    )(command)


def make_cli(convention: Convention) -> ConventionGroup:
    """Build a convention's command group with the shared commands.

    Parameters
    ----------
    convention
        The convention.

    Returns
    -------
    ConventionGroup
        The group named :attr:`~ngff_geozarr.core.convention.Convention.command`, with
        ``--version`` and the ``validate``, ``info``, ``report`` and ``rules`` commands;
        the convention adds its own commands to it.
    """
    group = ConventionGroup(name=convention.command, help=convention.summary)
    click.version_option(package_name="ngff-geozarr")(group)
    group.add_command(make_validate_command(convention))
    group.add_command(
        make_info_command(
            convention.detect, convention.discover, convention.label, convention.describe
        )
    )
    group.add_command(make_report_command(convention.build_report, convention.title))
    group.add_command(make_rules_command(convention.registry, convention.name))
    return group


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
        ``"text"`` for people, ``"json"`` for the JSON contract on standard output.

    Raises
    ------
    click.ClickException
        When the target could not be read (exit code 2): the error policy prints its one
        line on standard error, in both formats.
    """
    if output_format == "json":
        click.echo(report.to_json())
    else:
        report.render_text(console_for_output())
    if not report.readable:
        raise _Unreadable(report.issues[0].message)
    sys.exit(report.exit_code)


def run_guarded(cli: click.Command, args: list[str] | None = None) -> NoReturn:
    """Run a click command; every failure becomes one line on stderr and exit code 2.

    Parameters
    ----------
    cli
        The command (group) to run. The error lines start with its name when it is a
        :class:`ConventionGroup`, else with the program's name.
    args
        The arguments; ``sys.argv[1:]`` when omitted.
    """
    if isinstance(cli, ConventionGroup) and cli.name:
        name = cli.name
    else:
        name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "ngff-geozarr"
    _guard(lambda: cli.main(args=args, standalone_mode=False), name)


def fail(command: str, message: str) -> NoReturn:
    """Print the one error line of a failure and exit with code 2.

    Parameters
    ----------
    command
        The console command (``"ngff"``, ``"geozarr"``).
    message
        What went wrong, one sentence.

    Raises
    ------
    SystemExit
        Always, with code 2.
    """
    click.echo(f"{command}: error: {message}", err=True)
    raise SystemExit(EXIT_UNREADABLE)


class _Unreadable(click.ClickException):
    exit_code = EXIT_UNREADABLE


def _guard(run: Callable[[], Any], name: str) -> NoReturn:
    """Run ``run`` (a non-standalone click ``main``) under the one error policy."""
    try:
        code = run()
    except SystemExit as exc:
        raise SystemExit(exc.code) from None
    except click.exceptions.Abort:
        fail(name, "aborted.")
    except click.ClickException as exc:
        fail(name, exc.format_message())
    except NgffGeozarrError as exc:
        fail(name, str(exc))
    except KeyboardInterrupt:
        fail(name, "interrupted.")
    except Exception as exc:
        if (full := out_of_space(exc)) is not None:
            fail(name, full)
        if os.environ.get(_DEBUG_VARIABLE):
            raise
        fail(name, unexpected(exc))
    raise SystemExit(code if isinstance(code, int) else EXIT_VALID)
