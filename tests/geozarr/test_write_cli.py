"""``geozarr create`` and ``geozarr pyramid`` as users run them (the real console script)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import geozarr
from ngff_geozarr.core.store import open_store

GEOZARR = str(Path(sys.executable).parent / "geozarr")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GEOZARR, *args], capture_output=True, text=True, timeout=120, check=False
    )


def _read(store: Path, path: str) -> np.ndarray:
    with open_store(store) as handle:
        array = handle.open_array(path)
        return array.read(tuple(slice(0, n) for n in array.shape))


def test_create_from_npy_then_pyramid(tmp_path: Path) -> None:
    data = np.linspace(0, 1, 50 * 70, dtype=np.float32).reshape(50, 70)
    np.save(tmp_path / "in.npy", data)
    out = tmp_path / "out.zarr"
    done = run(
        "create",
        str(tmp_path / "in.npy"),
        str(out),
        "--crs",
        "EPSG:32632",
        "--transform",
        "10,0,500000,0,-10,5000000",
        "--chunks",
        "16,16",
        "--name",
        "dem",
        "--compression",
        "zstd:2",
    )
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(_read(out, "dem"), data)
    codecs = json.loads((out / "dem" / "zarr.json").read_text())["codecs"]
    assert codecs[1] == {"name": "zstd", "configuration": {"level": 2, "checksum": False}}
    done = run("pyramid", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "4 levels of dem (mean): 50x70, 25x35, 13x18, 7x9" in done.stdout
    assert list(geozarr.validate(out).issues) == []
    consolidated = json.loads((out / "zarr.json").read_text())["consolidated_metadata"]
    assert "3/dem" in consolidated["metadata"]  # written again after the levels


def test_create_from_geotiff(tmp_path: Path) -> None:
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import Affine

    data = np.arange(30 * 40, dtype=np.int16).reshape(30, 40)
    tif = tmp_path / "in.tif"
    profile = {
        "driver": "GTiff",
        "height": 30,
        "width": 40,
        "count": 1,
        "dtype": "int16",
        "crs": "EPSG:3035",
        "transform": Affine(100, 0, 4e6, 0, -100, 3e6),
        "nodata": -1,
    }
    with rasterio.open(tif, "w", **profile) as ds:
        ds.write(data, 1)
    out = tmp_path / "tif.zarr"
    done = run("create", str(tif), str(out), "--zarr-format", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(_read(out, "data"), data)
    with rasterio.open(f'ZARR:"{out}":/data') as ds:
        assert ds.crs.to_epsg() == 3035
        assert tuple(ds.transform)[:6] == (100, 0, 4e6, 0, -100, 3e6)
        assert ds.nodata == -1
    assert list(geozarr.validate(out).issues) == []


def test_create_from_zarr_array(tmp_path: Path) -> None:
    src = tmp_path / "plain.zarr"
    with open_store(src, "w-") as store:
        store.create_array("a", np.ones((9, 9), np.float32))
    out = tmp_path / "geo.zarr"
    done = run(
        "create",
        f"{src}::a",
        str(out),
        "--crs",
        "EPSG:4326",
        "--transform",
        "1 0 0 0 -1 9",
        "--levels",
        "auto",
        "--chunks",
        "4,4",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    assert _read(out, "1/data").shape == (5, 5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "missing.npy", "o.zarr"], "no such file"),
        (["create", "in.npy", "o.zarr"], "needs --crs and --transform"),
        (
            ["create", "in.npy", "o.zarr", "--crs", "EPSG:4326", "--transform", "1,2"],
            "6 finite numbers",
        ),
        (["pyramid", "nothing.zarr"], "no such file"),
        (["create", "in.npy", "o.zarr", "--compression", "lz4"], "compression among"),
    ],
    ids=["missing-input", "npy-without-crs", "bad-transform", "missing-target", "bad-codec"],
)
def test_mistakes_are_one_line_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    np.save(tmp_path / "in.npy", np.zeros((4, 4), np.float32))
    done = subprocess.run(
        [GEOZARR, *args], capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stderr.strip().count("\n") == 0


@pytest.mark.parametrize("code", [3413, 3031, 3995])
def test_create_from_a_polar_geotiff_validates_clean(tmp_path: Path, code: int) -> None:
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import Affine

    tif = tmp_path / "polar.tif"
    profile = {
        "driver": "GTiff",
        "height": 40,
        "width": 30,
        "count": 1,
        "dtype": "float32",
        "crs": f"EPSG:{code}",
        "transform": Affine(1000, 0, -15_000, 0, -1000, 20_000),
    }
    with rasterio.open(tif, "w", **profile) as ds:
        ds.write(np.ones((40, 30), np.float32), 1)
    out = tmp_path / "polar.zarr"
    done = run("create", str(tif), str(out), "--chunks", "16,16", "--levels", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    done = run("validate", str(out), "--format", "json")
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout)["issues"] == []
