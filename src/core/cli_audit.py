"""The ``audit PREFIX`` command both conventions' CLIs have.

``ngff audit PREFIX`` / ``geozarr audit PREFIX`` find every store root under a local folder,
an ``s3://`` prefix or an HTTP listing (:func:`~ngff_geozarr.core.audit.find_roots`),
validate them concurrently (:func:`~ngff_geozarr.core.audit.audit`) and print one summary
table (root, kind, version, verdict, error and warning counts), or one JSON object per root
with ``--format jsonl``. The exit code is the worst verdict: 0 all valid, 1 one invalid, 2 one
unreadable; a prefix that cannot be listed, or holds no store root, is one error line and
exit code 2.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.table import Table

from ngff_geozarr.core.audit import AuditResult, audit, audit_exit_code, find_roots
from ngff_geozarr.core.cli import (
    console_for_output,
    parse_storage_options,
    storage_option,
    strict_option,
)
from ngff_geozarr.core.cli_readers import readers_option
from ngff_geozarr.core.convention import Convention
from ngff_geozarr.core.errors import TargetError

__all__ = ["make_audit_command"]

_STYLE = {"valid": "green", "invalid": "red", "unreadable": "magenta"}


def make_audit_command(convention: Convention, readers: tuple[str, ...] = ()) -> click.Command:
    """Build the ``audit`` command of a convention's CLI.

    Parameters
    ----------
    convention
        The convention: its validator and its name.
    readers
        The readers its ``validate --for`` takes (``audit --for`` takes the same).

    Returns
    -------
    click.Command
        ``audit PREFIX [--format text|jsonl] [--jobs N] [--for READER,...] [--strict]
        [--storage-option KEY=VALUE ...]``.
    """

    @click.command(
        name="audit",
        help=f"Find every Zarr store root under PREFIX (a folder, an s3:// prefix or an "
        f"http(s):// URL that lists directories) and validate each against {convention.title}, "
        "several at once; print one line per root (root, kind, version, verdict, errors, "
        "warnings), or one JSON object per root with --format jsonl. Exit 0 all valid, 1 one "
        "invalid, 2 one unreadable (or no root found).",
    )
    @click.argument("prefix")
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "jsonl"]),
        default="text",
        show_default=True,
    )
    @click.option(
        "--jobs",
        type=click.IntRange(min=1, max=256),
        default=8,
        show_default=True,
        help="Roots validated at once (one pool for all roots).",
    )
    @readers_option(readers)
    @strict_option
    @storage_option
    def command(
        prefix: str,
        output_format: str,
        jobs: int,
        readers: tuple[str, ...],
        strict: bool,
        storage_options: tuple[str, ...],
    ) -> None:
        options = parse_storage_options(storage_options)
        roots = find_roots(prefix, options)
        if not roots:
            raise TargetError(f"{prefix}: no Zarr store root found.")
        extra: dict[str, Any] = {"strict": strict, "storage_options": options}
        if readers:
            extra["readers"] = readers
        jsonl = output_format == "jsonl"

        def emit(result: AuditResult) -> None:
            if jsonl:
                click.echo(json.dumps(result.to_dict(), ensure_ascii=False))

        results = audit(roots, convention.validate, jobs=jobs, progress=emit, **extra)
        if not jsonl:
            _print_table(prefix, results)
        sys.exit(audit_exit_code(results))

    return command


def _print_table(prefix: str, results: list[AuditResult]) -> None:
    table = Table(title=f"audit of {prefix}", title_justify="left")
    for name in ("root", "kind", "version", "verdict", "errors", "warnings"):
        table.add_column(name, justify="right" if name in ("errors", "warnings") else "left")
    for result in results:
        row = result.to_dict()
        table.add_row(
            row["root"],
            row["kind"] or "",
            row["version"] or "",
            f"[{_STYLE[row['verdict']]}]{row['verdict']}[/]",
            str(row["errors"]),
            str(row["warnings"]),
        )
    console = console_for_output()
    console.print(table)
    counts = {v: sum(r.verdict == v for r in results) for v in _STYLE}
    console.print(
        f"{len(results)} roots: {counts['valid']} valid, {counts['invalid']} invalid, "
        f"{counts['unreadable']} unreadable"
    )
