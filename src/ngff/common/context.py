"""Where a check runs and how its findings become issues.

A :class:`Context` names the node being checked, the spec version, the profile (``strict``
turns the spec's SHOULDs into errors) and where the OME metadata sits in the node's document,
so that every rule builds its issue in one line with a pointer into the real input. The
severity of every issue comes from the rule's declaration in :mod:`ngff.rules` and the
profile, in the one place GeoZarr's context uses too
(:class:`~ngff_geozarr.core.checking.RuleContext`); reporting an undeclared rule id, or a
rule at a level its declaration does not allow, raises (a programming error the test suite
catches).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from ngff.rules import REGISTRY
from ngff.versions import SpecVersion
from ngff_geozarr.core.checking import CheckSet, RuleContext
from ngff_geozarr.core.report import Issue, json_pointer
from ngff_geozarr.core.rules import Level, RuleRegistry

__all__ = ["CHECKS", "Context", "Tokens"]

Tokens = Sequence[str | int]
"""Reference tokens of a JSON pointer, outermost first."""

CHECKS = CheckSet(REGISTRY)
"""The OME-Zarr metadata checks, filed by section and by the rules each reports.

A check module registers its functions with ``@CHECKS.check(section, *rule_ids)``; a section's
runner (``check_plate = CHECKS.runner("plate")``) runs those whose rules apply to the node's
version.
"""


@dataclass(frozen=True)
class Context(RuleContext):
    """The node a rule runs on, and how to report what it finds.

    Parameters
    ----------
    path
        The node's path in the store (``""`` for the root).
    version
        The specification version the node is checked against.
    strict
        Whether the strict profile applies: SHOULD rules report errors instead of warnings.
    base
        Where the OME metadata sits in the node's document (``("attributes", "ome")`` in
        0.5+, ``("attributes",)`` in 0.4).
    issues
        The issues found so far; rules append to it.
    """

    registry: ClassVar[RuleRegistry] = REGISTRY
    path: str
    version: SpecVersion
    strict: bool = False
    base: tuple[str | int, ...] = ("attributes",)
    issues: list[Issue] = field(default_factory=list)

    def pointer(self, tokens: Tokens = ()) -> str:
        """Return the JSON pointer of ``tokens`` below the OME metadata.

        Parameters
        ----------
        tokens
            Reference tokens relative to the OME metadata.

        Returns
        -------
        str
            The pointer into the node's document.
        """
        return json_pointer(*self.base, *tokens)

    def reference(self, section: str) -> str:
        """Return the spec clause of ``section`` for this version.

        Parameters
        ----------
        section
            The spec section, e.g. ``"multiscales"``.

        Returns
        -------
        str
            For example ``"OME-Zarr 0.5 §multiscales"``.
        """
        return f"OME-Zarr {self.version} §{section}"

    def report(self, level: Level, rule: str, tokens: Tokens, message: str, section: str) -> None:
        """Report a finding about this node, at the severity the rule has under the profile.

        Parameters
        ----------
        level
            The keyword of the clause broken (MUST, SHOULD, or ADVICE for a quirk).
        rule
            The rule id.
        tokens
            Where, relative to the OME metadata.
        message
            What is wrong.
        section
            The spec section the rule comes from.
        """
        self.record(level, rule, self.path, self.pointer(tokens), message, self.reference(section))

    def error(self, rule: str, tokens: Tokens, message: str, section: str) -> None:
        """Report a broken MUST: :meth:`report` at level MUST (same other arguments)."""
        self.report(Level.MUST, rule, tokens, message, section)

    def should(self, rule: str, tokens: Tokens, message: str, section: str) -> None:
        """Report a broken SHOULD (a warning; an error under the strict profile).

        :meth:`report` at level SHOULD, with the same other arguments.
        """
        self.report(Level.SHOULD, rule, tokens, message, section)

    def warn(self, rule: str, tokens: Tokens, message: str, section: str) -> None:
        """Report a quirk readers tolerate (always a warning): :meth:`report` at ADVICE."""
        self.report(Level.ADVICE, rule, tokens, message, section)

    def extend(self, issues: Sequence[Issue], section: str) -> None:
        """Add issues built elsewhere (model validation): :meth:`adopt`, referring to ``section``.

        Their severity is the rule's under this context's profile; those without a reference
        get this version's clause of ``section``.
        """
        self.adopt(issues, self.reference(section))

    def issue(self, rule: str, path: str, pointer: str, message: str, section: str) -> Issue:
        """Build an issue about another node, at the rule's own level, with this profile.

        :meth:`make_issue` with this version's clause of ``section`` as the reference; the
        issue is not recorded (append it where it belongs).
        """
        return self.make_issue(rule, path, pointer, message, self.reference(section))
