"""Issue 13, "Why": the validator's false negatives, each a store that must now be found.

Every broken store is made the way it happens in practice (xarray / rioxarray writing Zarr v2
and v3, ``geozarr.write`` then edited as another tool would leave it), and its real consequence
is shown beside the finding where a reader shows it (xarray failing to open the group,
never-written chunks decoding as valid data). The realistic valid stores -- a GHRSST-like
Dataset (time, packed int16, two variables, EPSG:4326 via ``spatial_ref`` with ``crs_wkt``) and
a rioxarray DataArray whose grid mapping is named ``crs``, each in Zarr v2 and v3 -- raise no
issue, under ``--strict`` too.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import zarr
from affine import Affine

import geozarr
from geozarr.convert import convert
from geozarr.detection import discover
from geozarr.report import build_report
from geozarr.validate import checking_values
from ngff_geozarr.core.hierarchy import hierarchy_from_store
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.store.opening import opened

rioxarray = pytest.importorskip("rioxarray")

pytestmark = [
    pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::zarr.errors.UnstableSpecificationWarning"),
]

Doc = dict[str, Any]
GDAL_312 = Path(__file__).resolve().parents[2] / ".venv-gdal" / "bin" / "python"
UTM = (30.0, 0.0, 500_000.0, 0.0, -30.0, 5_200_020.0)
NY, NX = 40, 30


def issues(report: Report, rule: str | None = None) -> list[tuple[str, str, str, str]]:
    """``(severity, rule, path, pointer)`` of the report's issues (of one rule)."""
    return [
        (i.severity.value, i.rule, i.path, i.pointer)
        for i in report.issues
        if rule is None or i.rule == rule
    ]


def message(report: Report, rule: str) -> str:
    (found,) = [i.message for i in report.issues if i.rule == rule]
    return found


def edit(store: Path, node: str, change: Callable[[Doc], None]) -> None:
    """Edit a node's metadata document (v3 zarr.json, v2 .zattrs) and drop consolidation."""
    v3 = (store / "zarr.json").exists()
    path = store / node / ("zarr.json" if v3 else ".zattrs")
    doc = json.loads(path.read_text())
    change(doc["attributes"] if v3 else doc)
    path.write_text(json.dumps(doc))
    root = store / "zarr.json"
    if v3:
        top = json.loads(root.read_text())
        top.pop("consolidated_metadata", None)
        root.write_text(json.dumps(top))
    else:
        (store / ".zmetadata").unlink(missing_ok=True)


def write_values(store: Path, name: str, values: np.ndarray) -> None:
    zarr.open_array(store / name, mode="r+")[:] = values


# -- realistic valid stores --------------------------------------------------------------------


def ghrsst(tmp: Path, zarr_format: int) -> Path:
    """A GHRSST-like Dataset: time, packed int16 SST, a flag variable, EPSG:4326 spatial_ref."""
    lat = 50.0 - 0.25 * (np.arange(20) + 0.5)
    lon = -10.0 + 0.25 * (np.arange(24) + 0.5)
    sst = 290.0 + np.random.default_rng(0).random((2, 20, 24))
    sst[:, :3, :3] = np.nan
    ds = xr.Dataset(
        {
            "analysed_sst": (
                ("time", "lat", "lon"),
                sst,
                {
                    "units": "K",
                    "units_metadata": "temperature: on_scale",
                    "standard_name": "sea_surface_temperature",
                },
            ),
            "mask": (
                ("time", "lat", "lon"),
                np.ones((2, 20, 24), np.int8),
                {"flag_values": [1], "flag_meanings": "water", "long_name": "mask"},
            ),
        },
        coords={
            "time": np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[ns]"),
            "lat": ("lat", lat, {"standard_name": "latitude", "units": "degrees_north"}),
            "lon": ("lon", lon, {"standard_name": "longitude", "units": "degrees_east"}),
        },
    )
    ds = ds.rio.write_crs("EPSG:4326").rio.set_spatial_dims(x_dim="lon", y_dim="lat")
    encoding: dict[str, Any] = {
        "dtype": "int16",
        "scale_factor": 0.01,
        "add_offset": 273.15,
        "_FillValue": -32768,
    }
    if zarr_format == 3:
        encoding["fill_value"] = -32768  # xarray's v3 default would be 0 (see below)
    out = tmp / f"ghrsst-v{zarr_format}.zarr"
    ds.to_zarr(
        out, zarr_format=zarr_format, consolidated=False, encoding={"analysed_sst": encoding}
    )
    return out


def rio_dem(tmp: Path, zarr_format: int, *, fill_value: bool = True) -> Path:
    """A rioxarray DataArray in UTM, -9999 nodata, its grid mapping named ``crs``."""
    ys = UTM[5] + UTM[4] * (np.arange(NY) + 0.5)
    xs = UTM[2] + UTM[0] * (np.arange(NX) + 0.5)
    data = np.linspace(0, 500, NY * NX, dtype=np.float32).reshape(NY, NX)
    da = xr.DataArray(data, dims=("y", "x"), coords={"y": ys, "x": xs}, name="dem")
    da = da.rio.write_crs("EPSG:32633", grid_mapping_name="crs")
    da = da.rio.write_nodata(-9999.0, encoded=True)
    # xarray replaces a variable's encoding by the one given: keep grid_mapping and _FillValue
    encoding = (
        {"dem": {**da.encoding, "fill_value": -9999.0}} if zarr_format == 3 and fill_value else None
    )
    out = tmp / f"dem-v{zarr_format}{'' if fill_value else '-default'}.zarr"
    da.to_dataset().to_zarr(out, zarr_format=zarr_format, consolidated=False, encoding=encoding)
    return out


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("build", [ghrsst, rio_dem], ids=["ghrsst", "rioxarray-crs"])
def test_realistic_stores_raise_no_issue(
    tmp_path: Path, build: Callable[[Path, int], Path], zarr_format: int
) -> None:
    store = build(tmp_path, zarr_format)
    assert issues(geozarr.validate(store, strict=True)) == []
    with xr.open_zarr(store, consolidated=False, decode_coords="all") as ds:
        name = "dem" if "dem" in ds else "analysed_sst"
        assert ds[name].rio.crs is not None  # they are what they claim


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """geozarr.write's own output (v3, CF grid mapping with GeoTransform, spatial:, proj:)."""
    data = np.linspace(0, 100, NY * NX, dtype=np.float32).reshape(NY, NX)
    out = tmp_path / "written.zarr"
    geozarr.write(data, out, crs="EPSG:32633", transform=UTM, chunks=(16, 16))
    assert issues(geozarr.validate(out, strict=True)) == []
    return out


# -- 1. Zarr v2 arrays without _ARRAY_DIMENSIONS ---------------------------------------------


def test_geozarr_convert_to_v2_output_opens_in_xarray_and_validates(
    written: Path, tmp_path: Path
) -> None:
    v2 = tmp_path / "v2.zarr"
    convert(written, v2, zarr_format=2)
    assert issues(geozarr.validate(v2, strict=True)) == []
    for name in ("data", "x", "y", "spatial_ref"):
        assert "_ARRAY_DIMENSIONS" in json.loads((v2 / name / ".zattrs").read_text())
    with xr.open_zarr(v2, consolidated=False) as ds:
        assert ds["data"].dims == ("y", "x")


@pytest.mark.parametrize(
    ("node", "fix"),
    [("spatial_ref", '"_ARRAY_DIMENSIONS": []'), ("data", '"_ARRAY_DIMENSIONS" with 2')],
)
def test_v2_array_without_array_dimensions_is_an_error(
    written: Path, tmp_path: Path, node: str, fix: str
) -> None:
    v2 = tmp_path / "v2.zarr"
    convert(written, v2, zarr_format=2)
    edit(v2, node, lambda attrs: attrs.pop("_ARRAY_DIMENSIONS"))
    with pytest.raises(KeyError, match="_ARRAY_DIMENSIONS"):
        xr.open_zarr(v2, consolidated=False)  # the consequence: xarray cannot open the group
    report = geozarr.validate(v2)
    assert issues(report, "geozarr.xarray.array-dimensions") == [
        ("error", "geozarr.xarray.array-dimensions", node, "/attributes")
    ]
    assert fix in message(report, "geozarr.xarray.array-dimensions")
    assert not report.valid


def test_v3_arrays_need_no_array_dimensions_attribute(written: Path) -> None:
    # dimension_names is the v3 field; 0-D arrays have none and need none
    assert "_ARRAY_DIMENSIONS" not in json.loads(
        (written / "spatial_ref" / "zarr.json").read_text()
    )
    assert issues(geozarr.validate(written), "geozarr.xarray.array-dimensions") == []


# -- 2. coordinate values against spatial:transform ------------------------------------------


def _without_geotransform(store: Path, *, cf: bool) -> None:
    """Leave only spatial:transform to compare with (as a conventions-only writer would)."""
    edit(store, "spatial_ref", lambda a: a.pop("GeoTransform"))
    if not cf:  # no CF marker at all: the conventions profile alone runs
        shutil.rmtree(store / "spatial_ref")
        edit(store, "data", lambda a: a.pop("grid_mapping"))
        for name in ("x", "y"):
            edit(store, name, lambda a: a.pop("standard_name", None))


CENTRES_Y = UTM[5] + UTM[4] * (np.arange(NY) + 0.5)
CENTRES_X = UTM[2] + UTM[0] * (np.arange(NX) + 0.5)


@pytest.mark.parametrize("cf", [True, False], ids=["cf", "conventions-only"])
@pytest.mark.parametrize(
    ("name", "values", "words"),
    [
        ("y", CENTRES_Y + 15.0, "half a pixel (15) off: they look like cell edges"),
        ("x", CENTRES_X - 15.0, "half a pixel (-15) off"),
        ("y", CENTRES_Y[::-1].copy(), "run the opposite way"),
        ("y", 2 * UTM[5] - CENTRES_Y, "run the opposite way"),  # e's sign flipped
        ("x", UTM[2] + 20.0 * (np.arange(NX) + 0.5), "the spacing is 20"),
        ("x", CENTRES_X + 60.0, "shifted by 60 (2 pixels)"),
    ],
    ids=["half-pixel-y", "half-pixel-x", "reversed", "flipped-sign", "spacing", "shift"],
)
def test_coordinates_that_disagree_with_spatial_transform_are_errors(
    written: Path, cf: bool, name: str, values: np.ndarray, words: str
) -> None:
    _without_geotransform(written, cf=cf)
    assert issues(geozarr.validate(written)) == []  # the twin, still valid
    write_values(written, name, values)
    report = geozarr.validate(written)
    assert issues(report) == [("error", "geozarr.cf.coordinate-transform", name, "")]
    text = message(report, "geozarr.cf.coordinate-transform")
    assert words in text
    first = CENTRES_Y[0] if name == "y" else CENTRES_X[0]
    assert f"Expected {name}[0] = {first:.12g}" in text  # names the expected first value
    assert "spatial transform" in text


def test_coordinates_are_compared_with_the_geotransform_when_alone(written: Path) -> None:
    edit(written, "", lambda a: [a.pop(k) for k in list(a) if k.startswith("spatial:")])
    write_values(written, "y", CENTRES_Y + 15.0)
    report = geozarr.validate(written)
    assert ("error", "geozarr.cf.coordinate-transform", "y", "") in issues(report)
    assert "GeoTransform transform" in message(report, "geozarr.cf.coordinate-transform")


def test_tolerance_is_relative_to_the_resolution(written: Path) -> None:
    write_values(written, "y", CENTRES_Y + 0.29)  # < 1 % of 30 m
    assert issues(geozarr.validate(written)) == []
    write_values(written, "y", CENTRES_Y + 0.31)
    assert issues(geozarr.validate(written)) == [
        ("error", "geozarr.cf.coordinate-transform", "y", "")
    ]


def test_float32_coordinates_are_allowed_their_rounding(tmp_path: Path) -> None:
    # 10 m pixels at northing 5.2e6: float32 stores them to 0.5 m (5 % of a pixel)
    transform = (10.0, 0.0, 500_000.3, 0.0, -10.0, 5_200_003.3)
    ys = (transform[5] - 10.0 * (np.arange(NY) + 0.5)).astype(np.float32)
    xs = (transform[2] + 10.0 * (np.arange(NX) + 0.5)).astype(np.float32)
    assert (
        np.max(np.abs(ys.astype(np.float64) - (transform[5] - 10.0 * (np.arange(NY) + 0.5)))) > 0.1
    )
    da = xr.DataArray(np.zeros((NY, NX), np.float32), dims=("y", "x"), coords={"y": ys, "x": xs})
    da = da.rio.write_crs("EPSG:32633").rio.write_transform(Affine(*transform))
    out = tmp_path / "f32.zarr"
    da.to_dataset(name="data").to_zarr(out, zarr_format=2, consolidated=False)
    assert issues(geozarr.validate(out), "geozarr.cf.coordinate-transform") == []


def test_node_registration_puts_coordinates_on_the_nodes(written: Path) -> None:
    edit(written, "", lambda a: a.update({"spatial:registration": "node"}))
    edit(written, "", lambda a: a.pop("spatial:bbox"))
    edit(written, "spatial_ref", lambda a: a.pop("GeoTransform"))
    report = geozarr.validate(written)
    assert sorted(issues(report, "geozarr.cf.coordinate-transform")) == [
        ("error", "geozarr.cf.coordinate-transform", "x", ""),
        ("error", "geozarr.cf.coordinate-transform", "y", ""),
    ]
    assert all("cell centres, not nodes" in i.message for i in report.issues)
    write_values(written, "x", CENTRES_X - 15.0)
    write_values(written, "y", CENTRES_Y + 15.0)
    assert issues(geozarr.validate(written), "geozarr.cf.coordinate-transform") == []


# -- 3. spatial:dimensions naming dimensions no array has -------------------------------------


def test_group_spatial_dimensions_must_name_dimensions_of_its_arrays(written: Path) -> None:
    edit(written, "", lambda a: a.update({"spatial:dimensions": ["lat", "lon"]}))
    report = geozarr.validate(written)
    assert issues(report, "geozarr.spatial.dimensions") == [
        ("error", "geozarr.spatial.dimensions", "", "/attributes/spatial:dimensions/0"),
        ("error", "geozarr.spatial.dimensions", "", "/attributes/spatial:dimensions/1"),
    ]
    assert all("'data' ['y', 'x']" in i.message for i in report.issues)


def test_group_spatial_dimensions_split_over_two_arrays(written: Path) -> None:
    edit(written, "", lambda a: a.update({"spatial:dimensions": ["y", "band"]}))
    group = zarr.open_group(written, mode="r+")
    group.create_array("other", shape=(3, 4), dtype="f4", dimension_names=("band", "z"))
    report = geozarr.validate(written)
    assert issues(report, "geozarr.spatial.dimensions") == [
        ("error", "geozarr.spatial.dimensions", "", "/attributes/spatial:dimensions")
    ]
    assert "no array has both 'y' and 'band'" in message(report, "geozarr.spatial.dimensions")


def test_multiscales_group_spatial_dimensions_are_checked_on_its_levels(tmp_path: Path) -> None:
    out = tmp_path / "pyramid.zarr"
    data = np.linspace(0, 1, NY * NX, dtype=np.float32).reshape(NY, NX)
    geozarr.write(data, out, crs="EPSG:32633", transform=UTM, levels=2, chunks=(16, 16))
    assert issues(geozarr.validate(out, strict=True)) == []
    edit(out, "", lambda a: a.update({"spatial:dimensions": ["row", "col"]}))
    found = issues(geozarr.validate(out), "geozarr.spatial.dimensions")
    assert ("error", "geozarr.spatial.dimensions", "", "/attributes/spatial:dimensions/0") in found


# -- 4. fill values that mean what they say ---------------------------------------------------


def test_integer_fill_value_differing_from_fill_attribute_is_an_error(tmp_path: Path) -> None:
    # xarray's own default for packed int16 in Zarr v3: fill_value 0, _FillValue -32768
    store = ghrsst(tmp_path, 3)
    edit(store, "analysed_sst", lambda a: None)
    meta = store / "analysed_sst" / "zarr.json"
    doc = json.loads(meta.read_text())
    doc["fill_value"] = 0
    meta.write_text(json.dumps(doc))
    # the consequence: a chunk never written decodes as a valid temperature
    shutil.rmtree(store / "analysed_sst" / "c")
    with xr.open_zarr(store, consolidated=False) as ds:
        assert float(ds["analysed_sst"][0, 0, 0]) == pytest.approx(273.15)
    if GDAL_312.exists():  # and GDAL takes the Zarr fill_value, not _FillValue, for nodata
        script = (
            "import sys, warnings, rasterio; warnings.simplefilter('ignore'); "
            "print(rasterio.open(f'ZARR:\"{sys.argv[1]}\":/analysed_sst').nodata)"
        )
        done = subprocess.run(
            [str(GDAL_312), "-c", script, str(store)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.split()[-1] == "0.0"
    report = geozarr.validate(store)
    assert issues(report) == [("error", "geozarr.cf.fill-value", "analysed_sst", "/fill_value")]
    text = message(report, "geozarr.cf.fill-value")
    assert "decoded 273.15 K" in text
    assert "Set the array's fill_value to -32768" in text
    assert "'fill_value': -32768" in text  # the xarray encoding that fixes it


def test_xarray_v3_default_is_found_and_the_named_fix_clears_it(tmp_path: Path) -> None:
    ds = xr.Dataset({"v": (("y", "x"), np.ones((4, 5)))}, coords={"y": np.arange(4.0) + 0.5})
    ds = ds.rio.write_crs("EPSG:4326")
    base = {"dtype": "int16", "scale_factor": 0.1, "_FillValue": -32768}
    default = tmp_path / "default.zarr"
    ds.to_zarr(default, zarr_format=3, consolidated=False, encoding={"v": base})
    assert issues(geozarr.validate(default), "geozarr.cf.fill-value") == [
        ("error", "geozarr.cf.fill-value", "v", "/fill_value")
    ]
    fixed = tmp_path / "fixed.zarr"
    encoding = {"v": {**base, "fill_value": -32768}}
    ds.to_zarr(fixed, zarr_format=3, consolidated=False, encoding=encoding)
    assert issues(geozarr.validate(fixed), "geozarr.cf.fill-value") == []


def test_float_fill_value_mismatch_is_a_warning(tmp_path: Path) -> None:
    store = rio_dem(tmp_path, 3, fill_value=False)  # rioxarray's default: NaN vs -9999
    report = geozarr.validate(store, strict=True)
    assert issues(report) == [("warning", "geozarr.cf.fill-value-nan", "dem", "/fill_value")]
    assert "Set the array's fill_value to -9999" in message(report, "geozarr.cf.fill-value-nan")


# -- 5. every finding of one object together --------------------------------------------------


def test_all_findings_of_one_object_are_reported_together(tmp_path: Path, written: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zarr.open_group(written, mode="r+").create_array(
            "counts",
            shape=(NY, NX),
            dtype="int16",
            fill_value=0,
            dimension_names=("y", "x"),
            attributes={
                "_FillValue": -1,
                "standard_name": "no_such_quantity",
                "grid_mapping": "nothing",
            },
        )
    xs = CENTRES_X + 15.0
    xs[[3, 4]] = xs[[4, 3]]
    write_values(written, "x", xs)
    edit(written, "", lambda a: a.update({"spatial:shape": [1, 2], "spatial:bbox": [0, 0, 1, 1]}))
    report = geozarr.validate(written)
    by_path: dict[str, set[str]] = {}
    for _, rule, path, _ in issues(report):
        by_path.setdefault(path, set()).add(rule)
    assert by_path["counts"] >= {
        "geozarr.cf.fill-value",
        "geozarr.cf.standard-name",
        "geozarr.cf.grid-mapping-missing",
    }
    assert by_path["x"] == {"geozarr.cf.coordinate-monotonic", "geozarr.cf.coordinate-transform"}
    assert "geozarr.spatial.bbox" in by_path[""]
    assert "geozarr.spatial.shape" in by_path["data"]  # the group's shape, against the array


def test_only_the_coordinate_arrays_are_read(written: Path) -> None:
    for chunk in (written / "data" / "c").rglob("*"):
        if chunk.is_file():
            chunk.write_bytes(b"not a chunk")  # a data array read would fail
    assert issues(geozarr.validate(written, strict=True)) == []
    (chunk,) = [p for p in (written / "y" / "c").rglob("*") if p.is_file()]
    chunk.write_bytes(b"not a chunk")  # the coordinate is read, and its failure said
    assert issues(geozarr.validate(written)) == [
        ("warning", "geozarr.cf.coordinate-not-checked", "y", "")
    ]


def test_an_inherited_spatial_property_is_reported_where_it_is_declared(written: Path) -> None:
    """The array inherits the group's wrong ``spatial:`` properties: the issue says so."""
    edit(written, "", lambda a: a.update({"spatial:shape": [1, 2], "spatial:bbox": [0, 0, 1, 1]}))
    found = {
        (i.rule, i.path): (i.pointer, i.message)
        for i in geozarr.validate(written).issues
        if i.rule in ("geozarr.spatial.shape", "geozarr.spatial.bbox")
    }
    pointer, message = found[("geozarr.spatial.bbox", "")]
    assert pointer == "/attributes/spatial:bbox"
    assert message.endswith("Got [0, 0, 1, 1].")
    for rule in ("geozarr.spatial.shape", "geozarr.spatial.bbox"):
        pointer, message = found[(rule, "data")]
        assert pointer == "/attributes"
        assert message.endswith(" from the parent group.")


def test_validate_and_the_report_read_the_same_coordinate_values(written: Path) -> None:
    """Both check with :func:`geozarr.validate.checking_values`: values read from a store."""
    xs = CENTRES_X.copy()
    xs[[3, 4]] = xs[[4, 3]]
    write_values(written, "x", xs)
    expected = {"geozarr.cf.coordinate-monotonic", "geozarr.cf.coordinate-transform"}
    assert {i.rule for i in geozarr.validate(written).issues} == expected
    assert {i.rule for i in build_report(written)[1].issues} == expected
    with opened(written, "r", None) as store:
        hierarchy = hierarchy_from_store(store, discover)
    as_document = dataclasses.replace(hierarchy, source="json")
    with checking_values(written, None) as check:
        assert {i.rule for i in check(hierarchy).issues} == expected
        assert check(as_document).issues == ()  # a document has no values to read
