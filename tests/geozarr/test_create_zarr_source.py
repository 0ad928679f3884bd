"""``geozarr create STORE::PATH`` keeps a CF variable's packing, attributes, CRS and transform.

Issue 13: the command dropped ``scale_factor``, ``add_offset``, ``_FillValue`` and ``units``
and demanded ``--crs`` / ``--transform`` although the source store has them.
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

rioxarray = pytest.importorskip("rioxarray")
GEOZARR = str(Path(sys.executable).parent / "geozarr")
SCALE, OFFSET, FILL = 0.01, 273.15, -32768
pytestmark = [
    pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part"),
    pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning"),
]


def packed_source(out: Path, fmt: int) -> xr.Dataset:
    """A packed int16 sea-surface temperature on EPSG:4326 (``spatial_ref``, ``crs_wkt``)."""
    rng = np.random.default_rng(5)
    sst = 280.0 + 10.0 * rng.random((20, 30))
    sst[:4, :6] = np.nan
    crs = CRS.from_epsg(4326)
    ds = xr.Dataset(
        {
            "sst": (
                ("lat", "lon"),
                sst,
                {
                    "units": "K",
                    "units_metadata": "temperature: on_scale",
                    "standard_name": "sea_surface_temperature",
                    "grid_mapping": "spatial_ref",
                },
            )
        },
        coords={
            "lat": ("lat", 50.0 - 0.5 * (np.arange(20) + 0.5), {"units": "degrees_north"}),
            "lon": ("lon", -10.0 + 0.5 * (np.arange(30) + 0.5), {"units": "degrees_east"}),
            "spatial_ref": ((), 0, {"crs_wkt": crs.to_wkt(), **crs.to_cf()}),
        },
    )
    ds["sst"].encoding.update(
        dtype="int16", scale_factor=SCALE, add_offset=OFFSET, _FillValue=FILL, chunks=(10, 10)
    )
    ds.to_zarr(out, zarr_format=fmt, consolidated=fmt == 2)
    return ds


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GEOZARR, *args], capture_output=True, text=True, timeout=300, check=False
    )


def attributes(store: Path, path: str) -> tuple[dict[str, object], str]:
    v3 = store / path / "zarr.json"
    if v3.exists():
        doc = json.loads(v3.read_text())
        return doc["attributes"], doc["data_type"]
    meta = json.loads((store / path / ".zarray").read_text())
    attrs = json.loads((store / path / ".zattrs").read_text())
    return {**attrs, "_FillValue": meta["fill_value"]}, np.dtype(meta["dtype"]).name


@pytest.mark.parametrize(("src_fmt", "out_fmt"), [(3, 3), (2, 3), (3, 2)])
def test_create_from_a_cf_variable_keeps_packing_and_grid(
    tmp_path: Path, src_fmt: int, out_fmt: int
) -> None:
    source = tmp_path / "src.zarr"
    original = packed_source(source, src_fmt)
    out = tmp_path / "out.zarr"
    done = run(
        "create", f"{source}::sst", str(out), "--zarr-format", str(out_fmt),
        "--levels", "2", "--chunks", "8,8", "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    attrs, dtype = attributes(out, "sst")
    assert dtype == "int16"  # packed stays packed
    assert attrs["scale_factor"] == SCALE
    assert attrs["add_offset"] == OFFSET
    assert attrs["units"] == "K"
    assert attrs["standard_name"] == "sea_surface_temperature"
    assert list(geozarr.validate(str(out), strict=True).issues) == []
    for k in range(2):
        level = geozarr.open(out, level=k)
        assert level["sst"].encoding["dtype"] == np.dtype("int16")
        assert level["sst"].rio.encoded_nodata == FILL
        assert level.rio.crs.to_epsg() == 4326
        assert tuple(level.rio.transform())[:6] == pytest.approx(
            (0.5 * 2**k, 0.0, -10.0, 0.0, -0.5 * 2**k, 50.0)
        )
    np.testing.assert_allclose(
        geozarr.open(out)["sst"].values, original["sst"].values, atol=SCALE / 2
    )
    assert np.isnan(geozarr.open(out)["sst"].values[:4, :6]).all()


def test_options_still_override_the_store(tmp_path: Path) -> None:
    source = tmp_path / "src.zarr"
    packed_source(source, 3)
    out = tmp_path / "out.zarr"
    done = run(
        "create", f"{source}::sst", str(out), "--crs", "EPSG:4326",
        "--transform", "1,0,0,0,-1,20", "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    level = geozarr.open(out)
    assert tuple(level.rio.transform())[:6] == pytest.approx((1, 0, 0, 0, -1, 20))
    assert attributes(out, "sst")[1] == "int16"


def test_a_variable_without_georeferencing_still_needs_crs(tmp_path: Path) -> None:
    source = tmp_path / "plain.zarr"
    xr.Dataset({"v": (("y", "x"), np.ones((4, 5), np.float32))}).to_zarr(source, zarr_format=3)
    done = run("create", f"{source}::v", str(tmp_path / "out.zarr"), "--quiet")
    assert done.returncode == 2
    assert "needs --crs and --transform" in done.stderr
    assert not (tmp_path / "out.zarr").exists()
