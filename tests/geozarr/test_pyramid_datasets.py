"""Pyramids of real datasets (issue 13, item 2): every variable, its dims, its packing, its classes.

The values at level 1 are computed here independently from the source (decode, NaN-aware 2x2
mean, pack again; 2x2 mode; every other pixel) and compared with what was stored, as raw
integers, so a reduction in the packed domain, a lost nodata or a wrong method shows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from pyproj import CRS

import geozarr
from geozarr.write import GeoWriteError

rioxarray = pytest.importorskip("rioxarray")
GEOZARR = str(Path(sys.executable).parent / "geozarr")
SCALE, OFFSET, FILL = 0.01, 273.15, -32768
pytestmark = [
    pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part"),
    pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning"),
]


def packed_temp() -> np.ndarray:
    """The temperature as stored: int16, some of it nodata."""
    temp = np.random.default_rng(3).integers(-3000, 3000, (2, 3, 12, 16)).astype(np.int16)
    temp[0, 0, :2, :2] = FILL  # a whole block of nodata
    temp[0, 0, 2, 2] = FILL  # one nodata pixel in a block
    return temp


def decoded_temp() -> np.ndarray:
    temp = packed_temp()
    return np.where(temp == FILL, np.nan, temp * SCALE + OFFSET)


def dataset(*, grid_mapping: str = "spatial_ref", geotransform: bool = False) -> xr.Dataset:
    """Temperature (time, depth, y, x) packed int16, classes, bounds off the grid; UTM."""
    classes = np.random.default_rng(4).integers(0, 5, (2, 12, 16)).astype(np.uint8)
    classes[:, 0:2, 0:2] = [[4, 4], [4, 1]]
    crs = CRS.from_epsg(32633)
    mapping = {"crs_wkt": crs.to_wkt(), **crs.to_cf()}
    if geotransform:
        mapping["GeoTransform"] = "500000.0 30.0 0.0 4000000.0 0.0 -30.0"
    ds = xr.Dataset(
        {
            "temp": (
                ("time", "depth", "y", "x"),
                decoded_temp(),
                {
                    "units": "K",
                    "units_metadata": "temperature: on_scale",
                    "grid_mapping": grid_mapping,
                },
            ),
            "classes": (
                ("time", "y", "x"),
                classes,
                {
                    "flag_values": np.arange(5, dtype=np.uint8),
                    "flag_meanings": "a b c d e",
                    "grid_mapping": grid_mapping,
                },
            ),
            "time_bnds": (("time", "nv"), np.array([[0, 24], [24, 48]], np.int64)),
        },
        coords={
            "time": (
                "time",
                np.array([0, 24], np.int64),
                {"units": "hours since 2020-01-01", "calendar": "standard", "bounds": "time_bnds"},
            ),
            "depth": ("depth", np.array([0.0, 10.0, 50.0]), {"units": "m", "positive": "down"}),
            "y": ("y", 4_000_000.0 - 30.0 * (np.arange(12) + 0.5)),
            "x": ("x", 500_000.0 + 30.0 * (np.arange(16) + 0.5)),
            grid_mapping: ((), 0, mapping),
        },
        attrs={"title": "a real dataset"},
    )
    ds["temp"].encoding.update(
        dtype="int16", scale_factor=SCALE, add_offset=OFFSET, _FillValue=FILL
    )
    return ds


def raw(store: Path, path: str) -> np.ndarray:
    group, _, name = path.rpartition("/")
    with xr.open_zarr(store, group=group or None, decode_cf=False, consolidated=False) as ds:
        return np.asarray(ds[name].values)


def expected_temp(temp: np.ndarray) -> np.ndarray:
    """Level 1 of the packed temperature, unrounded: decoded, NaN-aware 2x2 mean, packed."""
    decoded = np.where(temp == FILL, np.nan, temp * SCALE + OFFSET)
    blocks = decoded.reshape(*decoded.shape[:-2], decoded.shape[-2] // 2, 2, -1, 2)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match="Mean of empty"):
        mean = np.nanmean(blocks, axis=(-3, -1))
    return np.where(np.isnan(mean), FILL, (mean - OFFSET) / SCALE)


def assert_packed_mean(level: np.ndarray, temp: np.ndarray) -> None:
    """Stored int16, nodata where the whole block is, the mean rounded (ties either way)."""
    expected = expected_temp(temp)
    assert level.dtype == np.int16  # packed stays packed
    np.testing.assert_array_equal(level == FILL, expected == FILL)
    np.testing.assert_allclose(level, expected, atol=0.5 + 1e-6)


def expected_mode(values: np.ndarray) -> np.ndarray:
    blocks = values.reshape(*values.shape[:-2], values.shape[-2] // 2, 2, -1, 2)
    blocks = np.moveaxis(blocks, -3, -2).reshape(*blocks.shape[:-4], values.shape[-2] // 2, -1, 4)
    out = np.zeros(blocks.shape[:-1], values.dtype)
    for index in np.ndindex(out.shape):
        counts = np.bincount(blocks[index])
        out[index] = np.flatnonzero(counts == counts.max())[0]
    return out


def xarray_store(tmp_path: Path, fmt: int, **kwargs: object) -> Path:
    out = tmp_path / f"src-v{fmt}.zarr"
    dataset(**kwargs).to_zarr(out, zarr_format=fmt, consolidated=False)  # type: ignore[arg-type]
    return out


@pytest.mark.parametrize("fmt", [2, 3])
def test_every_variable_reduced_in_its_own_way(tmp_path: Path, fmt: int) -> None:
    store = xarray_store(tmp_path, fmt, grid_mapping="utm")
    result = geozarr.pyramid(store, levels=2)
    assert result.methods == {"temp": "mean", "classes": "mode"}
    assert result.variable == "temp"  # the layout names the continuous variable, not flags
    layout = geozarr.open(store).attrs["multiscales"]
    assert [e["asset"] for e in layout["layout"]] == ["temp", "1/temp"]
    assert layout["resampling_method"] == "average"
    assert result.variables == {"temp": ("temp", "1/temp"), "classes": ("classes", "1/classes")}
    source = dataset()
    np.testing.assert_array_equal(raw(store, "temp"), packed_temp())  # the source as stored
    level = raw(store, "1/temp")
    assert_packed_mean(level, packed_temp())
    assert level[0, 0, 0, 0] == FILL
    assert level[0, 0, 1, 1] != FILL
    np.testing.assert_array_equal(raw(store, "1/classes"), expected_mode(source["classes"].values))
    assert raw(store, "1/classes")[0, 0, 0] == 4


@pytest.mark.parametrize("fmt", [2, 3])
def test_dims_and_coordinates_carried_to_every_level(tmp_path: Path, fmt: int) -> None:
    store = xarray_store(tmp_path, fmt)
    geozarr.pyramid(store, levels=3)
    source = xr.open_zarr(store, consolidated=False)
    for k in range(3):
        level = geozarr.open(store, level=k)
        assert level["temp"].dims == ("time", "depth", "y", "x")
        assert level["temp"].shape == (2, 3, 12 // 2**k, 16 // 2**k)
        np.testing.assert_array_equal(level["time"].values, source["time"].values)
        np.testing.assert_array_equal(level["depth"].values, [0.0, 10.0, 50.0])
        assert level["depth"].attrs["positive"] == "down"
        np.testing.assert_array_equal(level["time_bnds"].values, source["time_bnds"].values)
        assert level.rio.crs.to_epsg() == 32633
        assert level["temp"].attrs["units"] == "K"
    report = geozarr.validate(str(store), strict=True)
    found = [(i.rule, i.path) for i in report.issues]
    # xarray writes a v3 integer array with Zarr fill_value 0 beside _FillValue: pyramid in
    # place aligns the source's fill_value (tests/geozarr/test_pyramid_fill.py), so the
    # source and the levels it writes are clean
    assert found == []


def test_method_per_variable_api_and_cli(tmp_path: Path) -> None:
    api = xarray_store(tmp_path / "api", 3, geotransform=True)
    geozarr.pyramid(api, levels=2, method={"classes": "nearest"})
    source = dataset()["classes"].values
    np.testing.assert_array_equal(raw(api, "1/classes"), source[:, ::2, ::2])
    assert_packed_mean(raw(api, "1/temp"), packed_temp())
    cli = xarray_store(tmp_path / "cli", 2)
    done = subprocess.run(
        [GEOZARR, "pyramid", str(cli), "--levels", "2", "--method", "classes=nearest"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "classes (nearest)" in done.stdout
    assert "temp (mean)" in done.stdout
    np.testing.assert_array_equal(raw(cli, "1/classes"), source[:, ::2, ::2])


def test_write_levels_of_a_dataset_with_methods(tmp_path: Path) -> None:
    out = tmp_path / "out.zarr"
    source = dataset()
    result = geozarr.write(source, out, levels=2, method={"temp": "max"})
    assert result.levels == {"temp": ("temp", "1/temp"), "classes": ("classes", "1/classes")}
    level = geozarr.open(out, level=1)
    np.testing.assert_allclose(
        level["temp"].values, source["temp"].coarsen(y=2, x=2).max().values, atol=1e-9
    )
    assert raw(out, "1/temp").dtype == np.int16
    np.testing.assert_array_equal(level["classes"].values, expected_mode(source["classes"].values))
    with pytest.raises(GeoWriteError, match=r"Got \['nope'\]"):
        geozarr.write(source, tmp_path / "bad.zarr", levels=2, method={"nope": "max"})
    assert not (tmp_path / "bad.zarr").exists()


def test_bad_method_and_irregular_grid_are_one_line(tmp_path: Path) -> None:
    store = xarray_store(tmp_path, 3)
    done = subprocess.run(
        [GEOZARR, "pyramid", str(store), "--method", "classes=median"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "median" in done.stderr
    irregular = dataset()
    x = irregular["x"].values.copy()
    x[-1] += 9.0
    bent = tmp_path / "bent.zarr"
    irregular.assign_coords(x=x).to_zarr(bent, zarr_format=3, consolidated=False)
    done = subprocess.run(
        [GEOZARR, "pyramid", str(bent)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "regularly spaced 'x'" in line
    assert "Traceback" not in done.stderr
    assert "multiscales" not in json.loads((bent / "zarr.json").read_text())["attributes"]


@pytest.mark.parametrize("fmt", [2, 3])
def test_text_coordinates_carried(tmp_path: Path, fmt: int) -> None:
    """Band names (text) reach every level, as variable-length strings both formats know."""
    rgb = xr.DataArray(
        np.arange(3 * 8 * 10, dtype=np.float32).reshape(3, 8, 10),
        dims=("band", "y", "x"),
        coords={
            "band": ["red", "green", "blue"],
            "y": 80.0 - 10 * (np.arange(8) + 0.5),
            "x": 10 * (np.arange(10) + 0.5),
        },
        name="rgb",
        attrs={"crs": "EPSG:32633"},
    )
    written = tmp_path / "written.zarr"
    geozarr.write(rgb, written, zarr_format=fmt, levels=2)
    in_place = tmp_path / "in-place.zarr"
    geozarr.write(rgb, in_place, zarr_format=fmt)
    geozarr.pyramid(in_place, levels=2)
    for store in (written, in_place):
        level = geozarr.open(store, level=1)
        assert level["band"].values.tolist() == ["red", "green", "blue"]
        np.testing.assert_allclose(
            level["rgb"].values, rgb.coarsen(y=2, x=2).mean().values, rtol=1e-6
        )
