"""Rules whose check is declared in the rule table: each fires where, and as often as, it should."""

from __future__ import annotations

from typing import Any

import pytest

from ngff.common.context import CHECKS, Context
from ngff.common.labels import ImageLabel
from ngff.common.plate import Plate
from ngff.common.rule_shapes import DECLARED, declared_check
from ngff.rules import ENTRIES
from ngff.v06.coordinate_systems import CoordinateSystem, check_coordinate_systems
from ngff_geozarr.core.checking import select
from ngff_geozarr.core.report import Severity
from ngff_geozarr.core.rules import Level, RuleEntry

PLATE: dict[str, Any] = {
    "name": "p",
    "rows": [{"name": "A"}, {"name": "B"}],
    "columns": [{"name": "1"}],
    "wells": [{"path": "A/1", "rowIndex": 0, "columnIndex": 0}],
    "acquisitions": [{"id": 0, "name": "a", "maximumfieldcount": 1}],
    "field_count": 1,
}


def run(section: str, model: Any, strict: bool = False) -> list[tuple[str, str, Severity]]:
    ctx = Context("", "0.5", strict=strict, base=("attributes", "ome"))
    CHECKS.run(section, ctx, model, [section], version="0.5")
    return [(i.rule, i.pointer, i.severity) for i in ctx.issues]


def test_a_valid_plate_passes_the_declared_checks() -> None:
    assert run("plate", Plate.model_validate(PLATE)) == []


def test_each_repetition_is_reported_at_its_own_index() -> None:
    doc = {**PLATE, "rows": [{"name": "A"}, {"name": "A"}, {"name": "B"}, {"name": "A"}]}
    found = run("plate", Plate.model_validate(doc))
    assert found == [
        ("ngff.plate.rows-unique", "/attributes/ome/plate/rows/1/name", Severity.ERROR),
        ("ngff.plate.rows-unique", "/attributes/ome/plate/rows/3/name", Severity.ERROR),
    ]


def test_missing_recommended_keys_are_warnings_and_errors_when_strict() -> None:
    doc = {k: v for k, v in PLATE.items() if k != "name"}
    doc["acquisitions"] = [{"id": 0}, {"id": 1, "name": "b", "maximumfieldcount": 2}]
    found = run("plate", Plate.model_validate(doc))
    assert found == [
        ("ngff.plate.name", "/attributes/ome/plate", Severity.WARNING),
        ("ngff.plate.acquisition-name", "/attributes/ome/plate/acquisitions/0", Severity.WARNING),
        (
            "ngff.plate.acquisition-maximumfieldcount",
            "/attributes/ome/plate/acquisitions/0",
            Severity.WARNING,
        ),
    ]
    strict = run("plate", Plate.model_validate(doc), strict=True)
    assert {severity for *_, severity in strict} == {Severity.ERROR}


def test_label_keys_are_matched_by_their_json_spelling() -> None:
    label = ImageLabel.model_validate(
        {
            "colors": [{"label-value": 1, "rgba": [0, 0, 0, 255]}] * 2,
            "properties": [{"label-value": 3}, {"label-value": 3}],
        }
    )
    found = [(rule, pointer) for rule, pointer, _ in run("image-label", label)]
    assert (
        "ngff.image-label.colors-unique",
        "/attributes/ome/image-label/colors/1/label-value",
    ) in found
    assert (
        "ngff.image-label.properties-unique",
        "/attributes/ome/image-label/properties/1/label-value",
    ) in found


def test_the_coordinate_system_list_runs_its_declared_check() -> None:
    systems = [
        CoordinateSystem.model_validate({"name": "s", "axes": [{"name": "y"}, {"name": "x"}]})
    ] * 2
    ctx = Context("", "0.6", base=("attributes", "ome"))
    check_coordinate_systems(ctx, systems, ["coordinateSystems"])
    unique = [i.pointer for i in ctx.issues if i.rule == "ngff.coordinate-systems.unique-names"]
    assert unique == ["/attributes/ome/coordinateSystems/1/name"]


def test_every_declared_check_is_filed_under_its_section() -> None:
    declared = {e.id: e.check["on"] for e in ENTRIES if e.check}
    assert set(DECLARED) == set(declared)
    for rule, section in declared.items():
        assert DECLARED[rule] in [c.function for c in CHECKS.checks(section)]


def test_a_check_table_without_a_shape_is_refused() -> None:
    entry = RuleEntry(
        "x", Level.MUST, "s", "d", "", "", ("0.5",), ("any",), (), "", {"on": "s", "message": "m"}
    )
    with pytest.raises(ValueError, match="unique"):
        declared_check(entry)


def test_select_skips_what_is_absent_or_not_a_list() -> None:
    assert list(select({"a": 1}, "b[*].c")) == []
    assert list(select({"a": 1}, "a[*]")) == []
    assert list(select([{"c": 1}, {"d": 2}], "[*].c")) == [((0, "c"), 1)]
    with pytest.raises(ValueError, match="after"):
        list(select({}, "a[*]x"))
