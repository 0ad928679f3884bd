"""Honest GeoZarr pictures and facts: aspect, nodata, north up, RGB, colour bar, footprint."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

import geozarr
from geozarr.report import build_report
from ngff_geozarr.core.store import open_store

BIN = Path(sys.executable).parent
UTM = (30.0, 0.0, 500_000.0, 0.0, -30.0, 5_200_000.0)


def pictures(page: str) -> list[npt.NDArray[np.uint8]]:
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(d)))) for d in found]


def picture(target: Path) -> tuple[npt.NDArray[np.uint8], str]:
    page, report = build_report(target)
    assert report.readable
    (rgba,) = pictures(page)
    return rgba, page


def test_aspect_ratio_is_the_grounds(tmp_path: Path) -> None:
    rows = np.zeros((1200, 1000), dtype="float32")
    geozarr.write(rows, tmp_path / "a.zarr", crs="EPSG:32632", transform=UTM, name="v")
    assert picture(tmp_path / "a.zarr")[0].shape[:2] == (400, 334)  # not 500 x 300
    # Pixels twice as wide as tall: 100 x 100 pixels are 100 m tall and 200 m wide.
    wide = (60.0, 0.0, 500_000.0, 0.0, -30.0, 5_200_000.0)
    square = np.zeros((100, 100), dtype="float32")
    geozarr.write(square, tmp_path / "w.zarr", crs="EPSG:32632", transform=wide, name="v")
    assert picture(tmp_path / "w.zarr")[0].shape[:2] == (100, 200)


def test_minus_9999_is_transparent_and_does_not_stretch(tmp_path: Path) -> None:
    dem = np.tile(np.linspace(100.0, 200.0, 50, dtype="float32"), (40, 1))
    dem[:10, :10] = -9999.0
    geozarr.write(
        dem, tmp_path / "d.zarr", crs="EPSG:32632", transform=UTM, name="dem", nodata=-9999.0
    )
    rgba, _ = picture(tmp_path / "d.zarr")
    assert (rgba[:10, :10, 3] == 0).all()
    assert (rgba[10:, :, 3] == 255).all()
    # The stretch spans the data (100..200), so the colour changes along every row.
    assert len({tuple(p) for p in rgba[20, :, :3]}) > 20


def test_uint16_nodata_zero_is_transparent(tmp_path: Path) -> None:
    counts = np.full((30, 30), 500, dtype=np.uint16)
    counts[:, :5] = 0
    geozarr.write(counts, tmp_path / "u.zarr", crs="EPSG:32632", transform=UTM, name="n", nodata=0)
    rgba, _ = picture(tmp_path / "u.zarr")
    assert (rgba[:, :5, 3] == 0).all()
    assert (rgba[:, 5:, 3] == 255).all()


def test_south_up_raster_is_drawn_north_up(tmp_path: Path) -> None:
    # Row 0 is the southern edge (a positive y step): values grow northward.
    lat = np.linspace(-89.5, 89.5, 180)
    sst = np.repeat(lat[:, None], 360, axis=1).astype("float32")
    south_up = (1.0, 0.0, -180.0, 0.0, 1.0, -90.0)
    geozarr.write(sst, tmp_path / "s.zarr", crs="EPSG:4326", transform=south_up, name="sst")
    rgba, page = picture(tmp_path / "s.zarr")
    assert rgba.shape[:2] == (180, 360)
    # viridis: bright yellow at the high end (north), dark purple at the low end (south).
    assert rgba[0, 0, :3].tolist() == [253, 231, 37]
    assert rgba[-1, 0, :3].tolist() == [68, 1, 84]
    assert "stored south up: rows flipped" in page


def test_south_up_from_an_increasing_latitude_coordinate(tmp_path: Path) -> None:
    lat = np.linspace(-89.5, 89.5, 18)
    field = np.repeat(lat[:, None], 36, axis=1).astype("float32")
    root = tmp_path / "cf.zarr"
    with open_store(root, "w-") as store:
        store.create_group("", {})
        store.create_array("lat", lat, dimension_names=["lat"])
        store.create_array("lon", np.linspace(-175, 175, 36), dimension_names=["lon"])
        store.create_array("t", field, dimension_names=["lat", "lon"])
    rgba, _ = picture(root)
    assert rgba[0, 0, :3].tolist() == [253, 231, 37]


@pytest.mark.parametrize("bands", [3, 4])
def test_rgb_band_dimension_is_composed(tmp_path: Path, bands: int) -> None:
    scene = np.zeros((bands, 20, 60), dtype=np.uint8)
    scene[0, :, :20] = 255
    scene[1, :, 20:40] = 255
    scene[2, :, 40:] = 128
    if bands == 4:
        scene[3] = 255
        scene[3, :, :5] = 0
    merc = (100.0, 0.0, 0.0, 0.0, -100.0, 1_000_000.0)
    geozarr.write(
        scene, tmp_path / "r.zarr", crs="EPSG:3857", transform=merc, dims=["band", "y", "x"]
    )
    rgba, page = picture(tmp_path / "r.zarr")
    assert rgba[10, 10].tolist() == [255, 0, 0, 255]
    assert rgba[10, 30].tolist() == [0, 255, 0, 255]
    assert rgba[10, 50].tolist() == [0, 0, 128, 255]
    if bands == 4:
        assert (rgba[:, :5, 3] == 0).all()
    assert 'class="legend"' not in page  # no colour bar for a colour picture


def test_colour_interpretation_attribute_orders_the_bands(tmp_path: Path) -> None:
    scene = np.zeros((3, 10, 10), dtype=np.uint8)
    scene[2] = 255  # the third band is red
    root = tmp_path / "ci.zarr"
    geozarr.write(
        scene,
        root,
        crs="EPSG:3857",
        transform=(100.0, 0.0, 0.0, 0.0, -100.0, 1_000_000.0),
        dims=["b", "y", "x"],
        variable_attributes={"color_interpretation": ["Blue", "GreenBand", "GCI_RedBand"]},
    )
    rgba, _ = picture(root)
    assert rgba[5, 5].tolist() == [255, 0, 0, 255]


def test_single_band_gets_a_colour_bar_in_its_units_and_the_footprint(tmp_path: Path) -> None:
    values = np.linspace(270.0, 300.0, 100, dtype="float32").reshape(10, 10)
    geozarr.write(
        values,
        tmp_path / "t.zarr",
        crs="EPSG:32632",
        transform=UTM,
        name="sst",
        variable_attributes={"units": "K"},
    )
    _, page = picture(tmp_path / "t.zarr")
    ends = re.findall(r'<div class="ends"><span>([^<]*)</span><span>([^<]*)</span>', page)
    # The bar's ends are the 0.5 % and 99.5 % quantiles the stretch uses.
    assert ends == [("270.2 K", "299.8 K")]
    # UTM 32N from x 500 km, y 5200 km: about 9 degrees east, 46.9 north.
    (footprint,) = re.findall(
        r"footprint lon ([-\d.]+) to ([-\d.]+), lat ([-\d.]+) to ([-\d.]+)", page
    )
    west, east, south, north = (float(v) for v in footprint)
    assert west == pytest.approx(9.0, abs=1e-6)
    assert 9.0 < east < 9.01
    assert 46.9 < south < north < 46.96


def _info(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "geozarr"), "info", *args], capture_output=True, text=True, check=False
    )


def test_info_prints_what_gdalinfo_prints(tmp_path: Path) -> None:
    dem = np.ones((256, 200), dtype="float32")
    root = tmp_path / "dem.zarr"
    geozarr.write(
        dem,
        root,
        crs="EPSG:32632",
        transform=UTM,
        name="dem",
        nodata=-9999.0,
        variable_attributes={"units": "m"},
        levels=2,
    )
    text = _info(str(root))
    assert text.returncode == 0, text.stderr
    for expected in (
        "CRS: EPSG:32632 (WGS 84 / UTM zone 32N)",
        "size: 200 x 256 (columns x rows)",
        "origin: (500000, 5200000)",
        "pixel size: (30, -30)",
        "extent: 500000, 5192320, 506000, 5200000 (xmin, ymin, xmax, ymax)",
        "lon/lat bounds: ",
    ):
        assert expected in text.stdout, text.stdout
    result = _info(str(root), "--format", "json")
    (facts,) = [n["facts"] for n in json.loads(result.stdout)["nodes"] if "facts" in n]
    assert facts["crs"] == {"epsg": 32632, "name": "WGS 84 / UTM zone 32N"}
    assert facts["resolution"] == [30.0, -30.0]
    assert facts["extent"] == [500_000.0, 5_192_320.0, 506_000.0, 5_200_000.0]
    from pyproj import Transformer

    expected_bounds = Transformer.from_crs(32632, 4326, always_xy=True).transform_bounds(
        *facts["extent"], densify_pts=21
    )
    assert facts["lonlat_bounds"] == pytest.approx(list(expected_bounds))
    assert [lv["size"] for lv in facts["levels"]] == [[200, 256], [100, 128]]
    assert [lv["resolution"] for lv in facts["levels"]] == [[30.0, -30.0], [60.0, -60.0]]
    (variable,) = facts["variables"]
    assert variable == {
        "name": "dem",
        "dims": ["y", "x"],
        "dtype": "float32",
        "units": "m",
        "nodata": -9999.0,
        "nodata_is_nan": False,
    }


def test_info_reads_cf_geotransform_and_crs_wkt(tmp_path: Path) -> None:
    from pyproj import CRS

    root = tmp_path / "cf.zarr"
    gm: dict[str, Any] = {
        "grid_mapping_name": "latitude_longitude",
        "crs_wkt": CRS.from_epsg(4326).to_wkt(),
        "GeoTransform": "-10 0.5 0 60 0 -0.25",
    }
    with open_store(root, "w-") as store:
        store.create_group("", {})
        store.create_array("crs", np.array(0), attributes=gm)
        store.create_array(
            "t",
            np.zeros((40, 20), dtype="float32"),
            dimension_names=["lat", "lon"],
            attributes={"grid_mapping": "crs", "_FillValue": "NaN"},
        )
    facts = json.loads(_info(str(root), "--format", "json").stdout)["nodes"][0]["facts"]
    assert facts["crs"]["epsg"] == 4326
    assert facts["transform"] == [0.5, 0.0, -10.0, 0.0, -0.25, 60.0]
    assert facts["lonlat_bounds"] == pytest.approx([-10.0, 50.0, 0.0, 60.0])
    assert facts["variables"][0]["nodata_is_nan"] is True


def test_info_json_on_an_unreadable_target_follows_the_validate_contract(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.zarr")
    info = _info(missing, "--format", "json")
    assert info.returncode == 2
    assert json.loads(info.stdout)["issues"][0]["rule"] == "target.unreadable"
    assert json.loads(info.stdout)["valid"] is False
    assert info.stderr.startswith("geozarr: error: ")


def test_info_states_nothing_geographic_about_an_image_without_georeferencing(
    samples: tuple[Path, Path],
) -> None:
    nodes = json.loads(_info(str(samples[0]), "--format", "json").stdout)["nodes"]
    assert not [n for n in nodes if "facts" in n]
    geo = json.loads(_info(str(samples[1]), "--format", "json").stdout)["nodes"]
    assert [n["path"] for n in geo if "facts" in n] == [""]
