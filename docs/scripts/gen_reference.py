"""Generate the reference pages that are derived from the code: CLI help and the rules table.

Run ``python docs/scripts/gen_reference.py`` after changing a command or a rule; the test
suite fails when the committed pages differ from what this script writes.

- ``docs/reference/cli.md``: the help text of every ``ngff`` and ``geozarr`` command.
- ``docs/reference/rules.md``: every rule id found in the source (as a string literal, or an
  f-string whose placeholders are shown as ``{name}``), with the convention versions it
  applies to (from the module that reports it) and what it ensures (the first line of the
  docstring of the function that reports it).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
_RULE = re.compile(r"^(ngff|geozarr|zarr|target)(\.[a-z0-9{}_:-]+)+$")
# The hierarchy reader's rules are reported by shared helpers whose docstrings say how, not
# what; their descriptions are kept here (dynamic ids expanded).
ZARR_RULES = {
    "target.unreadable": "The target could not be read at all (exit code 2).",
    "zarr.metadata.malformed-json": "A metadata document is not valid JSON.",
    "zarr.metadata.not-utf8": "A metadata document is not UTF-8 text.",
    "zarr.metadata.too-large": "A metadata document is over 16 MiB (128 MiB when it holds "
    "consolidated metadata); it is not parsed.",
    "zarr.metadata.too-deep": "A metadata document nests JSON deeper than 256 levels.",
    "zarr.metadata.not-an-object": "A metadata document is not a JSON object.",
    "zarr.metadata.invalid": "Array metadata with missing fields or wrong types.",
    "zarr.metadata.unknown-key": "A key that Zarr v2 array metadata does not define (warning).",
    "zarr.metadata.missing": "A Zarr v2 `.zattrs` with no `.zgroup` or `.zarray` beside it.",
    "zarr.metadata.ambiguous-node": "Both `.zarray` and `.zgroup` in one place.",
    "zarr.consolidated.invalid": "Consolidated metadata of the wrong shape.",
    "zarr.consolidated.stale": "Consolidated metadata that disagrees with the nodes' own "
    "documents (checked where listing is free: local, zip and memory stores); the documents "
    "are validated (warning).",
    "zarr.format.mixed": "A root holding both Zarr v3 and v2 documents (warning).",
    "zarr.array.shape-overflow": "More elements than a 64-bit index addresses (warning).",
    "zarr.path.unsafe": "A key or reference that would leave the store root: refused.",
    "zarr.hierarchy.unlistable": "Groups the store will not list; their children were found "
    "through metadata references only (warning).",
    "zarr.hierarchy.truncated": "More than 200,000 nodes: reading stopped there (warning).",
    "zarr.store.read-failed": "The store failed a request for one node.",
}


def _literal(node: ast.expr) -> str | None:
    """Return the text of a string literal or f-string, placeholders shown as ``{name}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                inner = ast.unparse(value.value)
                parts.append("zarr" if inner == "_RULE" else "{" + inner.split(".")[-1] + "}")
        return "".join(parts)
    return None


def _applies_to(path: Path) -> str:
    parts = path.relative_to(SRC).parts
    if parts[0] == "ngff":
        versions = {"v04": "0.4", "v05": "0.5", "v06": "0.6"}
        return versions.get(parts[1], "0.4, 0.5, 0.6") if len(parts) > 2 else "0.4, 0.5, 0.6"
    if parts[0] == "geozarr":
        if len(parts) > 2:
            return {"cf": "CF", "conventions": "Zarr conventions", "legacy": "GeoZarr v0.4"}.get(
                parts[1], parts[1]
            )
        return "all profiles"
    return "Zarr v2 and v3"


def collect_rules() -> dict[str, dict[str, tuple[str, str]]]:
    """Map convention -> rule id -> (applies to, what it ensures)."""
    found: dict[str, dict[str, tuple[list[str], list[str]]]] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            doc = (ast.get_docstring(func) or "").strip().splitlines()
            what = doc[0] if doc else ""
            for node in ast.walk(func):
                text = _literal(node) if isinstance(node, ast.expr) else None
                if text is None or not _RULE.match(text) or text.endswith((".py", ".json")):
                    continue
                convention = text.split(".", 1)[0]
                if convention in ("zarr", "target"):
                    continue
                found.setdefault(convention, {}).setdefault(text, ([], []))
                places, whats = found[convention][text]
                places.append(_applies_to(path))
                whats.append(what)
    rules: dict[str, dict[str, tuple[str, str]]] = {}
    for convention, entries in found.items():
        for rule, (places, whats) in entries.items():
            versions = sorted({v for p in places for v in p.split(", ")})
            rules.setdefault(convention, {})[rule] = (
                ", ".join(versions),
                next((w for w in whats if w), ""),
            )
    for rule, what in ZARR_RULES.items():
        rules.setdefault(rule.split(".", 1)[0], {})[rule] = ("Zarr v2 and v3", what)
    return rules


def rules_page() -> str:
    """Return the rules table, as Markdown."""
    titles = {
        "target": "Targets",
        "zarr": "Zarr (reading any hierarchy)",
        "ngff": "OME-Zarr",
        "geozarr": "GeoZarr and CF",
    }
    lines = [
        "# Rules",
        "",
        "Every rule id the validators and the hierarchy reader report, generated from the source",
        "by `docs/scripts/gen_reference.py`. `{name}` stands for a part filled in when the rule",
        "is reported (for example `ngff.multiscales.{type}-length` is reported as",
        "`ngff.multiscales.scale-length`). Severity depends on the clause: MUST is an error,",
        "SHOULD a warning (an error under `ngff validate --strict`).",
        "",
    ]
    rules = collect_rules()
    for convention in ("target", "zarr", "ngff", "geozarr"):
        if convention not in rules:
            continue
        lines += [f"## {titles[convention]}", "", "| rule | applies to | what it checks |"]
        lines.append("| --- | --- | --- |")
        for rule, (applies, what) in sorted(rules[convention].items()):
            cell = what.replace("|", "\\|")
            lines.append(f"| `{rule}` | {applies} | {cell} |")
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
                with click.Context(command, info_name=f"{name} {sub}", parent=ctx) as sub_ctx:
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
