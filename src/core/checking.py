"""What a check context of any convention shares: issues whose severity the registry decides.

A convention's check context (``ngff.common.context.Context``,
``geozarr.context.CheckContext``) mixes in :class:`RuleContext` and names its
:class:`~ngff_geozarr.core.rules.RuleRegistry`. Every issue it records then gets its severity
in one place, from the rule's declaration and the profile (``strict`` turns SHOULDs into
errors); an undeclared rule id, or a level its declaration does not allow, raises (a
programming error the test suite catches).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, TypeVar

from ngff_geozarr.core.report import Issue, Severity
from ngff_geozarr.core.rules import Level, RuleRegistry

__all__ = ["CheckSet", "RegisteredCheck", "RuleContext", "SectionRunner", "repeats", "select"]

_H = TypeVar("_H", bound=Hashable)
_F = TypeVar("_F", bound=Callable[..., Any])


def repeats(values: Iterable[_H]) -> Iterator[tuple[int, _H]]:
    """Yield the index and value of each item equal to an earlier one.

    What every "MUST be unique" rule reports: each repetition, at its own index, not only
    the first.

    Parameters
    ----------
    values
        The items in document order.

    Yields
    ------
    tuple of (int, value)
        The index of a repeated item and the item.

    Examples
    --------
    >>> list(repeats(["a", "b", "a", "a"]))
    [(2, 'a'), (3, 'a')]
    """
    seen: set[_H] = set()
    for i, value in enumerate(values):
        if value in seen:
            yield i, value
        seen.add(value)


def select(document: Any, path: str) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Yield the values a path names in a JSON-like document, each with its location.

    The path is keys joined by ``.``; ``[*]`` after a key (or alone) stands for every item
    of a list. A key that is absent, or a list that is not one, yields nothing: whether it
    must be there is another rule's business. ``""`` names the document itself.

    Parameters
    ----------
    document
        Mappings, lists and scalars as JSON parses them.
    path
        For example ``"wells[*].path"``.

    Yields
    ------
    tuple of (tuple, value)
        The reference tokens of a value (keys and list indices) and the value.

    Examples
    --------
    >>> plate = {"wells": [{"path": "A/1"}, {"path": "B/2"}], "name": "p"}
    >>> list(select(plate, "wells[*].path"))
    [(('wells', 0, 'path'), 'A/1'), (('wells', 1, 'path'), 'B/2')]
    >>> list(select(plate, ""))[0][0]
    ()
    """
    found: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    for segment in path.split(".") if path else ():
        key, _, rest = segment.partition("[*]")
        if rest:
            raise ValueError(f"unexpected text after [*] in {path!r}")
        step: list[tuple[tuple[str | int, ...], Any]] = []
        for where, value in found:
            if key:
                if not isinstance(value, dict) or key not in value:
                    continue
                where, value = (*where, key), value[key]
            if segment.endswith("[*]"):
                if isinstance(value, list):
                    step.extend(((*where, i), item) for i, item in enumerate(value))
            else:
                step.append((where, value))
        found = step
    yield from found


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


@dataclass(frozen=True)
class RegisteredCheck:
    """A check function, the section it checks and the rules it may report.

    Parameters
    ----------
    function
        Called as ``function(ctx, value, at)``.
    section
        The kind of metadata object it checks (``"plate"``, ``"image-label"``, ...).
    rules
        The ids of the rules it reports, each declared in the convention's registry.
    """

    function: Callable[..., Any]
    section: str
    rules: tuple[str, ...]


class CheckSet:
    """The check functions of one convention, filed by section and by the rules they report.

    A check is registered once, next to its code, with the section it checks and the rule
    ids it reports (:meth:`check`); a validator then runs, for a section of a node, the
    checks whose rules apply to the node's version (:meth:`run`), in registration order.
    The versions come from the rules' declarations (:class:`~ngff_geozarr.core.rules.Rule`
    ``versions``), so a rule declared for one version only is checked on that version only.

    Parameters
    ----------
    registry
        The convention's rules; registering a check with an undeclared id raises.

    Examples
    --------
    >>> from ngff_geozarr.core.rules import Clause, Rule
    >>> registry = RuleRegistry([
    ...     Rule("t.a", Level.MUST, "t", ("1", "2"), ("any",), Clause("T 1"), "A."),
    ...     Rule("t.b", Level.MUST, "t", ("2",), ("any",), Clause("T 2"), "B."),
    ... ])
    >>> checks = CheckSet(registry)
    >>> @checks.check("thing", "t.a")
    ... def check_a(ctx, value, at): print("a", value)
    >>> @checks.check("thing", "t.b")
    ... def check_b(ctx, value, at): print("b", value)
    >>> checks.run("thing", None, 7, [], version="1")
    a 7
    >>> checks.run("thing", None, 8, [], version="2")
    a 8
    b 8
    """

    def __init__(self, registry: RuleRegistry) -> None:
        self.registry = registry
        self._checks: list[RegisteredCheck] = []

    def check(self, section: str, *rules: str) -> Callable[[_F], _F]:
        """Register the decorated function as a check of ``section`` reporting ``rules``.

        Parameters
        ----------
        section
            The kind of metadata object the function checks.
        *rules
            The ids of the rules the function reports (at least one).

        Returns
        -------
        callable
            A decorator that files the function and returns it unchanged.

        Raises
        ------
        ValueError
            When no rule is named.
        UnregisteredRuleError
            When a rule id is not declared in the registry.
        """
        if not rules:
            raise ValueError(f"a check of {section!r} must name the rules it reports")
        for rule_id in rules:
            self.registry.lookup(rule_id)

        def register(function: _F) -> _F:
            self._checks.append(RegisteredCheck(function, section, tuple(rules)))
            return function

        return register

    def checks(self, section: str, version: str | None = None) -> tuple[RegisteredCheck, ...]:
        """Return the checks of ``section`` that apply to ``version``, in registration order.

        Parameters
        ----------
        section
            The kind of metadata object.
        version
            The version of the node; ``None`` for every check of the section.

        Returns
        -------
        tuple of RegisteredCheck
            A check applies when any rule it reports is declared for ``version``.
        """
        return tuple(
            c
            for c in self._checks
            if c.section == section
            and (
                version is None or any(version in self.registry.lookup(r).versions for r in c.rules)
            )
        )

    def run(
        self,
        section: str,
        ctx: Any,
        value: Any,
        at: Sequence[str | int],
        *,
        version: str | None = None,
    ) -> None:
        """Run every check of ``section`` that applies to ``version`` on ``value``.

        Parameters
        ----------
        section
            The kind of metadata object.
        ctx
            The check context the checks report to.
        value
            The parsed object.
        at
            Where it is, as reference tokens relative to the convention's metadata.
        version
            The version of the node; ``None`` runs every check of the section.
        """
        for registered in self.checks(section, version):
            registered.function(ctx, value, at)

    def runner(self, section: str) -> SectionRunner:
        """Return a function that runs the checks of ``section`` at the context's version.

        Parameters
        ----------
        section
            The kind of metadata object.

        Returns
        -------
        SectionRunner
            Called as ``runner(ctx, value, at)``; reads the version from ``ctx.version``.
        """
        return SectionRunner(self, section)


class SectionRunner:
    """Run the registered checks of one section, at the version of the context.

    Parameters
    ----------
    checks
        The convention's checks.
    section
        The section whose checks run.
    """

    def __init__(self, checks: CheckSet, section: str) -> None:
        self.checks = checks
        self.section = section
        self.__doc__ = (
            f"Run every check of the ``{section}`` section that applies to ``ctx.version``."
        )

    def __call__(self, ctx: Any, value: Any, at: Sequence[str | int]) -> None:
        """Run the checks on ``value``.

        Parameters
        ----------
        ctx
            The check context; its ``version`` attribute, when it has one, selects the checks.
        value
            The parsed object.
        at
            Where it is, relative to the convention's metadata.
        """
        version = getattr(ctx, "version", None)
        self.checks.run(
            self.section, ctx, value, at, version=None if version is None else str(version)
        )
