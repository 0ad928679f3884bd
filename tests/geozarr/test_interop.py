"""Real readers open what geozarr.write / geozarr.pyramid write: GDAL, rioxarray, xarray, zarr-cm.

GDAL is checked in two generations, each the one inside a rasterio wheel, each driven by the
same script in a subprocess: the test environment's (rasterio 1.4, GDAL 3.10 on Python 3.11)
and ``<repo>/.venv-gdal``'s (rasterio >= 1.5, GDAL >= 3.12, which needs Python >= 3.12;
``make test`` builds it, target ``gdal``, when such a Python exists). GDAL before 3.11 knows
the Zarr v3 ``bytes`` codec only by its pre-release name ``endian``, so it opens no Zarr v3
array written to the final specification ("Unsupported codec: bytes"): that generation's v3
cases check that this is the only reason; the newer one must read them all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from pyproj import CRS

import geozarr

rasterio = pytest.importorskip("rasterio")
rioxarray = pytest.importorskip("rioxarray")
zarr_cm = pytest.importorskip("zarr_cm")

REPO = Path(__file__).resolve().parents[2]
GDAL_PYTHONS = {
    "gdal-test-env": Path(sys.executable),
    "gdal-3.12+": REPO / ".venv-gdal" / "bin" / "python",
}
TRANSFORM = (20.0, 0.0, 400_000.0, 0.0, -20.0, 5_500_000.0)
EPSG = 32631
pytestmark = [
    pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning"),
]

# Runs with a rasterio: open every asset of STORE through GDAL's Zarr driver, print one JSON
# line with what GDAL found (or the error it gave).
GDAL_SCRIPT = r"""
import json, math, sys, warnings
import rasterio

warnings.simplefilter("ignore")
store, assets = sys.argv[1], json.loads(sys.argv[2])
out = {"gdal": rasterio.__gdal_version__, "assets": {}}
for asset in assets:
    try:
        with rasterio.open(f'ZARR:"{store}":/{asset}') as ds:
            band = ds.read(1)
            out["assets"][asset] = {
                "epsg": ds.crs.to_epsg() if ds.crs else None,
                "transform": list(ds.transform)[:6],
                "nodata": None if ds.nodata is None else repr(ds.nodata),
                "shape": list(ds.shape),
                "first_is_nan": bool(math.isnan(band[0, 0])),
                "sum": float(band[~(band != band)].sum()),
            }
    except rasterio.errors.RasterioIOError as exc:
        out["assets"][asset] = {"error": str(exc)}
print("RESULT " + json.dumps(out))
"""


def gdal_open(reader: str, store: Path, assets: list[str]) -> dict[str, Any]:
    """Open ``assets`` of ``store`` with the GDAL of ``reader``; skip when it is not built."""
    python = GDAL_PYTHONS[reader]
    if not python.exists():
        pytest.skip(f"{reader}: no .venv-gdal (make gdal; it needs a Python >= 3.12)")
    done = subprocess.run(
        [str(python), "-c", GDAL_SCRIPT, str(store), json.dumps(assets)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    return result


def _gdal_version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2])


@pytest.fixture(scope="module", params=[2, 3], ids=["v2", "v3"])
def pyramid_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = np.linspace(0, 100, 97 * 75, dtype=np.float32).reshape(97, 75)
    data[:10, :10] = np.nan
    out = tmp_path_factory.mktemp("interop") / f"dem-v{request.param}.zarr"
    geozarr.write(
        data,
        out,
        crs=f"EPSG:{EPSG}",
        transform=TRANSFORM,
        name="dem",
        zarr_format=request.param,
        chunks=(32, 32),
        levels="auto",
    )
    return out


def _levels(store: Path) -> list[tuple[str, int]]:
    doc = (
        json.loads((store / "zarr.json").read_text())
        if (store / "zarr.json").exists()
        else {"attributes": json.loads((store / ".zattrs").read_text())}
    )
    layout = doc["attributes"]["multiscales"]["layout"]
    return [(e["asset"], int(e["transform"]["scale"][-1])) for e in layout]


def _read_back(store: Path, asset: str) -> np.ndarray:
    group, _, name = asset.rpartition("/")
    with xr.open_zarr(store, group=group or None, consolidated=False) as ds:
        return np.asarray(ds[name].values)


@pytest.mark.parametrize("reader", list(GDAL_PYTHONS))
def test_gdal_reads_crs_and_transform_of_every_level(pyramid_store: Path, reader: str) -> None:
    levels = _levels(pyramid_store)
    assert len(levels) == 3
    found = gdal_open(reader, pyramid_store, [asset for asset, _ in levels])
    version = _gdal_version(found["gdal"])
    v3 = (pyramid_store / "zarr.json").exists()
    if reader == "gdal-3.12+":
        assert version >= (3, 12)
    cumulative = 1
    for asset, factor in levels:
        cumulative *= factor
        seen = found["assets"][asset]
        if v3 and version < (3, 11):
            # This generation's documented limit (see the tutorial's table), and only that.
            assert seen == {"error": "Unsupported codec: bytes"}
            continue
        assert "error" not in seen, seen
        assert seen["epsg"] == EPSG
        a, b, c, d, e, f = TRANSFORM
        assert seen["transform"] == pytest.approx((a * cumulative, b, c, d, e * cumulative, f))
        assert seen["nodata"] == "nan"
        assert seen["first_is_nan"]
        expected = _read_back(pyramid_store, asset)
        assert seen["shape"] == list(expected.shape)
        assert seen["sum"] == pytest.approx(float(np.nansum(expected)), rel=1e-6)


def test_sharded_output_needs_a_gdal_that_reads_shards(tmp_path: Path) -> None:
    """Why pyramids are unsharded by default: GDAL 3.12 reads no ``sharding_indexed`` codec."""
    out = tmp_path / "sharded.zarr"
    data = np.arange(64 * 64, dtype=np.float32).reshape(64, 64)
    geozarr.write(
        data, out, crs=f"EPSG:{EPSG}", transform=TRANSFORM, chunks=(16, 16), shards=(32, 32)
    )
    found = gdal_open("gdal-3.12+", out, ["data"])
    seen = found["assets"]["data"]
    if _gdal_version(found["gdal"]) < (3, 13):
        assert seen == {"error": "Unsupported codec: sharding_indexed"}
    else:
        assert seen["epsg"] == EPSG
        assert seen["sum"] == float(data.sum())


def test_rioxarray_reports_the_same_crs_and_transform(pyramid_store: Path) -> None:
    cumulative = 1
    for asset, factor in _levels(pyramid_store):
        cumulative *= factor
        group, _, name = asset.rpartition("/")
        ds = xr.open_zarr(pyramid_store, group=group or None, consolidated=False)
        assert ds[name].rio.crs == CRS.from_epsg(EPSG)
        a, b, c, d, e, f = TRANSFORM
        assert tuple(ds[name].rio.transform())[:6] == pytest.approx(
            (a * cumulative, b, c, d, e * cumulative, f)
        )
        # x / y at pixel centres of the level
        np.testing.assert_allclose(ds.x.values[:2], c + a * cumulative * np.array([0.5, 1.5]))
        np.testing.assert_allclose(ds.y.values[:2], f + e * cumulative * np.array([0.5, 1.5]))


def test_zarr_cm_accepts_the_conventions(pyramid_store: Path) -> None:
    for group in ("", "1", "2"):
        path = pyramid_store / group
        doc = (
            json.loads((path / "zarr.json").read_text())
            if (path / "zarr.json").exists()
            else {"attributes": json.loads((path / ".zattrs").read_text())}
        )
        attrs = doc["attributes"]
        zarr_cm.validate_all(attrs)  # raises on a violation
        found = zarr_cm.detect_revisions(attrs)
        expected = {"proj", "spatial"} | ({"multiscales"} if group == "" else set())
        assert set(found) == expected
        assert all(v is not None for v in found.values())


def test_geozarr_validate_reports_no_issue(pyramid_store: Path) -> None:
    assert list(geozarr.validate(pyramid_store).issues) == []


def test_gdal_v3_limitation_is_exactly_the_bytes_codec(tmp_path: Path) -> None:
    """Record what this GDAL cannot read: with the codec renamed 'endian' it reads the data."""
    out = tmp_path / "v3.zarr"
    data = np.arange(64, dtype=np.float32).reshape(8, 8)
    geozarr.write(data, out, crs=f"EPSG:{EPSG}", transform=TRANSFORM, compression="none")
    if rasterio.__gdal_version__ >= "3.11":
        with rasterio.open(f'ZARR:"{out}":/data') as ds:
            assert ds.crs.to_epsg() == EPSG
        return  # this GDAL reads Zarr v3
    with pytest.raises(rasterio.errors.RasterioIOError, match="Unsupported codec: bytes"):
        rasterio.open(f'ZARR:"{out}":/data')
    meta = out / "data" / "zarr.json"
    doc = json.loads(meta.read_text())
    doc["codecs"][0]["name"] = "endian"
    meta.write_text(json.dumps(doc))
    with rasterio.open(f'ZARR:"{out}":/data') as ds:
        np.testing.assert_array_equal(ds.read(1), data)
