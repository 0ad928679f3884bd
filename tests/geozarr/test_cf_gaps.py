"""CF rules that close gaps of docs/reference/coverage/cf.md.

Each test breaks one CF sentence in the valid raster store of the conftest (or in an array
added to it) and checks that its rule fires there, and not on the twin that keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import geozarr
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.store import open_store

Doc = dict[str, Any]


def found(report: Report, rule: str) -> list[tuple[str, str, str]]:
    """``(severity, path, pointer)`` of every issue of ``rule``."""
    return [(i.severity.value, i.path, i.pointer) for i in report.issues if i.rule == rule]


def add_array(root: Path, name: str, values: Any, dims: tuple[str, ...], attributes: Doc) -> None:
    with open_store(root, "r+") as store:
        store.create_array(name, np.asarray(values), dimension_names=dims, attributes=attributes)


@pytest.fixture
def store(tmp_path: Path, builders: dict[str, Callable[..., Path]]) -> Path:
    root = builders["raster"](tmp_path / "raster.zarr")
    assert geozarr.validate(root).issues == ()
    return root


def attrs_of(change: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        change(doc["attributes"])

    return apply


def test_dimensional_variable_without_units(
    store: Path, edit: Callable[[Path, Callable[[Doc], None]], None]
) -> None:
    edit(store / "x" / "zarr.json", attrs_of(lambda a: a.pop("units")))
    report = geozarr.validate(store)
    assert found(report, "geozarr.cf.units-missing") == [("error", "x", "/attributes")]
    # a dimensionless standard name needs no units
    add_array(store, "frac", [0.5], ("frac",), {"standard_name": "cloud_area_fraction"})
    assert [p for _, p, _ in found(geozarr.validate(store), "geozarr.cf.units-missing")] == ["x"]


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        ("days since 2000-01-01", []),
        ("days", [("warning", "time", "/attributes/units")]),
        ("days since ", [("error", "time", "/attributes/units")]),
        (None, []),
    ],
)
def test_time_units_name_a_reference_date(
    store: Path, units: str | None, expected: list[tuple[str, str, str]]
) -> None:
    attributes: Doc = {"standard_name": "time", "axis": "T"}
    if units is not None:
        attributes["units"] = units
    add_array(store, "time", [0.0, 1.0], ("time",), attributes)
    report = geozarr.validate(store)
    assert found(report, "geozarr.cf.time-units") == expected
    missing = found(report, "geozarr.cf.units-missing")
    assert missing == ([("error", "time", "/attributes")] if units is None else [])


def test_time_units_without_since_are_an_error_under_strict(store: Path) -> None:
    add_array(store, "time", [0.0], ("time",), {"axis": "T", "units": "hours"})
    assert found(geozarr.validate(store, strict=True), "geozarr.cf.time-units") == [
        ("error", "time", "/attributes/units")
    ]


@pytest.mark.parametrize(
    ("attributes", "fires"),
    [
        ({"axis": "Z", "units": "m"}, True),
        ({"axis": "Z", "units": "m", "positive": "up"}, False),
        ({"axis": "Z", "units": "hPa"}, False),
        ({"standard_name": "depth", "units": "m"}, True),
    ],
)
def test_vertical_coordinate_needs_positive(store: Path, attributes: Doc, fires: bool) -> None:
    add_array(store, "z", [0.0, 10.0], ("z",), attributes)
    expected = [("error", "z", "/attributes")] if fires else []
    assert found(geozarr.validate(store), "geozarr.cf.positive") == expected


def test_two_coordinates_with_one_axis(
    store: Path, edit: Callable[[Path, Callable[[Doc], None]], None]
) -> None:
    xs = np.arange(8, dtype="float64")
    add_array(store, "col", xs, ("x",), {"long_name": "column index", "units": "1"})
    edit(store / "elevation" / "zarr.json", attrs_of(lambda a: a.update(coordinates="col")))
    assert found(geozarr.validate(store), "geozarr.cf.axis-unique") == []
    edit(store / "col" / "zarr.json", attrs_of(lambda a: a.update(axis="X")))
    assert found(geozarr.validate(store), "geozarr.cf.axis-unique") == [
        ("error", "elevation", "/attributes")
    ]


def _packed(store: Path, dtype: str, **attributes: Any) -> Report:
    add_array(
        store,
        "packed",
        np.zeros((6, 8), dtype=dtype),
        ("y", "x"),
        {"grid_mapping": "spatial_ref", "scale_factor": 0.01, "add_offset": 0.0, **attributes},
    )
    return geozarr.validate(store)


def test_packed_data_is_a_small_integer(store: Path) -> None:
    assert found(_packed(store, "int16", _FillValue=-9999), "geozarr.cf.packed-type") == []


def test_packed_float_is_reported(store: Path) -> None:
    assert found(_packed(store, "float32"), "geozarr.cf.packed-type") == [
        ("error", "packed", "/data_type")
    ]


@pytest.mark.parametrize(
    ("key", "value"), [("_FillValue", 1.5), ("valid_range", [0, 70000]), ("valid_min", "a")]
)
def test_packed_missing_values_are_of_the_packed_type(store: Path, key: str, value: Any) -> None:
    report = _packed(store, "int16", **{key: value})
    assert found(report, "geozarr.cf.packed-type") == [("error", "packed", f"/attributes/{key}")]


def test_fill_value_inside_valid_range_is_a_warning(
    store: Path, edit: Callable[[Path, Callable[[Doc], None]], None]
) -> None:
    def ranged(fill: float) -> Callable[[Doc], None]:
        return attrs_of(lambda a: a.update({"_FillValue": fill, "valid_range": [0.0, 500.0]}))

    edit(store / "elevation" / "zarr.json", ranged(-9999.0))
    assert found(geozarr.validate(store), "geozarr.cf.fill-value-valid-range") == []
    edit(store / "elevation" / "zarr.json", ranged(0.0))
    assert found(geozarr.validate(store), "geozarr.cf.fill-value-valid-range") == [
        ("warning", "elevation", "/attributes/_FillValue")
    ]


def test_variable_and_dimension_names(store: Path) -> None:
    add_array(store, "ok_name2", [1.0], ("ok_name2",), {"long_name": "fine"})
    assert found(geozarr.validate(store), "geozarr.cf.name") == []
    add_array(store, "2m", [1.0], ("2m",), {"long_name": "starts with a digit"})
    add_array(store, "band", [1.0], ("band-dim",), {"long_name": "hyphenated dimension"})
    assert sorted(found(geozarr.validate(store), "geozarr.cf.name")) == [
        ("warning", "2m", ""),
        ("warning", "band", "/dimension_names/0"),
    ]
