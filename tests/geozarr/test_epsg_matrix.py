"""Issue 13 item 5: every projection family, written, validated and read back the same.

Forty CRSs -- geographic, UTM north and south, Web Mercator, the polar stereographics of both
poles (variants A and B), LAEA, Albers, Lambert conformal (EPSG and an ESRI CRS given as WKT),
sinusoidal (as a PROJ string and as WKT), rotated pole (WKT), Transverse Mercator and oblique
Mercator national grids, oblique stereographic, Mercator, cylindrical equal area -- are each
written by :func:`geozarr.write` on a small grid inside the CRS's area of use, in Zarr v2 and v3.
For each:

- the grid mapping carries every CF Appendix F parameter its mapping requires, and those
  parameters alone (``crs_wkt`` left out) place a point where the CRS does;
- the store validates under ``--strict`` with no issue;
- rioxarray (this environment, Zarr v2) and GDAL >= 3.12 (``.venv-gdal``, Zarr v3, one
  subprocess for all stores) read back the same CRS (``pyproj.CRS.equals``, axis order
  ignored) and the same transform.

The one exception is EPSG:28992 (Amersfoort / RD New): its method, Oblique Stereographic
(EPSG 9809, PROJ ``sterea``), has no CF grid mapping -- CF's ``stereographic`` is PROJ's
``stere``, which misplaces points of the Netherlands by up to 10 m (asserted below) -- so it
is described by ``crs_wkt`` alone, and the validator says so in one ADVICE-level warning
(``geozarr.cf.grid-mapping-name``), which ``--strict`` keeps a warning.
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
import xarray as xr
from pyproj import CRS, Transformer

import geozarr
from geozarr.writing.grid_mapping import MAP_PARAMETERS

rioxarray = pytest.importorskip("rioxarray")

pytestmark = [
    pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),  # pyproj: CF names it does not know
]

REPO = Path(__file__).resolve().parents[2]
GDAL_312 = REPO / ".venv-gdal" / "bin" / "python"
SINUSOIDAL = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs +type=crs"
ROTATED_POLE = CRS.from_cf(
    {
        "grid_mapping_name": "rotated_latitude_longitude",
        "grid_north_pole_latitude": 39.25,
        "grid_north_pole_longitude": -162.0,
    }
).to_wkt()
EPSG_CODES = (
    4326, 4269, 4258,  # geographic
    32631, 32633, 32617, 25832, 32733, 32756, 32721,  # UTM north, south
    3857, 3395,  # Web Mercator, Mercator
    3413, 3031, 3995, 3976, 32661, 32761, 5041, 5042,  # polar stereographic N/S, A/B
    3035, 6931, 6932,  # LAEA
    5070, 3577, 3338,  # Albers
    2154, 3347, 3034, 31370, 3112,  # Lambert conformal conic (1SP and 2SP)
    27700, 2193, 2056,  # national Transverse Mercator grids, Swiss oblique Mercator
    28992,  # oblique stereographic
    6933,  # cylindrical equal area (EASE-Grid 2.0)
)  # fmt: skip
CASES: dict[str, str] = {f"EPSG:{code}": f"EPSG:{code}" for code in EPSG_CODES}
CASES["ESRI:102004 as WKT"] = CRS.from_user_input("ESRI:102004").to_wkt()
CASES["sinusoidal as PROJ"] = SINUSOIDAL
CASES["sinusoidal as WKT"] = CRS.from_user_input(SINUSOIDAL).to_wkt()
CASES["rotated pole as WKT"] = ROTATED_POLE
EXPECTED_WARNINGS = {"EPSG:28992": {"geozarr.cf.grid-mapping-name"}}
SHAPE = (12, 10)


def _case_id(name: str) -> str:
    return name.replace(" ", "-").replace(":", "")


def grid(crs: CRS, name: str) -> tuple[tuple[float, ...], tuple[float, float]]:
    """A transform for a small grid inside the CRS's area of use, and its centre (lon, lat)."""
    area = crs.area_of_use
    if name.startswith("rotated"):
        lon, lat = -5.0, 5.0  # in the rotated frame
    elif area is None:
        lon, lat = 10.0, 10.0
    else:
        east = area.east if area.east >= area.west else area.east + 360.0
        lon, lat = ((area.west + east) / 2 + 180.0) % 360.0 - 180.0, (area.south + area.north) / 2
    if crs.is_geographic:
        x, y, res = lon, lat, 0.01
    else:
        x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
        res = 1000.0
    return (res, 0.0, x, 0.0, -res, y), (lon, lat)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[int, Path]]:
    """Each case written once in Zarr v2 and once in v3."""
    root = tmp_path_factory.mktemp("epsg-matrix")
    data = np.linspace(0.0, 1.0, math.prod(SHAPE), dtype=np.float32).reshape(SHAPE)
    out: dict[str, dict[int, Path]] = {}
    for i, (name, spec) in enumerate(CASES.items()):
        crs = CRS.from_user_input(spec)
        transform, _ = grid(crs, name)
        out[name] = {}
        for zarr_format in (2, 3):
            path = root / f"case{i}-v{zarr_format}.zarr"
            geozarr.write(data, path, crs=spec, transform=transform, zarr_format=zarr_format)
            out[name][zarr_format] = path
    return out


def test_the_matrix_covers_the_families() -> None:
    assert len(CASES) >= 30
    names = {CRS.from_user_input(spec).to_cf().get("grid_mapping_name") for spec in CASES.values()}
    assert names >= {
        "latitude_longitude", "transverse_mercator", "mercator", "polar_stereographic",
        "lambert_azimuthal_equal_area", "albers_conical_equal_area", "lambert_conformal_conic",
        "sinusoidal", "rotated_latitude_longitude", "oblique_mercator",
        "lambert_cylindrical_equal_area",
    }  # fmt: skip


def _grid_mapping(store: Path) -> dict[str, Any]:
    attrs: dict[str, Any] = json.loads((store / "spatial_ref" / "zarr.json").read_text())[
        "attributes"
    ]
    return attrs


@pytest.mark.parametrize("name", list(CASES), ids=_case_id)
def test_grid_mapping_carries_every_parameter_and_they_alone_place_points(
    stores: dict[str, dict[int, Path]], name: str
) -> None:
    attrs = _grid_mapping(stores[name][3])
    crs = CRS.from_user_input(CASES[name])
    if name in EXPECTED_WARNINGS:
        assert "grid_mapping_name" not in attrs
        assert CRS.from_wkt(attrs["crs_wkt"]).equals(crs)
        return
    mapping = attrs["grid_mapping_name"]
    for group in MAP_PARAMETERS[mapping]:
        assert any(p in attrs for p in group), f"{mapping}: none of {group}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_cf = CRS.from_cf({k: v for k, v in attrs.items() if k != "crs_wkt"})
    _, (lon, lat) = grid(crs, name)
    source = crs.geodetic_crs if name.startswith("rotated") else CRS.from_epsg(4326)
    assert source is not None
    if name.startswith("rotated"):  # a point given in the rotated frame, mapped to lon/lat
        lon, lat = Transformer.from_crs(crs, source, always_xy=True).transform(lon, lat)
    want = Transformer.from_crs(source, crs, always_xy=True).transform(lon, lat)
    got = Transformer.from_crs(source, from_cf, always_xy=True).transform(lon, lat)
    tolerance = 1e-8 if crs.is_geographic or name.startswith("rotated") else 1e-3
    np.testing.assert_allclose(got, want, rtol=0, atol=tolerance)


def test_cf_stereographic_is_not_the_oblique_stereographic_of_28992() -> None:
    # Why EPSG:28992 gets no grid_mapping_name: the nearest CF mapping misplaces its points.
    rd = CRS.from_epsg(28992)
    stere = CRS.from_proj4(rd.to_proj4().replace("+proj=sterea", "+proj=stere"))

    def place(crs: CRS, lon: float, lat: float) -> tuple[float, float]:
        assert crs.geodetic_crs is not None  # both on the Bessel ellipsoid, no datum shift
        x, y = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True).transform(lon, lat)
        return x, y

    origin = (5.38763888888889, 52.1561605555556)  # Amersfoort: both agree there
    assert math.dist(place(rd, *origin), place(stere, *origin)) < 1e-6
    assert math.dist(place(rd, 3.4, 50.8), place(stere, 3.4, 50.8)) > 5.0  # Belgian border


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_every_case_validates_clean_under_strict(
    stores: dict[str, dict[int, Path]], zarr_format: int
) -> None:
    found = {}
    for name, paths in stores.items():
        report = geozarr.validate(paths[zarr_format], strict=True)
        errors = [
            f"{i.rule} {i.path}: {i.message}" for i in report.issues if i.severity.value == "error"
        ]
        warned = {i.rule for i in report.issues if i.severity.value == "warning"}
        if errors or warned != EXPECTED_WARNINGS.get(name, set()):
            found[name] = (errors, warned)
    assert found == {}


def _same_crs(wkt: str, name: str) -> bool:
    return CRS.from_wkt(wkt).equals(CRS.from_user_input(CASES[name]), ignore_axis_order=True)


def test_rioxarray_reads_the_same_crs_and_transform_from_v2(
    stores: dict[str, dict[int, Path]],
) -> None:
    wrong = {}
    for name, paths in stores.items():
        transform, _ = grid(CRS.from_user_input(CASES[name]), name)
        with xr.open_zarr(paths[2], consolidated=False, decode_coords="all") as ds:
            crs = ds["data"].rio.crs
            read = tuple(ds["data"].rio.transform())[:6]
        if crs is None or not _same_crs(crs.to_wkt(), name):
            wrong[name] = None if crs is None else crs.to_wkt()
        elif not np.allclose(read, transform, rtol=1e-12, atol=1e-9):
            wrong[name] = read
    assert wrong == {}


GDAL_SCRIPT = r"""
import json, sys, warnings
import rasterio

warnings.simplefilter("ignore")
out = {"gdal": rasterio.__gdal_version__, "cases": {}}
for name, path in json.loads(sys.argv[1]).items():
    try:
        with rasterio.open(f'ZARR:"{path}":/data') as ds:
            out["cases"][name] = {
                "wkt": ds.crs.to_wkt() if ds.crs else None,
                "transform": list(ds.transform)[:6],
            }
    except rasterio.errors.RasterioIOError as exc:
        out["cases"][name] = {"error": str(exc)}
print("RESULT " + json.dumps(out))
"""


def test_gdal_312_reads_the_same_crs_and_transform_from_v3(
    stores: dict[str, dict[int, Path]],
) -> None:
    if not GDAL_312.exists():
        pytest.skip("no .venv-gdal (make gdal; it needs a Python >= 3.12)")
    paths = {name: str(p[3]) for name, p in stores.items()}
    done = subprocess.run(
        [str(GDAL_312), "-c", GDAL_SCRIPT, json.dumps(paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    found: dict[str, Any] = json.loads(line[len("RESULT ") :])
    assert tuple(int(p) for p in found["gdal"].split(".")[:2]) >= (3, 12)
    wrong = {}
    for name, seen in found["cases"].items():
        transform, _ = grid(CRS.from_user_input(CASES[name]), name)
        if "error" in seen or seen["wkt"] is None or not _same_crs(seen["wkt"], name):
            wrong[name] = seen
        elif not np.allclose(seen["transform"], transform, rtol=1e-12, atol=1e-9):
            wrong[name] = seen["transform"]
    assert wrong == {}
