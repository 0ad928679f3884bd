"""A source that declares more elements than a 64-bit index addresses (a corrupt or hostile
array document) is refused in one line before anything is written: nothing is allocated,
no tile is enumerated, no folder is left."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr

import geozarr
import ngff
from geozarr.write import GeoWriteError
from ngff_geozarr.core.errors import NgffGeozarrError

BIN = Path(sys.executable).parent


def huge(tmp_path: Path) -> Path:
    """A Zarr array of 10^12 x 10^12 bytes: its document only, one chunk written."""
    path = tmp_path / "huge.zarr"
    array = zarr.create_array(path, shape=(10**12, 10**12), chunks=(256, 256), dtype="uint8")
    array[:2, :2] = np.ones((2, 2), np.uint8)
    return path


def test_the_writers_refuse_it_and_write_nothing(tmp_path: Path) -> None:
    source = zarr.open_array(huge(tmp_path), mode="r")
    with pytest.raises(NgffGeozarrError, match="64-bit index"):
        ngff.write_image(source, tmp_path / "out.ome.zarr")
    with pytest.raises(GeoWriteError, match="64-bit index"):
        geozarr.write(source, tmp_path / "out.zarr", crs="EPSG:4326", transform=(1, 0, 0, 0, -1, 0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.zarr"]


@pytest.mark.parametrize(
    "command",
    [
        ["ngff", "create"],
        ["geozarr", "create", "--crs", "EPSG:4326", "--transform", "1,0,0,0,-1,0"],
    ],
)
def test_create_says_so_in_one_line(tmp_path: Path, command: list[str]) -> None:
    source = huge(tmp_path)
    out = tmp_path / "out.zarr"
    done = subprocess.run(
        [str(BIN / command[0]), command[1], str(source), str(out), *command[2:]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "64-bit index" in done.stderr
    assert not out.exists()
