"""Every rule id the validators can report is declared once, in a registry, with its metadata.

Two walks find the ids: the source (every rule-id literal, f-string pattern and ``parse_model``
rule at a call site) and the validators themselves, run over the conformance data and over
stores our writers produce (then broken on purpose), collecting what they report. The check
contexts also raise on an undeclared id, so a run that reported one fails here.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import geozarr
import ngff
from geozarr.rules import REGISTRY as GEOZARR_RULES
from ngff.common.rule_shapes import DECLARED
from ngff.rules import REGISTRY as NGFF_RULES
from ngff.versions import spec_version
from ngff_geozarr.core.profiles import PROFILE_RULES
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.rules import READER_RULES, Level, RuleRegistry

ROOT = Path(__file__).parents[1]
SRC = ROOT / "src"
DATA = ROOT / "tests" / "data" / "conformance"
BIN = Path(sys.executable).parent
_ID = re.compile(r"^(ngff|geozarr|zarr|target|reader)(\.[a-z0-9_:-]+)+$")
_PATTERN = re.compile(r"^(ngff|geozarr|zarr|target|reader|\{_RULE\})(\.[a-z0-9_:{}.-]+)+$")
_PREFIX = {"ngff": NGFF_RULES, "geozarr": GEOZARR_RULES, "zarr": NGFF_RULES, "target": NGFF_RULES,
           "reader": RuleRegistry(PROFILE_RULES)}  # fmt: skip
ALL_IDS = {r.id for r in NGFF_RULES} | {r.id for r in GEOZARR_RULES}


def _fstring(node: ast.JoinedStr) -> str:
    """An f-string as a pattern source: placeholders become ``{name}``."""
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        elif isinstance(value, ast.FormattedValue):
            parts.append("{" + ast.unparse(value.value) + "}")
    return "".join(parts)


def _is_module(dotted: str) -> bool:
    """Tell whether a dotted name is one of our modules (``ngff.create``), not a rule id."""
    path = SRC.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def source_ids() -> tuple[set[str], set[str], set[str]]:
    """Literal ids, f-string patterns, and the ``rule=`` ids given to ``parse_model``."""
    literals: set[str] = set()
    patterns: set[str] = set()
    model_rules: set[str] = set()
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "rules.py":
            continue  # the declarations themselves
        tree = ast.parse(path.read_text(), filename=str(path))
        pieces = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in pieces:
                    continue
                text = node.value
                # the lazy re-export tables name modules, which are no rule ids
                if (
                    _ID.match(text)
                    and not text.endswith((".py", ".json"))
                    and (text in ALL_IDS or not _is_module(text))
                ):
                    literals.add(text)
            elif isinstance(node, ast.JoinedStr):
                text = _fstring(node)
                if "{" in text and _PATTERN.match(text):
                    patterns.add(text.replace("{_RULE}", "zarr", 1))
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "rule" and isinstance(kw.value, ast.Constant):
                        model_rules.add(str(kw.value.value))
    return literals, patterns, model_rules


def _regex(pattern: str) -> re.Pattern[str]:
    pieces = re.split(r"\{[^}]*\}", pattern)
    return re.compile("[a-z0-9_-]+".join(re.escape(p) for p in pieces) + "$")


def test_every_id_in_the_source_is_declared() -> None:
    literals, patterns, model_rules = source_ids()
    assert len(literals) > 100  # the walk finds the call sites
    missing = sorted(i for i in literals if i not in _PREFIX[i.split(".")[0]])
    assert not missing, f"rule ids used in src/ but not declared: {missing}"
    for pattern in sorted(patterns):
        regex = _regex(pattern)
        assert any(regex.match(i) for i in ALL_IDS), f"no declared id matches {pattern!r}"
    # parse_model reports unknown keys under the rule's sibling "unknown-key"
    for rule in model_rules:
        assert rule in ALL_IDS, rule


def test_every_declared_id_is_reported_somewhere() -> None:
    literals, patterns, model_rules = source_ids()
    # rules whose check the rule table declares (ngff.common.rule_shapes) report themselves
    literals |= set(DECLARED)
    regexes = [_regex(p) for p in patterns]
    unknown_key = {r.rpartition(".")[0] + ".unknown-key" for r in model_rules}
    stale = sorted(
        i
        for i in ALL_IDS
        if i not in literals and i not in unknown_key and not any(r.match(i) for r in regexes)
    )
    assert not stale, f"declared but never reported by src/: {stale}"


@pytest.mark.parametrize("registry", [NGFF_RULES, GEOZARR_RULES], ids=["ngff", "geozarr"])
def test_declarations_are_complete(registry: RuleRegistry) -> None:
    for rule in registry:
        assert rule.description.strip().endswith("."), rule.id
        assert len(rule.description.split()) >= 4, rule.id
        assert rule.clause.section.strip(), rule.id
        assert rule.versions, rule.id
        assert rule.nodes, rule.id
        assert rule.id.split(".")[0] in {"zarr", "target", *rule.convention.split("-")[:1]} or (
            rule.convention == "ome-zarr" and rule.id.startswith("ngff.")
        ), rule.id
    descriptions = [r.description for r in registry]
    assert len(set(descriptions)) == len(descriptions), "two rules share one description"


def test_the_reader_rules_are_in_both_registries() -> None:
    for rule in READER_RULES:
        assert NGFF_RULES.lookup(rule.id) is rule
        assert GEOZARR_RULES.lookup(rule.id) is rule


# -- what the validators report ------------------------------------------------------------

_COMMENT = re.compile(r'("(?:[^"\\]|\\.)*")|//[^\n]*')


def _ngff_documents() -> Iterator[Any]:
    """The OME-Zarr conformance cases and spec examples, as attribute documents."""
    for version in ("0.4", "0.5"):
        for suite in sorted((DATA / "ngff" / version / "tests").glob("*_suite.json")):
            for test in json.loads(suite.read_text())["tests"]:
                yield test["data"]
    for path in sorted((DATA / "ngff" / "0.6" / "tests" / "attributes").rglob("*.json")):
        data = json.loads(path.read_text())
        data.pop("_conformance", None)
        yield data
    for version in ("0.4", "0.5", "0.6"):
        for path in sorted((DATA / "ngff" / version / "examples").rglob("*.json")):
            if path.name != ".config.json":
                text = _COMMENT.sub(lambda m: m.group(1) or "", path.read_text())
                yield json.loads(text)


def _collect(reports: list[Report], registry: RuleRegistry, seen: set[str]) -> None:
    for report in reports:
        version = spec_version(report.version) if report.convention == "ome-zarr" else None
        for issue in report.issues:
            assert issue.rule in registry, f"{report.target}: {issue.rule} is not declared"
            seen.add(issue.rule)
            # the declaration says truly which versions a rule applies to
            if version is not None and issue.rule.startswith("ngff."):
                declared = registry.lookup(issue.rule).versions
                assert version in declared, f"{issue.rule} reported for {version}: {declared}"


@pytest.fixture(scope="module")
def ngff_reported(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every rule ngff.validate reports over the conformance data and broken written stores."""
    tmp = tmp_path_factory.mktemp("ngff-rules")
    seen: set[str] = set()
    reports = []
    doc = tmp / "attributes.json"
    for i, data in enumerate(_ngff_documents()):
        doc.write_text(json.dumps(data))
        reports.append(ngff.validate(doc, strict=i % 2 == 0))
    for store in sorted((DATA / "ngff" / "0.6" / "tests" / "zarr").rglob("*.ome.zarr")):
        reports.append(ngff.validate(store, strict=True))
    volume = np.arange(4 * 32 * 32, dtype=np.uint16).reshape(4, 32, 32)
    for version in ("0.4", "0.5", "0.6"):
        image = tmp / f"image-{version}.ome.zarr"
        ngff.write_image(volume, image, axes="zyx", version=version, levels=2)
        ngff.write_labels((volume % 3).astype(np.uint8), image, "cells")
        reports.append(ngff.validate(image, strict=True))
        shutil.rmtree(image / "1")  # a level gone
        shutil.rmtree(image / "labels" / "cells" / "0")
        reports.append(ngff.validate(image, strict=True))
        shutil.rmtree(image / "labels" / "cells")  # the labels group names a missing image
        reports.append(ngff.validate(image, strict=True))
    plate = tmp / "plate.ome.zarr"
    ngff.write_plate(plate, {"A/1": [volume[0]], "B/2": [volume[1]]}, axes="yx")
    shutil.rmtree(plate / "B" / "2")
    reports.append(ngff.validate(plate, strict=True))
    _collect(reports, NGFF_RULES, seen)
    return seen


_GEO_BREAKS: list[tuple[str, dict[str, Any]]] = [
    ("", {"spatial:shape": [6, 9], "proj:code": "EPSG:999999"}),
    ("", {"spatial:bbox": [0.0, 0.0, 1.0, 1.0], "spatial:transform_type": "rpc"}),
    ("", {"spatial:bbox": [0.0, 0.0, 1.0, 1.0], "proj:wkt2": "not WKT", "proj:epsg": 4326}),
    ("", {"multiscales": {"layout": [{"asset": "data"}, {"asset": "gone", "derived_from": "x"}],
                          "resampling_method": "weird"}}),
    ("data", {"standard_name": "no_such_quantity", "grid_mapping": "nothing"}),
    ("data", {"coordinates": "lat lon", "spatial:dimensions": ["row", "col"]}),
    ("spatial_ref", {"grid_mapping_name": "bogus", "GeoTransform": "1 2"}),
    ("x", {"standard_name": "projection_x_coordinate", "units": "kg"}),
]  # fmt: skip


@pytest.fixture(scope="module")
def geozarr_reported(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every rule geozarr.validate reports over the conformance data and broken written stores."""
    tmp = tmp_path_factory.mktemp("geozarr-rules")
    seen: set[str] = set()
    reports = []
    documents = sorted((DATA / "geozarr" / "conventions").glob("*/examples/*.json"))
    documents += sorted((DATA / "geozarr" / "eopf").glob("*_examples/*.json"))
    for i, path in enumerate(documents):
        reports.append(geozarr.validate(path, strict=i % 2 == 0))
        reports.append(geozarr.validate(path, profile="v0.4"))
    raster = tmp / "dem.zarr"
    data = np.linspace(0, 1, 64 * 48, dtype=np.float32).reshape(64, 48)
    geozarr.write(data, raster, crs="EPSG:32632", transform=(30, 0, 5e5, 0, -30, 5.2e6))
    geozarr.pyramid(raster)
    reports.append(geozarr.validate(raster, strict=True))
    for i, (node, change) in enumerate(_GEO_BREAKS):
        broken = shutil.copytree(raster, tmp / f"broken-{i}.zarr")
        path = broken / node / "zarr.json"
        doc = json.loads(path.read_text())
        doc["attributes"].update(change)
        path.write_text(json.dumps(doc))
        reports.append(geozarr.validate(broken, strict=i % 2 == 0))
    for name in ("x", "y"):
        shutil.rmtree(raster / name)  # the coordinates the CF attributes name are gone
    reports.append(geozarr.validate(raster, strict=True))
    _collect(reports, GEOZARR_RULES, seen)
    return seen


def test_ngff_reports_only_declared_rules(ngff_reported: set[str]) -> None:
    # the walk reaches the metadata rules, the store checks and the reader's rules
    assert {
        "ngff.schema",
        "ngff.multiscales.dataset-missing",
        "ngff.labels.label-missing",
        "ngff.plate.well-missing",
    } <= ngff_reported
    assert len(ngff_reported) >= 40, sorted(ngff_reported)


def test_geozarr_reports_only_declared_rules(geozarr_reported: set[str]) -> None:
    assert {
        "geozarr.none",
        "geozarr.conventions.noncanonical",
        "geozarr.v04.grid-mapping",
        "geozarr.multiscales.transform-required",
        "geozarr.cf.grid-mapping-missing",
        "zarr.consolidated.stale",
    } <= geozarr_reported
    assert len(geozarr_reported) >= 20, sorted(geozarr_reported)


# -- the rules commands ----------------------------------------------------------------------

_RULE_KEYS = {
    "id", "level", "levels", "severity", "convention", "versions", "nodes", "clause",
    "description",
}  # fmt: skip
_SEVERITY = {
    "MUST": {"default": "error", "strict": "error"},
    "SHOULD": {"default": "warning", "strict": "error"},
    "ADVICE": {"default": "warning", "strict": "warning"},
}


def rules_command(command: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / command), "rules", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("command", "convention", "registry"),
    [("ngff", "ome-zarr", NGFF_RULES), ("geozarr", "geozarr", GEOZARR_RULES)],
)
def test_rules_json_schema(command: str, convention: str, registry: RuleRegistry) -> None:
    result = rules_command(command, "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"convention", "rules"}
    assert doc["convention"] == convention
    ids = [r["id"] for r in doc["rules"]]
    assert ids == sorted(ids)
    assert set(ids) == {r.id for r in registry}
    assert {r.id for r in READER_RULES} <= set(ids)
    for entry in doc["rules"]:
        assert set(entry) == _RULE_KEYS, entry["id"]
        assert entry["level"] in _SEVERITY
        assert entry["levels"][0] == entry["level"]
        assert set(entry["levels"]) <= set(_SEVERITY)
        assert entry["severity"] == _SEVERITY[entry["level"]]
        assert entry["description"].strip()
        assert entry["versions"]
        assert all(isinstance(v, str) for v in (*entry["versions"], *entry["nodes"]))
        assert set(entry["clause"]) == {"section", "quote", "url"}
        assert entry["clause"]["section"].strip()
        assert entry["clause"]["url"] == "" or entry["clause"]["url"].startswith("https://")


@pytest.mark.parametrize(
    ("command", "registry"), [("ngff", NGFF_RULES), ("geozarr", GEOZARR_RULES)]
)
def test_rules_text_lists_every_rule(command: str, registry: RuleRegistry) -> None:
    result = rules_command(command)
    assert result.returncode == 0, result.stderr
    heads = [line.split()[0] for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert heads[:-1] == [r.id for r in registry]
    assert result.stdout.splitlines()[-1] == f"{len(registry)} rules"
    should = next(r for r in registry if r.level is Level.SHOULD)
    assert f"{should.id}  SHOULD (warning, error under --strict)" in result.stdout
