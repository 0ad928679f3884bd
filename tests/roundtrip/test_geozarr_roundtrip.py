"""The round-trip law for GeoZarr: rasters, datasets and pyramids.

Every store written validates under the strict profile (0 errors, 0 warnings) and reads back
through xarray equal to the request: the values (raw, and masked where they equal the nodata
value), the pixel-centre coordinates of the transform, the CRS through the grid mapping
variable, the attributes asked for.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS, Transformer
from tests.roundtrip.conftest import (
    CRSS,
    ROUNDTRIP,
    assert_strictly_valid,
    chunk_digests,
    documents,
    examples,
    geo_rasters,
)

import geozarr
from geozarr.cli import cli as geozarr_cli
from geozarr.write import WriteResult


def open_dataset(root: Path, **kwargs: Any) -> xr.Dataset:
    """Open a written store with xarray, as a user would."""
    return xr.open_zarr(root, consolidated=False, **kwargs)


def write(case: dict[str, Any], root: Path, **extra: Any) -> WriteResult:
    """Write the case's variables (a DataArray for one, a Dataset for several)."""
    variables = case["variables"]
    if len(variables) == 1:
        (name, values), *_ = variables.items()
        data: Any = values
        extra.setdefault("dims", case["dims"])
        extra.setdefault("name", name)
    else:
        data = xr.Dataset({k: (case["dims"], v) for k, v in variables.items()})
    return geozarr.write(
        data,
        root,
        crs=case["crs"],
        transform=case["transform"],
        nodata=case["nodata"],
        zarr_format=case["zarr_format"],
        chunks=case["chunks"],
        attributes=case["attributes"],
        variable_attributes=case["variable_attributes"],
        **extra,
    )


def check_reads_back(root: Path, case: dict[str, Any]) -> None:
    """Values, coordinates, CRS and attributes as requested."""
    raw = open_dataset(root, mask_and_scale=False)
    decoded = open_dataset(root)
    a, _, x0, _, e, y0 = case["transform"]
    any_values = next(iter(case["variables"].values()))
    height, width = any_values.shape[-2:]
    np.testing.assert_allclose(decoded["x"].values, x0 + (np.arange(width) + 0.5) * a)
    np.testing.assert_allclose(decoded["y"].values, y0 + (np.arange(height) + 0.5) * e)
    for key, value in case["attributes"].items():
        assert decoded.attrs[key] == value
    nodata = case["nodata"]
    for name, values in case["variables"].items():
        assert raw[name].dims == case["dims"]
        np.testing.assert_array_equal(raw[name].values, values)
        assert raw[name].dtype == values.dtype
        for key, value in case["variable_attributes"].items():
            assert decoded[name].attrs[key] == value
        mapping = decoded[name].encoding.get("grid_mapping") or decoded[name].attrs.get(
            "grid_mapping"
        )
        crs = CRS.from_wkt(decoded[mapping].attrs["crs_wkt"])
        assert crs == CRS.from_user_input(case["crs"])
        masked = decoded[name].values
        if nodata is None and values.dtype.kind != "f":
            np.testing.assert_array_equal(masked, values)
            continue
        # nodata (NaN by default for floats) is masked; every other value reads as written
        hole = np.isnan(values) if nodata is None or math.isnan(nodata) else values == nodata
        assert np.isnan(masked[hole]).all()
        np.testing.assert_allclose(masked[~hole], values[~hole])


# every CRS is a case of its own: hypothesis's derandomized draws would skip some
@pytest.mark.parametrize("crs", CRSS)
def test_write_validates_strictly_and_reads_back(crs: str) -> None:
    @settings(ROUNDTRIP, max_examples=examples(7))
    @given(case=geo_rasters((crs,)))
    def law(case: dict[str, Any]) -> None:
        _written_validates_and_reads_back(case)

    law()


def _written_validates_and_reads_back(case: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "raster.zarr"
        write(case, root)
        assert_strictly_valid(root, "geozarr", case)
        check_reads_back(root, case)


@pytest.mark.parametrize("crs", CRSS)
def test_pyramid_validates_strictly_and_equals_writing_it_at_once(crs: str) -> None:
    @settings(ROUNDTRIP, max_examples=examples(3))
    @given(case=geo_rasters((crs,)), levels=st.integers(2, 3), via_cli=st.booleans())
    def law(case: dict[str, Any], levels: int, via_cli: bool) -> None:
        _pyramid_validates_and_equals_one_pass(case, levels, via_cli)

    law()


def _pyramid_validates_and_equals_one_pass(
    case: dict[str, Any], levels: int, via_cli: bool
) -> None:
    case = {**case, "variables": dict(list(case["variables"].items())[:1])}  # one variable
    name = next(iter(case["variables"]))
    with tempfile.TemporaryDirectory() as tmp:
        later, once = Path(tmp) / "later.zarr", Path(tmp) / "once.zarr"
        write(case, later)
        if via_cli:  # geozarr pyramid, through the command line's main group
            args = ["pyramid", str(later), "--levels", str(levels), "--min-extent", "1"]
            run = CliRunner().invoke(geozarr_cli, [*args, "--quiet"])
            assert run.exit_code == 0, run.output
            paths = (name, *(f"{k}/{name}" for k in range(1, levels)))
        else:
            paths = geozarr.pyramid(later, levels=levels, min_extent=1).paths
        assert_strictly_valid(later, "geozarr", case)
        check_reads_back(later, case)  # the base and the root's attributes are untouched
        write(case, once, levels=levels, min_extent=1)
        assert_strictly_valid(once, "geozarr", case)
        assert documents(once) == documents(later)
        assert chunk_digests(once) == chunk_digests(later)
        # each level is a GeoZarr raster of its own: halved, its pixels twice the size
        assert paths[0] == name
        assert len(paths) == levels
        base = case["variables"][name]
        a, _, x0, _, e, y0 = case["transform"]
        for k, path in enumerate(paths[1:], start=1):
            group, _, array = path.rpartition("/")
            assert array == name
            level = open_dataset(later / group)
            height, width = level[name].shape[-2:]
            assert (height, width) == tuple(-(-n // 2**k) for n in base.shape[-2:])
            assert math.isclose(level["x"].values[0], x0 + 2**k * a / 2)
            assert math.isclose(level["y"].values[0], y0 + 2**k * e / 2)


# -- 2-D auxiliary coordinates (CF §5.6's extended grid_mapping form) ---------------------

WGS84 = CRS.from_epsg(4326)
EXTENDED = "crs: x y crs_wgs84: lat lon"


def _lonlat(crs: CRS, x: Any, y: Any) -> tuple[Any, Any]:
    xx, yy = np.meshgrid(np.asarray(x, np.float64), np.asarray(y, np.float64))
    return Transformer.from_crs(crs, WGS84, always_xy=True).transform(xx, yy)  # type: ignore[no-any-return]


def _curvilinear(case: dict[str, Any]) -> xr.Dataset:
    """The case's variables with x / y, 2-D lat / lon and both grid mappings, as CF says."""
    a, _, x0, _, e, y0 = case["transform"]
    height, width = next(iter(case["variables"].values())).shape[-2:]
    x = x0 + (np.arange(width) + 0.5) * a
    y = y0 + (np.arange(height) + 0.5) * e
    crs = CRS.from_user_input(case["crs"])
    lon, lat = _lonlat(crs, x, y)
    attrs = {**case["variable_attributes"], "grid_mapping": EXTENDED}
    dataset = xr.Dataset(
        {name: (case["dims"], values, attrs) for name, values in case["variables"].items()},
        coords={
            "y": y,
            "x": x,
            "lat": (("y", "x"), lat, {"standard_name": "latitude", "units": "degrees_north"}),
            "lon": (("y", "x"), lon, {"standard_name": "longitude", "units": "degrees_east"}),
            "crs": ((), 0, {"crs_wkt": crs.to_wkt(), **crs.to_cf()}),
            "crs_wgs84": ((), 0, {"crs_wkt": WGS84.to_wkt(), **WGS84.to_cf()}),
        },
    )
    if case["nodata"] is not None:
        for name in case["variables"]:
            dataset[name].encoding["_FillValue"] = case["nodata"]
    return dataset


@pytest.mark.parametrize("crs", CRSS)
def test_auxiliary_coordinates_are_kept_at_every_level(crs: str) -> None:
    """Written or pyramided in place: lat / lon at level 0 as given, at each level's block
    centres (where its x / y are) above it, the extended form kept, nothing dangling."""

    @settings(ROUNDTRIP, max_examples=examples(2))
    @given(case=geo_rasters((crs,)), levels=st.integers(1, 3), in_place=st.booleans())
    def law(case: dict[str, Any], levels: int, in_place: bool) -> None:
        _auxiliary_coordinates_kept(case, levels, in_place)

    law()


def _auxiliary_coordinates_kept(case: dict[str, Any], levels: int, in_place: bool) -> None:
    source = _curvilinear(case)
    crs = CRS.from_user_input(case["crs"])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "aux.zarr"
        if in_place:
            source.to_zarr(root, zarr_format=case["zarr_format"], consolidated=False)
            geozarr.pyramid(root, levels=max(levels, 2), min_extent=1)
        else:
            geozarr.write(
                source,
                root,
                zarr_format=case["zarr_format"],
                chunks=case["chunks"],
                levels=levels,
                min_extent=1,
            )
        assert_strictly_valid(root, "geozarr", case)
        base = open_dataset(root)
        for name in ("lat", "lon"):
            np.testing.assert_array_equal(base[name].values, source[name].values)
        levels_written = (p.name for p in root.iterdir() if p.is_dir() and p.name.isdigit())
        for group in ["", *sorted(levels_written, key=int)]:
            level = open_dataset(root, group=group or None)
            for name in case["variables"]:
                assert level[name].attrs["grid_mapping"] == EXTENDED
                assert {"lat", "lon", "crs", "crs_wgs84"} <= set(level[name].coords)
            lon, lat = _lonlat(crs, level["x"].values, level["y"].values)
            np.testing.assert_allclose(level["lat"].values, lat, atol=1e-6)
            wrapped = (level["lon"].values - lon + 180.0) % 360.0 - 180.0
            np.testing.assert_allclose(wrapped, 0.0, atol=1e-6)
