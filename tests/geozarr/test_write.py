"""geozarr.write: CF and the conventions together, valid on every input kind and format."""

from __future__ import annotations

import base64
import json
import math
import struct
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from pyproj import CRS

import geozarr
from geozarr.conventions.registry import PROJ, SPATIAL
from geozarr.write import GeoWriteError, Grid, parse_transform
from ngff_geozarr.core.hierarchy import read_hierarchy

# rioxarray multiplies affine transforms with `*`, which affine >= 3.1 deprecates.
RIO_AFFINE = pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning")
TRANSFORM = (30.0, 0.0, 500_000.0, 0.0, -30.0, 5_200_020.0)


def _doc(store: Path, path: str, fmt: int) -> dict[str, Any]:
    if fmt == 3:
        return dict(json.loads((store / path / "zarr.json").read_text()))
    meta = json.loads(
        (
            store / path / (".zarray" if (store / path / ".zarray").exists() else ".zgroup")
        ).read_text()
    )
    return {**meta, "attributes": json.loads((store / path / ".zattrs").read_text())}


def _raster(shape: tuple[int, int] = (37, 53)) -> np.ndarray:
    data = np.linspace(0, 1000, shape[0] * shape[1], dtype=np.float32).reshape(shape)
    data[:5, :7] = np.nan
    return data


def _errors(target: Path) -> list[str]:
    report = geozarr.validate(target)
    return [f"{i.rule} {i.path} {i.message}" for i in report.issues if i.severity.value == "error"]


@pytest.mark.parametrize("fmt", [2, 3], ids=["v2", "v3"])
def test_numpy_raster_is_valid_cf_and_conventions(tmp_path: Path, fmt: int) -> None:
    out = tmp_path / "dem.zarr"
    data = _raster()
    geozarr.write(
        data,
        out,
        crs="EPSG:32632",
        transform=TRANSFORM,
        name="dem",
        zarr_format=fmt,
        chunks=(16, 16),
    )
    assert _errors(out) == []
    report = geozarr.validate(out)
    assert list(report.issues) == []
    root = _doc(out, "", fmt)["attributes"]
    assert root["zarr_conventions"] == [PROJ.canonical(), SPATIAL.canonical()]
    assert root["proj:code"] == "EPSG:32632"
    assert root["spatial:transform"] == list(TRANSFORM)
    assert root["spatial:shape"] == [37, 53]
    assert root["spatial:bbox"] == [
        500_000.0,
        5_200_020.0 - 30 * 37,
        500_000.0 + 30 * 53,
        5_200_020.0,
    ]
    var = _doc(out, "dem", fmt)
    assert var["attributes"]["grid_mapping"] == "spatial_ref"
    assert var["fill_value"] == "NaN"
    if fmt == 3:
        assert var["dimension_names"] == ["y", "x"]
        raw = base64.standard_b64decode(var["attributes"]["_FillValue"])
        assert math.isnan(struct.unpack("<d", raw)[0])
    else:
        assert var["attributes"]["_ARRAY_DIMENSIONS"] == ["y", "x"]
    gm = _doc(out, "spatial_ref", fmt)["attributes"]
    assert gm["crs_wkt"].startswith("PROJCRS[")  # WKT2
    assert CRS.from_wkt(gm["spatial_ref"]) == CRS.from_epsg(32632)
    assert gm["GeoTransform"].split() == ["500000.0", "30.0", "0.0", "5200020.0", "0.0", "-30.0"]
    assert gm["grid_mapping_name"] == "transverse_mercator"
    ds = xr.open_zarr(out, consolidated=False)
    np.testing.assert_array_equal(ds["dem"].values, data)
    np.testing.assert_allclose(ds.x.values, 500_000 + 30 * (np.arange(53) + 0.5))
    np.testing.assert_allclose(ds.y.values, 5_200_020 - 30 * (np.arange(37) + 0.5))
    assert ds.x.attrs["standard_name"] == "projection_x_coordinate"
    assert (ds.x.attrs["units"], ds.x.attrs["axis"], ds.y.attrs["axis"]) == ("m", "X", "Y")


def test_crs_without_code_is_written_as_wkt2_and_projjson(tmp_path: Path) -> None:
    crs = CRS.from_proj4("+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80")
    out = tmp_path / "laea.zarr"
    geozarr.write(_raster(), out, crs=crs, transform=TRANSFORM)
    root = _doc(out, "", 3)["attributes"]
    assert "proj:code" not in root
    assert CRS.from_wkt(root["proj:wkt2"]) == crs
    assert root["proj:wkt2"].startswith("PROJCRS[")
    assert CRS.from_json_dict(root["proj:projjson"]) == crs
    assert _errors(out) == []


def test_geographic_crs_gets_latitude_longitude_coordinates(tmp_path: Path) -> None:
    out = tmp_path / "geo.zarr"
    geozarr.write(
        _raster(), out, crs="EPSG:4326", transform=(0.1, 0, 5, 0, -0.1, 50), dims=("lat", "lon")
    )
    ds = xr.open_zarr(out, consolidated=False)
    assert ds.lon.attrs["standard_name"] == "longitude"
    assert ds.lat.attrs["units"] == "degrees_north"
    assert _errors(out) == []


def test_integer_nodata_is_the_fill_value(tmp_path: Path) -> None:
    out = tmp_path / "classes.zarr"
    data = np.arange(35 * 41, dtype=np.int16).reshape(35, 41) % 7
    geozarr.write(data, out, crs="EPSG:32632", transform=TRANSFORM, nodata=-1, zarr_format=2)
    var = _doc(out, "data", 2)
    assert var["fill_value"] == -1
    assert xr.open_zarr(out, consolidated=False)["data"].encoding["_FillValue"] == -1
    assert _errors(out) == []


def test_dask_input_is_streamed_and_sharded_on_request(tmp_path: Path) -> None:
    out = tmp_path / "dask.zarr"
    data = _raster((70, 90))
    geozarr.write(
        da.from_array(data, chunks=(33, 40)),
        out,
        crs="EPSG:32632",
        transform=TRANSFORM,
        chunks=(16, 16),
        shards=(32, 32),
    )
    meta = _doc(out, "data", 3)
    assert meta["codecs"][0]["name"] == "sharding_indexed"
    np.testing.assert_array_equal(xr.open_zarr(out, consolidated=False)["data"].values, data)
    assert _errors(out) == []


@RIO_AFFINE
def test_xarray_input_takes_rioxarray_crs_and_transform(tmp_path: Path) -> None:
    import rioxarray  # noqa: F401  (registers .rio)

    data = _raster((20, 30))
    xs = 600_000 + 10 * (np.arange(30) + 0.5)
    ys = 4_000_000 - 10 * (np.arange(20) + 0.5)
    arr = xr.DataArray(
        data,
        dims=("y", "x"),
        coords={"x": xs, "y": ys},
        name="b04",
        attrs={"units": "1", "long_name": "red"},
    )
    arr = arr.rio.write_crs("EPSG:32633")
    out = tmp_path / "xr.zarr"
    result = geozarr.write(arr.to_dataset(), out)
    assert result.variables == ("b04",)
    assert result.grid.transform == (10.0, 0.0, 600_000.0, 0.0, -10.0, 4_000_000.0)
    root = _doc(out, "", 3)["attributes"]
    assert root["proj:code"] == "EPSG:32633"
    assert _doc(out, "b04", 3)["attributes"]["long_name"] == "red"
    back = xr.open_zarr(out, consolidated=False)["b04"]
    assert back.rio.crs == CRS.from_epsg(32633)
    assert tuple(back.rio.transform())[:6] == result.grid.transform
    assert _errors(out) == []


def test_dataset_of_several_variables_on_one_grid(tmp_path: Path) -> None:
    data = _raster((12, 14))
    ds = xr.Dataset({"a": (("y", "x"), data), "b": (("y", "x"), data.astype(np.float64) * 2)})
    out = tmp_path / "ds.zarr"
    result = geozarr.write(ds, out, crs="EPSG:32632", transform=TRANSFORM)
    assert result.variables == ("a", "b")
    back = xr.open_zarr(out, consolidated=False)
    np.testing.assert_array_equal(back["b"].values, data * 2.0)
    assert _errors(out) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"transform": TRANSFORM}, "Expected a CRS"),
        ({"crs": "EPSG:32632"}, "Expected an affine transform"),
        ({"crs": "EPSG:99999999", "transform": TRANSFORM}, "CRS PROJ understands"),
        ({"crs": "EPSG:32632", "transform": (0, 0, 0, 0, 0, 0)}, "invertible"),
        (
            {"crs": "EPSG:32632", "transform": TRANSFORM, "zarr_format": 2, "shards": (32, 32)},
            "no shards",
        ),
        ({"crs": "EPSG:32632", "transform": TRANSFORM, "name": "a/b"}, "plain variable name"),
        (
            {"crs": "EPSG:32632", "transform": TRANSFORM, "compression": "blosc-zstd:0"},
            "level from 1 to 9",
        ),
        (
            {"crs": "EPSG:32632", "transform": TRANSFORM, "variable_attributes": {"units": 5}},
            "Cannot write the variable's attributes: units: Input should be a valid string",
        ),
        (
            {"crs": "EPSG:32632", "transform": TRANSFORM, "attributes": {"x": float("nan")}},
            "Cannot write the group's attributes as JSON: Out of range float",
        ),
    ],
    ids=[
        "no-crs",
        "no-transform",
        "bad-crs",
        "singular",
        "v2-shards",
        "bad-name",
        "bad-codec",
        "non-cf-attribute",
        "nan-group-attribute",
    ],
)
def test_user_mistakes_are_one_line_errors(
    tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(GeoWriteError, match=message):
        geozarr.write(_raster(), tmp_path / "x.zarr", **kwargs)
    assert not (tmp_path / "x.zarr").exists()


def test_an_empty_raster_is_refused_before_any_write(tmp_path: Path) -> None:
    with pytest.raises(
        GeoWriteError, match=r"at least one value\. Got 'data' of the shape \[0, 5\]"
    ):
        geozarr.write(
            np.zeros((0, 5), np.float32), tmp_path / "x.zarr", crs="EPSG:4326", transform=TRANSFORM
        )
    assert not (tmp_path / "x.zarr").exists()


def test_existing_store_is_refused_without_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "a.zarr"
    geozarr.write(_raster(), out, crs="EPSG:32632", transform=TRANSFORM)
    with pytest.raises(Exception, match="not empty"):
        geozarr.write(_raster(), out, crs="EPSG:32632", transform=TRANSFORM)
    geozarr.write(_raster() + 1, out, crs="EPSG:32632", transform=TRANSFORM, overwrite=True)
    np.testing.assert_array_equal(
        xr.open_zarr(out, consolidated=False)["data"].values, _raster() + 1
    )


def test_parse_transform_and_reduced_grid() -> None:
    assert parse_transform([30, 0, 1, 0, -30, 2, 0, 0, 1]) == (30.0, 0.0, 1.0, 0.0, -30.0, 2.0)
    grid = Grid(CRS.from_epsg(32632), parse_transform(TRANSFORM), 5, 7).reduced(2, 2)
    assert (grid.height, grid.width, grid.transform[0], grid.transform[4]) == (3, 4, 60.0, -60.0)
    assert grid.gdal_transform() == "500000.0 60.0 0.0 5200020.0 0.0 -60.0"


def test_variable_attributes_of_a_plain_array(tmp_path: Path) -> None:
    data = np.arange(12, dtype="float32").reshape(3, 4)
    geozarr.write(
        data,
        tmp_path / "t.zarr",
        crs="EPSG:32632",
        transform=(10.0, 0.0, 500_000.0, 0.0, -10.0, 5_000_000.0),
        name="temperature",
        variable_attributes={"standard_name": "air_temperature", "units": "K"},
    )
    h = read_hierarchy(tmp_path / "t.zarr")
    attrs = h["temperature"].attributes
    assert (attrs["standard_name"], attrs["units"]) == ("air_temperature", "K")
    assert attrs["grid_mapping"] == "spatial_ref"
    assert "standard_name" not in h[""].attributes
    assert geozarr.validate(tmp_path / "t.zarr").valid


def test_web_mercator_is_written_as_spherical_mercator_without_a_warning(tmp_path: Path) -> None:
    transform = (100.0, 0.0, 1_000_000.0, 0.0, -100.0, 6_000_000.0)
    data = np.ones((4, 6), dtype="float32")
    geozarr.write(
        data, tmp_path / "m.zarr", crs="EPSG:3857", transform=transform, consolidated=False
    )
    assert list(geozarr.validate(tmp_path / "m.zarr", strict=True).issues) == []
    doc_path = tmp_path / "m.zarr" / "spatial_ref" / "zarr.json"
    doc = json.loads(doc_path.read_text())
    assert doc["attributes"]["grid_mapping_name"] == "mercator"
    assert doc["attributes"]["earth_radius"] == 6378137.0
    # crs_wkt alone, for a CRS CF lists no mapping for, is a warning, not an error
    for key in ("grid_mapping_name", "longitude_of_projection_origin", "standard_parallel"):
        del doc["attributes"][key]
    doc_path.write_text(json.dumps(doc))
    report = geozarr.validate(tmp_path / "m.zarr")
    assert report.valid
    assert [(i.rule, i.path) for i in report.warnings] == [
        ("geozarr.cf.grid-mapping-name", "spatial_ref")
    ]
    # A CRS that CF can name must be named: the same omission is an error there.
    # (not consolidated: a node document is edited by hand below)
    geozarr.write(
        data, tmp_path / "u.zarr", crs="EPSG:32632", transform=transform, consolidated=False
    )
    doc_path = tmp_path / "u.zarr" / "spatial_ref" / "zarr.json"
    doc = json.loads(doc_path.read_text())
    del doc["attributes"]["grid_mapping_name"]
    doc_path.write_text(json.dumps(doc))
    errors = geozarr.validate(tmp_path / "u.zarr").errors
    assert ("geozarr.cf.grid-mapping-name", "spatial_ref") in [(i.rule, i.path) for i in errors]


@pytest.mark.parametrize("fmt", [2, 3])
def test_consolidated_metadata_is_written_last_and_kept_current(tmp_path: Path, fmt: int) -> None:
    out, plain = tmp_path / "c.zarr", tmp_path / "p.zarr"
    options: dict[str, Any] = {"crs": "EPSG:32632", "transform": TRANSFORM, "zarr_format": fmt}
    geozarr.write(_raster((64, 64)), out, chunks=(16, 16), **options)
    geozarr.write(_raster((64, 64)), plain, chunks=(16, 16), consolidated=False, **options)
    assert (out / ".zmetadata").exists() == (fmt == 2)
    assert not (plain / ".zmetadata").exists()
    if fmt == 3:
        root_doc = json.loads((out / "zarr.json").read_text())
        assert root_doc["consolidated_metadata"]["kind"] == "inline"
        assert "consolidated_metadata" not in json.loads((plain / "zarr.json").read_text())
    consolidated, listed = read_hierarchy(out), read_hierarchy(plain)
    assert consolidated.consolidated
    assert not listed.consolidated
    assert set(consolidated.nodes) == set(listed.nodes)
    # the pyramid written afterwards consolidates again: its levels are in the root document
    geozarr.pyramid(out)
    geozarr.pyramid(plain, consolidated=False)
    consolidated, listed = read_hierarchy(out), read_hierarchy(plain)
    assert consolidated.consolidated
    assert {"1", "1/data", "2/data"} <= set(consolidated.nodes)
    assert set(consolidated.nodes) == set(listed.nodes)
    for path, node in listed.nodes.items():
        assert consolidated[path].attributes == node.attributes, path
    assert list(geozarr.validate(out).issues) == []
    with xr.open_zarr(out, consolidated=True, group="2") as level:
        assert level["data"].shape == (16, 16)
