"""Real readers open what geozarr.write / geozarr.pyramid write: GDAL, rioxarray, xarray, zarr-cm.

GDAL is the one inside rasterio's wheel. GDAL before 3.11 knows the Zarr v3 ``bytes`` codec
only by its pre-release name ``endian``, so it opens no Zarr v3 array written to the final
specification ("Unsupported codec: bytes"); the v3 cases check that this is the only reason
and are skipped there, and run on a GDAL that reads v3.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from pyproj import CRS

import geozarr

rasterio = pytest.importorskip("rasterio")
rioxarray = pytest.importorskip("rioxarray")
zarr_cm = pytest.importorskip("zarr_cm")

TRANSFORM = (20.0, 0.0, 400_000.0, 0.0, -20.0, 5_500_000.0)
EPSG = 32631
pytestmark = [
    pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning"),
]


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


def _open_gdal(store: Path, asset: str):  # type: ignore[no-untyped-def]
    try:
        return rasterio.open(f'ZARR:"{store}":/{asset}')
    except rasterio.errors.RasterioIOError as exc:
        if "Unsupported codec: bytes" in str(exc) and rasterio.__gdal_version__ < "3.11":
            pytest.skip(f"GDAL {rasterio.__gdal_version__} reads no Zarr v3 'bytes' codec")
        raise


def test_gdal_reads_crs_and_transform_of_every_level(pyramid_store: Path) -> None:
    levels = _levels(pyramid_store)
    assert len(levels) == 3
    cumulative = 1
    for asset, factor in levels:
        cumulative *= factor
        with _open_gdal(pyramid_store, asset) as ds:
            assert ds.crs.to_epsg() == EPSG
            a, b, c, d, e, f = TRANSFORM
            assert tuple(ds.transform)[:6] == pytest.approx(
                (a * cumulative, b, c, d, e * cumulative, f)
            )
            assert np.isnan(ds.nodata)
            assert np.isnan(ds.read(1)[0, 0])


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
