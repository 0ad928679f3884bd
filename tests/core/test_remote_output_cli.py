"""The writing commands with a remote target: ``ngff create``/``pyramid``/``convert`` and
``geozarr create``/``pyramid``/``convert`` write to ``s3://`` (the moto server) with the
``--storage-option`` the readers take; what they write validates under ``--strict`` read
back over S3; and a creation SIGKILLed part way, then finished by ``ngff create --resume``,
is byte for byte the store of an uninterrupted run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from tests.conftest import S3_CREDENTIALS

import geozarr.cli
import ngff.cli

CRASH = Path(__file__).parents[1] / "ngff" / "create_crash.py"
CREATE_OPTIONS = ["--chunks", "4,16,16", "--scale", "2,0.5,0.5", "--units", "micrometer"]


@pytest.fixture(scope="module")
def s3(s3_endpoint: str) -> Any:
    s3fs = pytest.importorskip("s3fs")
    fs = s3fs.S3FileSystem(
        client_kwargs={"endpoint_url": s3_endpoint}, skip_instance_cache=True, **S3_CREDENTIALS
    )
    fs.mkdir("outputs")
    return fs


@pytest.fixture(scope="module")
def options(s3_endpoint: str) -> list[str]:
    """The command-line form of the credentials and endpoint of the moto server."""
    pairs = {"endpoint_url": s3_endpoint, **S3_CREDENTIALS}
    return [arg for key, value in pairs.items() for arg in ("--storage-option", f"{key}={value}")]


def run(group: Any, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(group, list(args))
    return result.exit_code, result.output


def objects(fs: Any, prefix: str) -> dict[str, bytes]:
    fs.invalidate_cache()
    return {key[len(prefix) :]: fs.cat_file(key) for key in sorted(fs.find(prefix))}


def strict_verdict(group: Any, target: str, options: list[str]) -> dict[str, Any]:
    code, output = run(group, "validate", target, "--strict", "--format", "json", *options)
    report: dict[str, Any] = json.loads(output)
    assert code == 0, output
    return report


@pytest.fixture(scope="module")
def volume(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("remote-output") / "vol.npy"
    rng = np.random.default_rng(5)
    np.save(path, rng.integers(0, 40000, size=(10, 80, 72), dtype=np.uint16))
    return path


def test_ngff_create_pyramid_and_convert_write_to_s3(
    s3: Any, options: list[str], volume: Path, tmp_path: Path
) -> None:
    target = "s3://outputs/created.ome.zarr"
    code, output = run(
        ngff.cli.cli, "create", str(volume), target, *CREATE_OPTIONS, "--quiet", *options
    )
    assert code == 0, output
    assert strict_verdict(ngff.cli.cli, target, options)["valid"] is True
    local = tmp_path / "local.ome.zarr"
    code, output = run(ngff.cli.cli, "create", str(volume), str(local), *CREATE_OPTIONS, "--quiet")
    assert code == 0, output
    written = objects(s3, "outputs/created.ome.zarr/")
    assert written == {
        p.relative_to(local).as_posix(): p.read_bytes() for p in local.rglob("*") if p.is_file()
    }

    # level 0 only, then the levels added on S3
    base = "s3://outputs/base.ome.zarr"
    code, output = run(
        ngff.cli.cli,
        "create",
        str(volume),
        base,
        *CREATE_OPTIONS,
        "--levels",
        "1",
        "--quiet",
        *options,
    )
    assert code == 0, output
    code, output = run(ngff.cli.cli, "pyramid", base, "--quiet", *options)
    assert code == 0, output
    assert "3 levels" in output or "levels" in output
    assert strict_verdict(ngff.cli.cli, base, options)["valid"] is True

    # metadata converted from one S3 store into another
    code, output = run(
        ngff.cli.cli,
        "convert",
        target,
        "--to",
        "0.4",
        "--out",
        "s3://outputs/as-04.ome.zarr",
        *options,
    )
    assert code == 0, output
    report = strict_verdict(ngff.cli.cli, "s3://outputs/as-04.ome.zarr", options)
    assert report["valid"] is True


def test_without_credentials_the_write_is_one_line_and_exit_2(
    s3_endpoint: str, volume: Path
) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("ngff")),
            "create",
            str(volume),
            "s3://no-such-bucket/x.ome.zarr",
            "--storage-option",
            f"endpoint_url={s3_endpoint}",
            "--storage-option",
            "anon=true",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_killed_s3_creation_resumed_by_the_command_equals_a_clean_run(
    s3: Any, s3_endpoint: str, options: list[str], volume: Path
) -> None:
    clean = "s3://outputs/clean.ome.zarr"
    code, output = run(
        ngff.cli.cli, "create", str(volume), clean, *CREATE_OPTIONS, "--quiet", *options
    )
    assert code == 0, output
    target = "s3://outputs/killed.ome.zarr"
    storage = json.dumps({"endpoint_url": s3_endpoint, **S3_CREDENTIALS})
    killed = subprocess.run(
        [sys.executable, str(CRASH), str(volume), target, "7", "fresh", storage],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    code, output = run(ngff.cli.cli, "validate", target, "--format", "json", *options)
    assert code != 0
    assert json.loads(output).get("valid") is not True
    # the write's record, left on S3, names the interrupted write and its --resume
    (left,) = [i for i in json.loads(output)["issues"] if i["rule"] == "target.write-interrupted"]
    assert "--resume" in left["message"]
    assert objects(s3, "outputs/killed.ome.zarr/")  # some chunks were written
    other = volume.with_name("other.npy")
    np.save(other, np.zeros(np.load(volume, mmap_mode="r").shape, np.uint16))
    written = objects(s3, "outputs/killed.ome.zarr/")
    code, output = run(
        ngff.cli.cli, "create", str(other), target, *CREATE_OPTIONS, "--resume", *options
    )
    assert code == 2, output  # another source than the interrupted run's: nothing written
    assert "--resume expects the source" in output
    assert objects(s3, "outputs/killed.ome.zarr/") == written
    code, output = run(
        ngff.cli.cli,
        "create",
        str(volume),
        target,
        *CREATE_OPTIONS,
        "--resume",
        "--quiet",
        *options,
    )
    assert code == 0, output
    assert objects(s3, "outputs/killed.ome.zarr/") == objects(s3, "outputs/clean.ome.zarr/")
    assert strict_verdict(ngff.cli.cli, target, options)["valid"] is True


def test_geozarr_create_pyramid_and_convert_write_to_s3(
    s3: Any, options: list[str], tmp_path: Path
) -> None:
    raster = tmp_path / "dem.npy"
    rng = np.random.default_rng(3)
    np.save(raster, rng.normal(500, 50, size=(96, 128)).astype("float32"))
    target = "s3://outputs/dem.zarr"
    geo = ["--crs", "EPSG:32632", "--transform", "30,0,500000,0,-30,4000000", "--chunks", "32,32"]
    code, output = run(geozarr.cli.cli, "create", str(raster), target, *geo, "--quiet", *options)
    assert code == 0, output
    code, output = run(geozarr.cli.cli, "pyramid", target, "--quiet", *options)
    assert code == 0, output
    assert strict_verdict(geozarr.cli.cli, target, options)["valid"] is True
    code, output = run(
        geozarr.cli.cli,
        "convert",
        target,
        "s3://outputs/dem-v2.zarr",
        "--zarr-format",
        "2",
        "--quiet",
        *options,
    )
    assert code == 0, output
    assert strict_verdict(geozarr.cli.cli, "s3://outputs/dem-v2.zarr", options)["valid"] is True
    # the levels written on S3 are the ones a local run writes
    local = tmp_path / "dem.zarr"
    assert run(geozarr.cli.cli, "create", str(raster), str(local), *geo, "--quiet")[0] == 0
    assert run(geozarr.cli.cli, "pyramid", str(local), "--quiet")[0] == 0
    remote = objects(s3, "outputs/dem.zarr/")
    here = {
        p.relative_to(local).as_posix(): p.read_bytes() for p in local.rglob("*") if p.is_file()
    }
    assert sorted(remote) == sorted(here)
    chunks = [key for key in here if "/c/" in key]
    assert chunks
    assert all(remote[key] == here[key] for key in chunks)
