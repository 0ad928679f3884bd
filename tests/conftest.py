"""Shared fixtures: sample stores, and the same store served as directory, zip, http and s3."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.core.faults import FaultServer, serve_faults

from ngff_geozarr.core.testing import moto_s3_server, serve_directory
from ngff_geozarr.demo import build_samples

DATA = Path(__file__).parent / "data"
S3_CREDENTIALS = {"key": "testing", "secret": "testing"}


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo's OME-Zarr image and GeoZarr raster, built once."""
    return build_samples(tmp_path_factory.mktemp("samples"))


def _zip_store(directory: Path, destination: Path) -> Path:
    with zipfile.ZipFile(destination, "w") as zf:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(directory).as_posix())
    return destination


@pytest.fixture
def zip_store() -> Callable[[Path, Path], Path]:
    """Pack a directory store into a zip file, keys at the root of the archive."""
    return _zip_store


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server, on a free local port, for the whole session."""
    with moto_s3_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def s3_upload(s3_endpoint: str) -> Callable[..., str]:
    """Upload a directory store to the moto server (public-read unless ``public=False``)."""
    import s3fs

    made: set[str] = set()

    def upload(directory: Path, name: str, *, public: bool = True) -> str:
        acl = "public-read" if public else "private"
        fs = s3fs.S3FileSystem(
            client_kwargs={"endpoint_url": s3_endpoint},
            skip_instance_cache=True,
            s3_additional_kwargs={"ACL": acl},
            **S3_CREDENTIALS,
        )
        bucket = "stores" if public else "private-stores"
        if bucket not in made:
            fs.mkdir(bucket, acl=acl)
            made.add(bucket)
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                fs.put_file(str(path), f"{bucket}/{name}/{path.relative_to(directory).as_posix()}")
        return f"s3://{bucket}/{name}"

    return upload


@pytest.fixture
def s3_options(s3_endpoint: str) -> dict[str, Any]:
    """Storage options reaching the moto server anonymously."""
    return {"endpoint_url": s3_endpoint}


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP with listings: ``(folder, base URL)``."""
    with serve_directory(tmp_path) as (url, _):
        yield tmp_path, url


@pytest.fixture
def fault_server(tmp_path: Path) -> Iterator[FaultServer]:
    """A fault-injecting HTTP server (``tests/core/faults.py``) on an empty folder of the test's;
    ``put`` copies a store into it."""
    with serve_faults(tmp_path / "served") as server:
        yield server


@pytest.fixture
def copy_store(tmp_path: Path) -> Callable[[Path], Path]:
    """Copy a directory store into the test's folder so the test can alter it."""

    def copy(source: Path) -> Path:
        return Path(shutil.copytree(source, tmp_path / ("copy-" + source.name)))

    return copy


def write_imagej_hyperstack(path: Path, data: Any) -> None:
    """Write a TZCYX ImageJ hyperstack as Fiji saves one: 0.5 um pixels, 2 um z spacing,
    3 s frames, per-channel display ranges (10-200, 0-1000) and LUTs (magenta, green)."""
    import numpy as np
    import tifffile

    luts = []
    for colour in ((255, 0, 255), (0, 255, 0)):
        lut = np.zeros((3, 256), np.uint8)
        for k, top in enumerate(colour):
            lut[k] = np.linspace(0, top, 256).astype(np.uint8)
        luts.append(lut)
    tifffile.imwrite(
        path,
        data,
        imagej=True,
        resolution=(1 / 0.5, 1 / 0.5),
        metadata={
            "axes": "TZCYX",
            "spacing": 2.0,
            "unit": "um",
            "finterval": 3.0,
            "Ranges": (10.0, 200.0, 0.0, 1000.0),
            "LUTs": luts,
            "mode": "composite",
        },
    )
