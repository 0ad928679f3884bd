"""Fill values that mean what they say (issue 13, item 3), in everything written and converted.

A Zarr ``fill_value`` is what a never-written chunk reads as. For a variable with a CF
``_FillValue`` it must be that value (an xarray-written v3 integer array has 0 and
``_FillValue`` -32768: its unwritten chunks then decode as valid data); floats without one get
NaN. Each case below is checked on the documents, and on what an unwritten chunk reads as.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from pyproj import CRS

import geozarr
from geozarr.cf.variables import decode_fill_value

pytestmark = pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part")


def packed(fill: int = -32768) -> xr.Dataset:
    values = np.full((2, 8, 8), 280.0)
    values[0, :2, :2] = np.nan
    crs = CRS.from_epsg(3413)
    ds = xr.Dataset(
        {
            "t": (("time", "y", "x"), values, {"units": "K", "grid_mapping": "spatial_ref"}),
            "f": (("time", "y", "x"), np.ones((2, 8, 8), np.float32),
                  {"grid_mapping": "spatial_ref"}),
        },
        coords={
            "time": [0, 1],
            "y": 100.0 - 10 * (np.arange(8) + 0.5),
            "x": 10 * (np.arange(8) + 0.5),
            "spatial_ref": ((), 0, {"crs_wkt": crs.to_wkt()}),
        },
    )  # fmt: skip
    ds["t"].encoding.update(dtype="int16", scale_factor=0.01, add_offset=273.15, _FillValue=fill)
    return ds


def documents(store: Path, path: str) -> tuple[Any, dict[str, Any]]:
    """``fill_value`` and attributes of an array, in either format."""
    if (store / path / "zarr.json").exists():
        doc = json.loads((store / path / "zarr.json").read_text())
        return doc["fill_value"], doc["attributes"]
    meta = json.loads((store / path / ".zarray").read_text())
    return meta["fill_value"], json.loads((store / path / ".zattrs").read_text())


def assert_fill_is_nodata(store: Path, path: str, nodata: float) -> None:
    fill, attrs = documents(store, path)
    decoded = decode_fill_value(fill)
    assert decoded is not None
    if math.isnan(nodata):
        assert math.isnan(decoded)
    else:
        assert decoded == nodata
    if "_FillValue" in attrs:  # v3: the attribute xarray masks with
        declared = decode_fill_value(attrs["_FillValue"])
        assert declared is not None
        assert declared == decoded or (math.isnan(declared) and math.isnan(decoded))


def unwritten_chunk_is_masked(store: Path, variable: str, group: str = "") -> None:
    """Delete the first chunk of an array: xarray must read all of it as nodata, not data."""
    target = store / group / variable
    chunks = sorted(
        p for p in target.rglob("*") if p.is_file() and not p.name.startswith((".", "zarr"))
    )
    with xr.open_zarr(store, group=group or None, consolidated=False) as ds:
        region = tuple(slice(0, n) for n in ds[variable].encoding["chunks"])
        assert not bool(ds[variable][region].isnull().all())  # data there before
    chunks[0].unlink()
    with xr.open_zarr(store, group=group or None, consolidated=False) as ds:
        assert bool(ds[variable][region].isnull().all())


@pytest.mark.parametrize("fmt", [2, 3])
def test_written_arrays_fill_with_their_nodata(tmp_path: Path, fmt: int) -> None:
    out = tmp_path / "out.zarr"
    geozarr.write(packed(), out, zarr_format=fmt, levels=2, chunks=(4, 4))
    for path in ("t", "1/t"):
        assert_fill_is_nodata(out, path, -32768)
        assert documents(out, path)[1]["scale_factor"] == 0.01
    for path in ("f", "1/f"):
        assert_fill_is_nodata(out, path, math.nan)  # a float without _FillValue: NaN
    x_fill, _ = documents(out, "x")
    assert x_fill == ("NaN" if fmt == 3 else None)  # v2 null: no nodata (see geozarr.convert)
    unwritten_chunk_is_masked(out, "t")
    unwritten_chunk_is_masked(out, "t", group="1")


@pytest.mark.parametrize("fmt", [2, 3])
def test_converted_arrays_keep_fill_equal_to_nodata(tmp_path: Path, fmt: int) -> None:
    src, dst = tmp_path / "src.zarr", tmp_path / "dst.zarr"
    geozarr.write(packed(fill=-9999), src, zarr_format=fmt, levels=2, chunks=(4, 4))
    geozarr.convert(src, dst, zarr_format=5 - fmt)  # type: ignore[arg-type]
    for path in ("t", "1/t"):
        assert_fill_is_nodata(dst, path, -9999)
    for path in ("f", "1/f"):
        assert_fill_is_nodata(dst, path, math.nan)
    unwritten_chunk_is_masked(dst, "t", group="1")
    for group in ("", "1"):  # 0-D grid mappings keep (v2: get) their empty dimension list
        with xr.open_zarr(dst, group=group or None, consolidated=False) as ds:
            assert ds["spatial_ref"].dims == ()


def test_pyramid_levels_of_an_xarray_v3_store_fill_with_nodata(tmp_path: Path) -> None:
    """xarray's v3 integer arrays have fill_value 0 beside _FillValue; the levels do not."""
    src = tmp_path / "xr.zarr"
    packed().to_zarr(src, zarr_format=3, consolidated=False)
    base_fill, base_attrs = documents(src, "t")
    assert (base_fill, base_attrs["_FillValue"]) == (0, -32768)  # what xarray writes
    geozarr.pyramid(src, levels=2)
    assert_fill_is_nodata(src, "1/t", -32768)
    unwritten_chunk_is_masked(src, "t", group="1")


def test_converting_an_xarray_v3_store_gives_the_fill_its_nodata(tmp_path: Path) -> None:
    """v3 ``fill_value`` 0 beside ``_FillValue`` -32768 (xarray's default) -> v2 -32768."""
    src, dst = tmp_path / "xr.zarr", tmp_path / "v2.zarr"
    packed().to_zarr(src, zarr_format=3, consolidated=False)
    assert documents(src, "t")[0] == 0
    geozarr.convert(src, dst, zarr_format=2)
    assert_fill_is_nodata(dst, "t", -32768)
    unwritten_chunk_is_masked(dst, "t")
