"""What a check context of any convention shares: issues whose severity the registry decides.

A convention's check context (``ngff.common.context.Context``,
``geozarr.context.CheckContext``) mixes in :class:`RuleContext` and names its
:class:`~ngff_geozarr.core.rules.RuleRegistry`. Every issue it records then gets its severity
in one place, from the rule's declaration and the profile (``strict`` turns SHOULDs into
errors); an undeclared rule id, or a level its declaration does not allow, raises (a
programming error the test suite catches).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import ClassVar

from ngff_geozarr.core.report import Issue, Severity
from ngff_geozarr.core.rules import Level, RuleRegistry

__all__ = ["RuleContext"]


class RuleContext:
    """A mixin for check contexts: record issues at the severity their rule has.

    A subclass sets :attr:`registry` and provides the instance attributes ``issues`` (the
    issues found so far, appended to) and ``strict`` (whether the strict profile applies).

    Examples
    --------
    >>> from dataclasses import dataclass, field
    >>> from ngff_geozarr.core.rules import Clause, Rule
    >>> @dataclass
    ... class Ctx(RuleContext):
    ...     registry = RuleRegistry([Rule("t.x", Level.SHOULD, "t", ("1",), ("any",),
    ...                                   Clause("T §1"), "X.")])
    ...     strict: bool = False
    ...     issues: list[Issue] = field(default_factory=list)
    >>> ctx = Ctx(strict=True)
    >>> ctx.record(Level.SHOULD, "t.x", "a", "/b", "Expected c.", "T §1")
    >>> ctx.issues[0].severity.value
    'error'
    """

    registry: ClassVar[RuleRegistry]
    """The rules this context may report."""
    issues: list[Issue]
    strict: bool

    def make_issue(
        self,
        rule: str,
        path: str,
        pointer: str,
        message: str,
        reference: str,
        level: Level | Severity | None = None,
    ) -> Issue:
        """Build an issue with the severity its rule has under this context's profile.

        Parameters
        ----------
        rule
            The rule id.
        path
            The node the issue is about.
        pointer
            The JSON pointer into that node's document.
        message
            What is wrong.
        reference
            The spec clause the rule enforces.
        level
            What the check says: a :class:`~ngff_geozarr.core.rules.Level`, or a severity
            (an error is the rule's MUST clause, a warning its weaker one); ``None``, the
            rule's own level.

        Returns
        -------
        Issue
            The issue (not recorded).
        """
        severity = self.registry.severity(rule, self.strict, level)
        return Issue(severity, rule, path, pointer, message, reference)

    def record(
        self,
        level: Level | Severity,
        rule: str,
        path: str,
        pointer: str,
        message: str,
        reference: str,
    ) -> None:
        """Record one issue: :meth:`make_issue`, appended to ``issues``."""
        self.issues.append(self.make_issue(rule, path, pointer, message, reference, level))

    def adopt(self, issues: Iterable[Issue], reference: str) -> None:
        """Record issues built elsewhere (model validation), at their rule's severity.

        Parameters
        ----------
        issues
            The issues; their severity says the clause they break (as for :meth:`record`).
        reference
            The spec clause to refer those without a reference to.
        """
        self.issues.extend(
            replace(
                i,
                severity=self.registry.severity(i.rule, self.strict, i.severity),
                reference=i.reference or reference,
            )
            for i in issues
        )
