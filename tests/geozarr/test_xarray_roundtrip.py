"""xarray in, xarray out, nothing lost (issue 13, items 1 and 3).

Realistic inputs made here: a GHRSST-like Dataset (two time steps, packed int16
``analysed_sst`` with ``scale_factor`` / ``add_offset`` / ``_FillValue``, a ``mask`` with
``flag_values``, EPSG:4326 via ``spatial_ref`` with ``crs_wkt``) written by xarray to Zarr v2
and v3, and a rioxarray store whose grid mapping is named ``crs``. Through ``geozarr.write``,
``geozarr.pyramid`` and ``geozarr.convert``, xarray must decode the same values and the same
datetimes, rioxarray (and GDAL 3.12) find the same CRS, transform and nodata at every level,
packed variables stay int16 on disk, and the output validates under ``--strict``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from pyproj import CRS
from tests.geozarr.stores import create_from_netcdf, strict_issues

import geozarr
from geozarr.reading import GeoReadError
from geozarr.write import GeoWriteError

rioxarray = pytest.importorskip("rioxarray")

REPO = Path(__file__).resolve().parents[2]
GDAL_312 = REPO / ".venv-gdal" / "bin" / "python"
SCALE, OFFSET, FILL = 0.001, 298.15, -32768
pytestmark = [
    pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part"),
]


def ghrsst(height: int = 40, width: int = 60) -> xr.Dataset:
    """A GHRSST-like L4 product, as xarray users build it."""
    rng = np.random.default_rng(7)
    sst = 290.0 + 5.0 * rng.random((2, height, width))
    sst[:, :3, :5] = np.nan  # land
    sst[1, 10:12, 20:22] = np.nan  # one whole 2x2 block missing in the second step
    crs = CRS.from_epsg(4326)
    ds = xr.Dataset(
        {
            "analysed_sst": (
                ("time", "lat", "lon"),
                sst,
                {
                    "standard_name": "sea_surface_foundation_temperature",
                    "long_name": "analysed sea surface temperature",
                    "units": "kelvin",
                    "units_metadata": "temperature: on_scale",
                    "grid_mapping": "spatial_ref",
                },
            ),
            "mask": (
                ("time", "lat", "lon"),
                rng.integers(1, 4, (2, height, width)).astype(np.int8),
                {
                    "flag_values": np.array([1, 2, 3], np.int8),
                    "flag_meanings": "water land ice",
                    "grid_mapping": "spatial_ref",
                },
            ),
        },
        coords={
            "time": pd.to_datetime(["2024-01-01T09:00", "2024-01-02T09:00"]),
            "lat": ("lat", 10.0 - 0.25 * (np.arange(height) + 0.5), {"units": "degrees_north"}),
            "lon": ("lon", -20.0 + 0.25 * (np.arange(width) + 0.5), {"units": "degrees_east"}),
            "spatial_ref": ((), 0, {"crs_wkt": crs.to_wkt(), **crs.to_cf()}),
        },
        attrs={"title": "GHRSST-like analysis", "institution": "tests", "product_version": 2},
    )
    ds["analysed_sst"].encoding.update(
        dtype="int16", scale_factor=SCALE, add_offset=OFFSET, _FillValue=FILL
    )
    ds["time"].encoding.update(units="seconds since 1981-01-01", calendar="gregorian")
    return ds


def on_disk(store: Path, path: str) -> dict[str, Any]:
    """The array document, as ``{"dtype", "fill_value", "attributes"}`` in either format."""
    v3 = store / path / "zarr.json"
    if v3.exists():
        doc = json.loads(v3.read_text())
        return {"dtype": doc["data_type"], "fill_value": doc["fill_value"], **doc}
    meta = json.loads((store / path / ".zarray").read_text())
    attrs = json.loads((store / path / ".zattrs").read_text())
    return {
        "dtype": np.dtype(meta["dtype"]).name,
        "fill_value": meta["fill_value"],
        "attributes": attrs,
    }


def source_fill_issues(store: Path) -> list[str]:
    """The issues of a store that xarray wrote and ``pyramid`` extended in place.

    xarray writes a Zarr v3 array's ``fill_value`` apart from its ``_FillValue`` (0 or NaN);
    ``pyramid`` aligns the source arrays it reduces (never-written chunks written out first),
    so nothing is left for the validator to flag, in the source or in the levels.
    """
    return [i.split(":")[0] for i in strict_issues(store)]


def check_levels(store: Path, source: xr.Dataset, levels: int) -> None:
    """Every level: decoded values, time, attributes, packing, CRS / transform / nodata.

    The Zarr ``fill_value`` is the ``_FillValue`` at every level, the base included (xarray
    writes v3 ``fill_value`` 0 whatever the ``_FillValue``; ``pyramid`` aligns it).
    """
    for k in range(levels):
        level = geozarr.open(store, level=k)
        factor = 2**k
        expected = source["analysed_sst"]
        for _ in range(k):  # each level is the nodata-aware mean of the one before
            expected = expected.coarsen(lat=2, lon=2, boundary="pad").mean()
        # packed again at every level: exact to half a packing step per level
        np.testing.assert_allclose(
            level["analysed_sst"].values, expected.values, atol=SCALE * k + SCALE / 2
        )
        np.testing.assert_array_equal(level["time"].values, source["time"].values)
        assert level["analysed_sst"].attrs["units"] == "kelvin"
        assert level["analysed_sst"].attrs["standard_name"].startswith("sea_surface")
        assert level["mask"].attrs["flag_meanings"] == "water land ice"
        assert level["analysed_sst"].encoding["dtype"] == np.dtype("int16")
        assert level["analysed_sst"].encoding["scale_factor"] == SCALE
        assert level.rio.crs.to_epsg() == 4326
        assert tuple(level.rio.transform())[:6] == pytest.approx(
            (0.25 * factor, 0.0, -20.0, 0.0, -0.25 * factor, 10.0)
        )
        assert level["analysed_sst"].rio.encoded_nodata == FILL
        path = "analysed_sst" if k == 0 else f"{k}/analysed_sst"
        assert on_disk(store, path)["dtype"] == "int16"
        assert on_disk(store, path)["fill_value"] == FILL


@pytest.fixture(scope="module", params=[2, 3], ids=["v2", "v3"])
def xarray_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("xr") / f"ghrsst-v{request.param}.zarr"
    ghrsst().to_zarr(out, zarr_format=request.param, consolidated=request.param == 2)
    return out


@pytest.mark.parametrize("fmt", [2, 3])
def test_write_dataset_keeps_everything(tmp_path: Path, fmt: int) -> None:
    source = ghrsst()
    out = tmp_path / "out.zarr"
    result = geozarr.write(source, out, zarr_format=fmt, levels=3, chunks=(16, 16))
    assert result.levels == {
        "analysed_sst": ("analysed_sst", "1/analysed_sst", "2/analysed_sst"),
        "mask": ("mask", "1/mask", "2/mask"),
    }
    back = xr.open_zarr(out)
    assert back.attrs["title"] == "GHRSST-like analysis"
    assert back.attrs["product_version"] == 2
    assert back["time"].encoding["units"] == "seconds since 1981-01-01"
    assert back["time"].encoding["calendar"] == "gregorian"
    np.testing.assert_array_equal(back["mask"].values, source["mask"].values)
    assert back["mask"].dtype == np.int8
    check_levels(out, source, 3)
    assert strict_issues(out) == []


def test_pyramid_of_an_xarray_store(xarray_store: Path, tmp_path: Path) -> None:
    store = tmp_path / xarray_store.name
    shutil.copytree(xarray_store, store)
    result = geozarr.pyramid(store, levels=3)
    assert result.methods == {"analysed_sst": "mean", "mask": "mode"}
    source = ghrsst()
    check_levels(store, source, 3)
    # the base is the source, untouched
    np.testing.assert_array_equal(xr.open_zarr(store)["mask"].values, source["mask"].values)
    assert source_fill_issues(store) == []


def test_convert_both_ways_opens_in_xarray(tmp_path: Path) -> None:
    """``convert --zarr-format 2`` of a pyramid: every level opens in xarray (0-D arrays named)."""
    v3, v2, again = tmp_path / "v3.zarr", tmp_path / "v2.zarr", tmp_path / "again.zarr"
    geozarr.write(ghrsst(), v3, levels=2, chunks=(16, 16))
    geozarr.convert(v3, v2, zarr_format=2)
    geozarr.convert(v2, again, zarr_format=3)
    for store in (v2, again):
        for group in ("", "1"):
            assert (
                on_disk(store / group, "spatial_ref")["attributes"].get("_ARRAY_DIMENSIONS", [])
                == []
            )
        check_levels(store, ghrsst(), 2)
        assert strict_issues(store) == []


def rio_dem(named: str = "crs") -> xr.Dataset:
    """A two-band UTM raster as rioxarray writes it, the grid mapping named ``named``."""
    data = np.arange(2 * 30 * 20, dtype=np.float32).reshape(2, 30, 20)
    data[:, :4, :4] = -9999.0
    da = xr.DataArray(
        data,
        dims=("band", "y", "x"),
        coords={
            "band": [1, 2],
            "y": 5_500_000.0 - 20.0 * (np.arange(30) + 0.5),
            "x": 400_000.0 + 20.0 * (np.arange(20) + 0.5),
        },
        attrs={"long_name": "elevation", "units": "m"},
    )
    da = da.rio.write_crs("EPSG:32631", grid_mapping_name=named).rio.write_nodata(
        -9999.0, encoded=True
    )
    return da.to_dataset(name="dem")


@pytest.mark.parametrize("fmt", [2, 3])
def test_rioxarray_store_with_a_grid_mapping_named_crs(tmp_path: Path, fmt: int) -> None:
    source = tmp_path / "rio.zarr"
    rio_dem().to_zarr(source, zarr_format=fmt, consolidated=fmt == 2)
    opened = xr.open_zarr(source, consolidated=fmt == 2)
    assert "GeoTransform" not in opened["crs"].attrs  # a data variable to xarray here
    written = tmp_path / "written.zarr"
    geozarr.write(opened, written, zarr_format=fmt, levels=2, chunks=(8, 8))
    in_place = tmp_path / "in-place.zarr"
    shutil.copytree(source, in_place)
    geozarr.pyramid(in_place, levels=2)
    for store in (written, in_place):
        for k in range(2):
            level = geozarr.open(store, level=k)
            assert level.rio.crs.to_epsg() == 32631
            assert tuple(level.rio.transform())[:6] == pytest.approx(
                (20.0 * 2**k, 0.0, 400_000.0, 0.0, -20.0 * 2**k, 5_500_000.0)
            )
            assert level["dem"].rio.encoded_nodata == -9999.0
            np.testing.assert_array_equal(level["band"].values, [1, 2])
            assert level["dem"].attrs["units"] == "m"
        base = geozarr.open(store)
        np.testing.assert_array_equal(base["dem"].values, opened["dem"].values)
        assert source_fill_issues(store) == []


def test_gdal_312_reads_a_packed_level(tmp_path: Path) -> None:
    if not GDAL_312.exists():
        pytest.skip("no .venv-gdal (GDAL >= 3.12)")
    out = tmp_path / "sst.zarr"
    geozarr.write(ghrsst(), out, zarr_format=3, levels=2, chunks=(16, 16))
    script = (
        "import json, sys, warnings, rasterio\n"
        "warnings.simplefilter('ignore')\n"
        "with rasterio.open(f'ZARR:\"{sys.argv[1]}\":/1/analysed_sst') as ds:\n"
        "    print(json.dumps({'gdal': rasterio.__gdal_version__, 'epsg': ds.crs.to_epsg(),\n"
        "        'transform': list(ds.transform)[:6], 'nodata': ds.nodata, 'count': ds.count,\n"
        "        'dtype': ds.dtypes[0], 'scale': ds.scales[0], 'offset': ds.offsets[0],\n"
        "        'first': ds.read(2).astype(float).tolist()}))\n"
    )
    done = subprocess.run(
        [str(GDAL_312), "-c", script, str(out)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert tuple(int(p) for p in seen["gdal"].split(".")[:2]) >= (3, 12)
    assert seen["epsg"] == 4326
    assert seen["transform"] == pytest.approx([0.5, 0.0, -20.0, 0.0, -0.5, 10.0])
    assert (seen["nodata"], seen["count"], seen["dtype"]) == (FILL, 2, "int16")
    assert (seen["scale"], seen["offset"]) == pytest.approx((SCALE, OFFSET))
    raw = np.array(seen["first"])
    decoded = np.where(raw == FILL, np.nan, raw * SCALE + OFFSET)
    level = geozarr.open(out, level=1)["analysed_sst"].values[1]
    np.testing.assert_allclose(decoded, level, atol=1e-9)


GDAL_LEVELS = r"""
import json, sys, warnings, rasterio
warnings.simplefilter("ignore")
out = {"gdal": rasterio.__gdal_version__}
for store, asset in json.loads(sys.argv[1]):
    with rasterio.open(f'ZARR:"{store}":/{asset}') as ds:
        out[f"{store}:{asset}"] = {
            "epsg": ds.crs.to_epsg(), "transform": list(ds.transform)[:6],
            "nodata": ds.nodata, "dtype": ds.dtypes[0], "scale": ds.scales[0],
            "values": ds.read().astype(float).tolist(),
        }
print(json.dumps(out))
"""


def test_gdal_312_reads_every_level_of_xarray_stores(xarray_store: Path, tmp_path: Path) -> None:
    """xarray's store, pyramided in place and converted to the other format: every level."""
    if not GDAL_312.exists():
        pytest.skip("no .venv-gdal (GDAL >= 3.12)")
    in_place = tmp_path / xarray_store.name
    shutil.copytree(xarray_store, in_place)
    geozarr.pyramid(in_place, levels=3)
    other = tmp_path / "converted.zarr"
    geozarr.convert(in_place, other, zarr_format=3 if "v2" in in_place.name else 2)
    wanted = [
        (str(store), "analysed_sst" if k == 0 else f"{k}/analysed_sst")
        for store in (in_place, other)
        for k in range(3)
    ]
    done = subprocess.run(
        [str(GDAL_312), "-c", GDAL_LEVELS, json.dumps(wanted)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert tuple(int(p) for p in seen["gdal"].split(".")[:2]) >= (3, 12)
    for store, asset in wanted:
        k = 0 if "/" not in asset else int(asset.split("/")[0])
        found = seen[f"{store}:{asset}"]
        assert found["epsg"] == 4326
        assert found["transform"] == pytest.approx(
            [0.25 * 2**k, 0.0, -20.0, 0.0, -0.25 * 2**k, 10.0]
        )
        assert (found["nodata"], found["dtype"]) == (FILL, "int16")  # the base too
        assert found["scale"] == pytest.approx(SCALE)
        raw = np.array(found["values"])
        decoded = np.where(raw == FILL, np.nan, raw * SCALE + OFFSET)
        level = geozarr.open(Path(store), level=k)["analysed_sst"].values
        np.testing.assert_allclose(decoded, level, atol=1e-9)
    assert strict_issues(other) == []


def test_netcdf_file_through_create(tmp_path: Path) -> None:
    out, done = create_from_netcdf(ghrsst(), tmp_path, "--levels", "2", "--chunks", "16,16")
    assert done.returncode == 0, done.stderr
    check_levels(out, ghrsst(), 2)
    assert strict_issues(out) == []


def test_not_a_netcdf_file_is_one_clear_line(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.nc"
    bogus.write_bytes(b"not netcdf at all")
    with pytest.raises(GeoWriteError, match="neither"):
        geozarr.write(str(bogus), tmp_path / "out.zarr")
    assert not (tmp_path / "out.zarr").exists()


def _utm_array() -> xr.DataArray:
    return xr.DataArray(
        np.ones((6, 8), np.float32),
        dims=("y", "x"),
        coords={"y": 100.0 - 10 * (np.arange(6) + 0.5), "x": 10 * (np.arange(8) + 0.5)},
        name="v",
    )


def _with_attrs_crs() -> xr.DataArray:
    return _utm_array().assign_attrs(crs="EPSG:32633")


def _with_odc_style_mapping() -> xr.DataArray:
    wkt = CRS.from_epsg(32633).to_wkt()
    return _utm_array().assign_coords(spatial_ref=((), 0, {"spatial_ref": wkt}))


def _with_cf_parameters_only() -> xr.DataArray:
    cf = {k: v for k, v in CRS.from_epsg(32633).to_cf().items() if k != "crs_wkt"}
    da = _utm_array().assign_coords(utm=((), 0, cf))
    da.encoding["grid_mapping"] = "utm"
    return da


def _with_rio_crs() -> xr.DataArray:
    return _utm_array().rio.write_crs("EPSG:32633", grid_mapping_name="anything")


@pytest.mark.parametrize(
    "build",
    [_with_attrs_crs, _with_odc_style_mapping, _with_cf_parameters_only, _with_rio_crs],
    ids=["attrs-crs", "odc-spatial_ref", "cf-parameters", "rioxarray"],
)
def test_crs_found_wherever_readers_put_it(tmp_path: Path, build: Any) -> None:
    result = geozarr.write(build(), tmp_path / "out.zarr")
    assert result.grid.crs.equals(CRS.from_epsg(32633), ignore_axis_order=True)
    assert result.grid.transform == (10.0, 0.0, 0.0, 0.0, -10.0, 100.0)


def test_irregular_coordinates_refused(tmp_path: Path) -> None:
    da = _with_attrs_crs()
    x = da["x"].values.copy()
    x[3] += 2.0  # a fifth of a step
    with pytest.raises(GeoWriteError, match=r"regularly spaced 'x'.*2\.0"):
        geozarr.write(da.assign_coords(x=x), tmp_path / "out.zarr")
    assert not (tmp_path / "out.zarr").exists()
    x[3] -= 2.0 - 1e-6  # float noise is regular
    geozarr.write(da.assign_coords(x=x), tmp_path / "out.zarr")


def test_open_refuses_a_level_that_is_not_there(tmp_path: Path) -> None:
    out = tmp_path / "out.zarr"
    geozarr.write(ghrsst(), out, levels=2, chunks=(16, 16))
    with pytest.raises(GeoReadError, match=r"from 0 to 1\. Got 2"):
        geozarr.open(out, level=2)


@pytest.mark.parametrize("fmt", [2, 3])
def test_open_a_level_over_http(http_root: tuple[Path, str], fmt: int) -> None:
    folder, url = http_root
    geozarr.write(ghrsst(), folder / "sst.zarr", zarr_format=fmt, levels=2, chunks=(16, 16))
    local = geozarr.open(folder / "sst.zarr", level=1)
    remote = geozarr.open(f"{url.rstrip('/')}/sst.zarr", level=1)
    np.testing.assert_array_equal(remote["analysed_sst"].values, local["analysed_sst"].values)
    np.testing.assert_array_equal(remote["time"].values, local["time"].values)
    assert remote.rio.crs.to_epsg() == 4326
    assert remote["spatial_ref"].attrs["GeoTransform"] == local["spatial_ref"].attrs["GeoTransform"]
