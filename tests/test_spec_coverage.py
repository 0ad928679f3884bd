"""The spec coverage tables (docs/reference/coverage): cited rules exist, totals add up."""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).parents[1]
COVERAGE = ROOT / "docs" / "reference" / "coverage"
PAGES = sorted(p.name for p in COVERAGE.glob("*.md") if p.name != "index.md")
LEVELS = {"MUST", "MUST NOT", "SHOULD", "SHOULD NOT"}
GROUPS = ("checked", "partly checked", "gaps", "not checkable")
_ROW = re.compile(r"^\| (\d+) \|")
_CELL = re.compile(r"(?<!\\)\|")
_TICKED = re.compile(r"`([^`]+)`")
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def rule_checker() -> Callable[[str], bool]:
    """Return a test of whether a rule id is declared in a rule registry.

    An id cited with a placeholder (``ngff.multiscales.{type}-length``) stands for the ids
    it produces: it exists when at least one declared id fills it in.
    """
    from geozarr.rules import REGISTRY as GEOZARR
    from ngff.rules import REGISTRY as NGFF

    declared = {rule.id for registry in (NGFF, GEOZARR) for rule in registry}

    def exists(rule: str) -> bool:
        if rule in declared:
            return True
        if not _PLACEHOLDER.search(rule):
            return False
        pattern = re.compile(
            "".join(
                "(.+)" if _PLACEHOLDER.fullmatch(part) else re.escape(part)
                for part in re.split(f"({_PLACEHOLDER.pattern})", rule)
            )
        )
        return any(pattern.fullmatch(known) for known in declared)

    return exists


RULE_EXISTS = rule_checker()


def table_rows(page: str) -> list[list[str]]:
    """Return the cells of each numbered table row of a coverage page."""
    rows = []
    for line in (COVERAGE / page).read_text(encoding="utf-8").splitlines():
        if _ROW.match(line):
            cells = [c.strip() for c in _CELL.split(line.strip())[1:-1]]
            assert len(cells) == 6, f"{page}: a row needs 6 cells: {line[:80]}"
            rows.append(cells)
    return rows


def group(rules: str, note: str) -> str:
    """Tell which total a row counts in (see the index page)."""
    gap = "**gap**" in note
    if rules:
        return "partly checked" if gap else "checked"
    return "gaps" if gap else "not checkable"


def index_totals() -> dict[str, dict[str, int]]:
    """Return the totals the index page states, by page."""
    totals = {}
    for line in (COVERAGE / "index.md").read_text(encoding="utf-8").splitlines():
        link = re.match(r"^\| \[[^\]]+\]\(([^)]+\.md)\) \|(.*)\|$", line)
        if link:
            numbers = [int(c) for c in link.group(2).split("|")]
            totals[link.group(1)] = dict(zip(("sentences", *GROUPS), numbers, strict=True))
    return totals


def test_rule_checker_tells_real_ids_from_made_up_ones() -> None:
    assert RULE_EXISTS("ngff.axes.unique-names")
    assert RULE_EXISTS("ngff.multiscales.{type}-length")  # the template itself
    assert RULE_EXISTS("ngff.multiscales.scale-length")  # filled in from the same module
    assert RULE_EXISTS("zarr.metadata.malformed-json")  # f"{_RULE}.metadata.{rule}"
    assert not RULE_EXISTS("ngff.axes.no-such-rule")
    assert not RULE_EXISTS("ngff.multiscales.no-such-type-length")


@pytest.mark.parametrize("page", PAGES)
def test_every_cited_rule_exists(page: str) -> None:
    rows = table_rows(page)
    assert rows, f"{page} has no table rows"
    unknown = [
        (row[0], rule) for row in rows for rule in _TICKED.findall(row[4]) if not RULE_EXISTS(rule)
    ]
    assert not unknown, f"{page}: rules cited that the source does not define: {unknown}"


@pytest.mark.parametrize("page", PAGES)
def test_every_row_is_mapped(page: str) -> None:
    sections: list[list[int]] = [[]]
    for line in (COVERAGE / page).read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            sections.append([])
        elif _ROW.match(line):
            sections[-1].append(int(line.split("|")[1]))
    for numbers in (s for s in sections if s):
        assert numbers == list(range(1, len(numbers) + 1)), f"{page}: rows not numbered 1..n"
    for number, section, sentence, level, rules, note in table_rows(page):
        where = f"{page} row {number}"
        assert sentence, f"{where}: no sentence"
        assert section, f"{where}: no section"
        assert level in LEVELS, f"{where}: level {level!r}"
        assert rules or note, f"{where}: neither a rule nor a reason"
        assert not rules or _TICKED.sub("", rules).strip(" ,") == "", f"{where}: {rules!r}"


def test_index_lists_every_page_with_its_totals() -> None:
    totals = index_totals()
    assert sorted(totals) == PAGES
    for page in PAGES:
        rows = table_rows(page)
        counted = Counter(group(row[4], row[5]) for row in rows)
        actual = {"sentences": len(rows), **{g: counted[g] for g in GROUPS}}
        assert totals[page] == actual, f"index.md totals for {page}"


def test_coverage_pages_are_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in ("index.md", *PAGES):
        assert f"reference/coverage/{page}" in nav, f"{page} is not in mkdocs.yml nav"


def _spec_sentences() -> ModuleType:
    path = ROOT / "docs" / "scripts" / "spec_sentences.py"
    spec = importlib.util.spec_from_file_location("spec_sentences", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sentence_lister_finds_requirements_outside_code(tmp_path: Path) -> None:
    text = tmp_path / "spec.md"
    text.write_text(
        "# Axes\n\nEach axis MUST have a name. It MAY have a unit.\n"
        "The unit SHOULD NOT be empty (e.g. Use `m`).\n\n"
        '```json\n{"note": "this MUST be skipped"}\n```\n\n'
        "## shape\n\n* **Required**: Yes\n* **Required**: No\n\n"
        "```{hint}\nWriters SHOULD write it.\n```\n",
        encoding="utf-8",
    )
    rows = _spec_sentences().extract(text)
    assert rows == [
        (1, "Axes", "Each axis MUST have a name.", "MUST"),
        (2, "Axes", "The unit SHOULD NOT be empty (e.g. Use `m`).", "SHOULD NOT"),
        (3, "shape", "**Required**: Yes", "MUST"),
        (4, "shape", "Writers SHOULD write it.", "SHOULD"),
    ]


def test_sentence_lister_reads_cf_lower_case(tmp_path: Path) -> None:
    text = tmp_path / "ch.adoc"
    text.write_text(
        "== Units\n\nThe units attribute is required for all variables. Names should be short.\n"
        "----\nthis must be skipped\n----\n",
        encoding="utf-8",
    )
    module = _spec_sentences()
    assert module.extract(text) == []
    assert module.extract(text, lower=True) == [
        (1, "Units", "The units attribute is required for all variables.", "MUST"),
        (2, "Units", "Names should be short.", "SHOULD"),
    ]
