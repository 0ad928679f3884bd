"""List the normative sentences of a spec text, as rows for a coverage table.

A helper for the spec coverage pages in ``docs/reference/coverage/``: it finds every
sentence carrying a requirement keyword and prints one Markdown table row per sentence
(``| # | section | sentence | level | | |``) with the rule and note columns left empty.
The pages are written from this output and then reviewed and mapped by hand, sentence by
sentence; rerun it on a new spec version and diff the sentence column to see what changed.

Usage::

    python docs/scripts/spec_sentences.py SPEC.md            # Markdown, MyST, bikeshed
    python docs/scripts/spec_sentences.py --lower ch05.adoc  # AsciiDoc (CF): also must/should

Only the standard library is used; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

__all__ = ["Sentence", "extract", "main"]

_UPPER = re.compile(r"\b(MUST NOT|MUST|SHOULD NOT|SHOULD|REQUIRED|SHALL NOT|SHALL|RECOMMENDED)\b")
_LOWER = re.compile(r"\b(must not|must|should not|should|is required|are required|shall)\b")
_LEVELS = (
    ("MUST NOT", ("MUST NOT", "SHALL NOT", "must not")),
    ("MUST", ("MUST", "REQUIRED", "SHALL", "must", "is required", "are required", "shall")),
    ("SHOULD NOT", ("SHOULD NOT", "should not")),
    ("SHOULD", ("SHOULD", "RECOMMENDED", "should")),
)
_REQUIRED_FIELD = re.compile(
    r"^\s*[*-]\s+\*\*Required\*\*:\s*(?:&#10003;\s*|✓\s*)?((?:Yes|Conditional).*)$"
)
_REQUIRED_ROW = re.compile(r"^\|\s*([^|]*?)\s*\|.*\|\s*(?:&#10003;|✓)\s*(Yes[^|]*?)\s*\|")
_REQUIRED_MARK = re.compile(r"\*\*Required\*\*: (Yes|Conditional)")
_PROSE_DIRECTIVE = re.compile(
    r"^`{3,}\{(hint|note|warning|tip|important|admonition|attention|caution|seealso)\}"
)
_HEADING_MD = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_HEADING_ADOC = re.compile(r"^(={1,6})\s+(.*?)\s*$")
_ITEM = re.compile(r"^\s*([-*+]|\d+\.|\*+|\.+)\s+")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SPLIT = re.compile(r"(?<![ (]e\.g\.)(?<![ (]i\.e\.)(?<=[.!?])\s+(?=[A-Z`\"(*_\[])")

Sentence = tuple[int, str, str, str]
"""One row: number, section, sentence, level."""


def _level(text: str, lower: bool) -> str | None:
    """Return the strongest requirement level ``text`` states, or ``None``."""
    found = set(_UPPER.findall(text))
    if lower:
        found |= set(_LOWER.findall(text))
    for level, words in _LEVELS:
        if found & set(words):
            return level
    return None


def _clean(text: str) -> str:
    """Collapse whitespace, keep link texts, and escape table pipes."""
    text = _LINK.sub(r"\1", text)
    text = re.sub(r"<<[^,>]*,\s*([^>]*)>>", r"\1", text)  # AsciiDoc cross references
    text = re.sub(r"<<([^>]*)>>", r"\1", text)
    text = text.replace("&#10003;", "✓")
    return re.sub(r"\s+", " ", text).strip().replace("|", "\\|")


def _units(lines: list[str], adoc: bool) -> list[tuple[str, str]]:
    """Split a text into (section, paragraph-or-list-item) units, skipping code blocks."""
    units: list[tuple[str, str]] = []
    section, buf, fence, directives = "", [], "", 0
    heading = _HEADING_ADOC if adoc else _HEADING_MD

    def flush() -> None:
        if buf:
            units.append((section, " ".join(buf)))
            buf.clear()

    for line in lines:
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            continue
        if _PROSE_DIRECTIVE.match(stripped):
            flush()  # a MyST admonition holds prose, normative sentences included
            directives += 1
            continue
        if stripped == "```" and directives:
            flush()
            directives -= 1
            continue
        if stripped.startswith(("```", "~~~")) or (adoc and stripped in ("----", "....")):
            flush()
            fence = stripped[:3] if not adoc or stripped.startswith("`") else stripped
            continue
        match = heading.match(line)
        if match:
            flush()
            section = _clean(match.group(2))
            continue
        if not stripped or (
            stripped.startswith(("<!--", "//", "[[", ":", "("))
            and stripped.endswith((")=", "]]", "-->"))
        ):
            flush()
            continue
        required = _REQUIRED_FIELD.match(line)
        if required:
            flush()
            units.append((section, "**Required**: " + required.group(1)))
            continue
        row = _REQUIRED_ROW.match(stripped)
        if row:
            flush()
            units.append((section, f"{row.group(1)}: **Required**: {row.group(2)}"))
            continue
        if _ITEM.match(line) or stripped.startswith("|"):
            flush()
            stripped = _ITEM.sub("", line).strip()  # the list marker is not part of the text
        buf.append(stripped)
    flush()
    return units


def extract(path: Path, lower: bool = False) -> list[Sentence]:
    """Return the normative sentences of the spec text at ``path``.

    Parameters
    ----------
    path
        A Markdown, MyST, bikeshed or AsciiDoc (``.adoc``) spec text.
    lower
        Also count lower-case ``must`` / ``should`` (CF writes its requirements so).

    Returns
    -------
    list of Sentence
        Numbered rows in document order.
    """
    adoc = path.suffix == ".adoc"
    rows: list[Sentence] = []
    for section, unit in _units(path.read_text(encoding="utf-8").splitlines(), adoc):
        for sentence in _SPLIT.split(unit):
            level = "MUST" if _REQUIRED_MARK.search(sentence) else _level(sentence, lower)
            if level:
                rows.append((len(rows) + 1, section, _clean(sentence), level))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the table rows for each file named on the command line.

    Parameters
    ----------
    argv
        Command line arguments (``sys.argv[1:]`` when ``None``).

    Returns
    -------
    int
        The exit code.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--lower", action="store_true", help="also lower-case must/should")
    args = parser.parse_args(argv)
    for path in args.files:
        if not path.is_file():
            print(f"spec_sentences: error: no such file: {path}", file=sys.stderr)
            return 2
        for number, section, sentence, level in extract(path, args.lower):
            print(f"| {number} | {section} | {sentence} | {level} | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
