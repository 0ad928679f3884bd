"""The rule registry: levels map to severities per profile; ids are declared once."""

from __future__ import annotations

import json

import pytest

from ngff_geozarr.core.report import Severity
from ngff_geozarr.core.rules import (
    READER_RULES,
    Clause,
    Level,
    Rule,
    RuleLevelError,
    RuleRegistry,
    UnregisteredRuleError,
    read_rule_table,
)


def make(rule_id: str, level: Level, also: tuple[Level, ...] = ()) -> Rule:
    return Rule(rule_id, level, "t", ("1",), ("any",), Clause("T §1", "x MUST y", ""), "Y.", also)


@pytest.mark.parametrize(
    ("level", "default", "strict"),
    [
        (Level.MUST, Severity.ERROR, Severity.ERROR),
        (Level.SHOULD, Severity.WARNING, Severity.ERROR),
        (Level.ADVICE, Severity.WARNING, Severity.WARNING),
    ],
)
def test_level_severity_per_profile(level: Level, default: Severity, strict: Severity) -> None:
    registry = RuleRegistry([make("t.rule", level)])
    assert registry.severity("t.rule", strict=False) is default
    assert registry.severity("t.rule", strict=True) is strict


def test_an_id_is_declared_once() -> None:
    registry = RuleRegistry([make("t.rule", Level.MUST)])
    with pytest.raises(ValueError, match="declared twice"):
        registry.register(make("t.rule", Level.SHOULD))


@pytest.mark.parametrize(
    "rule",
    [
        Rule("t.a", Level.MUST, "t", ("1",), ("any",), Clause("T §1"), "  "),
        Rule("t.a", Level.MUST, "t", ("1",), ("any",), Clause(""), "Y."),
        Rule("t.a", Level.MUST, "t", (), ("any",), Clause("T §1"), "Y."),
    ],
)
def test_a_declaration_needs_description_clause_versions(rule: Rule) -> None:
    with pytest.raises(ValueError, match="needs a description"):
        RuleRegistry([rule])


def test_an_undeclared_id_is_a_programming_error() -> None:
    registry = RuleRegistry([make("t.rule", Level.MUST)])
    with pytest.raises(UnregisteredRuleError, match=r"t\.other"):
        registry.severity("t.other", strict=False)
    assert "t.other" not in registry
    assert "t.rule" in registry


def test_reported_level_must_be_declared() -> None:
    registry = RuleRegistry([make("t.must", Level.MUST), make("t.should", Level.SHOULD)])
    with pytest.raises(RuleLevelError):
        registry.severity("t.must", strict=False, reported=Severity.WARNING)
    with pytest.raises(RuleLevelError):
        registry.severity("t.should", strict=False, reported=Level.ADVICE)
    with pytest.raises(RuleLevelError):
        registry.severity("t.should", strict=False, reported=Severity.ERROR)


def test_a_warning_takes_the_rules_weaker_level() -> None:
    registry = RuleRegistry(
        [make("t.should", Level.SHOULD), make("t.mixed", Level.MUST, also=(Level.ADVICE,))]
    )
    assert registry.severity("t.should", True, Severity.WARNING) is Severity.ERROR
    assert registry.severity("t.should", False, Severity.WARNING) is Severity.WARNING
    # a MUST rule whose tolerated case is advice: a warning even under strict
    assert registry.severity("t.mixed", True, Severity.WARNING) is Severity.WARNING
    assert registry.severity("t.mixed", True, Severity.ERROR) is Severity.ERROR


def test_iteration_is_sorted_and_json_carries_everything() -> None:
    registry = RuleRegistry([make("t.b", Level.SHOULD), make("t.a", Level.MUST)])
    assert [r.id for r in registry] == ["t.a", "t.b"]
    doc = json.loads(registry.to_json("test"))
    assert doc["convention"] == "test"
    b = doc["rules"][1]
    assert b == {
        "id": "t.b",
        "level": "SHOULD",
        "levels": ["SHOULD"],
        "severity": {"default": "warning", "strict": "error"},
        "convention": "t",
        "versions": ["1"],
        "nodes": ["any"],
        "clause": {"section": "T §1", "quote": "x MUST y", "url": ""},
        "description": "Y.",
    }


def test_reader_rules_register_cleanly() -> None:
    registry = RuleRegistry(READER_RULES)
    assert len(registry) == len(READER_RULES)
    assert {r.id.split(".")[0] for r in registry} == {"zarr", "target"}


def test_a_rule_table_applies_its_defaults_and_refuses_what_it_does_not_define() -> None:
    table = """
[defaults]
versions = ["0.4", "0.5"]
nodes = ["image"]
url = "https://example.org/spec"

[[rule]]
id = "x.one"
level = "MUST"
section = "S §1"
description = "The first rule."

[[rule]]
id = "x.two"
level = "SHOULD"
section = "S §2"
description = "The second rule."
quote = "It SHOULD."
versions = ["0.6"]
also = ["ADVICE"]
"""
    one, two = read_rule_table(table)
    assert (one.id, one.level, one.versions, one.nodes) == (
        "x.one",
        Level.MUST,
        ("0.4", "0.5"),
        ("image",),
    )
    assert (one.quote, one.url, one.also) == ("", "https://example.org/spec", ())
    assert (two.level, two.quote, two.versions, two.also) == (
        Level.SHOULD,
        "It SHOULD.",
        ("0.6",),
        (Level.ADVICE,),
    )
    with pytest.raises(ValueError, match="unknown keys \\['severity'\\]"):
        read_rule_table(table.replace('quote = "It SHOULD."', 'severity = "error"'))
    with pytest.raises(ValueError, match="missing keys \\['description'\\]"):
        read_rule_table(table.replace('description = "The first rule."', ""))
    with pytest.raises(ValueError, match="'SOMETIMES' is not a valid Level"):
        read_rule_table(table.replace('"MUST"', '"SOMETIMES"'))
