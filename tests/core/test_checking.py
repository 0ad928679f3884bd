"""The check-context mixin both conventions share: the registry decides every severity."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from geozarr.context import CheckContext
from ngff.common.context import Context
from ngff_geozarr.core.checking import RuleContext
from ngff_geozarr.core.hierarchy import hierarchy_from_json
from ngff_geozarr.core.report import Issue, Severity
from ngff_geozarr.core.rules import (
    Clause,
    Level,
    Rule,
    RuleLevelError,
    RuleRegistry,
    UnregisteredRuleError,
)


def make(rule_id: str, level: Level, also: tuple[Level, ...] = ()) -> Rule:
    return Rule(rule_id, level, "t", ("1",), ("any",), Clause("T §1", "x MUST y", ""), "Y.", also)


@dataclass
class Ctx(RuleContext):
    registry = RuleRegistry(
        [make("t.must", Level.MUST), make("t.should", Level.SHOULD, (Level.MUST,))]
    )
    strict: bool = False
    issues: list[Issue] = field(default_factory=list)


@pytest.mark.parametrize(
    ("strict", "level", "expected"),
    [
        (False, Level.SHOULD, Severity.WARNING),
        (True, Level.SHOULD, Severity.ERROR),
        (False, Severity.WARNING, Severity.WARNING),
        (True, Severity.WARNING, Severity.ERROR),
        (False, Severity.ERROR, Severity.ERROR),
    ],
)
def test_record_takes_the_severity_from_the_registry_and_profile(
    strict: bool, level: Level | Severity, expected: Severity
) -> None:
    ctx = Ctx(strict=strict)
    ctx.record(level, "t.should", "a/b", "/attributes/x", "Expected y. Got z.", "T §1")
    assert ctx.issues == [
        Issue(expected, "t.should", "a/b", "/attributes/x", "Expected y. Got z.", "T §1")
    ]


def test_record_refuses_undeclared_ids_and_levels() -> None:
    ctx = Ctx()
    with pytest.raises(UnregisteredRuleError):
        ctx.record(Level.MUST, "t.unknown", "", "", "m", "r")
    with pytest.raises(RuleLevelError):
        ctx.record(Level.SHOULD, "t.must", "", "", "m", "r")
    assert ctx.issues == []


def test_adopt_reassesses_severity_and_keeps_an_own_reference() -> None:
    ctx = Ctx(strict=True)
    ctx.adopt(
        [
            Issue(Severity.WARNING, "t.should", "p", "/q", "m"),
            Issue(Severity.ERROR, "t.must", "p", "/r", "n", "Own §2"),
        ],
        "T §1",
    )
    assert [(i.severity, i.reference) for i in ctx.issues] == [
        (Severity.ERROR, "T §1"),
        (Severity.ERROR, "Own §2"),
    ]


def test_both_conventions_record_through_the_shared_mixin() -> None:
    ngff = Context("img", "0.5", strict=True, base=("attributes", "ome"))
    ngff.should("ngff.multiscales.name", ["multiscales", 0], "No name.", "multiscales")
    assert isinstance(ngff, RuleContext)
    assert ngff.issues == [
        Issue(
            Severity.ERROR,
            "ngff.multiscales.name",
            "img",
            "/attributes/ome/multiscales/0",
            "No name.",
            "OME-Zarr 0.5 §multiscales",
        )
    ]
    geo = CheckContext(hierarchy_from_json({"zarr_format": 3, "node_type": "group"}))
    assert isinstance(geo, RuleContext)
    with pytest.raises(UnregisteredRuleError):
        geo.add(Severity.ERROR, "ngff.multiscales.name", geo.hierarchy.nodes[""], (), "m", "r")


def test_make_issue_builds_without_recording_at_the_rules_own_level() -> None:
    ctx = Ctx(strict=True)
    issue = ctx.make_issue("t.should", "c", "/d", "m", "T §1")
    assert issue == Issue(Severity.ERROR, "t.should", "c", "/d", "m", "T §1")
    assert Ctx().make_issue("t.should", "c", "/d", "m", "T §1").severity is Severity.WARNING
    assert ctx.issues == []
