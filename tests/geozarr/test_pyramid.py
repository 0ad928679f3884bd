"""geozarr.pyramid: nodata-correct levels, self-describing level groups, multiscales, resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import geozarr
from geozarr.conventions.registry import MULTISCALES
from geozarr.write import GeoWriteError
from ngff_geozarr.core.pyramid import Progress
from ngff_geozarr.core.store import open_store

TRANSFORM = (10.0, 0.0, 300_000.0, 0.0, -10.0, 6_000_000.0)


def _block_reduce(data: np.ndarray, nodata: float | None, f: int = 2) -> np.ndarray:
    """Reference: mean of the valid pixels of each f x f block (partial edge blocks too)."""
    h, w = data.shape
    oh, ow = -(-h // f), -(-w // f)
    out = np.empty((oh, ow), dtype=data.dtype)
    for i in range(oh):
        for j in range(ow):
            block = data[i * f : (i + 1) * f, j * f : (j + 1) * f].astype(np.float64).ravel()
            valid = block[~np.isnan(block)] if nodata is None else block[block != nodata]
            if valid.size == 0:
                out[i, j] = np.nan if nodata is None else nodata
            elif data.dtype.kind == "f":
                out[i, j] = valid.mean()
            else:
                out[i, j] = np.rint(valid.sum() / valid.size)
    return out


def _level(store: Path, path: str) -> np.ndarray:
    with open_store(store) as handle:
        array = handle.open_array(path)
        return array.read(tuple(slice(0, n) for n in array.shape))


def _attrs(store: Path, group: str = "") -> dict[str, Any]:
    doc = (
        json.loads((store / group / "zarr.json").read_text())
        if (store / group / "zarr.json").exists()
        else {"attributes": json.loads((store / group / ".zattrs").read_text())}
    )
    return dict(doc["attributes"])


@pytest.fixture
def nan_raster() -> np.ndarray:
    rng = np.random.default_rng(6)
    data = rng.normal(500, 100, (83, 59)).astype(np.float32)
    data[rng.random(data.shape) < 0.3] = np.nan
    data[:9, :13] = np.nan  # whole blocks of nodata at every level
    return data


@pytest.mark.parametrize("fmt", [2, 3], ids=["v2", "v3"])
def test_levels_are_nan_aware_means_of_their_blocks(
    tmp_path: Path, nan_raster: np.ndarray, fmt: int
) -> None:
    out = tmp_path / "nan.zarr"
    geozarr.write(
        nan_raster, out, crs="EPSG:32633", transform=TRANSFORM, zarr_format=fmt, chunks=(16, 16)
    )
    result = geozarr.pyramid(out)
    assert result.paths == ("data", "1/data", "2/data", "3/data")
    assert result.shapes == ((83, 59), (42, 30), (21, 15), (11, 8))
    expected = nan_raster
    for path in result.paths[1:]:
        expected = _block_reduce(expected, None)
        np.testing.assert_allclose(_level(out, path), expected, rtol=1e-6)
    assert np.isnan(_level(out, "3/data")[0, 0])
    report = geozarr.validate(out)
    assert [i.rule for i in report.issues] == []


@pytest.mark.parametrize("fmt", [2, 3], ids=["v2", "v3"])
def test_integer_nodata_is_ignored_and_kept(tmp_path: Path, fmt: int) -> None:
    rng = np.random.default_rng(2)
    data = rng.integers(0, 3000, (45, 37), dtype=np.uint16)
    data[rng.random(data.shape) < 0.4] = 65535
    data[:6, :10] = 65535
    out = tmp_path / "int.zarr"
    geozarr.write(
        data,
        out,
        crs="EPSG:32633",
        transform=TRANSFORM,
        nodata=65535,
        zarr_format=fmt,
        chunks=(8, 8),
    )
    result = geozarr.pyramid(out)
    expected = data
    for path in result.paths[1:]:
        expected = _block_reduce(expected, 65535)
        got = _level(out, path)
        assert got.dtype == np.uint16
        np.testing.assert_array_equal(got, expected)
    assert _level(out, "1/data")[0, 0] == 65535
    np.testing.assert_array_equal(_level(out, "data"), data)  # the base is untouched
    assert [i.rule for i in geozarr.validate(out).issues] == []


def test_float_nodata_value_is_not_averaged(tmp_path: Path) -> None:
    data = np.array([[1.0, -9999.0, 5.0], [3.0, -9999.0, -9999.0]], dtype=np.float32)
    out = tmp_path / "f.zarr"
    geozarr.write(data, out, crs="EPSG:32633", transform=TRANSFORM, nodata=-9999.0, chunks=(2, 2))
    geozarr.pyramid(out, levels=2)
    np.testing.assert_array_equal(_level(out, "1/data"), [[2.0, 5.0]])


def test_layout_and_self_describing_levels(tmp_path: Path, nan_raster: np.ndarray) -> None:
    out = tmp_path / "layout.zarr"
    geozarr.write(
        nan_raster,
        out,
        crs="EPSG:32633",
        transform=TRANSFORM,
        chunks=(32, 32),
        attributes={"title": "t"},
    )
    geozarr.pyramid(out, min_extent=30)
    root = _attrs(out)
    assert root["zarr_conventions"][0] == MULTISCALES.canonical()
    assert root["title"] == "t"
    ms = root["multiscales"]
    assert ms["resampling_method"] == "average"
    layout = ms["layout"]
    assert [e["asset"] for e in layout] == ["data", "1/data", "2/data"]
    assert [e.get("derived_from") for e in layout] == [None, "data", "1/data"]
    assert layout[1]["transform"] == {"scale": [2.0, 2.0], "translation": [0.0, 0.0]}
    assert layout[2]["spatial:transform"] == [40.0, 0.0, 300_000.0, 0.0, -40.0, 6_000_000.0]
    assert [e["spatial:shape"] for e in layout] == [[83, 59], [42, 30], [21, 15]]
    for k in ("1", "2"):
        level = _attrs(out, k)
        assert level["proj:code"] == "EPSG:32633"
        assert level["spatial:transform"] == layout[int(k)]["spatial:transform"]
        ds = xr.open_zarr(out, group=k, consolidated=False)
        step = 10.0 * 2 ** int(k)
        np.testing.assert_allclose(ds.x.values[:2], 300_000 + step * np.array([0.5, 1.5]))
        assert "crs_wkt" in ds.spatial_ref.attrs
        alone = geozarr.validate(out / k)  # a level opened on its own is GeoZarr too
        assert [i.rule for i in alone.issues if i.severity.value == "error"] == []


def test_classes_default_to_mode(tmp_path: Path) -> None:
    data = np.array([[1, 1, 2, 3], [1, 2, 3, 3]], dtype=np.uint8)
    arr = xr.DataArray(data, dims=("y", "x"), attrs={"flag_values": [1, 2, 3]}, name="lc")
    out = tmp_path / "lc.zarr"
    geozarr.write(arr, out, crs="EPSG:32633", transform=TRANSFORM, chunks=(2, 2))
    result = geozarr.pyramid(out, levels=2)
    assert result.method == "mode"
    np.testing.assert_array_equal(_level(out, "1/lc"), [[1, 3]])
    assert _attrs(out)["multiscales"]["resampling_method"] == "mode"


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("min", [[1.0, 3.0]]),
        ("max", [[4.0, 5.0]]),
        ("sum", [[7.0, 8.0]]),
        ("nearest", [[1.0, np.nan]]),
    ],
)
def test_other_methods(tmp_path: Path, method: Any, expected: list[list[float]]) -> None:
    data = np.array([[1.0, 2.0, np.nan, 3.0], [4.0, np.nan, np.nan, 5.0]], dtype=np.float32)
    out = tmp_path / "m.zarr"
    geozarr.write(data, out, crs="EPSG:32633", transform=TRANSFORM, chunks=(2, 2))
    geozarr.pyramid(out, method=method, levels=2)
    np.testing.assert_array_equal(_level(out, "1/data"), expected)
    assert [i.rule for i in geozarr.validate(out).issues] == []


def test_interrupted_run_has_no_multiscales_and_resumes(
    tmp_path: Path, nan_raster: np.ndarray
) -> None:
    out = tmp_path / "resume.zarr"
    geozarr.write(nan_raster, out, crs="EPSG:32633", transform=TRANSFORM, chunks=(8, 8))

    class Stop(Exception):
        pass

    def stop_early(p: Progress) -> None:
        if p.done >= 20:
            raise Stop

    with pytest.raises(Stop):
        geozarr.pyramid(out, progress=stop_early, workers=1)
    assert "multiscales" not in _attrs(out)
    result = geozarr.pyramid(out, resume=True)
    assert result.tiles_skipped > 0
    expected = nan_raster
    for path in result.paths[1:]:
        expected = _block_reduce(expected, None)
        np.testing.assert_allclose(_level(out, path), expected, rtol=1e-6)
    assert "multiscales" in _attrs(out)
    with pytest.raises(GeoWriteError, match="already"):
        geozarr.pyramid(out)  # a complete pyramid is not silently rewritten


def test_write_with_levels_writes_the_pyramid_in_one_pass(
    tmp_path: Path, nan_raster: np.ndarray
) -> None:
    out = tmp_path / "onepass.zarr"
    result = geozarr.write(
        nan_raster, out, crs="EPSG:32633", transform=TRANSFORM, chunks=(16, 16), levels="auto"
    )
    assert result.levels["data"] == ("data", "1/data", "2/data", "3/data")
    np.testing.assert_allclose(_level(out, "1/data"), _block_reduce(nan_raster, None), rtol=1e-6)
    assert [i.rule for i in geozarr.validate(out).issues] == []


def test_every_named_or_missing_variable(tmp_path: Path) -> None:
    data = np.zeros((4, 4), np.float32)
    ds = xr.Dataset({"a": (("y", "x"), data), "b": (("y", "x"), data)})
    both = tmp_path / "both.zarr"
    geozarr.write(ds, both, crs="EPSG:32633", transform=TRANSFORM)
    # every variable on the grid by default (issue 13); it was "one georeferenced variable"
    assert geozarr.pyramid(both, levels=2).variables == {"a": ("a", "1/a"), "b": ("b", "1/b")}
    out = tmp_path / "two.zarr"
    geozarr.write(ds, out, crs="EPSG:32633", transform=TRANSFORM)
    with pytest.raises(GeoWriteError, match="no array 'c'"):
        geozarr.pyramid(out, variable="c")
    assert geozarr.pyramid(out, variable="b", levels=2).paths == ("b", "1/b")


def test_a_method_for_a_variable_not_written_is_refused(tmp_path: Path) -> None:
    """``write`` and ``pyramid`` read ``method`` alike (one shared reading of the mapping)."""
    data = np.zeros((4, 4), np.float32)
    ds = xr.Dataset({"a": (("y", "x"), data), "b": (("y", "x"), data)})
    fresh = tmp_path / "fresh.zarr"
    with pytest.raises(GeoWriteError, match=r"\['a', 'b'\]\. Got \['c'\]"):
        geozarr.write(
            ds, fresh, crs="EPSG:32633", transform=TRANSFORM, levels=2, method={"c": "max"}
        )
    assert not fresh.exists()
    out = tmp_path / "two.zarr"
    geozarr.write(ds, out, crs="EPSG:32633", transform=TRANSFORM)
    with pytest.raises(GeoWriteError, match=r"\['a', 'b'\]\. Got \['c'\]"):
        geozarr.pyramid(out, levels=2, method={"c": "max"})
    assert geozarr.pyramid(out, levels=2, method={"b": "max"}).methods == {"a": "mean", "b": "max"}
