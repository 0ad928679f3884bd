"""The ``fix TARGET`` command both conventions' CLIs have.

``ngff fix TARGET`` / ``geozarr fix TARGET`` plan the repairs of the metadata defects the
validator reports (:func:`~ngff_geozarr.core.fix.plan_fixes`) and print them with a diff of
every document that changes: exit 0 when there is nothing to repair, 1 when there is. With
``--apply`` the repairs are written through the conversion journal
(:func:`~ngff_geozarr.core.fix.apply_fixes`): a failure leaves the old metadata, a kill the
journal that the next ``fix --apply`` completes; exit 0. A target that cannot be read, or
``--apply`` on a store that cannot be changed in place (HTTP, zip), is one error line and
exit code 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping

import click

from ngff_geozarr.core.cli import (
    console_for_output,
    format_option,
    parse_storage_options,
    storage_option,
)
from ngff_geozarr.core.convention import Convention
from ngff_geozarr.core.fix import Fixer, FixPlan, apply_fixes, plan_fixes

__all__ = ["make_fix_command"]


def make_fix_command(convention: Convention, fixers: Mapping[str, Fixer]) -> click.Command:
    """Build the ``fix`` command of a convention's CLI.

    Parameters
    ----------
    convention
        The convention: its validator, discovery and command name.
    fixers
        Its repairs, by the rule id they repair.

    Returns
    -------
    click.Command
        ``fix TARGET [--apply] [--format text|json] [--storage-option KEY=VALUE ...]``.

    Raises
    ------
    ValueError
        When a repair is keyed by a rule the convention's registry does not declare.
    """
    undeclared = [rule for rule in fixers if rule not in convention.registry]
    if undeclared:
        raise ValueError(f"repairs of undeclared rules: {', '.join(undeclared)}")
    rules = ", ".join(["zarr.consolidated.stale", *fixers])

    @click.command(
        name="fix",
        help=f"Repair the {convention.title} metadata defects validate reports that have one "
        f"safe repair ({rules}). Without --apply, print the repairs and a diff of the "
        "documents they change, writing nothing: exit 0 nothing to repair, 1 repairs to "
        "make. With --apply, write them in place through the conversion journal (a failure "
        "leaves the old metadata; after a kill, rerun to complete); chunks are never written; "
        "exit 0. TARGET is a store; --apply takes a local directory or an s3:// prefix.",
    )
    @click.argument("target")
    @click.option("--apply", "apply", is_flag=True, help="Write the repairs.")
    @format_option
    @storage_option
    def command(
        target: str, apply: bool, output_format: str, storage_options: tuple[str, ...]
    ) -> None:
        options = parse_storage_options(storage_options)
        common = {
            "validate": convention.validate,
            "fixers": fixers,
            "discover": convention.discover,
            "storage_options": options,
        }
        if not apply:
            plan = plan_fixes(target, **common)  # type: ignore[arg-type]
            _print(plan, output_format, applied=False, command=convention.command)
            sys.exit(0 if plan.empty else 1)
        plan, finished = apply_fixes(
            target,
            command=f"{convention.command} fix {target} --apply",
            **common,  # type: ignore[arg-type]
        )
        completed = None if finished is None else finished.description
        if completed is not None and output_format == "text":
            click.echo(f"completed the interrupted change of {target} ({completed}).")
        _print(plan, output_format, applied=True, command=convention.command, completed=completed)
        sys.exit(0)

    return command


def _print(
    plan: FixPlan, output_format: str, *, applied: bool, command: str, completed: str | None = None
) -> None:
    if output_format == "json":
        document = {**plan.to_dict(), "applied": applied, "completed": completed}
        click.echo(json.dumps(document, indent=2))
        return
    console = console_for_output()
    if plan.interrupted is not None:
        console.print(
            f"{plan.target} holds an interrupted change ({plan.interrupted.description}); "
            f"`{command} fix {plan.target} --apply` completes it, then repairs what is left."
        )
        return
    if not plan.repairs:
        console.print(f"{plan.target}: nothing to repair.")
    else:
        verb = "repair(s) made" if applied else "repair(s) to make"
        console.print(f"{plan.target}: {len(plan.repairs)} {verb}:")
        for repair in plan.repairs:
            where = repair.path or "/"
            console.print(f"  {repair.rule} at {where}: {repair.description}", markup=False)
        diff = plan.diff()
        if diff:
            console.print(diff.rstrip("\n"), markup=False, highlight=False)
        if plan.consolidate:
            console.print("  and the consolidated metadata written again.")
        if not applied:
            console.print(f"Run `{command} fix {plan.target} --apply` to write them.")
    if plan.unrepaired:
        console.print(
            f"{len(plan.unrepaired)} other issue(s) have no safe repair here (some may follow "
            f"from the ones repaired): `{command} validate {plan.target}` lists them."
        )
