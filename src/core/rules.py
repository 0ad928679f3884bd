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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ngff_geozarr.core.report import UNREADABLE_RULE, Severity

__all__ = [
    "READER_RULES",
    "Clause",
    "Level",
    "Rule",
    "RuleLevelError",
    "RuleRegistry",
    "UnregisteredRuleError",
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


# -- the hierarchy reader's rules ---------------------------------------------------------

_V2 = "https://zarr-specs.readthedocs.io/en/latest/v2/v2.0.html"
_V3 = "https://zarr-specs.readthedocs.io/en/latest/v3/core/index.html"
_BOTH = ("2", "3")


def _reader(
    rule_id: str, level: Level, section: str, description: str, quote: str = "", url: str = _V3
) -> Rule:
    return Rule(rule_id, level, "zarr", _BOTH, ("any",), Clause(section, quote, url), description)


READER_RULES: tuple[Rule, ...] = (
    Rule(
        UNREADABLE_RULE,
        Level.MUST,
        "target",
        _BOTH,
        ("any",),
        Clause("ngff-geozarr exit codes"),
        "The target could not be read at all: no store, no metadata, or an unsupported "
        "address (exit code 2).",
    ),
    _reader(
        "zarr.metadata.malformed-json",
        Level.MUST,
        "Zarr v3 §Metadata / Zarr v2 §Metadata",
        "A metadata document (zarr.json, .zarray, .zgroup, .zattrs) is not valid JSON.",
    ),
    _reader(
        "zarr.metadata.not-utf8",
        Level.MUST,
        "RFC 8259 §8.1",
        "A metadata document is not UTF-8 text.",
        "JSON text exchanged between systems that are not part of a closed ecosystem MUST be "
        "encoded using UTF-8.",
        "https://www.rfc-editor.org/rfc/rfc8259#section-8.1",
    ),
    _reader(
        "zarr.metadata.too-large",
        Level.MUST,
        "ngff-geozarr reading limits",
        "A metadata document is over 16 MiB (128 MiB when it holds consolidated metadata); "
        "it is not parsed.",
        url="",
    ),
    _reader(
        "zarr.metadata.too-deep",
        Level.MUST,
        "ngff-geozarr reading limits",
        "A metadata document nests JSON deeper than 256 levels; it is not parsed.",
        url="",
    ),
    _reader(
        "zarr.metadata.not-an-object",
        Level.MUST,
        "Zarr v3 §Array metadata / §Group metadata",
        "A metadata document (or an entry of consolidated metadata) is not a JSON object.",
    ),
    _reader(
        "zarr.metadata.invalid",
        Level.MUST,
        "Zarr v3 §Array metadata / Zarr v2 §Arrays",
        "Array or group metadata with a missing required field or a field of the wrong type "
        "(shape, data type, chunk grid, codecs, fill value).",
    ),
    _reader(
        "zarr.metadata.unknown-key",
        Level.ADVICE,
        "Zarr v2 §Arrays",
        "A key that Zarr v2 array metadata does not define; readers ignore it.",
        "Other keys SHOULD NOT be present within the metadata object and SHOULD be ignored "
        "by implementations.",
        _V2,
    ),
    _reader(
        "zarr.metadata.missing",
        Level.MUST,
        "Zarr v2 §Groups",
        "A Zarr v2 `.zattrs` with no `.zgroup` or `.zarray` beside it: the node is neither "
        "a group nor an array.",
        url=_V2,
    ),
    _reader(
        "zarr.metadata.ambiguous-node",
        Level.MUST,
        "Zarr v2 §Hierarchies",
        "Both `.zarray` and `.zgroup` in one place: a node is an array or a group, not both.",
        url=_V2,
    ),
    _reader(
        "zarr.consolidated.invalid",
        Level.MUST,
        "Zarr v2 consolidated metadata / Zarr v3 consolidated_metadata",
        "Consolidated metadata of the wrong shape (not an object of node documents); the "
        "nodes' own documents are read instead.",
        url="",
    ),
    _reader(
        "zarr.consolidated.stale",
        Level.ADVICE,
        "Zarr v2 consolidated metadata",
        "Consolidated metadata that disagrees with the nodes' own documents (checked where "
        "listing is free: local, zip and memory stores); the documents are validated.",
        url="",
    ),
    _reader(
        "zarr.format.mixed",
        Level.ADVICE,
        "Zarr v3 §Storage",
        "A root holding both Zarr v3 (zarr.json) and v2 (.zgroup/.zarray) documents; the v3 "
        "ones are read.",
    ),
    _reader(
        "zarr.array.shape-overflow",
        Level.ADVICE,
        "Zarr v3 §shape",
        "An array with more elements than a 64-bit index addresses; most readers fail on it.",
    ),
    _reader(
        "zarr.path.unsafe",
        Level.MUST,
        "Zarr v3 §Node names",
        "A key or reference that would leave the store root (absolute, `..`): refused, never "
        "followed.",
        'The node name ... must not be a string composed only of period characters, e.g. "." '
        'or ".."',
    ),
    _reader(
        "zarr.hierarchy.unlistable",
        Level.ADVICE,
        "Zarr v3 §Storage / listing",
        "Groups the store will not list; their children were found through metadata "
        "references only, so unreferenced nodes were not checked.",
    ),
    _reader(
        "zarr.hierarchy.truncated",
        Level.ADVICE,
        "ngff-geozarr reading limits",
        "More than 200,000 nodes: reading stopped there and the rest was not checked.",
        url="",
    ),
    _reader(
        "zarr.store.read-failed",
        Level.MUST,
        "Zarr v3 §Abstract store interface",
        "The store failed a request for one node's metadata (I/O or network error); the "
        "node was not checked.",
    ),
)
"""The rules of the hierarchy reader and of the target itself, shared by every convention."""
