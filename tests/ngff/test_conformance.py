"""Every upstream conformance case and spec example, through ngff.validate (the CLI's path).

Verdicts agree with upstream except the cases of tests/data/conformance/ERRATA.md ("OME-Zarr"),
each listed here with the rule that decides it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ngff

DATA = Path(__file__).parents[1] / "data" / "conformance"
NGFF = DATA / "ngff"

# case id -> the rule that makes it invalid, against upstream's "valid"
ATTRIBUTE_ERRATA = {
    "0.4/image_suite/valid/mismatch_axes_units.json": "ngff.multiscales.scale-length",
    "0.4/plate_suite/plate/minimal_no_acquisitions": "ngff.plate.well-path",
    "0.4/plate_suite/plate/non_alphanumeric_row": "ngff.plate.well-path",
    "0.4/strict_plate_suite/plate/strict_no_acquisitions": "ngff.plate.well-path",
    "0.6/spec/valid/image/mismatch_axes_units": "ngff.multiscales.scale-length",
    "0.6/spec/valid/image/multiscales_transform_additional_transforms": (
        "ngff.multiscales.dataset-output"
    ),
    "0.6/spec/valid/image/multiscales_transform_additional_transforms_path": (
        "ngff.multiscales.dataset-output"
    ),
    "0.6/spec/valid/plate/minimal_acquisitions": "ngff.plate.well-path",
    "0.6/spec/valid/plate/non_alphanumeric_row": "ngff.plate.well-path",
    "0.6/strict/valid/plate/strict_acquisitions": "ngff.plate.well-path",
    "0.6/strict/valid/plate/strict_no_acquisitions": "ngff.plate.well-path",
    "0.6/strict/valid/image/multiscales_example": "ngff.multiscales.dataset-input",
    "0.5/strict_plate_suite/plate/strict_no_acquisitions": "ngff.plate.field-count",
    "0.5/strict_plate_suite/plate/strict_acquisitions": "ngff.plate.field-count",
}
# 0.6 tests/zarr cases whose zarr.json, read as a document, uses the pre-0.6rc0 string form
# of "input"/"output" (or inherits an attributes erratum)
ZARR_JSON_ERRATA = {
    "spec/valid/image/mismatch_axes_units": "ngff.schema",
    "spec/valid/image/missing_name": "ngff.schema",
    "strict/valid/image/image": "ngff.schema",
    "strict/valid/image/image_metadata": "ngff.schema",
    "strict/valid/image/multiscales_example": "ngff.schema",
    "strict/valid/image/multiscales_transformations": "ngff.schema",
    "spec/valid/plate/minimal_acquisitions": "ngff.plate.well-path",
    "spec/valid/plate/non_alphanumeric_row": "ngff.plate.well-path",
    "strict/valid/plate/strict_acquisitions": "ngff.plate.well-path",
    "strict/valid/plate/strict_no_acquisitions": "ngff.plate.well-path",
}

# spec examples that contradict the spec text or the 0.6rc0 schemas
EXAMPLE_ERRATA = {
    "0.6/examples/multiscales_strict/multiscales_example_relative.json": "ngff.version.layout",
    "0.6/examples/transformations/displacements/multiscales.json": "ngff.schema",
    "0.6/examples/transformations/displacements/displacement_field.json": (
        "ngff.multiscales.scale-length"
    ),
    "0.6/examples/transformations/mapAxis1.json": "ngff.schema",
    "0.6/examples/transformations/byDimension2.json": "ngff.axes.space-count",
    "0.6/examples/transformations/byDimensionXarray.json": "ngff.schema",
    "0.6/examples/transformations/projectAxis.json": "ngff.axes.space-count",
    "0.6/examples/transformations/projectAxis2.json": "ngff.axes.space-count",
    "0.6/examples/transformations/bijection_verbose.json": (
        "ngff.transforms.unknown-coordinate-system"
    ),
}


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "attributes.json"
    path.write_text(json.dumps(data))
    return path


def _suite_cases() -> Iterator[Any]:
    for version in ("0.4", "0.5"):
        for suite in sorted((NGFF / version / "tests").glob("*_suite.json")):
            for i, test in enumerate(json.loads(suite.read_text())["tests"]):
                name = test.get("formerly") or test["description"]
                case = f"{version}/{suite.stem}/{name}"
                yield pytest.param(
                    case,
                    test["data"],
                    test["valid"],
                    suite.name.startswith("strict_"),
                    id=f"{case}#{i}",
                )


def _v06_attribute_cases() -> Iterator[Any]:
    root = NGFF / "0.6" / "tests" / "attributes"
    for path in sorted(root.rglob("*.json")):
        rel = path.relative_to(root).with_suffix("").as_posix()
        data = json.loads(path.read_text())
        data.pop("_conformance", None)
        yield pytest.param(
            f"0.6/{rel}", data, "/valid/" in f"/{rel}", rel.startswith("strict/"), id=f"0.6/{rel}"
        )


def _expected(case: str, upstream: bool, errata: dict[str, str]) -> tuple[bool, str | None]:
    if case in errata:
        return False, errata[case]
    return upstream, None


@pytest.mark.parametrize(
    ("case", "data", "upstream", "strict"), [*_suite_cases(), *_v06_attribute_cases()]
)
def test_attribute_cases(
    tmp_path: Path, case: str, data: Any, upstream: bool, strict: bool
) -> None:
    report = ngff.validate(_write(tmp_path, data), strict=strict)
    valid, rule = _expected(case, upstream, ATTRIBUTE_ERRATA)
    errors = [(i.rule, i.pointer, i.message) for i in report.errors]
    assert report.valid is valid, errors
    if rule is not None:
        assert rule in {e[0] for e in errors}
    assert report.exit_code == (0 if valid else 1)


def _zarr_cases() -> Iterator[Any]:
    root = NGFF / "0.6" / "tests" / "zarr"
    for store in sorted(root.rglob("*.ome.zarr")):
        rel = store.relative_to(root).as_posix().removesuffix(".ome.zarr")
        yield pytest.param(rel, store, "/valid/" in f"/{rel}", rel.startswith("strict/"), id=rel)


@pytest.mark.parametrize(("case", "store", "upstream", "strict"), list(_zarr_cases()))
def test_group_only_stores(case: str, store: Path, upstream: bool, strict: bool) -> None:
    """Read as stores, every case is invalid: the arrays and groups they name do not exist."""
    report = ngff.validate(store, strict=strict)
    assert report.readable
    assert not report.valid
    if upstream:
        rules = {i.rule for i in report.errors}
        assert rules & {
            "ngff.multiscales.dataset-missing",
            "ngff.plate.well-missing",
            "ngff.well.image-missing",
            "ngff.labels.not-an-image",
            *ZARR_JSON_ERRATA.values(),
            *ATTRIBUTE_ERRATA.values(),
        }, rules


@pytest.mark.parametrize(("case", "store", "upstream", "strict"), list(_zarr_cases()))
def test_group_only_store_documents(case: str, store: Path, upstream: bool, strict: bool) -> None:
    """Their zarr.json, read as a document, gets upstream's verdict (except the errata)."""
    report = ngff.validate(store / "zarr.json", strict=strict)
    valid, rule = _expected(case, upstream, ZARR_JSON_ERRATA)
    assert report.readable
    assert report.valid is valid, [(i.rule, i.pointer, i.message) for i in report.errors]
    if rule is not None:
        assert rule in {i.rule for i in report.errors}


_COMMENT = re.compile(r'("(?:[^"\\]|\\.)*")|//[^\n]*')


def strip_comments(text: str) -> str:
    return _COMMENT.sub(lambda m: m.group(1) or "", text)


def _example_cases() -> Iterator[Any]:
    for version in ("0.4", "0.5", "0.6"):
        for path in sorted((NGFF / version / "examples").rglob("*.json")):
            if path.name == ".config.json":
                continue
            config = json.loads((path.parent / ".config.json").read_text())
            rel = path.relative_to(NGFF / version / "examples").as_posix()
            yield pytest.param(version, path, config["schema"], id=f"{version}/{rel}")


@pytest.mark.parametrize(("version", "path", "schema"), list(_example_cases()))
def test_spec_examples(tmp_path: Path, version: str, path: Path, schema: str) -> None:
    data = json.loads(strip_comments(path.read_text()))
    if "coordinate_systems_and_transforms" in schema and not {"ome", "attributes"} & set(data):
        # a fragment of coordinate systems and transformations: checked as a scene holds them
        if "type" in data:
            data = {"coordinateTransformations": [data]}
        data = {"ome": {"version": "0.6rc0", "scene": data}}
    report = ngff.validate(_write(tmp_path, data))
    case = f"{version}/examples/{path.relative_to(NGFF / version / 'examples').as_posix()}"
    rule = EXAMPLE_ERRATA.get(case)
    expected = "Invalid" not in path.name and rule is None
    assert report.valid is expected, [(i.rule, i.pointer, i.message) for i in report.errors]
    if rule is not None:
        assert rule in {i.rule for i in report.errors}


def test_every_erratum_is_documented() -> None:
    text = (DATA / "ERRATA.md").read_text()
    section = text.split("## OME-Zarr", 1)[1].split("\n## ", 1)[0]
    cases = [*ATTRIBUTE_ERRATA, *EXAMPLE_ERRATA, *(f"0.6/tests/zarr/{c}" for c in ZARR_JSON_ERRATA)]
    for case in cases:
        assert f"`{case}`" in section, case
