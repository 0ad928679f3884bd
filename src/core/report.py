"""Validation issues and reports, rendered as text or as the JSON contract.

Every check in the toolkit reports what it finds as an :class:`Issue`; a :class:`Report`
collects the issues of one target. The JSON form is a contract other tools rely on::

    {"target": str, "valid": bool, "convention": str | null, "version": str | null,
     "node_type": str | null,
     "issues": [{"severity": "error" | "warning", "rule": str, "path": str,
                 "pointer": str, "message": str}]}

Two keys are added only when they apply: ``"verdict": "incomplete"`` when some nodes could
not be read (after the remote policy's retries, or refused by the store; each is a
``zarr.store.unreadable`` issue), and
``"retries": int`` when remote requests had to be tried again.

``path`` is the node's path inside the store (``""`` for the root). ``pointer`` is an RFC 6901
JSON pointer into the node's document in the uniform form used throughout the toolkit: array
metadata keys at the top level (``/shape``, ``/chunk_grid``; ``/dtype`` in Zarr v2) and the
user attributes under ``/attributes`` (``/attributes/ome/multiscales/0``), whatever the Zarr
format stores them in (``zarr.json`` or ``.zarray`` + ``.zattrs``). ``""`` points at the whole
node.

Exit codes: 0 valid (warnings allowed), 1 invalid, 2 the target could not be read at all,
3 incomplete (some nodes could not be read: the verdict is not final; never 0, and a defect
is never derived from a node that was not read).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.text import Text

__all__ = [
    "EXIT_INCOMPLETE",
    "EXIT_INVALID",
    "EXIT_UNREADABLE",
    "EXIT_VALID",
    "UNREADABLE_NODE_RULE",
    "UNREADABLE_RULE",
    "Issue",
    "Report",
    "Severity",
    "format_issue",
    "json_pointer",
    "short_json",
]

EXIT_VALID = 0
"""Exit code of a valid target (warnings allowed)."""
EXIT_INVALID = 1
"""Exit code of a target with at least one error."""
EXIT_UNREADABLE = 2
"""Exit code of a target that could not be read at all."""
EXIT_INCOMPLETE = 3
"""Exit code of a target of which some nodes could not be read (after retries)."""

UNREADABLE_RULE = "target.unreadable"
"""Rule id of the single issue in the report of a target that could not be read."""
UNREADABLE_NODE_RULE = "zarr.store.unreadable"
"""Rule id of a node that could not be read (after retries): the report is incomplete."""


class Severity(StrEnum):
    """How serious an issue is: errors make a target invalid, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


def json_pointer(*parts: str | int) -> str:
    """Build an RFC 6901 JSON pointer from its reference tokens.

    Parameters
    ----------
    *parts
        Object keys and array indices, outermost first.

    Returns
    -------
    str
        The pointer; ``""`` when no part is given (the whole document).

    Examples
    --------
    >>> json_pointer("attributes", "ome", "multiscales", 0)
    '/attributes/ome/multiscales/0'
    >>> json_pointer("attributes", "proj:code", "a/b~c")
    '/attributes/proj:code/a~1b~0c'
    """
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def short_json(value: Any, width: int = 80) -> str:
    """Render a value as JSON for a message, cut to ``width`` characters.

    Parameters
    ----------
    value
        The value, usually what the input held where a problem was found.
    width
        The longest rendering returned; longer ones end in ``...``.

    Returns
    -------
    str
        The JSON text (``repr`` for values JSON cannot encode).

    Examples
    --------
    >>> short_json("10")
    '"10"'
    >>> short_json(list(range(100)), width=20)
    '[0, 1, 2, 3, 4, 5...'
    """
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a target.

    Parameters
    ----------
    severity
        :attr:`Severity.ERROR` for a broken requirement (MUST), :attr:`Severity.WARNING` for
        a recommendation (SHOULD) or a quirk readers tolerate.
    rule
        Stable rule id, dotted, convention first (``zarr.metadata.malformed-json``).
    path
        The node's path inside the store, ``""`` for the root.
    pointer
        JSON pointer into the node's document (see the module docstring).
    message
        One or two sentences saying what is wrong, shaped "Expected X. Got Y." where it fits.
    reference
        The spec clause the rule enforces (section name or URL); shown in text and HTML
        output, not part of the JSON contract.
    """

    severity: Severity
    rule: str
    path: str
    pointer: str
    message: str
    reference: str | None = None

    @classmethod
    def error(
        cls, rule: str, path: str, pointer: str, message: str, reference: str | None = None
    ) -> Issue:
        """Build an issue of severity error (a broken MUST); the other fields as for the class."""
        return cls(Severity.ERROR, rule, path, pointer, message, reference)

    @classmethod
    def warning(
        cls, rule: str, path: str, pointer: str, message: str, reference: str | None = None
    ) -> Issue:
        """Build an issue of severity warning (a SHOULD, or a quirk readers tolerate).

        The other fields are as for :class:`Issue`.
        """
        return cls(Severity.WARNING, rule, path, pointer, message, reference)

    def to_dict(self) -> dict[str, str]:
        """Return the issue in the form of the JSON contract.

        Returns
        -------
        dict of str to str
            Keys ``severity``, ``rule``, ``path``, ``pointer`` and ``message``.
        """
        return {
            "severity": self.severity.value,
            "rule": self.rule,
            "path": self.path,
            "pointer": self.pointer,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The issues found in one target, with what was recognised in it.

    Parameters
    ----------
    target
        The target as the user named it.
    issues
        Every issue found, in the order the checks ran.
    convention
        The convention the target was checked against (``"ome-zarr"``, ``"geozarr"``), if any.
    version
        The convention version seen in the metadata, as written there.
    node_type
        The kind of node at the target's root (``"image"``, ``"plate"``, ``"group"``, ...).
    readable
        False when the target could not be read at all; the report then holds one issue
        saying why, and :attr:`exit_code` is 2.
    retries
        How many remote requests had to be tried again while the target was read.
    """

    target: str
    issues: tuple[Issue, ...] = ()
    convention: str | None = None
    version: str | None = None
    node_type: str | None = None
    readable: bool = True
    retries: int = 0

    @classmethod
    def unreadable(cls, target: str, message: str) -> Report:
        """Build the report of a target that could not be read at all.

        Parameters
        ----------
        target
            The target as the user named it.
        message
            One line saying why it could not be read.

        Returns
        -------
        Report
            An invalid report with a single ``target.unreadable`` error and exit code 2.
        """
        issue = Issue(Severity.ERROR, UNREADABLE_RULE, "", "", message)
        return cls(target=target, issues=(issue,), readable=False)

    @property
    def errors(self) -> tuple[Issue, ...]:
        """The issues of severity error."""
        return tuple(i for i in self.issues if i.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """The issues of severity warning."""
        return tuple(i for i in self.issues if i.severity is Severity.WARNING)

    @property
    def unread(self) -> tuple[str, ...]:
        """The paths of the nodes that could not be read (``zarr.store.unreadable`` issues)."""
        return tuple(dict.fromkeys(i.path for i in self.issues if i.rule == UNREADABLE_NODE_RULE))

    @property
    def incomplete(self) -> bool:
        """True when the target was read but some of its nodes could not be."""
        return self.readable and bool(self.unread)

    @property
    def valid(self) -> bool:
        """True when the target was read whole and no issue is an error."""
        return self.readable and not self.errors and not self.incomplete

    @property
    def verdict(self) -> str:
        """``"valid"``, ``"invalid"``, ``"incomplete"`` or ``"unreadable"``."""
        if not self.readable:
            return "unreadable"
        if self.incomplete:
            return "incomplete"
        return "valid" if self.valid else "invalid"

    @property
    def exit_code(self) -> int:
        """0 valid, 1 invalid, 2 unreadable, 3 incomplete."""
        if not self.readable:
            return EXIT_UNREADABLE
        if self.incomplete:
            return EXIT_INCOMPLETE
        return EXIT_VALID if self.valid else EXIT_INVALID

    def with_issues(self, issues: Iterable[Issue]) -> Report:
        """Return a copy with more issues appended.

        Parameters
        ----------
        issues
            The issues to append.

        Returns
        -------
        Report
            A new report; this one is unchanged.
        """
        return replace(self, issues=(*self.issues, *issues))

    def to_dict(self) -> dict[str, Any]:
        """Return the report in the form of the JSON contract.

        Returns
        -------
        dict
            ``target``, ``valid``, ``convention``, ``version``, ``node_type`` and ``issues``;
            ``verdict`` (``"incomplete"``) when some nodes could not be read, ``retries``
            when remote requests were tried again.
        """
        data: dict[str, Any] = {
            "target": self.target,
            "valid": self.valid,
            "convention": self.convention,
            "version": self.version,
            "node_type": self.node_type,
        }
        if self.incomplete:
            data["verdict"] = self.verdict
        if self.retries:
            data["retries"] = self.retries
        data["issues"] = [i.to_dict() for i in self.issues]
        return data

    def to_json(self, indent: int | None = 2) -> str:
        """Serialise :meth:`to_dict` as JSON text.

        Parameters
        ----------
        indent
            Indentation passed to :func:`json.dumps`; ``None`` for one line.

        Returns
        -------
        str
            The JSON document.
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def render_text(self, console: Console) -> None:
        """Print the report for a person: a verdict line, each issue in a few lines, a tally.

        Parameters
        ----------
        console
            Where to print. Messages are printed as plain text, never as rich markup.
        """
        console.print(_verdict_line(self))
        for issue in self.issues:
            for line in format_issue(issue):
                console.print(line)
        console.print(_tally(self.issues))
        if self.incomplete:
            console.print(
                f"incomplete: {len(self.unread)} node(s) could not be read; "
                "the verdict is not final (exit code 3)."
            )
        if self.retries:
            console.print(f"{self.retries} remote request(s) had to be tried again.")


def format_issue(issue: Issue) -> Sequence[Text]:
    """Lay one issue out in a few lines: severity and rule, where, what, which clause.

    Parameters
    ----------
    issue
        The issue to lay out.

    Returns
    -------
    sequence of rich.text.Text
        Two to four lines, without markup interpretation of the issue's text.
    """
    style = "bold red" if issue.severity is Severity.ERROR else "bold yellow"
    head = Text.assemble((f"{issue.severity.value:<7}", style), " ", (issue.rule, "bold"))
    where = Text.assemble("  at ", (f"/{issue.path}" if issue.path else "/ (root)", "cyan"))
    if issue.pointer:
        where.append("  ")
        where.append(issue.pointer, style="magenta")
    lines = [head, where, Text("  " + issue.message)]
    if issue.reference:
        lines.append(Text("  see " + issue.reference, style="dim"))
    return lines


def _verdict_line(report: Report) -> Text:
    if not report.readable:
        verdict, style = "UNREADABLE", "bold red"
    elif report.incomplete:
        verdict, style = "INCOMPLETE", "bold yellow"
    elif report.valid:
        verdict, style = "VALID", "bold green"
    else:
        verdict, style = "INVALID", "bold red"
    what = " ".join(p for p in (report.convention, report.version, report.node_type) if p)
    line = Text.assemble((verdict, style), " ", report.target)
    if what:
        line.append(f"  ({what})", style="dim")
    return line


def _tally(issues: Sequence[Issue]) -> Text:
    n_err = sum(1 for i in issues if i.severity is Severity.ERROR)
    n_warn = len(issues) - n_err
    return Text(f"{n_err} error{'s' * (n_err != 1)}, {n_warn} warning{'s' * (n_warn != 1)}")
