"""Shipped data and generated files stay in step with their sources; small model helpers."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from geozarr.cf.standard_names import compact_table, load_table
from geozarr.cf.units import compatible
from geozarr.cf.variables import decode_fill_value
from geozarr.conventions.registry import PROJ, ConventionMetadata, identify
from geozarr.schemas import schema_documents

ROOT = Path(__file__).parents[2]
XML = ROOT / "tests" / "data" / "conformance" / "cf" / "cf-standard-name-table.xml"


def test_shipped_standard_names_match_the_xml_table() -> None:
    table = load_table()
    expected = compact_table(XML.read_bytes())
    assert (table.version, table.units, table.aliases) == (
        expected["version"],
        expected["units"],
        expected["aliases"],
    )
    assert len(table.units) == 5023
    shipped = ROOT / "src" / "geozarr" / "data" / "cf_standard_names.json.gz"
    assert json.loads(gzip.decompress(shipped.read_bytes())) == expected


def test_schemas_are_current() -> None:
    for rel, text in schema_documents().items():
        path = ROOT / "schemas" / "geozarr" / rel
        assert path.exists(), f"missing {path}: run python -m geozarr.schemas"
        assert path.read_text() == text, f"stale {path}: run python -m geozarr.schemas"


@pytest.mark.parametrize(
    "url",
    [
        "https://raw.githubusercontent.com/zarr-experimental/geo-proj/refs/tags/v1/schema.json",
        "https://raw.githubusercontent.com/zarr-conventions/geo-proj/refs/tags/v1/schema.json",
        "https://raw.githubusercontent.com/zarr-conventions/proj/refs/tags/v0.1/schema.json",
    ],
)
def test_every_proj_url_variant_is_recognised_without_uuid(url: str) -> None:
    assert identify(ConventionMetadata(schema_url=url, name="proj:")) is PROJ


@pytest.mark.parametrize(
    ("units", "canonical", "expected"),
    [
        ("kg m-2 s-1", "kg m-2 s-1", True),
        ("mm/day", "m s-1", True),
        ("W m**-2", "W m-2", True),
        ("degC", "K", True),
        ("degrees_north", "degree", True),
        ("m", "K", False),
        ("kg m**-2", "m", False),
        ("~", "1", None),
        ("W m-2 sr-1 (m-1)-1", "W m-2 sr-1 (m-1)-1", None),
    ],
)
def test_units_compatibility(units: str, canonical: str, expected: bool | None) -> None:
    assert compatible(units, canonical) is expected


@pytest.mark.parametrize(
    ("raw", "nan"),
    [("NaN", True), ("AAAAAAAA+H8=", True), ("AADAfw==", True), ("0x7fc00000", True), (0, False)],
)
def test_fill_value_forms(raw: object, nan: bool) -> None:
    value = decode_fill_value(raw)
    assert value is not None
    assert (value != value) is nan
