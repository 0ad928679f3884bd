"""``pyramid`` in place aligns the source's Zarr ``fill_value`` with its ``_FillValue`` (issue 13).

xarray writing Zarr v3 keeps ``_FillValue`` as an attribute and leaves ``fill_value`` at 0
(integers) or NaN (floats), and skips every chunk that holds only that ``fill_value``. Such a
chunk is valid data (packed 0 is ``add_offset`` kelvin), so ``pyramid`` must write it out
before it changes ``fill_value``: the values read before and after are compared raw.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import zarr
from pyproj import CRS

import geozarr
from geozarr.writing.fill import align_fill_value, fill_mismatch
from ngff_geozarr.core.hierarchy import hierarchy_from_store
from ngff_geozarr.core.store import open_store

pytestmark = [
    pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part"),
    pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning"),
]
FILL = -32768
CRS_UTM = CRS.from_epsg(32633)


def packed() -> np.ndarray:
    """int16, 16x16 in 8x8 chunks: chunk (0, 1) all 0 (valid data), chunk (1, 0) all nodata."""
    data = np.arange(16 * 16, dtype=np.int16).reshape(16, 16) + 1
    data[:8, 8:] = 0
    data[8:, :8] = FILL
    return data


def coords() -> dict[str, Any]:
    return {
        "y": 4_000_000.0 - 30.0 * (np.arange(16) + 0.5),
        "x": 500_000.0 + 30.0 * (np.arange(16) + 0.5),
        "spatial_ref": ((), 0, {"crs_wkt": CRS_UTM.to_wkt(), **CRS_UTM.to_cf()}),
    }


def xarray_packed(out: Path, **encoding: Any) -> Path:
    attrs = {
        "scale_factor": 0.01,
        "add_offset": 273.15,
        "units": "K",
        "units_metadata": "temperature: on_scale",
        "grid_mapping": "spatial_ref",
    }
    ds = xr.Dataset({"temp": (("y", "x"), packed(), attrs)}, coords=coords())
    ds["temp"].encoding = {"_FillValue": FILL, "chunks": (8, 8), **encoding}
    ds.to_zarr(out, zarr_format=3, consolidated=False)
    return out


def raw(store: Path, name: str) -> np.ndarray:
    return np.asarray(zarr.open_array(store / name, mode="r")[...])


def fill_on_disk(store: Path, name: str) -> Any:
    v3 = store / name / "zarr.json"
    doc = v3 if v3.exists() else store / name / ".zarray"
    return json.loads(doc.read_text())["fill_value"]


def strict_issues(store: Path) -> list[tuple[str, str]]:
    report = geozarr.validate(str(store), profile="auto", strict=True)
    return [(i.rule, i.path) for i in report.issues]


def test_a_skipped_zero_chunk_still_reads_zero(tmp_path: Path) -> None:
    store = xarray_packed(tmp_path / "src.zarr")
    assert fill_on_disk(store, "temp") == 0
    assert not (store / "temp" / "c" / "0" / "1").exists()  # xarray (zarr) skipped it
    assert strict_issues(store) == [("geozarr.cf.fill-value", "temp")]
    before = raw(store, "temp")
    np.testing.assert_array_equal(before, packed())
    geozarr.pyramid(store, levels=2)
    assert fill_on_disk(store, "temp") == FILL
    assert (store / "temp" / "c" / "0" / "1").exists()  # written out before the change
    np.testing.assert_array_equal(raw(store, "temp"), before)  # the 0s are still 0
    decoded = geozarr.open(store)["temp"].values
    np.testing.assert_allclose(decoded[:8, 8:], 273.15)  # valid data, not missing
    assert np.isnan(decoded[8:, :8]).all()
    assert strict_issues(store) == []
    # the level saw the 0s as data too
    np.testing.assert_allclose(geozarr.open(store, level=1)["temp"].values[:4, 4:], 273.15)


def test_a_float_source_keeps_its_nan_chunks(tmp_path: Path) -> None:
    """_FillValue -9999 beside fill_value NaN: a never-written chunk stays NaN on disk."""
    data = np.arange(256, dtype=np.float32).reshape(16, 16)
    ds = xr.Dataset({"dem": (("y", "x"), data, {"grid_mapping": "spatial_ref"})}, coords=coords())
    ds["dem"].encoding = {"_FillValue": -9999.0, "chunks": (8, 8)}
    store = tmp_path / "dem.zarr"
    ds.to_zarr(store, zarr_format=3, consolidated=False)
    (store / "dem" / "c" / "0" / "0").unlink()  # as a region write never done leaves it
    assert [r for r, _ in strict_issues(store)] == ["geozarr.cf.fill-value-nan"]
    geozarr.pyramid(store, levels=2)
    assert fill_on_disk(store, "dem") == -9999.0
    after = raw(store, "dem")
    assert np.isnan(after[:8, :8]).all()  # read as NaN before, still NaN: not -9999
    np.testing.assert_array_equal(after[8:], data[8:])
    assert strict_issues(store) == []


def test_a_sharded_source_with_a_missing_inner_chunk(tmp_path: Path) -> None:
    store = xarray_packed(tmp_path / "sharded.zarr", shards=(16, 16))
    before = raw(store, "temp")
    geozarr.pyramid(store, levels=2)
    assert fill_on_disk(store, "temp") == FILL
    np.testing.assert_array_equal(raw(store, "temp"), before)
    assert strict_issues(store) == []


def test_a_v2_array_whose_fill_value_is_not_its_fill_attribute(tmp_path: Path) -> None:
    store = tmp_path / "v2.zarr"
    root = zarr.open_group(store, mode="w", zarr_format=2)
    temp = root.create_array(
        "temp", shape=(16, 16), chunks=(8, 8), dtype="int16", fill_value=0,
        attributes={"_ARRAY_DIMENSIONS": ["y", "x"], "_FillValue": FILL,
                    "grid_mapping": "spatial_ref", "scale_factor": 0.01, "add_offset": 273.15,
                    "units": "K", "units_metadata": "temperature: on_scale"},
    )  # fmt: skip
    temp[...] = packed()
    for name, (dims, values, attrs) in {
        "y": (["y"], coords()["y"], {}),
        "x": (["x"], coords()["x"], {}),
        "spatial_ref": ([], 0, coords()["spatial_ref"][2]),
    }.items():
        array = root.create_array(
            name,
            shape=np.shape(values),
            dtype="float64" if dims else "int64",
            attributes={"_ARRAY_DIMENSIONS": dims, **attrs},
        )
        array[...] = values
    assert not (store / "temp" / "0.1").exists()
    geozarr.pyramid(store, levels=2)
    assert fill_on_disk(store, "temp") == FILL
    assert (store / "temp" / "0.1").exists()
    np.testing.assert_array_equal(raw(store, "temp"), packed())
    assert strict_issues(store) == []


def test_each_step_keeps_the_values_and_a_second_run_finishes(tmp_path: Path) -> None:
    """The alignment is idempotent and is done before any level: an interrupted run is partial."""
    store = xarray_packed(tmp_path / "src.zarr")
    with open_store(str(store), mode="r+") as handle:
        node = hierarchy_from_store(handle).get("temp")
        assert node is not None
        assert fill_mismatch(node) == FILL
        assert align_fill_value(handle, node) == 1  # the one skipped chunk
        again = hierarchy_from_store(handle).get("temp")
        assert again is not None
        assert fill_mismatch(again) is None
        assert align_fill_value(handle, again) == 0
    np.testing.assert_array_equal(raw(store, "temp"), packed())
    # as a run killed right after the alignment leaves it: no levels, no layout
    assert "multiscales" not in json.loads((store / "zarr.json").read_text())["attributes"]
    assert not (store / "1").exists()
    copy = tmp_path / "copy.zarr"
    shutil.copytree(store, copy)
    assert geozarr.pyramid(copy, levels=2).paths == ("temp", "1/temp")
    assert strict_issues(copy) == []
