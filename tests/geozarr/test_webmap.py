"""Web-map pyramids (geozarr.reproject): WebMercatorQuad zoom levels, GDAL's warp as reference.

The reference is GDAL 3.12's warper (``rasterio.warp.reproject`` in ``<repo>/.venv-gdal``, run
in a subprocess) reprojecting the same GeoTIFF to the same grid as a level we wrote.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from pyproj import CRS, Transformer

import geozarr
from geozarr.cli import pyramid_command as _pyramid
from geozarr.reproject import (
    WEB_MERCATOR_QUAD,
    SourceRaster,
    WarpedArray,
    open_source,
    plan_target,
    write_webmap_pyramid,
    zoom_resolution,
)
from geozarr.reproject.grids import footprint
from geozarr.writing.grid import GeoWriteError, Grid
from ngff_geozarr.core.store import open_store

rasterio = pytest.importorskip("rasterio")

REPO = Path(__file__).resolve().parents[2]
GDAL_PYTHON = REPO / ".venv-gdal" / "bin" / "python"
O = 20037508.342789244  # noqa: E741 - the WebMercatorQuad half side, as the OGC standard names it
UTM = (30.0, 0.0, 400_000.0, 0.0, -30.0, 5_500_000.0)
NODATA = -9999.0

# Runs in .venv-gdal: GDAL's warp of SRC to the grid in SPEC, saved as .npy; the GDAL version.
# tolerance 0: GDAL's exact transformer (its default approximates within 1/8 pixel, which alone
# moves about 3% of nearest pixels to a neighbour; ours interpolates within 1/8 pixel too, but
# agrees with the exact transformer to 1e-5).
WARP_SCRIPT = r"""
import json, sys
import numpy as np
import rasterio
from rasterio.transform import Affine
from rasterio.warp import Resampling, reproject

src, spec = sys.argv[1], json.loads(sys.argv[2])
nodata = float(spec["nodata"])
with rasterio.open(src) as ds:
    data = ds.read(1)
    out = np.full(spec["shape"], nodata, dtype=data.dtype)
    reproject(
        data, out, src_transform=ds.transform, src_crs=ds.crs, src_nodata=ds.nodata,
        dst_transform=Affine(*spec["transform"]), dst_crs=spec["crs"], dst_nodata=nodata,
        resampling=Resampling[spec["method"]], tolerance=spec["tolerance"],
    )
np.save(spec["out"], out)
found = {}
for asset in spec.get("open", []):
    with rasterio.open(f'ZARR:"{spec["store"]}":/{asset}') as level:
        found[asset] = {"epsg": level.crs.to_epsg(), "transform": list(level.transform)[:6]}
print("RESULT " + json.dumps({"gdal": rasterio.__gdal_version__, "opened": found}))
"""


def smooth(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return (np.sin(x / 40) + np.cos(y / 55)).astype(np.float32)


def write_tiff(path: Path, data: np.ndarray, *, epsg: int, transform: Any, nodata: Any) -> Path:
    from rasterio.transform import Affine

    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=data.shape[0],
        width=data.shape[1],
        count=1,
        dtype=data.dtype,
        crs=f"EPSG:{epsg}",
        transform=Affine(*transform),
        nodata=nodata,
    ) as ds:
        ds.write(data, 1)
    return path


@pytest.fixture(scope="module")
def dem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A UTM float32 DEM-like smooth field with a block of -9999 nodata."""
    data = smooth(300, 400)
    data[40:120, 60:160] = NODATA
    return write_tiff(
        tmp_path_factory.mktemp("webmap") / "dem.tif",
        data,
        epsg=32631,
        transform=UTM,
        nodata=NODATA,
    )


@pytest.fixture(scope="module")
def classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A uint8 land-cover-like raster: 25 x 25 blocks of classes 1..5, nodata 0."""
    rng = np.random.default_rng(7)
    blocks = rng.integers(1, 6, size=(12, 16), dtype=np.uint8)
    data = np.kron(blocks, np.ones((25, 25), dtype=np.uint8))
    data[:25, :50] = 0
    return write_tiff(
        tmp_path_factory.mktemp("webmap") / "classes.tif",
        data,
        epsg=32631,
        transform=UTM,
        nodata=0,
    )


def read_level(store: Path, path: str) -> np.ndarray:
    handle = open_store(store, "r")
    try:
        array = handle.open_array(path)
        return np.asarray(array.read(tuple(slice(0, n) for n in array.shape)))
    finally:
        handle.close()


def root_attributes(store: Path) -> dict[str, Any]:
    if (store / "zarr.json").exists():
        doc: dict[str, Any] = json.loads((store / "zarr.json").read_text())["attributes"]
        return doc
    attrs: dict[str, Any] = json.loads((store / ".zattrs").read_text())
    return attrs


def gdal_warp(
    source: Path, grid: Grid, method: str, nodata: float, tmp: Path, *, store: Path | None = None,
    open_assets: tuple[str, ...] = (), tolerance: float = 0.0,
) -> tuple[np.ndarray, dict[str, Any]]:  # fmt: skip
    """GDAL 3.12's warp of ``source`` to ``grid``; what it finds opening ``open_assets``."""
    if not GDAL_PYTHON.exists():
        pytest.skip("no .venv-gdal (make gdal; it needs a Python >= 3.12)")
    out = tmp / f"gdal-{method}-{len(list(tmp.iterdir()))}.npy"
    spec = {
        "shape": [grid.height, grid.width],
        "transform": list(grid.transform),
        "crs": grid.crs.to_wkt(),
        "nodata": repr(float(nodata)),
        "method": method,
        "out": str(out),
        "store": str(store),
        "open": list(open_assets),
        "tolerance": tolerance,
    }
    done = subprocess.run(
        [str(GDAL_PYTHON), "-c", WARP_SCRIPT, str(source), json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    return np.load(out), json.loads(line[len("RESULT ") :])


def same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b))


# -- the tile matrix set ---------------------------------------------------------------------


def test_levels_are_webmercatorquad_zoom_levels(dem: Path, tmp_path: Path) -> None:
    out = write_webmap_pyramid(dem, tmp_path / "out.zarr", zoom_levels=(9, 12))
    assert out.tile_matrix_set == WEB_MERCATOR_QUAD
    assert out.zooms == (12, 11, 10, 9)
    layout = root_attributes(tmp_path / "out.zarr")["multiscales"]["layout"]
    assert [e["asset"] for e in layout] == list(out.paths)
    for k, (zoom, grid, entry) in enumerate(zip(out.zooms, out.grids, layout, strict=True)):
        res = 2 * O / (256 * 2**zoom)
        a, b, c, d, e, f = grid.transform
        assert (b, d) == (0.0, 0.0)
        assert math.isclose(a, res, rel_tol=1e-12)
        assert math.isclose(-e, res, rel_tol=1e-12)
        # the level starts on a tile corner of its zoom's matrix and holds whole tiles
        span = 2 * O / 2**zoom
        assert (c + O) / span == pytest.approx(round((c + O) / span), abs=1e-9)
        assert (O - f) / span == pytest.approx(round((O - f) / span), abs=1e-9)
        assert grid.height % 256 == 0
        assert grid.width % 256 == 0
        assert entry["zoom"] == zoom
        assert entry["tile_matrix"] == str(zoom)
        assert entry["tile_matrix_set"] == WEB_MERCATOR_QUAD
        assert entry["spatial:transform"] == pytest.approx(list(grid.transform))
        handle = open_store(tmp_path / "out.zarr", "r")
        assert handle.open_array(out.paths[k]).chunks == (256, 256)
        handle.close()
    # the coarsest level covers the source's footprint
    source = open_source(dem)
    bbox = out.grids[-1].bbox()
    fx0, fy0, fx1, fy1 = footprint(source.grid, out.grids[0].crs)
    assert bbox[0] <= fx0
    assert bbox[1] <= fy0
    assert bbox[2] >= fx1
    assert bbox[3] >= fy1


def test_default_zoom_is_the_first_at_or_finer_than_the_source(dem: Path) -> None:
    source = open_source(dem)
    plan = plan_target(source.grid, CRS.from_epsg(3857))
    # 30 m at 49.6 N is about 46 m in Web Mercator: zoom 12 (38.2 m), not 11 (76.4 m)
    assert plan.zooms[0] == 12
    assert zoom_resolution(12) <= 46.3 < zoom_resolution(11)
    assert len(plan.zooms) >= 1
    assert plan.grid.width % 256 == 0


# -- values against GDAL's warp --------------------------------------------------------------


def test_nearest_matches_gdal_and_gdal_reads_the_levels(dem: Path, tmp_path: Path) -> None:
    store = tmp_path / "nearest.zarr"
    out = write_webmap_pyramid(dem, store, method="nearest", zoom_levels=(10, 12))
    ours = read_level(store, out.paths[0])
    reference, found = gdal_warp(
        dem, out.grids[0], "nearest", NODATA, tmp_path, store=store, open_assets=out.paths
    )
    assert ours.shape == reference.shape
    assert same(ours, reference).mean() >= 0.99
    data = (ours != NODATA) | (reference != NODATA)
    assert data.sum() > 50_000  # the comparison is over real data
    assert (ours[data] == reference[data]).mean() >= 0.999
    for path, grid in zip(out.paths, out.grids, strict=True):
        assert found["opened"][path]["epsg"] == 3857
        assert found["opened"][path]["transform"] == pytest.approx(list(grid.transform))


def test_average_is_close_to_gdal_on_a_smooth_field(dem: Path, tmp_path: Path) -> None:
    out = write_webmap_pyramid(dem, tmp_path / "avg.zarr", method="average", zoom_levels=(11, 12))
    for k in (0, 1):
        ours = read_level(tmp_path / "avg.zarr", out.paths[k])
        reference, _ = gdal_warp(dem, out.grids[k], "average", NODATA, tmp_path)
        both = (ours != NODATA) & (reference != NODATA)
        assert both.sum() > 10_000 // 4**k
        assert ((ours == NODATA) == (reference == NODATA)).mean() >= 0.99
        diff = np.abs(ours[both] - reference[both])
        assert diff.mean() < 0.01
        assert diff.max() < 0.05


def test_nodata_stays_nodata(dem: Path, tmp_path: Path) -> None:
    out = write_webmap_pyramid(dem, tmp_path / "avg.zarr", method="average", zoom_levels=(12, 12))
    ours = read_level(tmp_path / "avg.zarr", out.paths[0])
    valid = ours[ours != NODATA]
    # no nodata was averaged into a value, and the hole is still a hole
    assert valid.min() > -2.5
    assert valid.max() < 2.5
    grid = out.grids[0]
    source = open_source(dem)
    to_target = Transformer.from_crs(source.grid.crs, grid.crs, always_xy=True)
    # the centre of the source's nodata block (rows 40..120, cols 60..160)
    x, y = to_target.transform(400_000 + 30 * 110, 5_500_000 - 30 * 80)
    a, _, c, _, e, f = grid.transform
    assert ours[int((y - f) / e), int((x - c) / a)] == NODATA
    attrs = json.loads((tmp_path / "avg.zarr" / "data" / "zarr.json").read_text())
    assert attrs["fill_value"] == NODATA
    # outside the footprint is nodata too
    assert ours[0, 0] == NODATA
    assert ours[-1, -1] == NODATA


def test_mode_keeps_classes_and_matches_gdal(classes: Path, tmp_path: Path) -> None:
    out = write_webmap_pyramid(classes, tmp_path / "mode.zarr", method="mode", zoom_levels=(11, 11))
    ours = read_level(tmp_path / "mode.zarr", out.paths[0])
    assert ours.dtype == np.uint8
    assert set(np.unique(ours)) <= {0, 1, 2, 3, 4, 5}
    reference, _ = gdal_warp(classes, out.grids[0], "mode", 0, tmp_path)
    data = (ours != 0) | (reference != 0)
    assert data.sum() > 5_000
    assert (ours[data] == reference[data]).mean() >= 0.95


def test_integer_average_keeps_its_dtype_and_nodata(tmp_path: Path) -> None:
    data = (smooth(300, 400) * 1000).astype(np.int16)
    data[200:260, 300:380] = -32768
    tiff = write_tiff(tmp_path / "i16.tif", data, epsg=32631, transform=UTM, nodata=-32768)
    out = write_webmap_pyramid(tiff, tmp_path / "i16.zarr", zoom_levels=(12, 12))
    ours = read_level(tmp_path / "i16.zarr", out.paths[0])
    assert ours.dtype == np.int16
    reference, _ = gdal_warp(tiff, out.grids[0], "average", -32768, tmp_path)
    both = (ours != -32768) & (reference != -32768)
    assert ((ours == -32768) == (reference == -32768)).mean() >= 0.99
    assert ours[both].min() > -2500  # no nodata averaged in
    diff = np.abs(ours[both].astype(np.int32) - reference[both])
    assert diff.mean() < 10  # of a +-2000 field whose neighbours differ by up to 25
    assert diff.max() <= 100


def test_coarser_levels_are_2x2_reductions(dem: Path, tmp_path: Path) -> None:
    out = write_webmap_pyramid(dem, tmp_path / "avg.zarr", zoom_levels=(11, 12))
    fine = read_level(tmp_path / "avg.zarr", out.paths[0]).astype(np.float64)
    coarse = read_level(tmp_path / "avg.zarr", out.paths[1])
    fine[fine == NODATA] = np.nan
    blocks = fine.reshape(fine.shape[0] // 2, 2, fine.shape[1] // 2, 2)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match="Mean of empty"):
        expected = np.nanmean(blocks, axis=(1, 3))
    expected = np.where(np.isnan(expected), NODATA, expected).astype(np.float32)
    np.testing.assert_allclose(coarse, expected, rtol=1e-6, atol=1e-6)


# -- validity, formats, other CRSs, sources --------------------------------------------------


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_output_validates_strict(dem: Path, tmp_path: Path, zarr_format: int) -> None:
    store = tmp_path / f"out-v{zarr_format}.zarr"
    write_webmap_pyramid(dem, store, zoom_levels=(10, 12), zarr_format=zarr_format)  # type: ignore[arg-type]
    report = geozarr.validate(store, strict=True)
    assert report.valid, [(i.rule, i.message) for i in report.issues]
    assert report.issues == ()


def test_another_crs_without_tile_matrix_set(dem: Path, tmp_path: Path) -> None:
    store = tmp_path / "laea.zarr"
    out = write_webmap_pyramid(dem, store, to_crs="EPSG:3035", method="nearest", levels=2)
    assert out.tile_matrix_set is None
    assert out.zooms == ()
    layout = root_attributes(store)["multiscales"]["layout"]
    assert all("zoom" not in e and "tile_matrix_set" not in e for e in layout)
    grid = out.grids[0]
    res = grid.transform[0]
    assert res == pytest.approx(30.0, rel=0.01)  # LAEA keeps the metric cell size
    assert grid.transform[2] / res == pytest.approx(round(grid.transform[2] / res))
    ours = read_level(store, out.paths[0])
    reference, _ = gdal_warp(dem, grid, "nearest", NODATA, tmp_path)
    data = (ours != NODATA) | (reference != NODATA)
    assert data.sum() > 50_000
    assert (ours[data] == reference[data]).mean() >= 0.999
    report = geozarr.validate(store, strict=True)
    assert report.valid, [i.message for i in report.issues]
    assert report.issues == (), [i.message for i in report.issues]


def test_geozarr_source_gives_what_the_geotiff_gives(dem: Path, tmp_path: Path) -> None:
    with rasterio.open(dem) as ds:
        data = ds.read(1)
    geozarr.write(
        data,
        tmp_path / "src.zarr",
        crs="EPSG:32631",
        transform=UTM,
        nodata=NODATA,
        name="dem",
        variable_attributes={"units": "m", "long_name": "elevation"},
    )
    a = write_webmap_pyramid(tmp_path / "src.zarr", tmp_path / "a.zarr", zoom_levels=(12, 12))
    b = write_webmap_pyramid(dem, tmp_path / "b.zarr", zoom_levels=(12, 12))
    assert a.variable == "dem"
    assert a.grids == b.grids
    np.testing.assert_array_equal(
        read_level(tmp_path / "a.zarr", "dem"), read_level(tmp_path / "b.zarr", "data")
    )
    attrs = json.loads((tmp_path / "a.zarr" / "dem" / "zarr.json").read_text())["attributes"]
    assert (attrs["units"], attrs["long_name"]) == ("m", "elevation")


def test_zipped_geozarr_source(dem: Path, tmp_path: Path, zip_store: Any) -> None:
    with rasterio.open(dem) as ds:
        data = ds.read(1)
    geozarr.write(data, tmp_path / "src.zarr", crs="EPSG:32631", transform=UTM, nodata=NODATA)
    zipped = zip_store(tmp_path / "src.zarr", tmp_path / "src.zip")
    out = write_webmap_pyramid(zipped, tmp_path / "z.zarr", zoom_levels=(12, 12))
    reference = write_webmap_pyramid(dem, tmp_path / "t.zarr", zoom_levels=(12, 12))
    np.testing.assert_array_equal(
        read_level(tmp_path / "z.zarr", out.paths[0]),
        read_level(tmp_path / "t.zarr", reference.paths[0]),
    )


class _Recording:
    """A source that records the regions read from it."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data
        self.shape = data.shape
        self.dtype = data.dtype
        self.reads: list[tuple[slice, ...]] = []

    def __getitem__(self, key: tuple[slice, ...]) -> np.ndarray:
        self.reads.append(key)
        return self.data[key]


def test_each_tile_reads_only_its_source_window(tmp_path: Path) -> None:
    data = smooth(1200, 1600)
    recording = _Recording(data)
    grid = Grid(CRS.from_epsg(32631), UTM, 1200, 1600)
    out = write_webmap_pyramid(
        SourceRaster(recording, grid, None), tmp_path / "big.zarr", zoom_levels=(12, 12)
    )
    assert len(recording.reads) >= 4
    largest = max((r[-2].stop - r[-2].start) * (r[-1].stop - r[-1].start) for r in recording.reads)
    # a tile of 256 x 256 cells of 38 m covers about 330 x 330 source cells of 30 m
    assert largest <= 400 * 400 < data.size / 10
    values = read_level(tmp_path / "big.zarr", out.paths[0])
    assert np.isfinite(values).sum() > 0.9 * data.size * (30 / 46.3) ** 2


def test_warped_array_reads_any_region_alike(dem: Path) -> None:
    source = open_source(dem)
    plan = plan_target(source.grid, CRS.from_epsg(3857), zoom_levels=(12, 12))
    warped = WarpedArray(source.data, source.grid, plan.grid, "average", NODATA, NODATA,
                         np.dtype("float32"))  # fmt: skip
    whole = warped[0:512, 0:512]
    parts = np.block([[warped[0:200, 0:300], warped[0:200, 300:512]],
                      [warped[200:512, 0:300], warped[200:512, 300:512]]])  # fmt: skip
    # each block is mapped on its own (the interpolation lattice, the samples per pixel):
    # a region's values do not depend on how the target is cut, but for rare rounding
    assert same(whole, parts).mean() > 0.9999
    np.testing.assert_allclose(whole, parts, atol=0.01)


# -- arguments checked before the first byte -------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "bilinear"}, "resampling method"),
        ({"to_crs": "EPSG:3035", "zoom_levels": (1, 3)}, "zoom_levels applies to EPSG:3857"),
        ({"levels": 3}, "zoom levels"),
        ({"zoom_levels": (5, 3)}, "Expected zoom levels"),
        ({"tile_size": 0}, "tile size"),
        ({"to_crs": "EPSG:999999"}, "CRS PROJ understands"),
        ({"zarr_format": 4}, "zarr_format"),
    ],
)
def test_bad_arguments_write_nothing(
    dem: Path, tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(GeoWriteError, match=message):
        write_webmap_pyramid(dem, tmp_path / "out.zarr", **kwargs)
    assert not (tmp_path / "out.zarr").exists()


def test_integers_without_nodata_need_one(tmp_path: Path) -> None:
    data = np.ones((50, 60), dtype=np.uint8)
    with pytest.raises(GeoWriteError, match="pass nodata="):
        write_webmap_pyramid(data, tmp_path / "o.zarr", crs="EPSG:32631", transform=UTM)
    assert not (tmp_path / "o.zarr").exists()
    out = write_webmap_pyramid(
        data, tmp_path / "o.zarr", crs="EPSG:32631", transform=UTM, nodata=0, method="nearest"
    )
    values = read_level(tmp_path / "o.zarr", out.paths[0])
    assert set(np.unique(values)) == {0, 1}


def test_existing_target_is_refused(dem: Path, tmp_path: Path) -> None:
    write_webmap_pyramid(dem, tmp_path / "out.zarr", zoom_levels=(12, 12))
    with pytest.raises(Exception, match="exist"):
        write_webmap_pyramid(dem, tmp_path / "out.zarr", zoom_levels=(12, 12))
    write_webmap_pyramid(dem, tmp_path / "out.zarr", zoom_levels=(12, 12), overwrite=True)


# -- the command-line handler ----------------------------------------------------------------


def test_cli_handler(dem: Path, tmp_path: Path) -> None:
    """``geozarr pyramid --to-crs`` reprojects into --output; the options need --to-crs."""
    runner = CliRunner()
    out = tmp_path / "cli.zarr"
    args = [str(dem), "--to-crs", "EPSG:3857", "--zoom-levels", "11,12", "--output", str(out)]
    done = runner.invoke(_pyramid, [*args, "--method", "nearest"])
    assert done.exit_code == 0, done.output
    assert "zooms 12..11" in done.output
    assert geozarr.validate(out, strict=True).valid
    missing = runner.invoke(_pyramid, [str(dem), "--to-crs", "EPSG:3857"])
    assert missing.exit_code == 2
    assert "--output" in missing.output
    bad = runner.invoke(_pyramid, [*args, "--method", "gaussian", "--overwrite-output"])
    assert bad.exit_code == 2
    assert "resamples with" in bad.output
    zooms = runner.invoke(_pyramid, [*args[:4], "x", "--output", str(tmp_path / "z.zarr")])
    assert zooms.exit_code == 2
    assert "MIN,MAX" in zooms.output
    assert not (tmp_path / "z.zarr").exists()
    in_place = runner.invoke(_pyramid, [str(dem), "--output", "x.zarr", "--tile-size", "512"])
    assert in_place.exit_code == 2
    assert "--output, --tile-size apply only with --to-crs" in in_place.output
    multi = runner.invoke(_pyramid, [*args, "--method", "a=mean", "--method", "b=mode"])
    assert multi.exit_code == 2
    assert "one --method KERNEL" in multi.output


def test_tutorial_shows_what_it_says(tmp_path: Path) -> None:
    import runpy

    run_tutorial = runpy.run_path(str(REPO / "tests" / "test_docs.py"))["run_tutorial"]
    out = run_tutorial("geozarr-webmap.md", tmp_path).splitlines()
    assert "WebMercatorQuad (12, 11, 10)" in out
    assert "elevation 12 2048 2048 38.219" in out
    assert "1/elevation WebMercatorQuad 11 11" in out
    assert "(256, 256) True" in out
    assert out.count("True []") == 1
    assert out[-1] == "True"


@pytest.mark.parametrize(
    ("epsg", "transform", "zooms"),
    [
        (4326, (1.0, 0.0, -180.0, 0.0, -1.0, 90.0), (1,)),  # the whole world, poles included
        (3413, (5000.0, 0.0, -1e6, 0.0, -5000.0, 1e6), (3, 2, 1)),  # the North Pole at its centre
    ],
)
def test_sources_web_mercator_cannot_hold_whole(
    tmp_path: Path, epsg: int, transform: tuple[float, ...], zooms: tuple[int, ...]
) -> None:
    """Latitudes beyond 85.05 degrees: clipped, never a crash or an infinite grid."""
    data = np.random.default_rng(3).random((180, 360), dtype=np.float32)
    if epsg == 3413:
        data = np.random.default_rng(3).random((400, 400), dtype=np.float32)
    out = write_webmap_pyramid(data, tmp_path / "o.zarr", crs=f"EPSG:{epsg}", transform=transform)
    assert out.zooms == zooms
    bbox = out.grids[0].bbox()
    assert all(-O - 1e-6 <= v <= O + 1e-6 for v in bbox)
    values = read_level(tmp_path / "o.zarr", out.paths[0])
    assert np.isfinite(values).mean() > 0.2
    assert geozarr.validate(tmp_path / "o.zarr", strict=True).issues == ()
    if epsg == 4326:  # the world at zoom 1: the whole 2 x 2 tile matrix
        assert bbox == pytest.approx([-O, -O, O, O])
        assert np.isfinite(values).all()


def test_blocks_are_split_when_a_read_would_be_too_large(
    dem: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bounded memory: a smaller budget splits the block and gives the same values."""
    import geozarr.reproject.warp as warp

    source = open_source(dem)
    plan = plan_target(source.grid, CRS.from_epsg(3857), zoom_levels=(10, 10))
    warped = WarpedArray(source.data, source.grid, plan.grid, "average", NODATA, NODATA,
                         np.dtype("float32"))  # fmt: skip
    whole = warped[0:256, 0:256]
    recording = _Recording(np.asarray(source.data))
    small = WarpedArray(recording, source.grid, plan.grid, "average", NODATA, NODATA,
                        np.dtype("float32"))  # fmt: skip
    monkeypatch.setattr(warp, "MAX_SAMPLES", 4096)
    monkeypatch.setattr(warp, "MAX_WINDOW_PIXELS", 64 * 64)
    split = small[0:256, 0:256]
    assert len(recording.reads) > 10
    assert all((r[-2].stop - r[-2].start) * (r[-1].stop - r[-1].start) <= 64 * 64
               for r in recording.reads)  # fmt: skip
    assert same(whole, split).mean() > 0.999
    np.testing.assert_allclose(whole, split, atol=0.05)
