"""The source's grid mapping keeps its name (CF §5.6): write, create, pyramid, convert.

CF lets a producer name its grid mapping variable as it likes; many CF files (and rioxarray
when asked) name it ``crs``. Whatever the source names it, every level we write names the
same variable, with the same attributes, and the data variables' ``grid_mapping`` says so.
Without a grid mapping in the source, the variable is ``spatial_ref`` (GDAL's and
rioxarray's default).
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
from pyproj import CRS
from tests.geozarr.stores import GEOZARR, create_from_netcdf, strict_issues

import geozarr
from geozarr.reproject import write_webmap_pyramid

rioxarray = pytest.importorskip("rioxarray")

UTM = CRS.from_epsg(32633)
pytestmark = [
    pytest.mark.filterwarnings("ignore:Consolidated metadata is currently not part"),
    pytest.mark.filterwarnings("ignore:Use `@` matmul:PendingDeprecationWarning"),
]


def cf_dataset(mapping: str = "crs", height: int = 32, width: int = 48) -> xr.Dataset:
    """Two variables sharing one grid mapping named ``mapping``, as a CF producer writes it."""
    rng = np.random.default_rng(3)
    gm = {"crs_wkt": UTM.to_wkt(), **UTM.to_cf(), "long_name": "CRS definition"}
    return xr.Dataset(
        {
            name: (
                ("y", "x"),
                rng.random((height, width)).astype(np.float32),
                {"units": "m", "grid_mapping": mapping},
            )
            for name in ("elevation", "slope")
        },
        coords={
            "y": 5_000_000.0 - 10.0 * (np.arange(height) + 0.5),
            "x": 400_000.0 + 10.0 * (np.arange(width) + 0.5),
            mapping: ((), 0, gm),
        },
    )


def documents(store: Path, path: str) -> dict[str, Any]:
    """The attributes of the array at ``path``, in either Zarr format."""
    v3 = store / path / "zarr.json"
    if v3.exists():
        return dict(json.loads(v3.read_text())["attributes"])
    return dict(json.loads((store / path / ".zattrs").read_text()))


def assert_mapping_kept(store: Path, name: str, source: xr.Dataset, levels: int) -> None:
    """At every level: the mapping named ``name`` only, named by every variable, same CRS."""
    others = {"crs", "spatial_ref"} - {name}
    for k in range(levels):
        group = "" if k == 0 else str(k)
        folder = store / group
        assert (folder / name).is_dir(), f"level {k}: no {name!r}"
        assert not any((folder / other).exists() for other in others), f"level {k}"
        with xr.open_zarr(store, group=group or None) as level:
            assert name in level.coords
            for var in source.data_vars:
                named = level[var].encoding.get(
                    "grid_mapping", level[var].attrs.get("grid_mapping")
                )
                assert named == name
            attrs = level[name].attrs
            # what the producer said is said again (the same values), plus GDAL's keys
            for key, value in source[name].attrs.items():
                assert attrs[key] == (pytest.approx(value) if isinstance(value, float) else value)
            assert CRS.from_wkt(attrs["crs_wkt"]) == UTM
    assert strict_issues(store) == []


@pytest.mark.parametrize("fmt", [2, 3])
def test_write_keeps_the_mapping_name_at_every_level(tmp_path: Path, fmt: int) -> None:
    source = cf_dataset("crs")
    out = tmp_path / "out.zarr"
    result = geozarr.write(source, out, zarr_format=fmt, levels=3, chunks=(8, 8))
    assert result.grid.grid_mapping == "crs"
    for var in ("elevation", "slope"):
        for path in result.levels[var]:
            attrs = documents(out, path)
            assert attrs["grid_mapping"] == "crs"
            assert "crs" in attrs["coordinates"].split()
    assert_mapping_kept(out, "crs", source, 3)
    level = geozarr.open(out, level=1)
    assert level.rio.crs.to_epsg() == 32633


def test_write_a_dataarray_keeps_its_mapping_name(tmp_path: Path) -> None:
    source = cf_dataset("lambert_projection")
    out = tmp_path / "out.zarr"
    geozarr.write(source["elevation"], out, levels=2, chunks=(8, 8))
    assert (out / "lambert_projection").is_dir()
    assert (out / "1" / "lambert_projection").is_dir()
    assert documents(out, "1/elevation")["grid_mapping"] == "lambert_projection"
    assert strict_issues(out) == []


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(np.zeros((16, 16), np.float32), id="numpy"),
        pytest.param(
            cf_dataset("crs").drop_vars("crs").assign_attrs(crs="EPSG:32633"), id="crs-attribute"
        ),
    ],
)
def test_without_a_mapping_in_the_source_it_is_spatial_ref(tmp_path: Path, source: Any) -> None:
    out = tmp_path / "out.zarr"
    kwargs: dict[str, Any] = {}
    if isinstance(source, np.ndarray):
        kwargs = {"crs": "EPSG:32633", "transform": (10, 0, 400_000, 0, -10, 5_000_000)}
    result = geozarr.write(source, out, levels=2, chunks=(8, 8), **kwargs)
    assert result.grid.grid_mapping == "spatial_ref"
    assert (out / "spatial_ref").is_dir()
    assert (out / "1" / "spatial_ref").is_dir()
    assert not (out / "crs").exists()
    assert strict_issues(out) == []


@pytest.mark.parametrize("fmt", [2, 3])
def test_pyramid_in_place_keeps_the_mapping_name(tmp_path: Path, fmt: int) -> None:
    source = cf_dataset("crs")
    store = tmp_path / "xr.zarr"
    source.to_zarr(store, zarr_format=fmt, consolidated=fmt == 2)
    geozarr.pyramid(store, levels=3)
    for k in (1, 2):
        assert documents(store, f"{k}/slope")["grid_mapping"] == "crs"
    assert_mapping_kept(store, "crs", source, 3)


def test_convert_keeps_the_mapping_name(tmp_path: Path) -> None:
    source = cf_dataset("crs")
    v3, v2 = tmp_path / "v3.zarr", tmp_path / "v2.zarr"
    geozarr.write(source, v3, levels=2, chunks=(8, 8))
    geozarr.convert(v3, v2, zarr_format=2)
    assert_mapping_kept(v2, "crs", source, 2)


def test_create_from_a_store_variable_keeps_the_mapping_name(tmp_path: Path) -> None:
    source = cf_dataset("crs")
    store = tmp_path / "src.zarr"
    source.to_zarr(store, zarr_format=3, consolidated=False)
    out = tmp_path / "out.zarr"
    done = subprocess.run(
        [GEOZARR, "create", f"{store}::elevation", str(out), "--levels", "2", "--chunks", "8,8"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert documents(out, "1/elevation")["grid_mapping"] == "crs"
    assert_mapping_kept(out, "crs", source[["elevation"]], 2)
    shutil.rmtree(store)


def test_a_crs_given_instead_replaces_the_source_words(tmp_path: Path) -> None:
    """The name stays; what the source's mapping said of its own CRS does not."""
    out = tmp_path / "out.zarr"
    geozarr.write(cf_dataset("crs"), out, crs="EPSG:32634", levels=2, chunks=(8, 8))
    for path in ("crs", "1/crs"):
        attrs = documents(out, path)
        assert CRS.from_wkt(attrs["crs_wkt"]).to_epsg() == 32634
        assert attrs["longitude_of_central_meridian"] == 21.0
        assert "long_name" not in attrs
    assert strict_issues(out) == []


def test_wkt1_and_extra_words_of_the_source_are_kept(tmp_path: Path) -> None:
    """GDAL's WKT1 ``spatial_ref`` and a producer's own attributes survive every level."""
    source = cf_dataset("crs")
    source["crs"].attrs = {
        "grid_mapping_name": "transverse_mercator",
        **UTM.to_cf(),
        "spatial_ref": UTM.to_wkt("WKT1_GDAL"),
        "comment": "from a model run",
    }
    del source["crs"].attrs["crs_wkt"]
    out = tmp_path / "out.zarr"
    geozarr.write(source, out, levels=2, chunks=(8, 8))
    assert_mapping_kept(out, "crs", source, 2)


@pytest.mark.parametrize("form", ["crs", "crs: x y", "crs: y x"])
@pytest.mark.parametrize("fmt", [2, 3])
def test_the_extended_grid_mapping_form_reads_as_the_plain_one_and_is_kept(
    tmp_path: Path, form: str, fmt: int
) -> None:
    """CF §5.6's ``"crs: x y"``: validated, opened for rioxarray, written, pyramided.

    Written and pyramided, the form stays as the source has it: with one mapping the
    extended form says that the coordinates it does not list are unrelated to it (CF §5.6).
    """
    source = cf_dataset("crs")
    for var in ("elevation", "slope"):
        source[var].attrs["grid_mapping"] = form
    store = tmp_path / "src.zarr"
    source.to_zarr(store, zarr_format=fmt, consolidated=False)
    assert strict_issues(store) == []
    base = geozarr.open(store)
    assert base.rio.crs.to_epsg() == 32633
    assert base["slope"].rio.crs.to_epsg() == 32633
    assert tuple(base.rio.transform())[:6] == pytest.approx(
        (10.0, 0.0, 400_000.0, 0.0, -10.0, 5_000_000.0)
    )
    out = tmp_path / "out.zarr"
    with xr.open_zarr(store, consolidated=False) as opened:
        geozarr.write(opened, out, levels=2, chunks=(8, 8))
    geozarr.pyramid(store, levels=2)
    for written in (out, store):
        assert documents(written, "1/slope")["grid_mapping"] == form
        assert strict_issues(written) == []
        level = geozarr.open(written, level=1)
        assert level.rio.crs.to_epsg() == 32633
    assert_mapping_kept(out, "crs", source.drop_vars(["elevation", "slope"]), 2)


def test_an_extended_form_naming_two_mappings_is_left_as_it_is(tmp_path: Path) -> None:
    source = cf_dataset("crs")
    source = source.assign_coords(other=source["crs"])
    source["slope"].attrs["grid_mapping"] = "crs: x other: y"
    store = tmp_path / "src.zarr"
    source.to_zarr(store, zarr_format=3, consolidated=False)
    opened = geozarr.open(store)
    assert opened["slope"].attrs["grid_mapping"] == "crs: x other: y"
    assert opened["elevation"].attrs["grid_mapping"] == "crs"


def test_create_from_a_netcdf_file_keeps_the_mapping_name(tmp_path: Path) -> None:
    source = cf_dataset("crs")
    out, done = create_from_netcdf(source, tmp_path, "--levels", "3", "--chunks", "8,8")
    assert done.returncode == 0, done.stderr
    assert_mapping_kept(out, "crs", source, 3)
    checked = subprocess.run(
        [GEOZARR, "validate", "--strict", "--for", "xarray,gdal-3.12", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout
    assert "0 errors, 0 warnings" in checked.stdout


def test_a_source_mapping_cf_rejects_is_rebuilt_from_its_crs(tmp_path: Path) -> None:
    """A parameter of the wrong type is not written again; the name still is."""
    source = cf_dataset("crs")
    source["crs"].attrs["false_easting"] = "500000"  # CF Appendix F: a number
    out = tmp_path / "out.zarr"
    geozarr.write(source, out, levels=2, chunks=(8, 8))
    for path in ("crs", "1/crs"):
        attrs = documents(out, path)
        assert attrs["false_easting"] == 500000.0
        assert "long_name" not in attrs
    assert strict_issues(out) == []


@pytest.mark.parametrize("to_crs", ["EPSG:3857", "EPSG:32633"])
def test_reprojection_keeps_the_mapping_name(tmp_path: Path, to_crs: str) -> None:
    """``pyramid --to-crs``: the name stays; the source's words only where the CRS does."""
    pytest.importorskip("rasterio")
    source = cf_dataset("crs", 64, 64)
    store, out = tmp_path / "src.zarr", tmp_path / "out.zarr"
    geozarr.write(source[["elevation"]], store, chunks=(32, 32))
    write_webmap_pyramid(store, out, to_crs=to_crs, tile_size=32, levels=None)
    for path in ("crs", "1/crs"):
        attrs = documents(out, path)
        assert CRS.from_wkt(attrs["crs_wkt"]) == CRS.from_user_input(to_crs)
        assert ("long_name" in attrs) == (to_crs == "EPSG:32633")
    assert documents(out, "1/elevation")["grid_mapping"] == "crs"
    assert not (out / "spatial_ref").exists()
    assert strict_issues(out) == []
