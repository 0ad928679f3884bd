"""Plates and series collections are written under the store's write lock (issue 16).

A write that fails part way leaves the store marked incomplete, so that ``validate`` says so
instead of reporting a smaller plate or a few loose images; a second writer is refused.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import tifffile

import ngff
from ngff.create.collection import write_series_collection
from ngff_geozarr.core.errors import WriteLockError
from ngff_geozarr.core.store.writelock import INTERRUPTED_WRITE_RULE, LOCK_KEY


class SourceBroke(RuntimeError):
    """What the failing source raises, told apart from any error of the writer's own."""


def _broken(block: np.ndarray) -> np.ndarray:
    raise SourceBroke("the disk under the source went away")


def field(value: int = 1) -> np.ndarray:
    return np.full((2, 32, 32), value, np.uint16)


def interrupted(target: Path) -> list[str]:
    report = ngff.validate(str(target))
    return [i.message for i in report.issues if i.rule == INTERRUPTED_WRITE_RULE]


def test_a_plate_that_fails_part_way_is_marked_incomplete_and_resumes(tmp_path: Path) -> None:
    target = tmp_path / "plate.ome.zarr"
    zeros = da.zeros((2, 32, 32), np.uint16, chunks=(2, 32, 32))
    failing = da.map_blocks(_broken, zeros, dtype=np.uint16)
    with pytest.raises(SourceBroke):
        ngff.write_plate(target, {"A/1": [field()], "B/2": [failing]}, axes="cyx")
    assert (target / LOCK_KEY).exists()
    (message,) = interrupted(target)
    assert "interrupted" in message
    assert "write_plate(..., resume=True)" in message
    ngff.write_plate(target, {"A/1": [field()], "B/2": [field(2)]}, axes="cyx", resume=True)
    assert not (target / LOCK_KEY).exists()
    report = ngff.validate(str(target), strict=True)
    assert report.valid, report.issues
    assert ngff.open(target).plate is not None  # type: ignore[attr-defined]


_HOLDER = """
import sys
from ngff_geozarr.core.store import open_store
from ngff_geozarr.core.store.writelock import write_lock
with open_store(sys.argv[1], "w-") as store, write_lock(store, "a test", "its rerun", resume=False):
    print("holding", flush=True)
    sys.stdin.read()
"""


def test_a_second_plate_writer_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "plate.ome.zarr"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "holding\n"
        before = sorted(p.name for p in target.iterdir())
        with pytest.raises(WriteLockError, match=f"another writer.*process {holder.pid}"):
            ngff.write_plate(target, {"A/1": [field()]}, axes="cyx", resume=True)
        assert sorted(p.name for p in target.iterdir()) == before
    finally:
        holder.communicate(timeout=60)
    assert holder.returncode == 0


def test_a_series_collection_that_fails_part_way_is_marked_incomplete(tmp_path: Path) -> None:
    source = tmp_path / "two.ome.tif"
    with tifffile.TiffWriter(source, ome=True) as tif:
        tif.write(np.zeros((2, 24, 20), np.uint16), metadata={"axes": "CYX"})
        tif.write(np.zeros((16, 12), np.uint8), metadata={"axes": "YX"})
    out = tmp_path / "all.ome.zarr"
    # three chunk sizes fit the first series (CYX), not the second (YX): it fails once the
    # first is written
    with pytest.raises(ngff.CreationError):
        write_series_collection(source, out, chunks=(1, 8, 8))
    assert (out / "0").is_dir()
    (message,) = interrupted(out)
    assert f"remove {out} first" in message
    done = tmp_path / "done.ome.zarr"
    write_series_collection(source, done)
    assert not (done / LOCK_KEY).exists()
    assert ngff.validate(str(done), strict=True).valid
