"""GeoTIFFs as they come, through every writer, read the same by xarray, rioxarray and GDAL 3.12.

Issue 13's Done-when set: UTM float32 nodata -9999, EPSG:3857 RGB uint8, EPSG:3413 float32
NaN, uint16 nodata 0. Each GeoTIFF (written here with rasterio) becomes four stores:

- ``create``: ``geozarr create`` (Zarr v3, base only), then ``geozarr pyramid`` in place;
- ``write``: ``geozarr.write`` of the pixels with the file's CRS / transform / nodata, Zarr v2,
  levels in the same pass;
- ``create-v2``: ``create`` converted v3 -> v2; ``write-v3``: ``write`` converted v2 -> v3.

At every level of every store: xarray (``geozarr.open``) decodes the same values (the base is
the file's pixels; level ``k`` the nodata-aware 2x2 mean of level ``k - 1``, computed here),
rioxarray finds the same CRS, transform and nodata, and GDAL 3.12 (``.venv-gdal``, one
subprocess for every store and level) reads the same pixels, CRS, transform and nodata; every
store validates under ``--strict`` with no issue.
"""

from __future__ import annotations

import json
import math
import subprocess
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import geozarr
from geozarr.cli import create_command, pyramid_command

rasterio = pytest.importorskip("rasterio")
rioxarray = pytest.importorskip("rioxarray")

REPO = Path(__file__).resolve().parents[2]
GDAL_312 = REPO / ".venv-gdal" / "bin" / "python"
LEVELS = 3
HEIGHT, WIDTH = 40, 56
pytestmark = [
    pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part"),
]


def _field(dtype: str, scale: float, offset: float, bands: int = 1) -> np.ndarray:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    planes = [np.sin(x / (7 + b)) + np.cos(y / (9 + 2 * b)) for b in range(bands)]
    return (offset + scale * np.stack(planes)).astype(dtype)


def _cases() -> dict[str, dict[str, Any]]:
    dem = _field("float32", 100.0, 500.0)
    dem[0, :6, :6] = -9999.0  # a whole block of nodata
    dem[0, 10, 11] = -9999.0  # one pixel of a block
    rgb = _field("uint8", 60.0, 128.0, bands=3)  # 8 to 248, no 0
    ice = _field("float32", 1.0, 0.5)
    ice[0, 20:, :8] = np.nan
    counts = _field("uint16", 900.0, 1000.0)
    counts[0, :4, -4:] = 0
    counts[0, 7, 7] = 0
    return {
        "utm-dem": {
            "data": dem,
            "epsg": 32631,
            "transform": (30.0, 0.0, 600_000.0, 0.0, -30.0, 5_000_010.0),
            "nodata": -9999.0,
        },
        "webmercator-rgb": {
            "data": rgb,
            "epsg": 3857,
            "transform": (152.87405657, 0.0, 260_000.0, 0.0, -152.87405657, 6_250_000.0),
            "nodata": None,
        },
        "polar-nan": {
            "data": ice,
            "epsg": 3413,
            "transform": (1000.0, 0.0, -500_000.0, 0.0, -1000.0, -1_000_000.0),
            "nodata": math.nan,
        },
        "uint16-zero": {
            "data": counts,
            "epsg": 32633,
            "transform": (10.0, 0.0, 350_000.0, 0.0, -10.0, 4_600_000.0),
            "nodata": 0,
        },
    }


CASES = _cases()
STORES = ("create", "write", "create-v2", "write-v3")


def _write_tiff(path: Path, case: dict[str, Any]) -> Path:
    from rasterio.transform import Affine

    data = case["data"]
    with rasterio.open(
        path, "w", driver="GTiff", height=HEIGHT, width=WIDTH, count=data.shape[0],
        dtype=data.dtype, crs=f"EPSG:{case['epsg']}", transform=Affine(*case["transform"]),
        nodata=case["nodata"],
    ) as ds:  # fmt: skip
        ds.write(data)
        if data.shape[0] == 3:
            from rasterio.enums import ColorInterp

            ds.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue]
    return path


def _masked(values: np.ndarray, nodata: float | None) -> np.ndarray:
    out = np.asarray(values, dtype=np.float64)
    if nodata is not None and not math.isnan(nodata):
        out = np.where(out == nodata, np.nan, out)
    return out


def expected_levels(case: dict[str, Any]) -> list[np.ndarray]:
    """The file's pixels (nodata as NaN), then each level the NaN-aware 2x2 mean of the last."""
    level = _masked(case["data"], case["nodata"])
    out = [level]
    for _ in range(1, LEVELS):
        bands, h, w = level.shape
        padded = np.full((bands, h + h % 2, w + w % 2), np.nan)
        padded[:, :h, :w] = level
        blocks = padded.reshape(bands, padded.shape[1] // 2, 2, padded.shape[2] // 2, 2)
        with warnings.catch_warnings():  # a block all nodata is NaN, as it should be
            warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
            level = np.nanmean(blocks, axis=(2, 4))
        if case["data"].dtype.kind in "iu":
            level = np.round(level)
        out.append(level)
    return out


def _asset(k: int) -> str:
    return "data" if k == 0 else f"{k}/data"


# Runs in .venv-gdal: every level of every store, through GDAL's Zarr driver.
GDAL_SCRIPT = r"""
import json, sys, warnings
import numpy as np
import rasterio
warnings.simplefilter("ignore")
out = {"gdal": rasterio.__gdal_version__, "stores": {}}
for store, assets in json.loads(sys.argv[1]).items():
    found = out["stores"][store] = {}
    for asset in assets:
        with rasterio.open(f'ZARR:"{store}":/{asset}') as ds:
            found[asset] = {
                "epsg": ds.crs.to_epsg(), "transform": list(ds.transform)[:6],
                "nodata": ds.nodata, "values": ds.read().astype(float).tolist(),
            }
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Every case's four stores (see the module docstring)."""
    root = tmp_path_factory.mktemp("geotiffs")
    runner = CliRunner()
    stores: dict[str, dict[str, Path]] = {}
    for name, case in CASES.items():
        tif = _write_tiff(root / f"{name}.tif", case)
        made = {s: root / f"{name}-{s}.zarr" for s in STORES}
        done = runner.invoke(
            create_command, [str(tif), str(made["create"]), "--chunks", "16,16", "--quiet"]
        )
        assert done.exit_code == 0, done.output
        done = runner.invoke(
            pyramid_command, [str(made["create"]), "--levels", str(LEVELS), "--quiet"]
        )
        assert done.exit_code == 0, done.output
        with rasterio.open(tif) as ds:
            pixels = ds.read()
        data = pixels[0] if pixels.shape[0] == 1 else pixels
        geozarr.write(
            data, made["write"], crs=f"EPSG:{case['epsg']}", transform=case["transform"],
            nodata=case["nodata"], dims=("band", "y", "x") if data.ndim == 3 else None,
            zarr_format=2, levels=LEVELS, chunks=(16, 16),
        )  # fmt: skip
        geozarr.convert(made["create"], made["create-v2"], zarr_format=2)
        geozarr.convert(made["write"], made["write-v3"], zarr_format=3)
        stores[name] = made
    return stores


@pytest.fixture(scope="module")
def gdal(suite: dict[str, dict[str, Path]]) -> dict[str, Any]:
    if not GDAL_312.exists():
        pytest.skip("no .venv-gdal (GDAL >= 3.12)")
    assets = [_asset(k) for k in range(LEVELS)]
    wanted = {str(p): assets for made in suite.values() for p in made.values()}
    done = subprocess.run(
        [str(GDAL_312), "-c", GDAL_SCRIPT, json.dumps(wanted)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    found: dict[str, Any] = json.loads(line[len("RESULT ") :])
    assert tuple(int(p) for p in found["gdal"].split(".")[:2]) >= (3, 12)
    return found


def _level_transform(case: dict[str, Any], k: int) -> tuple[float, ...]:
    a, b, c, d, e, f = case["transform"]
    return (a * 2**k, b, c, d, e * 2**k, f)


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("name", list(CASES))
def test_xarray_and_rioxarray_read_every_level(
    suite: dict[str, dict[str, Path]], name: str, store: str
) -> None:
    case, path = CASES[name], suite[name][store]
    for k, expected in enumerate(expected_levels(case)):
        level = geozarr.open(path, level=k)
        values = level["data"].values
        if values.ndim == 2:
            values = values[np.newaxis]
        assert values.shape == expected.shape
        # decoded: nodata is NaN (xarray masks the _FillValue), never a number
        np.testing.assert_allclose(_masked(values, case["nodata"]), expected, rtol=1e-6)
        assert level.rio.crs.to_epsg() == case["epsg"]
        assert tuple(level.rio.transform())[:6] == pytest.approx(_level_transform(case, k))
        nodata = level["data"].rio.encoded_nodata
        if case["nodata"] is None:
            assert nodata is None
        elif math.isnan(case["nodata"]):
            assert nodata is None or math.isnan(nodata)
        else:
            assert nodata == case["nodata"]
        assert level["data"].encoding["dtype"] == case["data"].dtype  # the type kept


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("name", list(CASES))
def test_gdal_312_reads_every_level(
    suite: dict[str, dict[str, Path]], gdal: dict[str, Any], name: str, store: str
) -> None:
    case = CASES[name]
    found = gdal["stores"][str(suite[name][store])]
    for k, expected in enumerate(expected_levels(case)):
        level = found[_asset(k)]
        assert level["epsg"] == case["epsg"]
        assert tuple(level["transform"]) == pytest.approx(_level_transform(case, k))
        if case["nodata"] is None:
            # Zarr v3 has no "no fill value": GDAL takes the mandatory fill_value (0) as
            # nodata there, while v2's null says none; the pixels read are the same
            assert level["nodata"] == (None if store in ("write", "create-v2") else 0.0)
        elif math.isnan(case["nodata"]):
            assert math.isnan(level["nodata"])
        else:
            assert level["nodata"] == case["nodata"]
        values = _masked(np.array(level["values"], dtype=np.float64), case["nodata"])
        np.testing.assert_allclose(values, expected, rtol=1e-6)


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("name", list(CASES))
def test_every_store_validates_strict(
    suite: dict[str, dict[str, Path]], name: str, store: str
) -> None:
    report = geozarr.validate(str(suite[name][store]), strict=True)
    assert [f"{i.rule} {i.path}: {i.message}" for i in report.issues] == []
