"""Conformance: the conventions' own examples, the EOPF product dumps, PROJJSON documents.

Material copied from ../shared/conformance (provenance in tests/data/conformance/README.md);
where our verdict differs from a fixture's, tests/data/conformance/ERRATA.md says why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import geozarr
from geozarr.crs import parse_crs

DATA = Path(__file__).parents[1] / "data" / "conformance" / "geozarr"
EXAMPLES = sorted((DATA / "conventions").glob("*/examples/*.json"))
SCHEMA_URL_QUIRKS = {"geozarr.conventions.noncanonical", "geozarr.proj.unknown-key"}

# ERRATA.md: the array examples carry no Zarr array metadata (shape, data_type, ...), which the
# Zarr v3 core spec requires of a zarr.json with node_type "array"; minimal.json declares only
# a hypothetical convention, so nothing geospatial.
ERRATA_ERRORS = {
    "geo-proj/epsg26711.json": {"zarr.metadata.invalid"},
    "geo-proj/epsg3587.json": {"zarr.metadata.invalid"},
    "geo-proj/wkt2.json": {"zarr.metadata.invalid"},
    "spatial/proj.json": {"zarr.metadata.invalid"},
    "zarr-conventions-spec/minimal.json": {"zarr.metadata.invalid", "geozarr.none"},
}

_DUMP_RULES = {
    "geozarr.cf.standard-name",  # standard_name "unknown" on the CAMS/ECMWF variables
    "geozarr.cf.units",  # tcwv: "kg m**-2" for a quantity whose canonical units are "m"
    "geozarr.conventions.noncanonical",
    "geozarr.conventions.undeclared",
    "geozarr.proj.unknown-key",  # STAC-style proj:epsg / proj:bbox / proj:shape / proj:transform
    "geozarr.proj.wkt2-version",  # WKT1 (PROJCS) in proj:wkt2
    "geozarr.spatial.bbox-order",  # spatial:bbox [0, 0, 0, 0]
}
S2A = "S2A_MSIL2A_20251008T100041_N0511_R122_T32TQM_20251008T122613.json"
S2B = "S2B_MSIL1C_20250113T103309_N0511_R108_T32TLQ_20250113T122458.json"
S2C = "S2C_MSIL2A_20250811T112131_N0511_R037_T29TPF_20250811T152216.json"
S1A = "S1A_IW_GRDH_1SDV_20241124T180254_20241124T180319_056700_06F516_BA27.json"
S1C = "S1C_IW_GRDH_1SDV_20250912T053648_20250912T053713_004087_0081FD_5AA4.json"
EOPF_RULES = {
    "geoproj_examples/epsg26711.json": SCHEMA_URL_QUIRKS | {"zarr.metadata.invalid"},
    "geoproj_examples/epsg3587.json": SCHEMA_URL_QUIRKS | {"zarr.metadata.invalid"},
    "geoproj_examples/multiscales.json": {"geozarr.conventions.noncanonical"},
    "geoproj_examples/wkt2.json": SCHEMA_URL_QUIRKS | {"zarr.metadata.invalid"},
    f"geozarr_examples/{S2A}": _DUMP_RULES,
    f"geozarr_examples/{S2B}": _DUMP_RULES,
    f"optimized_geozarr_examples/{S2A}": _DUMP_RULES,
    f"optimized_geozarr_examples/{S2C}": _DUMP_RULES,
    f"s1_examples/{S1A}": {"geozarr.none"},
    f"s1_examples/{S1C}": {"geozarr.none"},
    f"s2_examples/{S2A}": {
        "geozarr.cf.standard-name", "geozarr.cf.units", "geozarr.conventions.undeclared"},
    f"s2_examples/{S2C}": {
        "geozarr.cf.standard-name", "geozarr.cf.units", "geozarr.conventions.undeclared"},
    "zcm_multiscales_examples/array-based-pyramid.json": {"geozarr.conventions.noncanonical"},
    "zcm_multiscales_examples/power-of-2-pyramid.json": {"geozarr.conventions.noncanonical"},
    "zcm_multiscales_examples/sentinel-2-multiresolution.json": SCHEMA_URL_QUIRKS,
}  # fmt: skip


def _key(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.name}"


@pytest.mark.parametrize("path", EXAMPLES, ids=_key)
def test_every_conventions_example_validates_without_error(path: Path) -> None:
    report = geozarr.validate(path)
    assert {i.rule for i in report.errors} == ERRATA_ERRORS.get(_key(path), set())
    assert {i.rule for i in report.warnings} <= SCHEMA_URL_QUIRKS


def test_the_examples_are_all_there() -> None:
    assert len(EXAMPLES) == 15


@pytest.mark.parametrize("name", sorted(EOPF_RULES))
def test_every_eopf_dump_validates_with_the_pinned_rules(name: str) -> None:
    report = geozarr.validate(DATA / "eopf" / name)
    assert report.readable
    assert {i.rule for i in report.issues} == EOPF_RULES[name]


def test_the_eopf_conversion_reads_every_node() -> None:
    name = f"geozarr_examples/{S2A}"
    report = geozarr.validate(DATA / "eopf" / name)
    assert (report.convention, report.version, report.node_type) == (
        "geozarr",
        "cf+conventions",
        "dataset",
    )
    paths = {i.path for i in report.issues if i.rule == "geozarr.proj.wkt2-version"}
    assert "measurements/reflectance/r10m/b02" in paths
    assert len(paths) == 84  # every band array under every resolution, not the root alone


@pytest.mark.parametrize(
    "path", sorted((DATA / "eopf" / "projjson_examples").glob("*.json")), ids=lambda p: p.name
)
def test_projjson_documents_parse_or_are_reported(path: Path) -> None:
    parsed = parse_crs("projjson", json.loads(path.read_text()))
    if path.name == "transformation.json":  # a coordinate operation, not a CRS
        assert parsed.crs is None
        assert parsed.problem is not None
        assert "PROJJSON" in parsed.problem
    else:
        assert parsed.crs is not None, parsed.problem
