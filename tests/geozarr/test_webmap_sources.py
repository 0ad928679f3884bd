"""``pyramid --to-crs`` with sources as they come (issue 13, item 7).

Time coordinates carried into every level, GeoTIFFs read window by window (a counting
reader, compared with the whole-array result), and a source across the antimeridian refused
before anything is written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from pyproj import CRS

import geozarr
from geozarr.reproject import SourceRaster, open_source, write_webmap_pyramid
from geozarr.writing.grid import GeoWriteError
from ngff_geozarr.core.inputs import LazyArray, open_input
from ngff_geozarr.core.inputs.geotiff import GeoTiffReader

rasterio = pytest.importorskip("rasterio")
rioxarray = pytest.importorskip("rioxarray")
pytestmark = [
    pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part"),
]
UTM = (30.0, 0.0, 400_000.0, 0.0, -30.0, 5_500_000.0)


def smooth(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return (np.sin(x / 40) + np.cos(y / 55)).astype(np.float32)


def test_time_is_carried_into_every_level(tmp_path: Path) -> None:
    times = pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03"])
    data = np.stack([smooth(200, 240) + i for i in range(3)])
    source = xr.DataArray(
        data,
        dims=("time", "y", "x"),
        coords={
            "time": times,
            "y": UTM[5] - 30.0 * (np.arange(200) + 0.5),
            "x": UTM[2] + 30.0 * (np.arange(240) + 0.5),
        },
        name="dem",
    ).rio.write_crs("EPSG:32631")
    src = tmp_path / "src.zarr"
    geozarr.write(source, src, chunks=(64, 64))
    out = tmp_path / "out.zarr"
    result = write_webmap_pyramid(src, out, zoom_levels=(11, 12))
    assert result.zooms == (12, 11)
    for k in range(2):
        level = geozarr.open(out, level=k)
        np.testing.assert_array_equal(level["time"].values, times.values)
        assert level["dem"].dims == ("time", "y", "x")
        assert level.rio.crs.to_epsg() == 3857
        # each time step reprojected on its own: step i is step 0 plus i where valid
        values = level["dem"].values
        valid = np.isfinite(values[0])
        assert valid.any()
        np.testing.assert_allclose(values[2][valid], values[0][valid] + 2, atol=1e-4)
    assert geozarr.validate(str(out), strict=True).issues == ()


def _tiff(path: Path, data: np.ndarray) -> Path:
    from rasterio.transform import Affine

    with rasterio.open(
        path, "w", driver="GTiff", height=data.shape[0], width=data.shape[1], count=1,
        dtype=data.dtype, crs="EPSG:32631", transform=Affine(*UTM), nodata=-9999.0,
        tiled=True, blockxsize=256, blockysize=256,
    ) as ds:  # fmt: skip
        ds.write(data, 1)
    return path


def test_a_geotiff_is_read_window_by_window(tmp_path: Path) -> None:
    data = smooth(900, 1200)
    data[:50, :50] = -9999.0
    tif = _tiff(tmp_path / "dem.tif", data)
    opened = open_input(tif, georeferenced=True)
    assert isinstance(opened.data, LazyArray)  # nothing read yet
    reader = GeoTiffReader(str(tif), (1, 900, 1200), np.dtype("float32"))
    lazy = SourceRaster(LazyArray(reader)[0], open_source(tif).grid, -9999.0)
    windowed = write_webmap_pyramid(lazy, tmp_path / "windowed.zarr", zoom_levels=(12, 12))
    # each tile read its own window: no read came near the whole file
    assert 0 < reader.largest_read <= 400 * 400 < data.size / 5
    assert reader.pixels_read < 4 * data.size
    whole = write_webmap_pyramid(
        SourceRaster(data, lazy.grid, -9999.0), tmp_path / "whole.zarr", zoom_levels=(12, 12)
    )
    assert windowed.shapes == whole.shapes
    a = geozarr.open(tmp_path / "windowed.zarr")["data"].values
    b = geozarr.open(tmp_path / "whole.zarr")["data"].values
    np.testing.assert_array_equal(a, b)  # read back: the same pixels either way
    # and through the path a user gives
    by_path = write_webmap_pyramid(tif, tmp_path / "by-path.zarr", zoom_levels=(12, 12))
    assert by_path.shapes == whole.shapes
    np.testing.assert_array_equal(geozarr.open(tmp_path / "by-path.zarr")["data"].values, b)


def test_a_source_across_the_antimeridian_is_refused(tmp_path: Path) -> None:
    # UTM zone 60 (central meridian 177 E), 400 km wide from 177 E: past 180 degrees
    data = np.ones((100, 400), np.float32)
    transform = (1000.0, 0.0, 500_000.0, 0.0, -1000.0, 5_600_000.0)
    out = tmp_path / "out.zarr"
    for to_crs in ("EPSG:3857", "EPSG:4326"):
        with pytest.raises(GeoWriteError, match="antimeridian"):
            write_webmap_pyramid(data, out, crs="EPSG:32660", transform=transform, to_crs=to_crs)
        assert not out.exists()
    # the same source west of 180 degrees is fine
    west = (1000.0, 0.0, 100_000.0, 0.0, -1000.0, 5_600_000.0)
    write_webmap_pyramid(data, out, crs="EPSG:32660", transform=west, zoom_levels=(6, 7))
    assert CRS.from_user_input(geozarr.open(out).rio.crs).to_epsg() == 3857
    # a polar source round its pole still is (its edges go round the seam by right)
    polar = (5000.0, 0.0, -1e6, 0.0, -5000.0, 1e6)
    write_webmap_pyramid(
        np.ones((400, 400), np.float32), tmp_path / "polar.zarr", crs="EPSG:3413",
        transform=polar,
    )  # fmt: skip
