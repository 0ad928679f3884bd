"""Latitude / longitude grids without a grid mapping (CMIP, ERA5): written in WGS 84, said so.

CF makes the grid mapping optional when the coordinates are latitude and longitude (§5.6);
most climate data has none. ``write``, ``create`` and ``pyramid`` take such a grid as WGS 84
(EPSG:4326, as GDAL's netCDF driver reads it) and say so in their result and on stderr; a
rotated pole's ``grid_latitude`` / ``grid_longitude`` is not taken for latitude / longitude.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from pyproj import CRS
from tests.geozarr.stores import create_from_netcdf, strict_issues

import geozarr
from geozarr.writing.grid import GeoWriteError
from geozarr.writing.lonlat import implied_crs

pytestmark = [
    pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part"),
]


def climate(lat_name: str = "lat", lon_name: str = "lon") -> xr.Dataset:
    """A CMIP-like monthly field: lat descending, lon 0..360, time and cell bounds, no mapping."""
    lat = np.linspace(89.0, -89.0, 90)
    lon = np.arange(1.0, 360.0, 2.0)
    months = np.array(["2000-01-16T12", "2000-02-15T12"], dtype="datetime64[ns]")
    data = (280 + 10 * np.random.default_rng(2).random((2, 90, 180))).astype(np.float32)
    return xr.Dataset(
        {
            "tas": (
                ("time", lat_name, lon_name),
                data,
                {"units": "K", "cell_methods": "time: mean"},
            ),
            "lat_bnds": ((lat_name, "bnds"), np.stack([lat + 1, lat - 1], 1)),
            "lon_bnds": ((lon_name, "bnds"), np.stack([lon - 1, lon + 1], 1)),
        },
        coords={
            "time": ("time", months, {"standard_name": "time"}),
            lat_name: (lat_name, lat, {"units": "degrees_north", "bounds": "lat_bnds"}),
            lon_name: (lon_name, lon, {"standard_name": "longitude", "bounds": "lon_bnds"}),
        },
        attrs={"Conventions": "CF-1.7", "source": "test"},
    )


def root_attributes(store: Path) -> dict[str, object]:
    return dict(json.loads((store / "zarr.json").read_text())["attributes"])


def test_write_takes_a_lonlat_grid_as_wgs84_and_says_so(tmp_path: Path) -> None:
    source = climate()
    out = tmp_path / "out.zarr"
    result = geozarr.write(source, out, levels=2, chunks=(32, 32))
    assert result.grid.crs == CRS.from_epsg(4326)
    assert len(result.notes) == 1
    assert "WGS 84 (EPSG:4326)" in result.notes[0]
    assert root_attributes(out)["proj:code"] == "EPSG:4326"
    with xr.open_zarr(out) as written:
        for name in ("tas", "lat", "lon", "time", "lat_bnds", "lon_bnds"):
            np.testing.assert_array_equal(written[name].values, source[name].values)
        assert written["tas"].attrs["cell_methods"] == "time: mean"
    with xr.open_zarr(out, group="1") as level:  # 2-degree cells become 4-degree cells
        np.testing.assert_allclose(level["lat_bnds"].values[0], [90.0, 86.0])
        np.testing.assert_allclose(level["lon_bnds"].values[-1], [356.0, 360.0])
    assert strict_issues(out) == []


def test_a_crs_given_is_not_noted(tmp_path: Path) -> None:
    result = geozarr.write(climate(), tmp_path / "out.zarr", crs="OGC:CRS84")
    assert result.notes == ()
    assert result.grid.crs == CRS.from_user_input("OGC:CRS84")


def test_a_rotated_pole_without_its_mapping_is_refused(tmp_path: Path) -> None:
    source = climate("rlat", "rlon")
    source["rlat"].attrs = {"standard_name": "grid_latitude", "units": "degrees"}
    source["rlon"].attrs = {"standard_name": "grid_longitude", "units": "degrees"}
    with pytest.raises(GeoWriteError, match="Expected a CRS"):
        geozarr.write(source, tmp_path / "out.zarr")
    assert not (tmp_path / "out.zarr").exists()


@pytest.mark.parametrize(
    ("y", "x", "expected"),
    [
        ({"units": "degreesN"}, {"units": "degree_E"}, 4326),
        ({"standard_name": "latitude"}, {"standard_name": "longitude"}, 4326),
        ({"units": "degrees_north"}, {"units": "m"}, None),
        ({"units": "degrees_east"}, {"units": "degrees_north"}, None),  # swapped
    ],
)
def test_latitude_and_longitude_are_recognised_as_cf_spells_them(
    y: dict[str, str], x: dict[str, str], expected: int | None
) -> None:
    found = implied_crs(y, x)
    assert (found.to_epsg() if found is not None else None) == expected


def test_create_from_a_netcdf_file_notes_the_crs_on_stderr(tmp_path: Path) -> None:
    out, done = create_from_netcdf(climate(), tmp_path, "--levels", "2")
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1
    assert "EPSG:4326" in notes[0]
    assert strict_issues(out) == []


def test_pyramid_in_place_on_an_xarray_store_without_a_mapping(tmp_path: Path) -> None:
    store = tmp_path / "xr.zarr"
    climate().to_zarr(store, zarr_format=3, consolidated=False)
    done = geozarr.pyramid(store, levels=3)
    assert done.paths == ("tas", "1/tas", "2/tas")
    assert len(done.notes) == 1
    assert "EPSG:4326" in done.notes[0]
    with xr.open_zarr(store, group="2") as level:
        assert level["tas"].shape == (2, 23, 45)
        np.testing.assert_allclose(level["lat_bnds"].values[0], [90.0, 82.0])
    assert strict_issues(store) == []


@pytest.mark.parametrize("fmt", [2, 3])
def test_pyramid_in_place_names_the_mapping_on_the_root_variables(tmp_path: Path, fmt: int) -> None:
    """The root's variables name the grid mapping the run wrote beside them, so that a reader
    taking the CRS from the variable (GDAL 3.12) finds it; their chunks are not rewritten."""
    store = tmp_path / "xr.zarr"
    climate().to_zarr(store, zarr_format=fmt, consolidated=fmt == 2)
    chunks = {p: p.read_bytes() for p in (store / "tas").rglob("*") if p.is_file()}
    geozarr.pyramid(store, levels=2)
    with xr.open_zarr(store, decode_coords=False) as root:
        assert root["tas"].attrs["grid_mapping"] == "spatial_ref"
    for path, raw in chunks.items():
        if path.name not in ("zarr.json", ".zattrs", ".zarray"):
            assert path.read_bytes() == raw, path
    report = geozarr.validate(str(store), strict=True, readers=["gdal-3.12"])
    assert [i.rule for i in report.issues if i.path == "tas"] == []
