"""xarray's own geo stores through every command, read the same by xarray, rioxarray and GDAL.

Issue 13's Done-when, for the stores xarray users have (the GeoTIFF half is
``test_geotiff_suite.py``). Two sources, each written by xarray itself as Zarr v2 and v3:

- ``ghrsst``: a GHRSST-like L4 product (two time steps; ``analysed_sst`` packed int16 with
  ``scale_factor`` / ``add_offset`` / ``_FillValue``; a ``mask`` of flags; EPSG:4326 through a
  ``spatial_ref`` variable with ``crs_wkt``);
- ``rio``: a two-band UTM raster as rioxarray writes it, nodata -9999, its grid mapping
  named ``crs``.

Each source goes four ways: ``pyramid`` (``geozarr pyramid`` in place), ``converted`` (that
pyramid through ``geozarr convert`` to the other Zarr format: v2 -> v3 and v3 -> v2),
``write`` (``geozarr.write`` of the Dataset xarray opens, same format, levels in the same
pass) and ``create`` (``geozarr create STORE::VAR`` to the other format, levels included).

At every level of every store: ``geozarr.open`` and plain ``xr.open_zarr`` + rioxarray decode
the values computed here (level ``k`` the nodata-aware 2x2 mean of level ``k - 1``) and the
source's time coordinate, with the source's CRS, transform and nodata; GDAL 3.12
(``.venv-gdal``, one subprocess for every store and level) reads the same decoded values,
the same time steps (its ``DIM_time_*`` band metadata), CRS, transform and nodata; packed
variables are int16 on disk; the grid mapping keeps the source's name on every route; and
``geozarr validate --strict`` exits 0.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import zarr
from click.testing import CliRunner
from tests.geozarr.test_xarray_roundtrip import FILL, OFFSET, SCALE, ghrsst, rio_dem

import geozarr
from geozarr.cli import convert_command, create_command, pyramid_command, validate_command

rioxarray = pytest.importorskip("rioxarray")

REPO = Path(__file__).resolve().parents[2]
GDAL_312 = REPO / ".venv-gdal" / "bin" / "python"
LEVELS = 3
pytestmark = [
    pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part"),
]

KINDS: dict[str, dict[str, Any]] = {
    "ghrsst": {
        "build": ghrsst,
        "variables": ("analysed_sst", "mask"),
        "epsg": 4326,
        "transform": (0.25, 0.0, -20.0, 0.0, -0.25, 10.0),
        "nodata": FILL,
        "mapping": "spatial_ref",
    },
    "rio": {
        "build": rio_dem,
        "variables": ("dem",),
        "epsg": 32631,
        "transform": (20.0, 0.0, 400_000.0, 0.0, -20.0, 5_500_000.0),
        "nodata": -9999.0,
        "mapping": "crs",
    },
}
ROUTES = ("pyramid", "converted", "write", "create")
CASES = [f"{kind}-v{fmt}-{route}" for kind in KINDS for fmt in (2, 3) for route in ROUTES]


def _case(case: str) -> tuple[dict[str, Any], int, str]:
    kind, fmt, route = case.split("-")
    return KINDS[kind], int(fmt[1:]), route


def _variables(case: str) -> tuple[str, ...]:
    """The variables on the grid: ``create`` writes the one it is given."""
    kind, _, route = _case(case)
    return kind["variables"][:1] if route == "create" else tuple(kind["variables"])


def _asset(k: int, variable: str) -> str:
    return variable if k == 0 else f"{k}/{variable}"


def _run(command: Any, *args: str) -> None:
    done = CliRunner().invoke(command, [*args, "--quiet"])
    assert done.exit_code == 0, done.output


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every case's store (see the module docstring), written once."""
    root = tmp_path_factory.mktemp("xarray-suite")
    stores: dict[str, Path] = {}
    for name, kind in KINDS.items():
        for fmt in (2, 3):
            other = str(5 - fmt)
            source = root / f"{name}-v{fmt}.zarr"
            kind["build"]().to_zarr(source, zarr_format=fmt, consolidated=fmt == 2)
            made = {route: root / f"{name}-v{fmt}-{route}.zarr" for route in ROUTES}
            shutil.copytree(source, made["pyramid"])
            _run(pyramid_command, str(made["pyramid"]), "--levels", str(LEVELS))
            _run(convert_command, str(made["pyramid"]), str(made["converted"]),
                 "--zarr-format", other)  # fmt: skip
            with xr.open_zarr(source, consolidated=fmt == 2) as opened:
                geozarr.write(opened, made["write"], zarr_format=fmt, levels=LEVELS,
                              chunks=(16, 16))  # fmt: skip
            _run(create_command, f"{source}::{kind['variables'][0]}", str(made["create"]),
                 "--zarr-format", other, "--levels", str(LEVELS), "--chunks", "16,16")  # fmt: skip
            stores.update({f"{name}-v{fmt}-{route}": path for route, path in made.items()})
    return stores


def expected_levels(kind: dict[str, Any]) -> list[np.ndarray]:
    """The first variable decoded at every level: the source's, then nodata-aware 2x2 means."""
    source = kind["build"]()
    first = source[kind["variables"][0]]
    if kind["nodata"] == -9999.0:  # the rioxarray source holds its nodata unmasked
        first = first.where(first != kind["nodata"])
    spatial = first.dims[-2:]
    out = [first.values.astype(np.float64)]
    for _ in range(1, LEVELS):
        first = first.coarsen({spatial[0]: 2, spatial[1]: 2}, boundary="pad").mean()
        out.append(first.values.astype(np.float64))
    return out


def _level_transform(kind: dict[str, Any], k: int) -> tuple[float, ...]:
    a, b, c, d, e, f = kind["transform"]
    return (a * 2**k, b, c, d, e * 2**k, f)


def _tolerance(kind: dict[str, Any], k: int) -> dict[str, float]:
    # packed again at every level: exact to half a packing step per level
    return {"atol": SCALE * k + SCALE / 2} if kind["nodata"] == FILL else {"rtol": 1e-6}


@pytest.mark.parametrize("case", CASES)
def test_xarray_and_rioxarray_read_every_level(suite: dict[str, Path], case: str) -> None:
    kind, _, _ = _case(case)
    store, first = suite[case], _variables(case)[0]
    source = kind["build"]()
    for k, expected in enumerate(expected_levels(kind)):
        ours = geozarr.open(store, level=k)
        # plain xarray + rioxarray, without geozarr's reader: the stored CF alone
        with xr.open_zarr(
            store, group=str(k) if k else None, consolidated=False, decode_coords="all"
        ) as plain:
            for ds in (ours, plain):
                np.testing.assert_allclose(ds[first].values, expected, **_tolerance(kind, k))
                for coord in {"time", "band"} & set(source.coords):
                    np.testing.assert_array_equal(ds[coord].values, source[coord].values)
                assert ds[first].rio.crs.to_epsg() == kind["epsg"]
                assert tuple(ds[first].rio.transform())[:6] == pytest.approx(
                    _level_transform(kind, k)
                )
                assert ds[first].rio.encoded_nodata == kind["nodata"]
                for name in _variables(case):
                    np.testing.assert_array_equal(ds[name].values, ours[name].values)
        if kind["nodata"] == FILL:  # packed stays packed
            assert ours[first].encoding["dtype"] == np.dtype("int16")
            assert ours[first].encoding["scale_factor"] == SCALE
            assert ours[first].encoding["add_offset"] == OFFSET
            assert zarr.open_array(store / _asset(k, first), mode="r").dtype == np.int16
        if "mask" in _variables(case):
            assert ours["mask"].attrs["flag_meanings"] == "water land ice"
            assert ours["mask"].dtype == np.int8


def _grid_mappings(group: zarr.Group) -> tuple[set[str], set[str]]:
    """The group's grid mapping arrays, and what its variables' ``grid_mapping`` name."""
    mappings, named = set(), set()
    for name, array in group.arrays():
        attrs = dict(array.attrs)
        if array.ndim == 0 and "crs_wkt" in attrs:
            mappings.add(name)
        if isinstance(attrs.get("grid_mapping"), str):
            named.add(attrs["grid_mapping"])
    return mappings, named


@pytest.mark.parametrize("case", CASES)
def test_one_grid_mapping_per_level_named_as_the_source_names_it(
    suite: dict[str, Path], case: str
) -> None:
    """Every route (in place, converted, written, created) names the levels' grid mapping as
    the source does (rioxarray's ``crs``), and the root gains no second grid mapping."""
    kind, _, _ = _case(case)
    name = kind["mapping"]
    for k in range(LEVELS):
        group = zarr.open_group(suite[case] / (str(k) if k else ""), mode="r")
        assert _grid_mappings(group) == ({name}, {name})
        assert group.attrs["proj:code"] == f"EPSG:{kind['epsg']}"


@pytest.mark.parametrize("named", ["crs", "utm"])
@pytest.mark.parametrize("fmt", [2, 3])
def test_pyramid_in_place_keeps_the_grid_mapping_name(tmp_path: Path, fmt: int, named: str) -> None:
    """The bug: the source's ``crs`` stayed while ``pyramid`` added ``spatial_ref`` beside it
    and named it in every level."""
    store = tmp_path / "rio.zarr"
    rio_dem(named).to_zarr(store, zarr_format=fmt, consolidated=fmt == 2)
    geozarr.pyramid(store, levels=LEVELS)
    for k in range(LEVELS):
        group = zarr.open_group(store / (str(k) if k else ""), mode="r")
        assert _grid_mappings(group) == ({named}, {named})
        level = geozarr.open(store, level=k)
        assert level["dem"].rio.grid_mapping == named
        assert level.rio.crs.to_epsg() == 32631
    assert list(geozarr.validate(str(store), strict=True).issues) == []


# Runs in .venv-gdal: every level of every store, through GDAL's Zarr driver.
GDAL_SCRIPT = r"""
import json, sys, warnings
import rasterio
warnings.simplefilter("ignore")
out = {"gdal": rasterio.__gdal_version__, "stores": {}}
for store, assets in json.loads(sys.argv[1]).items():
    found = out["stores"][store] = {}
    for asset in assets:
        with rasterio.open(f'ZARR:"{store}":/{asset}') as ds:
            found[asset] = {
                "epsg": ds.crs.to_epsg(), "transform": list(ds.transform)[:6],
                "nodata": ds.nodata, "dtype": ds.dtypes[0], "scale": ds.scales[0],
                "offset": ds.offsets[0], "values": ds.read().astype(float).tolist(),
                "bands": [ds.tags(b) for b in range(1, ds.count + 1)],
            }
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def gdal(suite: dict[str, Path]) -> dict[str, Any]:
    if not GDAL_312.exists():
        pytest.skip("no .venv-gdal (GDAL >= 3.12)")
    wanted = {
        str(suite[case]): [_asset(k, v) for k in range(LEVELS) for v in _variables(case)]
        for case in CASES
    }
    done = subprocess.run(
        [str(GDAL_312), "-c", GDAL_SCRIPT, json.dumps(wanted)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    found: dict[str, Any] = json.loads(line[len("RESULT ") :])
    assert tuple(int(p) for p in found["gdal"].split(".")[:2]) >= (3, 12)
    return found


def _gdal_decoded(seen: dict[str, Any]) -> np.ndarray:
    raw = np.array(seen["values"], dtype=np.float64)
    if seen["nodata"] is not None:
        raw = np.where(raw == seen["nodata"], np.nan, raw)
    return raw * seen["scale"] + seen["offset"]


def _gdal_dimension(bands: list[dict[str, str]], dim: str) -> np.ndarray:
    """Decode GDAL's ``DIM_<dim>_VALUE`` / ``_UNIT`` band metadata as CF would."""
    values = np.array([float(b[f"DIM_{dim}_VALUE"]) for b in bands])
    units = {b.get(f"DIM_{dim}_UNIT") for b in bands}
    assert len(units) == 1
    (unit,) = units
    if unit and " since " in unit:
        return np.asarray(xr.coding.times.decode_cf_datetime(values, unit))
    return values


@pytest.mark.parametrize("case", CASES)
def test_gdal_312_reads_every_level(
    suite: dict[str, Path], gdal: dict[str, Any], case: str
) -> None:
    kind, _, _ = _case(case)
    store, first = suite[case], _variables(case)[0]
    found = gdal["stores"][str(store)]
    source = kind["build"]()
    for name in _variables(case):
        nodata = {found[_asset(k, name)]["nodata"] for k in range(LEVELS)}
        assert len(nodata) == 1, f"{name}: nodata differs between levels: {nodata}"
    for k, expected in enumerate(expected_levels(kind)):
        ours = geozarr.open(store, level=k)
        for name in _variables(case):
            seen = found[_asset(k, name)]
            assert seen["epsg"] == kind["epsg"]
            assert tuple(seen["transform"]) == pytest.approx(_level_transform(kind, k))
            decoded = _gdal_decoded(seen)
            np.testing.assert_allclose(decoded, ours[name].values, rtol=1e-6, atol=1e-9)
            if name == first:
                assert seen["nodata"] == kind["nodata"]
                np.testing.assert_allclose(decoded, expected, **_tolerance(kind, k))
            for coord in ("time", "band"):
                if coord in source.coords:
                    np.testing.assert_array_equal(
                        _gdal_dimension(seen["bands"], coord), source[coord].values
                    )
        if kind["nodata"] == FILL:
            packed = found[_asset(k, first)]
            assert packed["dtype"] == "int16"
            assert (packed["scale"], packed["offset"]) == pytest.approx((SCALE, OFFSET))


@pytest.mark.parametrize("case", CASES)
def test_validate_strict_exits_0(suite: dict[str, Path], case: str) -> None:
    done = CliRunner().invoke(validate_command, [str(suite[case]), "--strict"])
    assert done.exit_code == 0, done.output
