"""Faults as users meet them, through the console scripts: zips with directory entries,
unreachable targets, missing report targets, NetCDF given where a store is expected."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from ngff_geozarr.core.store import open_store
from ngff_geozarr.core.testing import free_port, moto_s3_server

BIN = Path(sys.executable).parent


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )


def one_line_failure(result: subprocess.CompletedProcess[str], command: str) -> str:
    """The single stderr line of a failure with exit code 2."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{command}: error: "), lines[0]
    return lines[0]


# -- zip files with directory entries ------------------------------------------------------


def zip_with_directories(directory: Path, destination: Path) -> Path:
    """Zip a store as ``zip -r`` does: an entry per directory, then its files."""
    with zipfile.ZipFile(destination, "w") as zf:
        for path in sorted(directory.rglob("*")):
            name = path.relative_to(directory).as_posix()
            if path.is_dir():
                zf.writestr(name + "/", b"")
            else:
                zf.write(path, name)
    with zipfile.ZipFile(destination) as zf:
        assert any(n.endswith("/") for n in zf.namelist())
    return destination


def zip_binary(directory: Path, destination: Path) -> Path:
    subprocess.run(
        ["zip", "-q", "-r", str(destination), "."], cwd=directory, check=True, timeout=60
    )
    return destination


ZIPPERS: list[Callable[[Path, Path], Path]] = [zip_with_directories]
if shutil.which("zip"):
    ZIPPERS.append(zip_binary)


@pytest.mark.parametrize("zipper", ZIPPERS, ids=lambda z: z.__name__)
def test_zip_with_directory_entries_lists_only_keys(
    samples: tuple[Path, Path], tmp_path: Path, zipper: Callable[[Path, Path], Path]
) -> None:
    archive = zipper(samples[0], tmp_path / "cells.zip")
    with open_store(archive) as handle:
        keys = handle.list_keys()
        below = handle.list_keys("0")
    expected = sorted(
        p.relative_to(samples[0]).as_posix() for p in samples[0].rglob("*") if p.is_file()
    )
    assert keys == expected
    assert below == [k for k in expected if k.startswith("0/")]


@pytest.mark.parametrize("zipper", ZIPPERS, ids=lambda z: z.__name__)
def test_convert_reads_a_zip_with_directory_entries(
    samples: tuple[Path, Path], tmp_path: Path, zipper: Callable[[Path, Path], Path]
) -> None:
    cells = zipper(samples[0], tmp_path / "cells.zip")
    elevation = zipper(samples[1], tmp_path / "elevation.zip")
    ome = run("ngff", "convert", str(cells), "--to", "0.4", "--out", str(tmp_path / "c.zarr"))
    assert ome.returncode == 0, ome.stderr
    geo = run("geozarr", "convert", str(elevation), str(tmp_path / "e.zarr"), "--zarr-format", "2")
    assert geo.returncode == 0, geo.stderr
    checked = run("ngff", "validate", str(tmp_path / "c.zarr"), "--format", "json")
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout)["version"] == "0.4"
    geo_checked = run("geozarr", "validate", str(tmp_path / "e.zarr"))
    assert geo_checked.returncode == 0, geo_checked.stdout
    chunks = [p for p in (tmp_path / "e.zarr" / "elevation").rglob("*") if p.is_file()]
    assert {p.name for p in chunks} > {".zarray", ".zattrs"}  # the chunks were copied


# -- unreachable targets -------------------------------------------------------------------


def commands(target: str, tmp_path: Path, npy: Path) -> list[list[str]]:
    """Every command that reads or writes a target, aimed at ``target``."""
    out = tmp_path / "out"
    return [
        ["ngff", "validate", target],
        ["ngff", "info", target],
        ["ngff", "report", target, "-o", str(out / "ngff.html")],
        ["ngff", "convert", target, "--to", "0.4", "--out", str(out / "ngff.zarr")],
        ["ngff", "create", str(npy), target],
        ["geozarr", "validate", target],
        ["geozarr", "info", target],
        ["geozarr", "report", target, "-o", str(out / "geo.html")],
        ["geozarr", "convert", target, str(out / "geo.zarr"), "--zarr-format", "2"],
        [
            "geozarr",
            "create",
            str(npy),
            target,
            "--crs",
            "EPSG:4326",
            "--transform",
            "1,0,0,0,-1,0",
        ],
        ["geozarr", "pyramid", target],
    ]


def assert_every_command_fails_in_one_line(
    target: str, tmp_path: Path, env: dict[str, str] | None = None
) -> None:
    npy = tmp_path / "image.npy"
    np.save(npy, np.zeros((2, 8, 8), np.uint8))
    (tmp_path / "out").mkdir()
    todo = commands(target, tmp_path, npy)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda args: run(*args, env=env), todo))
    for args, result in zip(todo, results, strict=True):
        line = one_line_failure(result, args[0])
        assert target in line, (args, line)
    assert list((tmp_path / "out").iterdir()) == []  # no page, no store


def test_closed_http_port_is_one_line_for_every_command(tmp_path: Path) -> None:
    assert_every_command_fails_in_one_line(f"http://127.0.0.1:{free_port()}/x.zarr", tmp_path)


def test_stopped_s3_endpoint_is_one_line_for_every_command(tmp_path: Path) -> None:
    """The endpoint was a moto server a moment ago; s3fs's sessions must not outlive the run."""
    with moto_s3_server() as endpoint:
        pass
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    assert_every_command_fails_in_one_line("s3://stores/x.zarr", tmp_path, env)


# -- report of a missing target; NetCDF where a store is expected ---------------------------


@pytest.mark.parametrize("command", ["ngff", "geozarr"])
def test_report_of_a_missing_target_writes_no_page(command: str, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    result = run(command, "report", str(tmp_path / "nope.zarr"), "-o", str(page))
    line = one_line_failure(result, command)
    assert "no such file" in line
    assert result.stdout == ""
    assert not page.exists()


@pytest.mark.parametrize("engine", ["scipy", "h5netcdf"])
def test_netcdf_input_is_named_with_what_to_do(engine: str, tmp_path: Path) -> None:
    pytest.importorskip(engine)
    xr = pytest.importorskip("xarray")
    path = tmp_path / "sst.nc"
    data = np.zeros((3, 4), np.float32)
    xr.Dataset({"sst": (("lat", "lon"), data)}).to_netcdf(path, engine=engine)
    for command in ("geozarr", "ngff"):
        result = run(command, "validate", str(path))
        line = one_line_failure(result, command)
        assert "NetCDF" in line
        assert "read it with xarray and write it with geozarr.write" in line
        assert "not UTF-8" not in line
    report = run("geozarr", "report", str(path), "-o", str(tmp_path / "page.html"))
    assert "NetCDF" in one_line_failure(report, "geozarr")
    assert not (tmp_path / "page.html").exists()


def test_a_tiff_given_as_target_is_named(tmp_path: Path) -> None:
    import importlib

    tifffile = pytest.importorskip("tifffile")
    path = tmp_path / "cells.tif"
    tifffile.imwrite(path, np.zeros((8, 8), np.uint8))
    report = importlib.import_module("ngff.validate").validate(path)
    assert (report.readable, report.exit_code) == (False, 2)
    assert "a TIFF file, not a Zarr store" in report.issues[0].message
    assert "create command" in report.issues[0].message
