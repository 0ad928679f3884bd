"""The one input-reader layer: every format read once, the same Source for both conventions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner

import geozarr
import ngff
from geozarr.cli import cli as geozarr_cli
from ngff.cli import cli as ngff_cli
from ngff.create import CreationError
from ngff.create.sources import open_source
from ngff_geozarr.core.inputs import InputError, Source, open_input
from ngff_geozarr.core.store import open_store

DATA = np.arange(2 * 12 * 16, dtype=np.uint16).reshape(2, 12, 16)


def _geotiff(path: Path, data: np.ndarray) -> Path:
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import Affine

    profile = {
        "driver": "GTiff",
        "height": data.shape[-2],
        "width": data.shape[-1],
        "count": 1 if data.ndim == 2 else data.shape[0],
        "dtype": str(data.dtype),
        "crs": "EPSG:32632",
        "transform": Affine(10, 0, 500000, 0, -10, 5000000),
        "nodata": 0,
    }
    with rasterio.open(path, "w", **profile) as ds:
        if data.ndim == 2:
            ds.write(data, 1)
        else:
            ds.write(data)
    return path


def _zarr(path: Path) -> Path:
    with open_store(path, "w-") as store:
        store.create_array("a", DATA)
    return path


def test_tiff_has_its_axes_and_is_memory_mapped(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "a.tif", DATA, metadata={"axes": "ZYX"})
    source = open_input(tmp_path / "a.tif")
    assert (source.format, source.axes, source.shape) == ("tiff", "ZYX", DATA.shape)
    assert isinstance(source.data, np.memmap)
    assert source.crs is None
    np.testing.assert_array_equal(source.data, DATA)


def test_ome_tiff_has_physical_sizes_and_channel_names(tmp_path: Path) -> None:
    tif = tmp_path / "a.ome.tif"
    metadata = {
        "axes": "CYX",
        "PhysicalSizeX": 0.5,
        "PhysicalSizeY": 0.25,
        "Channel": {"Name": ["DAPI", "GFP"]},
    }
    tifffile.imwrite(tif, DATA, ome=True, metadata=metadata)
    source = open_input(tif)
    assert (source.format, source.axes) == ("ome-tiff", "CYX")
    assert source.calibration.scale == {"x": 0.5, "y": 0.25}
    assert source.calibration.units == {"x": "micrometer", "y": "micrometer"}
    assert source.channel_names == ("DAPI", "GFP")


def test_geotiff_has_crs_transform_and_nodata(tmp_path: Path) -> None:
    tif = _geotiff(tmp_path / "g.tif", DATA[0])
    source = open_input(tif, georeferenced=True)
    assert (source.format, source.axes, source.shape) == ("geotiff", "yx", (12, 16))
    assert source.crs is not None
    assert "32632" in source.crs
    assert source.transform == (10.0, 0.0, 500000.0, 0.0, -10.0, 5000000.0)
    assert source.nodata == 0
    several = open_input(_geotiff(tmp_path / "b.tif", DATA), georeferenced=True)
    assert (several.axes, several.shape) == ("cyx", DATA.shape)
    # the same file without georeferencing is a plain TIFF, read by tifffile
    assert open_input(tif).format == "tiff"


def test_npy_is_memory_mapped_without_axes(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", DATA)
    source = open_input(str(tmp_path / "a.npy"))
    assert isinstance(source, Source)
    assert (source.format, source.axes, source.dtype) == ("npy", None, np.dtype("uint16"))
    assert isinstance(source.data, np.memmap)


def test_zarr_array_by_store_and_path(tmp_path: Path) -> None:
    store = _zarr(tmp_path / "s.zarr")
    source = open_input(f"{store}::a")
    assert (source.format, source.shape) == ("zarr", DATA.shape)
    with pytest.raises(InputError, match=r"STORE::PATH"):
        open_input(f"{store}::nothing")


@pytest.mark.parametrize("name", ["nope.tif", "nope.npy"])
def test_a_missing_file_is_an_input_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="no such file"):
        open_input(tmp_path / name)
    # ngff keeps its own error class for the same failure
    with pytest.raises(CreationError, match="no such file"):
        open_source(tmp_path / name)


def test_a_broken_tiff_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "bad.tif").write_bytes(b"not a tiff at all")
    with pytest.raises(InputError, match="Could not read the TIFF file"):
        open_input(tmp_path / "bad.tif")


# -- every format through both CLIs --------------------------------------------------------


def _ngff_create(source: str, out: Path, *extra: str) -> np.ndarray:
    result = CliRunner().invoke(ngff_cli, ["create", source, str(out), "--quiet", *extra])
    assert result.exit_code == 0, result.output
    assert ngff.validate(out).valid
    with open_store(out) as handle:
        array = handle.open_array("0")
        return np.asarray(array.read(tuple(slice(0, n) for n in array.shape)))


def _geozarr_create(source: str, out: Path, *extra: str) -> np.ndarray:
    result = CliRunner().invoke(geozarr_cli, ["create", source, str(out), "--quiet", *extra])
    assert result.exit_code == 0, result.output
    assert geozarr.validate(out).valid
    with open_store(out) as handle:
        array = handle.open_array("data")
        return np.asarray(array.read(tuple(slice(0, n) for n in array.shape)))


GEO = ("--crs", "EPSG:32632", "--transform", "10,0,500000,0,-10,5000000")


@pytest.mark.parametrize("kind", ["tiff", "geotiff", "npy", "zarr"])
def test_each_format_through_both_clis(tmp_path: Path, kind: str) -> None:
    plane = DATA[0]
    if kind == "tiff":
        tifffile.imwrite(tmp_path / "in.tif", plane, metadata={"axes": "YX"})
        source, geo_extra = str(tmp_path / "in.tif"), GEO
    elif kind == "geotiff":
        source, geo_extra = str(_geotiff(tmp_path / "in.tif", plane)), ()
    elif kind == "npy":
        np.save(tmp_path / "in.npy", plane)
        source, geo_extra = str(tmp_path / "in.npy"), GEO
    else:
        with open_store(tmp_path / "in.zarr", "w-") as store:
            store.create_array("p", plane)
        source, geo_extra = f"{tmp_path / 'in.zarr'}::p", GEO
    ome = _ngff_create(source, tmp_path / "o.ome.zarr", "--axes", "yx")
    geo = _geozarr_create(source, tmp_path / "o.zarr", *geo_extra)
    np.testing.assert_array_equal(ome, plane)
    np.testing.assert_array_equal(geo, plane)


def test_geozarr_create_from_a_tiff_without_georeferencing_asks_for_it(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "in.tif", DATA[0])
    plain = open_input(tmp_path / "in.tif", georeferenced=True)
    assert (plain.crs, plain.transform) == (None, None)  # not rasterio's identity
    result = CliRunner().invoke(geozarr_cli, ["create", str(tmp_path / "in.tif"), "o.zarr"])
    assert result.exit_code == 2
    assert "needs --crs and --transform" in result.stderr
