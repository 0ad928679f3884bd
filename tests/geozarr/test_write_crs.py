"""Every CRS kind geozarr.write / geozarr.pyramid write is valid under our own validator and
read back as the same CRS: geographic, UTM, Web Mercator, the polar stereographics (variant B:
pyproj's ``to_cf()`` leaves ``latitude_of_projection_origin`` out), LAEA, a south-up grid.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from pyproj import CRS, Transformer
from pyproj.database import query_crs_info
from pyproj.enums import PJType

import geozarr
from geozarr.cf.grid_mappings import GridMappingVariable
from geozarr.writing.grid_mapping import MAP_PARAMETERS, cf_grid_mapping

REPO = Path(__file__).resolve().parents[2]
UTM = (30.0, 0.0, 500_000.0, 0.0, -30.0, 5_200_020.0)
POLAR = (1000.0, 0.0, -20_000.0, 0.0, -1000.0, 16_000.0)
CASES: dict[str, tuple[int, tuple[float, ...]]] = {
    "geographic-4326": (4326, (0.01, 0.0, 5.0, 0.0, -0.01, 50.0)),
    "utm-32633": (32633, UTM),
    "web-mercator-3857": (3857, (100.0, 0.0, 1_000_000.0, 0.0, -100.0, 6_000_000.0)),
    "polar-north-3413": (3413, POLAR),
    "polar-south-3031": (3031, POLAR),
    "polar-arctic-3995": (3995, POLAR),
    "laea-3035": (3035, (1000.0, 0.0, 4_000_000.0, 0.0, -1000.0, 3_000_000.0)),
    "south-up-32633": (32633, (30.0, 0.0, 500_000.0, 0.0, 30.0, 5_100_000.0)),
}
# Web Mercator (EPSG method 1024) is written as the spherical CF "mercator" it computes with:
# the CF parameters alone place every pixel where the CRS does (test below), so no case
# may leave a warning.
EXPECTED_WARNINGS: dict[str, set[str]] = {}


def _raster() -> np.ndarray:
    data = np.linspace(0, 100, 40 * 30, dtype=np.float32).reshape(40, 30)
    data[:3, :4] = np.nan
    return data


@pytest.fixture(scope="module", params=[2, 3], ids=["v2", "v3"])
def stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """For each case: written alone, then ``geozarr.pyramid`` in place (two levels)."""
    root = tmp_path_factory.mktemp(f"crs-v{request.param}")
    out: dict[str, Path] = {}
    for case, (code, transform) in CASES.items():
        path = root / f"{case}.zarr"
        geozarr.write(
            _raster(),
            path,
            crs=f"EPSG:{code}",
            transform=transform,
            zarr_format=request.param,
            chunks=(16, 16),
        )
        geozarr.pyramid(path, levels=2)
        out[case] = path
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_write_and_pyramid_validate_clean(stores: dict[str, Path], case: str) -> None:
    report = geozarr.validate(stores[case])
    errors = [
        f"{i.rule} {i.path}: {i.message}" for i in report.issues if i.severity.value == "error"
    ]
    warnings = {i.rule for i in report.issues if i.severity.value == "warning"}
    assert errors == []
    assert warnings == EXPECTED_WARNINGS.get(case, set())


@pytest.mark.parametrize("code", [3413, 3031, 3995])
def test_write_with_levels_gives_polar_grid_mappings_their_origin(
    tmp_path: Path, code: int
) -> None:
    out = tmp_path / "polar.zarr"
    geozarr.write(_raster(), out, crs=f"EPSG:{code}", transform=POLAR, levels=2, chunks=(16, 16))
    assert [i.rule for i in geozarr.validate(out).issues] == []
    for level in ("", "1/"):
        doc = json.loads((out / f"{level}spatial_ref" / "zarr.json").read_text())
        attrs = doc["attributes"]
        pole = 90.0 if CRS.from_epsg(code).to_cf()["standard_parallel"] > 0 else -90.0
        assert attrs["latitude_of_projection_origin"] == pole
        assert (
            attrs["longitude_of_projection_origin"]
            == (attrs["straight_vertical_longitude_from_pole"])
        )


# Points inside each CRS's area of use (lon, lat).
_POINTS = {4326: (5.1, 49.9), 32633: (15.2, 46.9), 3413: (-40.0, 75.0), 3031: (30.0, -75.0),
           3995: (10.0, 80.0), 3035: (10.0, 52.0), 2154: (3.0, 46.0), 32661: (0.0, 85.0),
           3976: (100.0, -70.0), 6933: (20.0, 10.0), 3857: (-170.0, 84.0)}  # fmt: skip


@pytest.mark.parametrize("code", sorted(_POINTS))
def test_cf_parameters_alone_describe_the_crs(code: int) -> None:
    crs = CRS.from_epsg(code)
    attrs = cf_grid_mapping(crs)
    name = attrs["grid_mapping_name"]
    for group in MAP_PARAMETERS[name]:
        assert any(p in attrs for p in group), f"{name}: none of {group}"
    from_cf = CRS.from_cf({k: v for k, v in attrs.items() if k != "crs_wkt"})
    lon, lat = _POINTS[code]
    want = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    got = Transformer.from_crs(4326, from_cf, always_xy=True).transform(lon, lat)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-3)


def test_every_epsg_projected_crs_cf_can_name_gets_a_valid_grid_mapping() -> None:
    # Before the completion, 28 polar stereographic and 235 Lambert conformal conic (1SP,
    # EPSG:2062 for one) CRSs lacked latitude_of_projection_origin.
    checked = 0
    for info in query_crs_info(
        auth_name="EPSG", pj_types=[PJType.PROJECTED_CRS], allow_deprecated=False
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pyproj: parameters CF has no name for
            attrs = cf_grid_mapping(CRS.from_epsg(int(info.code)))
        if "grid_mapping_name" in attrs:
            GridMappingVariable.model_validate(attrs)
            checked += 1
    assert checked > 5000


def test_lambert_conformal_1sp_origin_is_its_standard_parallel() -> None:
    # CF Appendix F: "For the 1SP variant, latitude_of_projection_origin=standard_parallel".
    attrs = cf_grid_mapping(CRS.from_epsg(2062))
    assert attrs["latitude_of_projection_origin"] == attrs["standard_parallel"] == 40.0


def test_values_pyproj_wrote_are_never_changed() -> None:
    crs = CRS.from_epsg(32661)  # polar stereographic variant A: pyproj gives the origin
    pyproj_cf = json.loads(json.dumps(crs.to_cf()))
    completed = cf_grid_mapping(crs)
    assert {k: completed[k] for k in pyproj_cf} == pyproj_cf
    assert set(completed) - set(pyproj_cf) == {"longitude_of_projection_origin"}


# -- real readers -----------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning")
@pytest.mark.parametrize("case", list(CASES))
def test_rioxarray_reads_the_same_crs_and_transform(stores: dict[str, Path], case: str) -> None:
    pytest.importorskip("rioxarray")
    code, transform = CASES[case]
    with xr.open_zarr(stores[case], consolidated=False) as ds:
        crs = CRS.from_user_input(ds["data"].rio.crs.to_wkt())
        assert crs.to_epsg() == code
        np.testing.assert_allclose(tuple(ds["data"].rio.transform())[:6], transform)
    with xr.open_zarr(stores[case], group="1", consolidated=False) as level:
        assert CRS.from_user_input(level["data"].rio.crs.to_wkt()).to_epsg() == code


GDAL_SCRIPT = r"""
import json, sys, warnings
import rasterio

warnings.simplefilter("ignore")
out = {}
for case, path in json.loads(sys.argv[1]).items():
    for asset in ("data", "1/data"):
        with rasterio.open(f'ZARR:"{path}":/{asset}') as ds:
            out[f"{case}:{asset}"] = {
                "epsg": ds.crs.to_epsg() if ds.crs else None,
                "transform": list(ds.transform)[:6],
            }
print("RESULT " + json.dumps(out))
"""
GDAL_PYTHONS = {
    "gdal-test-env": Path(sys.executable),
    "gdal-3.12+": REPO / ".venv-gdal" / "bin" / "python",
}


@pytest.mark.parametrize("reader", list(GDAL_PYTHONS))
def test_gdal_reads_the_same_crs_and_transform(stores: dict[str, Path], reader: str) -> None:
    pytest.importorskip("rasterio")
    python = GDAL_PYTHONS[reader]
    if not python.exists():
        pytest.skip(f"{reader}: no .venv-gdal (make gdal; it needs a Python >= 3.12)")
    v3 = (next(iter(stores.values())) / "zarr.json").exists()
    if v3 and reader == "gdal-test-env":
        pytest.skip("GDAL before 3.11 reads no Zarr v3 'bytes' codec (see test_interop.py)")
    done = subprocess.run(
        [str(python), "-c", GDAL_SCRIPT, json.dumps({k: str(v) for k, v in stores.items()})],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    found: dict[str, Any] = json.loads(line[len("RESULT ") :])
    for case, (code, transform) in CASES.items():
        assert found[f"{case}:data"]["epsg"] == code, case
        np.testing.assert_allclose(found[f"{case}:data"]["transform"], transform)
        assert found[f"{case}:1/data"]["epsg"] == code, case
        a, b, c, d, e, f = transform
        np.testing.assert_allclose(found[f"{case}:1/data"]["transform"], (2 * a, b, c, d, 2 * e, f))
