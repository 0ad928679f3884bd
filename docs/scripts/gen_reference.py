"""Generate the reference pages that are derived from the code: CLI help and the rules table.

Run ``python docs/scripts/gen_reference.py`` after changing a command or a rule; the test
suite fails when the committed pages differ from what this script writes.

- ``docs/reference/cli.md``: the help text of every ``ngff`` and ``geozarr`` command.
- ``docs/reference/rules.md``: every rule of the registries the validators report through
  (:mod:`ngff.rules`, :mod:`geozarr.rules`, and the hierarchy reader's rules in
  :mod:`ngff_geozarr.core.rules`), with its level, severity under each profile, where it
  applies, the clause it enforces and what it checks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[2]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def rules_page() -> str:
    """Return the rules table, as Markdown, from the rule registries."""
    from geozarr.rules import REGISTRY as GEOZARR
    from ngff.rules import REGISTRY as NGFF
    from ngff_geozarr.core.rules import READER_RULES

    reader = {r.id for r in READER_RULES}
    sections = [
        ("Targets and Zarr (reading any hierarchy)", list(READER_RULES), "Zarr format"),
        ("OME-Zarr (`ngff validate`)", [r for r in NGFF if r.id not in reader], "versions"),
        ("GeoZarr and CF (`geozarr validate`)", [r for r in GEOZARR if r.id not in reader],
         "profiles"),
    ]  # fmt: skip
    lines = [
        "# Rules",
        "",
        "Every rule the validators and the hierarchy reader report, generated from the rule",
        "registries (`ngff rules --format json`, `geozarr rules --format json` print the same",
        "data) by `docs/scripts/gen_reference.py`. A rule's level is the keyword of the clause",
        "it enforces: MUST is an error; SHOULD a warning, an error under `--strict` (both",
        "`ngff validate` and `geozarr validate`); ADVICE (a MAY, a pitfall readers trip over, a",
        "part that could not be checked) is always a warning. A rule with two levels reports",
        "its weaker one in the case its description names.",
        "",
    ]
    for title, rules, applies in sections:
        lines += [f"## {title}", "", f"| rule | level | {applies} | what it checks | clause |"]
        lines.append("| --- | --- | --- | --- | --- |")
        for rule in sorted(rules, key=lambda r: r.id):
            level = "/".join(lv.value for lv in rule.levels)
            clause = rule.clause.section
            if rule.clause.url:
                clause = f"[{clause}]({rule.clause.url})"
            if rule.clause.quote:
                clause += f': "{rule.clause.quote}"'
            lines.append(
                f"| `{rule.id}` | {level} | {', '.join(rule.versions)} | "
                f"{_cell(rule.description)} | {_cell(clause)} |"
            )
        lines.append("")
    return "\n".join(lines)


def cli_page() -> str:
    """Return the help of every command, as Markdown."""
    from geozarr.cli import cli as geozarr_cli
    from ngff.cli import cli as ngff_cli

    lines = ["# Command line", ""]
    for name, group in (("ngff", ngff_cli), ("geozarr", geozarr_cli)):
        lines += [f"## `{name}`", ""]
        with click.Context(group, info_name=name, terminal_width=100) as ctx:
            lines += ["```text", group.get_help(ctx), "```", ""]
            assert isinstance(group, click.Group)
            for sub in group.list_commands(ctx):
                command = group.get_command(ctx, sub)
                assert command is not None
                with click.Context(command, info_name=sub, parent=ctx) as sub_ctx:
                    lines += [f"### `{name} {sub}`", "", "```text", command.get_help(sub_ctx)]
                    lines += ["```", ""]
    return "\n".join(lines)


PAGES = {"reference/cli.md": cli_page, "reference/rules.md": rules_page}


def main() -> int:
    """Write the pages."""
    for name, make in PAGES.items():
        (ROOT / "docs" / name).write_text(make())
    return 0


if __name__ == "__main__":
    sys.exit(main())
