"""CF rules that close gaps of docs/reference/coverage/cf.md.

Each test breaks one CF sentence in the valid raster store of the conftest (or in an array
added to it) and checks that its rule fires there, and not on the twin that keeps it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

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


def test_names_equal_up_to_case_are_a_warning(store: Path) -> None:
    add_array(store, "band", [1.0], ("band",), {"long_name": "b"})
    assert found(geozarr.validate(store), "geozarr.cf.name-case") == []
    add_array(store, "Band", [1.0], ("Band",), {"long_name": "B"})
    report = geozarr.validate(store)
    assert [p for _, p, _ in found(report, "geozarr.cf.name-case")] == ["band"]


def test_repeated_dimension_names_are_an_error(store: Path) -> None:
    add_array(store, "square", np.zeros((8, 8)), ("x", "x"), {"long_name": "s"})
    assert found(geozarr.validate(store), "geozarr.cf.dimensions-unique") == [
        ("error", "square", "/dimension_names")
    ]


def test_multidimensional_coordinate_named_like_its_dimension(
    store: Path, edit: Callable[[Path, Callable[[Doc], None]], None]
) -> None:
    add_array(store, "lat", np.zeros((6, 8)), ("y", "x"), {"long_name": "lat", "units": "1"})
    edit(store / "elevation" / "zarr.json", attrs_of(lambda a: a.update(coordinates="lat")))
    assert found(geozarr.validate(store), "geozarr.cf.coordinate-name") == []
    add_array(store, "lon", np.zeros((6, 8)), ("lon", "x"), {"long_name": "lon", "units": "1"})
    add_array(store, "lon2", np.zeros((6, 8)), ("y", "x"), {"long_name": "unused"})
    edit(store / "elevation" / "zarr.json", attrs_of(lambda a: a.update(coordinates="lat lon")))
    assert found(geozarr.validate(store), "geozarr.cf.coordinate-name") == [("warning", "lon", "")]


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"units": "K", "units_metadata": "temperature: on_scale"}, []),
        ({"units": "K"}, [("warning", "t", "/attributes")]),
        (
            {"units": "K", "units_metadata": "on_scale"},
            [("error", "t", "/attributes/units_metadata")],
        ),
        (
            {"units": "m", "units_metadata": "temperature: unknown"},
            [("error", "t", "/attributes/units_metadata")],
        ),
        (
            {"units_metadata": "temperature: unknown"},
            [("error", "t", "/attributes/units_metadata")],
        ),
        ({"units": "m"}, []),
    ],
)
def test_units_metadata(store: Path, attributes: Doc, expected: list[Any]) -> None:
    add_array(store, "t", [1.0], ("t",), attributes)
    assert found(geozarr.validate(store), "geozarr.cf.units-metadata") == expected


@pytest.mark.parametrize(
    ("change", "fires"),
    [
        ({}, False),
        ({"inverse_flattening": 300.0}, True),
        ({"semi_minor_axis": 6378137.0, "inverse_flattening": 0}, False),
        ({"semi_minor_axis": 6378137.0}, True),
    ],
)
def test_ellipsoid_axes_and_flattening_agree(
    store: Path, edit: Callable[[Path, Callable[[Doc], None]], None], change: Doc, fires: bool
) -> None:
    edit(store / "spatial_ref" / "zarr.json", attrs_of(lambda a: a.update(change)))
    expected = [("error", "spatial_ref", "/attributes/inverse_flattening")] if fires else []
    assert found(geozarr.validate(store), "geozarr.cf.ellipsoid") == expected


@pytest.mark.parametrize(
    ("drop", "fires"),
    [((), False), (("prime_meridian_name",), True), (("geographic_crs_name",), True)],
)
def test_crs_names_come_together(
    store: Path,
    edit: Callable[[Path, Callable[[Doc], None]], None],
    drop: tuple[str, ...],
    fires: bool,
) -> None:
    def change(a: Doc) -> None:
        for key in drop:
            a.pop(key)

    edit(store / "spatial_ref" / "zarr.json", attrs_of(change))
    expected = [("error", "spatial_ref", "/attributes")] if fires else []
    assert found(geozarr.validate(store), "geozarr.cf.crs-names") == expected


def test_projected_crs_name_needs_geographic_crs_name(
    store: Path, edit: Callable[[Path, Callable[[Doc], None]], None]
) -> None:
    def change(a: Doc) -> None:
        for key in ("reference_ellipsoid_name", "prime_meridian_name", "horizontal_datum_name"):
            a.pop(key)
        a.pop("geographic_crs_name")

    edit(store / "spatial_ref" / "zarr.json", attrs_of(change))
    assert "projected_crs_name" in (store / "spatial_ref" / "zarr.json").read_text()
    assert found(geozarr.validate(store), "geozarr.cf.crs-names") == [
        ("error", "spatial_ref", "/attributes")
    ]


@pytest.mark.parametrize(
    ("dims", "fires"), [(("band", "y", "x"), False), (("y", "x", "band"), True)]
)
def test_other_dimensions_go_left_of_the_spatial_ones(
    store: Path, dims: tuple[str, ...], fires: bool
) -> None:
    add_array(store, "band", [1, 2, 3], ("band",), {"long_name": "band number"})
    shape = {"band": 3, "y": 6, "x": 8}
    values = np.zeros(tuple(shape[d] for d in dims), dtype="float32")
    add_array(store, "stack", values, dims, {"grid_mapping": "spatial_ref", "units": "1"})
    expected = [("warning", "stack", "/dimension_names")] if fires else []
    assert found(geozarr.validate(store), "geozarr.cf.dimension-order") == expected


def test_dimension_issues_point_at_the_v2_attribute(tmp_path: Path) -> None:
    """Zarr v2 keeps the names in ``_ARRAY_DIMENSIONS``: the issues point there instead."""
    out = tmp_path / "v2.zarr"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root = zarr.open_group(out, mode="w", zarr_format=2)
        square = root.create_array("square", shape=(4, 4), dtype="float32", fill_value=0)
        square.attrs.update({"_ARRAY_DIMENSIONS": ["x", "x"], "long_name": "s"})
        band = root.create_array("band", shape=(1,), dtype="float32", fill_value=0)
        band.attrs.update({"_ARRAY_DIMENSIONS": ["band-dim"], "long_name": "b"})
    report = geozarr.validate(out, profile="cf")
    assert found(report, "geozarr.cf.dimensions-unique") == [
        ("error", "square", "/attributes/_ARRAY_DIMENSIONS")
    ]
    assert ("warning", "band", "/attributes/_ARRAY_DIMENSIONS/0") in found(
        report, "geozarr.cf.name"
    )


@pytest.mark.parametrize(
    ("conventions", "warned"),
    [("CF-1.10", False), ("CF-1.8 ACDD-1.3", False), ("CF-1.11", True), ("CF-1.12", True)],
)
def test_units_metadata_is_recommended_from_cf_1_11_only(
    store: Path, edit: Callable[[Path, Callable[[Doc], None]], None], conventions: str, warned: bool
) -> None:
    """Regression: the CF-1.11 recommendation fired on stores declaring CF-1.10."""
    edit(store / "zarr.json", attrs_of(lambda a: a.update(Conventions=conventions)))
    add_array(store, "t", [1.0], ("t",), {"units": "K"})
    expected = [("warning", "t", "/attributes")] if warned else []
    assert found(geozarr.validate(store), "geozarr.cf.units-metadata") == expected
