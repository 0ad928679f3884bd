"""2-D auxiliary coordinates and CF's extended grid_mapping form survive write and pyramid.

CF §5.6: ``grid_mapping = "crs: x y crs_wgs84: lat lon"`` says the projected ``x`` / ``y``
are in ``crs`` and the 2-D auxiliary coordinates ``lat(y, x)`` / ``lon(y, x)`` (named by
``coordinates``) in ``crs_wgs84``. Level 0 keeps them as they are; every pyramid level holds
them at its own block centres (where its ``x`` / ``y`` are), and the form stays extended.
A plain ``grid_mapping`` stays plain.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from pyproj import CRS, Transformer
from tests.geozarr.stores import GEOZARR, attributes, create_from_netcdf, strict_issues

import geozarr

rioxarray = pytest.importorskip("rioxarray")  # loaded, it is where the writer looks first

WGS84 = CRS.from_epsg(4326)
EXTENDED = "crs: x y crs_wgs84: lat lon"
pytestmark = [
    pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part"),
]


def lonlat(crs: CRS, x: Any, y: Any) -> tuple[Any, Any]:
    """The true longitude and latitude of projected coordinates."""
    xx, yy = np.meshgrid(np.asarray(x), np.asarray(y))
    return Transformer.from_crs(crs, WGS84, always_xy=True).transform(xx, yy)  # type: ignore[no-any-return]


def curvilinear(
    form: str = EXTENDED,
    *,
    epsg: int = 32633,
    x0: float = 400_000.0,
    step: float = 10.0,
    height: int = 30,
    width: int = 46,
) -> xr.Dataset:
    """A CF producer's raster: x / y in a projection, 2-D lat / lon and a WGS 84 mapping."""
    crs = CRS.from_epsg(epsg)
    y = 5_000_000.0 - step * (np.arange(height) + 0.5)
    x = x0 + step * (np.arange(width) + 0.5)
    lon, lat = lonlat(crs, x, y)
    data = np.random.default_rng(5).random((height, width)).astype(np.float32)
    return xr.Dataset(
        {"elevation": (("y", "x"), data, {"units": "m", "grid_mapping": form})},
        coords={
            "y": ("y", y, {"standard_name": "projection_y_coordinate", "units": "m"}),
            "x": ("x", x, {"standard_name": "projection_x_coordinate", "units": "m"}),
            "lat": (("y", "x"), lat, {"standard_name": "latitude", "units": "degrees_north"}),
            "lon": (("y", "x"), lon, {"standard_name": "longitude", "units": "degrees_east"}),
            "crs": ((), 0, {"crs_wkt": crs.to_wkt(), **crs.to_cf()}),
            "crs_wgs84": ((), 0, {"crs_wkt": WGS84.to_wkt(), **WGS84.to_cf()}),
        },
    )


def assert_nothing_dangles(store: Path, group: str, var: str) -> None:
    """Every name ``grid_mapping`` and ``coordinates`` give exists in the level's group."""
    attrs = attributes(store, f"{group}/{var}" if group else var)
    names = [t.rstrip(":") for t in attrs["grid_mapping"].split()]
    names += attrs["coordinates"].split()
    for name in names:
        assert (store / group / name).is_dir(), f"{group or 'root'}: {name!r} dangles"


def assert_at_block_centres(store: Path, group: str, crs: CRS) -> None:
    """The level's lat / lon are the true positions of its own x / y (its block centres)."""
    with xr.open_zarr(store, group=group or None) as level:
        lon, lat = lonlat(crs, level["x"].values, level["y"].values)
        assert level["lat"].dims == ("y", "x")
        assert level["lat"].shape == level["elevation"].shape
        np.testing.assert_allclose(level["lat"].values, lat, atol=1e-6)
        wrapped = (level["lon"].values - lon + 180.0) % 360.0 - 180.0
        np.testing.assert_allclose(wrapped, 0.0, atol=1e-6)


@pytest.mark.parametrize("fmt", [2, 3])
def test_write_keeps_the_auxiliary_coordinates_at_every_level(tmp_path: Path, fmt: int) -> None:
    source = curvilinear()
    out = tmp_path / "out.zarr"
    geozarr.write(source, out, zarr_format=fmt, levels=3, chunks=(8, 8))
    # level 0: as the source has them, named as the source names them
    with xr.open_zarr(out) as base:
        assert set(base.coords) == set(source.coords)
        for name in ("lat", "lon"):
            np.testing.assert_array_equal(base[name].values, source[name].values)
            assert base[name].attrs["standard_name"] == source[name].attrs["standard_name"]
        assert base["elevation"].attrs["grid_mapping"] == EXTENDED
    for k, group in enumerate(("", "1", "2")):
        assert (
            attributes(out, f"{group}/elevation" if group else "elevation")["grid_mapping"]
            == EXTENDED
        ), f"level {k}"
        assert_nothing_dangles(out, group, "elevation")
        assert CRS.from_wkt(attributes(out, f"{group}/crs_wgs84" if group else "crs_wgs84")[
            "crs_wkt"
        ]) == WGS84  # fmt: skip
        assert_at_block_centres(out, group, CRS.from_epsg(32633))
    for path in ("lat", "1/lon"):  # as large as a raster: chunked as the rasters are
        with xr.open_zarr(out, group=path.rpartition("/")[0] or None) as level:
            name = path.rpartition("/")[2]
            assert level[name].encoding["chunks"] == (8, 8)
    with xr.open_zarr(out, group="2") as level:  # 30 x 46 -> 8 x 12: partial last blocks
        assert level["lat"].shape == (8, 12)
        assert set(level.coords) == set(source.coords)
    assert strict_issues(out) == []


@pytest.mark.parametrize("fmt", [2, 3])
def test_pyramid_in_place_carries_the_auxiliary_coordinates(tmp_path: Path, fmt: int) -> None:
    """lat / lon are coordinates, not variables to reduce; crs_wgs84 reaches every level."""
    source = curvilinear()
    store = tmp_path / "xr.zarr"
    source.to_zarr(store, zarr_format=fmt, consolidated=fmt == 2)
    done = geozarr.pyramid(store, levels=3)
    assert set(done.variables) == {"elevation"}
    for group in ("1", "2"):
        assert attributes(store, f"{group}/elevation")["grid_mapping"] == EXTENDED
        assert "grid_mapping" not in attributes(store, f"{group}/lat")
        assert_nothing_dangles(store, group, "elevation")
        assert_at_block_centres(store, group, CRS.from_epsg(32633))
    with xr.open_zarr(store, group="1") as level:
        assert set(level.coords) == set(source.coords)
        assert list(level.data_vars) == ["elevation"]
    assert strict_issues(store) == []


def test_packed_auxiliary_coordinates_are_taken_decoded_and_packed_again(tmp_path: Path) -> None:
    """int16 lat with scale_factor / add_offset and a missing pixel: NaN spreads no further
    than the level pixels whose centre it is next to; the others are the true latitudes."""
    source = curvilinear()
    source["lat"].encoding.update(
        dtype="int16", scale_factor=1e-4, add_offset=45.0, _FillValue=np.int16(-32768)
    )
    lat = source["lat"].values.copy()
    lat[0, 0] = np.nan
    source["lat"] = source["lat"].copy(data=lat)
    out = tmp_path / "out.zarr"
    geozarr.write(source, out, levels=2, chunks=(8, 8))
    with xr.open_zarr(out, group="1", mask_and_scale=False) as raw:
        assert raw["lat"].dtype == np.int16
    with xr.open_zarr(out, group="1") as level:
        _, truth = lonlat(CRS.from_epsg(32633), level["x"].values, level["y"].values)
        got = level["lat"].values
        missing = np.isnan(got)
        assert missing[0, 0]
        assert missing.sum() == 1
        np.testing.assert_allclose(got[~missing], truth[~missing], atol=1e-4)
    assert strict_issues(out) == []


def test_a_grid_across_the_antimeridian_keeps_its_longitudes(tmp_path: Path) -> None:
    """UTM zone 60 east of 180°: lon jumps from 179.9 to -179.9; no level averages it to 0."""
    source = curvilinear(epsg=32660, x0=700_000.0, step=1_000.0, height=20, width=40)
    assert (source["lon"] > 179.5).any()
    assert (source["lon"] < -179.5).any()
    out = tmp_path / "out.zarr"
    geozarr.write(source, out, levels=3, chunks=(8, 8))
    for group in ("1", "2"):
        assert_at_block_centres(out, group, CRS.from_epsg(32660))
        with xr.open_zarr(out, group=group) as level:
            assert float(np.abs(level["lon"]).min()) > 170.0
    assert strict_issues(out) == []


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        pytest.param("crs", "crs", id="plain-stays-plain"),
        pytest.param("crs: x y", "crs: x y", id="one-mapping-extended-stays-extended"),
        pytest.param(EXTENDED, EXTENDED, id="two-mappings-stay-extended"),
        pytest.param("crs_wgs84: lat lon crs: x y", "crs_wgs84: lat lon crs: x y", id="order"),
    ],
)
@pytest.mark.parametrize("how", ["write", "pyramid"])
def test_the_grid_mapping_form_is_kept(tmp_path: Path, form: str, expected: str, how: str) -> None:
    source = curvilinear(form)
    store = tmp_path / "out.zarr"
    if how == "write":
        geozarr.write(source, store, levels=2, chunks=(8, 8))
    else:
        source.to_zarr(store, zarr_format=3, consolidated=False)
        geozarr.pyramid(store, levels=2)
    for group in ("", "1"):
        attrs = attributes(store, f"{group}/elevation" if group else "elevation")
        assert attrs["grid_mapping"] == expected
        assert {"lat", "lon"} <= set(attrs["coordinates"].split())
        assert_nothing_dangles(store, group, "elevation")
    assert geozarr.open(store, level=1).rio.crs.to_epsg() == 32633
    assert strict_issues(store) == []


def test_reprojection_leaves_the_source_grids_coordinates_behind(tmp_path: Path) -> None:
    """``pyramid --to-crs``: lat / lon locate the source's points, not the new grid's."""
    pytest.importorskip("rasterio")
    from geozarr.reproject import write_webmap_pyramid

    store, out = tmp_path / "src.zarr", tmp_path / "out.zarr"
    geozarr.write(curvilinear(), store, chunks=(16, 16))
    write_webmap_pyramid(store, out, to_crs="EPSG:3857", tile_size=32, levels=None)
    for group in ("", "1"):
        assert not (out / group / "lat").exists()
        assert not (out / group / "crs_wgs84").exists()
        assert attributes(out, f"{group}/elevation" if group else "elevation")[
            "grid_mapping"
        ] == "crs"  # fmt: skip
    assert strict_issues(out) == []


def test_info_describes_the_grid_by_its_own_mapping(tmp_path: Path) -> None:
    """``"crs_wgs84: lat lon crs: x y"``: the grid is in crs, though crs_wgs84 comes first."""
    from geozarr.describe import raster_grid
    from geozarr.detection import discover
    from ngff_geozarr.core.hierarchy import hierarchy_from_store
    from ngff_geozarr.core.store import open_store

    store = tmp_path / "xr.zarr"  # as xarray writes it: no proj:, the grid mapping says it
    curvilinear("crs_wgs84: lat lon crs: x y").to_zarr(store, zarr_format=3, consolidated=False)
    with open_store(str(store), "r") as opened:
        hierarchy = hierarchy_from_store(opened, discover)
    node = hierarchy.get("elevation")
    assert node is not None
    grid = raster_grid(node, hierarchy)
    assert grid is not None
    assert grid.crs is not None
    assert grid.crs.to_epsg() == 32633


@pytest.mark.parametrize(("form", "warned"), [("crs", set()), (EXTENDED, {"elevation"})])
def test_the_gdal_312_profile_says_what_gdal_312_reads(
    tmp_path: Path, form: str, warned: set[str]
) -> None:
    """GDAL 3.12 reads a grid_mapping naming one variable, not CF's extended form (see
    tests/core/test_profiles_gdal.py); lat / lon are coordinates, not rasters to georeference.
    """
    out = tmp_path / "out.zarr"
    geozarr.write(curvilinear(form), out, levels=2, chunks=(8, 8))
    report = geozarr.validate(str(out), strict=True, readers=["gdal-3.12"])
    found = {i.path for i in report.issues if i.rule == "reader.gdal-3.12.crs"}
    assert found == warned | {f"1/{path}" for path in warned}
    assert not [i for i in report.issues if i.rule != "reader.gdal-3.12.crs"]


def test_create_from_a_netcdf_file_keeps_the_auxiliary_coordinates(tmp_path: Path) -> None:
    source = curvilinear()
    out, done = create_from_netcdf(source, tmp_path, "--levels", "2", "--chunks", "8,8")
    assert done.returncode == 0, done.stderr
    assert attributes(out, "1/elevation")["grid_mapping"] == EXTENDED
    assert_nothing_dangles(out, "1", "elevation")
    assert_at_block_centres(out, "1", CRS.from_epsg(32633))
    checked = subprocess.run(
        [GEOZARR, "validate", "--strict", str(out)], capture_output=True, text=True, timeout=300
    )
    assert checked.returncode == 0, checked.stdout


def test_create_from_a_store_variable_keeps_the_auxiliary_coordinates(tmp_path: Path) -> None:
    """``STORE::PATH``: xarray's ``decode_coords="all"`` puts the form in the encoding."""
    store = tmp_path / "src.zarr"
    curvilinear().to_zarr(store, zarr_format=3, consolidated=False)
    out = tmp_path / "out.zarr"
    done = subprocess.run(
        [GEOZARR, "create", f"{store}::elevation", str(out), "--levels", "2", "--chunks", "8,8"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for group in ("", "1"):
        assert attributes(out, f"{group}/elevation" if group else "elevation")[
            "grid_mapping"
        ] == EXTENDED  # fmt: skip
        assert_nothing_dangles(out, group, "elevation")
    assert_at_block_centres(out, "1", CRS.from_epsg(32633))
    assert strict_issues(out) == []


def test_convert_keeps_the_auxiliary_coordinates(tmp_path: Path) -> None:
    v3, v2 = tmp_path / "v3.zarr", tmp_path / "v2.zarr"
    geozarr.write(curvilinear(), v3, levels=2, chunks=(8, 8))
    geozarr.convert(v3, v2, zarr_format=2)
    for group in ("", "1"):
        assert attributes(v2, f"{group}/elevation" if group else "elevation")[
            "grid_mapping"
        ] == EXTENDED  # fmt: skip
        assert_nothing_dangles(v2, group, "elevation")
    assert_at_block_centres(v2, "1", CRS.from_epsg(32633))
    assert strict_issues(v2) == []


def test_the_validator_compares_the_grid_mapping_of_the_grid_only(tmp_path: Path) -> None:
    """CF §5.6: a mapping named for lat / lon only does not describe the grid of proj:."""
    out = tmp_path / "out.zarr"
    geozarr.write(curvilinear(), out, chunks=(8, 8))
    assert strict_issues(out) == []
    doc = out / "elevation" / "zarr.json"
    meta = json.loads(doc.read_text())
    meta["attributes"]["grid_mapping"] = "crs_wgs84: x y crs: lat lon"  # the grid in WGS 84
    doc.write_text(json.dumps(meta))
    (out / "zarr.json").write_text(  # drop the consolidated copy: the store says what it says
        json.dumps({k: v for k, v in json.loads((out / "zarr.json").read_text()).items()
                    if k != "consolidated_metadata"})
    )  # fmt: skip
    rules = {issue.split()[0] for issue in strict_issues(out)}
    assert "geozarr.crs.disagree" in rules


@pytest.mark.parametrize(
    ("form", "coordinates"),
    [
        pytest.param("crs: x y crs_wgs84: lat lon", "crs crs_wgs84 lon", id="lat-not-a-coordinate"),
        pytest.param("crs: x y crs_wgs84: lat nope", "crs crs_wgs84 lat nope", id="missing"),
        pytest.param("crs: x z crs_wgs84: lat lon", "crs crs_wgs84 lat lon", id="not-a-dimension"),
    ],
)
def test_the_extended_form_lists_the_variables_own_coordinates(
    tmp_path: Path, form: str, coordinates: str
) -> None:
    """CF §5.6: "All coordinate names listed in the grid_mapping attribute must be
    coordinate variables or auxiliary coordinates of the data variable"."""
    out = tmp_path / "out.zarr"
    geozarr.write(curvilinear(), out, chunks=(8, 8), consolidated=False)
    rule = "geozarr.cf.grid-mapping-coordinates"
    assert not [i for i in strict_issues(out) if i.startswith(rule)]
    doc = out / "elevation" / "zarr.json"
    meta = json.loads(doc.read_text())
    meta["attributes"].update(grid_mapping=form, coordinates=coordinates)
    doc.write_text(json.dumps(meta))
    assert [i.split()[1] for i in strict_issues(out) if i.startswith(rule)] == ["elevation:"]
