"""Rules declared once: id, level, where they apply, the clause they enforce, what they check.

A :class:`Rule` is the single declaration of one rule id that a validator can report. Its
:class:`Level` is the keyword of the clause it enforces, and the profile maps it to a
severity (:meth:`Level.severity`):

========  ==========  =========
level     default     strict
========  ==========  =========
MUST      error       error
SHOULD    warning     error
ADVICE    warning     warning
========  ==========  =========

``ADVICE`` covers what no MUST or SHOULD says: a MAY, a pitfall readers trip over, a part of
the target that could not be checked. A :class:`RuleRegistry` holds the rules of one
command line; check contexts ask it the severity of every issue they build
(:meth:`RuleRegistry.severity`), so an id reported without a declaration is a programming
error (:class:`UnregisteredRuleError`), and the ``rules`` commands and the reference page list
the registry. This module knows no convention: each one declares its rules in its own
``rules`` module; the hierarchy reader's rules (``zarr.*``, ``target.*``) are
:data:`READER_RULES`.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Any

from ngff_geozarr.core.report import Severity

__all__ = [
    "READER_RULES",
    "Clause",
    "Level",
    "Rule",
    "RuleEntry",
    "RuleLevelError",
    "RuleRegistry",
    "UnregisteredRuleError",
    "load_rules",
    "package_text",
    "read_rule_table",
]


class Level(StrEnum):
    """The keyword of the clause a rule enforces."""

    MUST = "MUST"
    SHOULD = "SHOULD"
    ADVICE = "ADVICE"

    def severity(self, strict: bool) -> Severity:
        """Return the severity of an issue at this level under a profile.

        Parameters
        ----------
        strict
            Whether the strict profile applies (SHOULDs become errors).

        Returns
        -------
        Severity
            Error for MUST (and SHOULD under ``strict``), warning otherwise.

        Examples
        --------
        >>> Level.SHOULD.severity(strict=False).value, Level.SHOULD.severity(strict=True).value
        ('warning', 'error')
        """
        if self is Level.MUST or (strict and self is Level.SHOULD):
            return Severity.ERROR
        return Severity.WARNING


class UnregisteredRuleError(LookupError):
    """An issue was built with a rule id no registry declares (a programming error)."""


class RuleLevelError(ValueError):
    """A check reported a rule at a level its declaration does not allow (a programming error)."""


@dataclass(frozen=True, slots=True)
class Clause:
    """The part of a specification a rule enforces.

    Parameters
    ----------
    section
        The specification and section (``"OME-Zarr §multiscales"``, ``"CF-1.11 §5.6"``).
    quote
        The normative sentence, quoted from the spec text (``""`` when a link says it better).
    url
        Where the section is published (``""`` when the quote is enough).
    """

    section: str
    quote: str = ""
    url: str = ""

    def to_dict(self) -> dict[str, str]:
        """Return the clause as JSON-ready data.

        Returns
        -------
        dict of str to str
            ``section``, ``quote`` and ``url``.
        """
        return {"section": self.section, "quote": self.quote, "url": self.url}


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule, declared once.

    Parameters
    ----------
    id
        The stable, dotted rule id issues carry (``"ngff.axes.order"``).
    level
        The keyword of the clause it enforces.
    convention
        What it belongs to (``"zarr"``, ``"ome-zarr"``, ``"geozarr"``).
    versions
        The convention versions or profiles it applies to (``("0.4", "0.5", "0.6")``).
    nodes
        The kinds of node it is checked on (``("image",)``, ``("array",)``, ``("any",)``).
    clause
        The spec clause it enforces.
    description
        One line: what it ensures.
    also
        Other levels a check may report it at, for one id covering a MUST and a weaker
        clause (a recommendation, or a case readers tolerate); empty for most rules.
    """

    id: str
    level: Level
    convention: str
    versions: tuple[str, ...]
    nodes: tuple[str, ...]
    clause: Clause
    description: str
    also: tuple[Level, ...] = ()

    @property
    def levels(self) -> tuple[Level, ...]:
        """Every level the rule may be reported at, its own first."""
        return (self.level, *(lv for lv in self.also if lv is not self.level))

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as JSON-ready data (the ``rules --format json`` entry).

        Returns
        -------
        dict
            ``id``, ``level``, ``levels``, ``severity`` (``default`` and ``strict``),
            ``convention``, ``versions``, ``nodes``, ``clause`` and ``description``.
        """
        return {
            "id": self.id,
            "level": self.level.value,
            "levels": [lv.value for lv in self.levels],
            "severity": {
                "default": self.level.severity(strict=False).value,
                "strict": self.level.severity(strict=True).value,
            },
            "convention": self.convention,
            "versions": list(self.versions),
            "nodes": list(self.nodes),
            "clause": self.clause.to_dict(),
            "description": self.description,
        }


class RuleRegistry:
    """The rules one command line can report, each id declared once.

    Parameters
    ----------
    rules
        Rules to register at once, in order.

    Examples
    --------
    >>> r = RuleRegistry([Rule("t.x", Level.SHOULD, "t", ("1",), ("any",), Clause("T §1"), "X.")])
    >>> r.severity("t.x", strict=True).value, "t.x" in r, len(r)
    ('error', True, 1)
    """

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            self.register(rule)

    def register(self, rule: Rule) -> Rule:
        """Declare a rule.

        Parameters
        ----------
        rule
            The rule.

        Returns
        -------
        Rule
            The rule, for chaining.

        Raises
        ------
        ValueError
            When the id is already declared, or the declaration lacks a description, a
            clause section or a version.
        """
        if rule.id in self._rules:
            raise ValueError(f"rule {rule.id!r} is declared twice")
        if not rule.description.strip() or not rule.clause.section.strip() or not rule.versions:
            raise ValueError(f"rule {rule.id!r} needs a description, a clause and versions")
        self._rules[rule.id] = rule
        return rule

    def lookup(self, rule_id: str) -> Rule:
        """Return the declaration of a rule id.

        Parameters
        ----------
        rule_id
            The id.

        Returns
        -------
        Rule
            Its declaration.

        Raises
        ------
        UnregisteredRuleError
            When no rule has that id.
        """
        try:
            return self._rules[rule_id]
        except KeyError:
            raise UnregisteredRuleError(
                f"rule {rule_id!r} is reported but not declared in a rules module"
            ) from None

    def severity(
        self, rule_id: str, strict: bool, reported: Severity | Level | None = None
    ) -> Severity:
        """Return the severity of an issue of a rule under a profile.

        Parameters
        ----------
        rule_id
            The rule id.
        strict
            Whether the strict profile applies.
        reported
            What the check said: a :class:`Level` it reports at, or a :class:`Severity` (an
            error is a MUST; a warning is the rule's weaker level). ``None``: the rule's
            own level.

        Returns
        -------
        Severity
            The severity the issue gets.

        Raises
        ------
        UnregisteredRuleError
            When no rule has that id.
        RuleLevelError
            When the rule does not allow the reported level.
        """
        rule = self.lookup(rule_id)
        if reported is None:
            level = rule.level
        elif isinstance(reported, Level):
            level = reported
        elif reported is Severity.ERROR:
            level = Level.MUST
        else:
            weaker = [lv for lv in rule.levels if lv is not Level.MUST]
            if not weaker:
                raise RuleLevelError(f"rule {rule_id!r} is a MUST but was reported as a warning")
            level = weaker[0]
        if level not in rule.levels:
            raise RuleLevelError(
                f"rule {rule_id!r} is declared {'/'.join(rule.levels)} but reported as {level}"
            )
        return level.severity(strict)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self._rules.values(), key=lambda r: r.id))

    def __len__(self) -> int:
        return len(self._rules)

    def to_dict(self, name: str) -> dict[str, Any]:
        """Return the registry as JSON-ready data.

        Parameters
        ----------
        name
            The command line's convention (``"ome-zarr"``, ``"geozarr"``).

        Returns
        -------
        dict
            ``{"convention": name, "rules": [Rule.to_dict(), ...]}``, rules sorted by id.
        """
        return {"convention": name, "rules": [r.to_dict() for r in self]}

    def to_json(self, name: str, indent: int | None = 2) -> str:
        """Serialise :meth:`to_dict` as JSON text.

        Parameters
        ----------
        name
            The command line's convention.
        indent
            Indentation passed to :func:`json.dumps`.

        Returns
        -------
        str
            The JSON document.
        """
        return json.dumps(self.to_dict(name), indent=indent, ensure_ascii=False)


# -- rule tables ----------------------------------------------------------------------------

_ENTRY_KEYS = frozenset(
    {"id", "level", "section", "description", "quote", "url", "versions", "nodes", "also"}
    | {"convention", "check"}
)


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """One row of a rule table, its defaults applied (see :func:`read_rule_table`).

    Parameters
    ----------
    id, level, description, versions, nodes, also
        As for :class:`Rule`.
    section, quote, url
        As for :class:`Clause`; a convention may build the section's full name and the link
        from its own table of spec anchors.
    convention
        The convention, when the table names one (the reader's table: ``"target"``).
    check
        For a rule of a common shape ("MUST be unique", "SHOULD contain"), the check declared
        with it: an inline table the convention interprets (empty for a rule whose check is
        code).
    """

    id: str
    level: Level
    section: str
    description: str
    quote: str
    url: str
    versions: tuple[str, ...]
    nodes: tuple[str, ...]
    also: tuple[Level, ...]
    convention: str
    check: Mapping[str, str] = field(default_factory=dict)

    def to_rule(self, convention: str, clause: Clause | None = None) -> Rule:
        """Return the rule this row declares.

        Parameters
        ----------
        convention
            The convention, unless the row names one.
        clause
            The clause, when the convention builds it (full section name, link); else the
            row's ``section``, ``quote`` and ``url``.

        Returns
        -------
        Rule
            The rule.
        """
        return Rule(
            self.id,
            self.level,
            self.convention or convention,
            self.versions,
            self.nodes,
            clause or Clause(self.section, self.quote, self.url),
            self.description,
            self.also,
        )


def read_rule_table(text: str) -> tuple[RuleEntry, ...]:
    """Read a rule table: the TOML document each convention declares its rules in.

    The document has a ``[defaults]`` table (``versions``, ``nodes``, ``url``, ...) and one
    ``[[rule]]`` table per rule with ``id``, ``level`` (``MUST``, ``SHOULD``, ``ADVICE``),
    ``section`` and ``description``, and optionally ``quote``, ``url``, ``versions``,
    ``nodes``, ``also`` (other levels), ``convention`` and ``check`` (see :class:`RuleEntry`).

    Parameters
    ----------
    text
        The TOML document.

    Returns
    -------
    tuple of RuleEntry
        The rows, in the document's order.

    Raises
    ------
    ValueError
        When a row misses a required key, has a key the table does not define, or names an
        unknown level (a packaging error: the tables ship with the code).

    Examples
    --------
    >>> table = '''
    ... [defaults]
    ... versions = ["2", "3"]
    ... [[rule]]
    ... id = "zarr.example"
    ... level = "SHOULD"
    ... section = "Zarr v3 §Example"
    ... description = "An example."
    ... '''
    >>> (entry,) = read_rule_table(table)
    >>> entry.id, entry.level, entry.versions, entry.nodes
    ('zarr.example', <Level.SHOULD: 'SHOULD'>, ('2', '3'), ('any',))
    """
    document = tomllib.loads(text)
    defaults: dict[str, Any] = document.get("defaults", {})
    entries = []
    for row in document.get("rule", []):
        unknown = set(row) - _ENTRY_KEYS
        missing = {"id", "level", "section", "description"} - set(row)
        if unknown or missing:
            raise ValueError(
                f"Rule table row {row.get('id')!r}: unknown keys {sorted(unknown)}, "
                f"missing keys {sorted(missing)}."
            )
        merged = {**defaults, **row}
        entries.append(
            RuleEntry(
                id=merged["id"],
                level=Level(merged["level"]),
                section=merged["section"],
                description=merged["description"],
                quote=merged.get("quote", ""),
                url=merged.get("url", ""),
                versions=tuple(merged.get("versions", ())),
                nodes=tuple(merged.get("nodes", ("any",))),
                also=tuple(Level(level) for level in merged.get("also", ())),
                convention=merged.get("convention", ""),
                check=dict(merged.get("check", {})),
            )
        )
    return tuple(entries)


def package_text(package: str, name: str) -> str:
    """Return a text file shipped in a package's ``data`` folder (a rule table, say).

    Parameters
    ----------
    package
        The package's import name.
    name
        The file's name in the package's ``data`` folder.

    Returns
    -------
    str
        Its text.
    """
    return resources.files(package).joinpath("data", name).read_text(encoding="utf-8")


def load_rules(package: str, make: Callable[[RuleEntry], Rule]) -> tuple[Rule, ...]:
    """Load the rules a package declares in its ``data/rules.toml``.

    Parameters
    ----------
    package
        The package's import name.
    make
        Makes each row a rule (the convention's clause and link).

    Returns
    -------
    tuple of Rule
        The rules, in the table's order.
    """
    return tuple(make(entry) for entry in read_rule_table(package_text(package, "rules.toml")))


READER_RULES: tuple[Rule, ...] = load_rules("ngff_geozarr.core", lambda e: e.to_rule("zarr"))
"""The rules of the hierarchy reader and of the target itself, shared by every convention
(declared in ``data/rules.toml``)."""
