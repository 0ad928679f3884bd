"""``overwrite=True`` / ``ngff create --overwrite`` replaces a store safely.

The new store is written beside the target and swapped in once complete, so a complete
store is always there: a failed write leaves the old one untouched, a SIGKILL at any point
of the write leaves the old store or the new one complete and valid, and the next overwrite
cleans up what a killed run left. Object stores have no rename: overwrite is refused there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import ngff
import ngff_geozarr.core.convert.swap as target_module
from ngff.cli import cli
from ngff_geozarr.core.pyramid import Progress
from ngff_geozarr.core.store import open_store

OLD = np.full((8, 64, 64), 7, np.uint16)
NEW = np.arange(8 * 64 * 64, dtype=np.uint16).reshape(8, 64, 64)
OPTIONS: dict[str, Any] = {"chunks": (4, 16, 16), "scale": (2.0, 0.5, 0.5)}


def listing(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): (b"<dir>" if p.is_dir() else p.read_bytes())
        for p in sorted(root.rglob("*"))
    }


def base(target: Any) -> np.ndarray:
    with open_store(target) as store:
        array = store.open_array("0")
        return array.read(tuple(slice(0, n) for n in array.shape))


def complete(target: Path) -> bool:
    return bool(ngff.validate(str(target), strict=True).valid)


@pytest.fixture
def old(tmp_path: Path) -> Path:
    target = tmp_path / "stores" / "image.ome.zarr"
    target.parent.mkdir()
    ngff.write_image(OLD, target, **OPTIONS)
    return target


def test_overwrite_replaces_a_store_and_leaves_nothing_beside_it(old: Path) -> None:
    ngff.write_image(NEW, old, overwrite=True, **OPTIONS)
    np.testing.assert_array_equal(base(old), NEW)
    assert complete(old)
    assert sorted(p.name for p in old.parent.iterdir()) == ["image.ome.zarr"]


def test_without_an_atomic_exchange_the_old_store_is_renamed_aside(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path taken where renameat2 is missing (not Linux, or a file system without it)."""
    monkeypatch.setattr(target_module, "_exchange", lambda first, second: False)
    ngff.write_image(NEW, old, overwrite=True, **OPTIONS)
    np.testing.assert_array_equal(base(old), NEW)
    assert complete(old)
    assert sorted(p.name for p in old.parent.iterdir()) == ["image.ome.zarr"]


# Writing any image into a .zip target appends zarr.json twice (the root group, then its
# consolidated rewrite): zipfile warns; a writer issue of its own, not the overwrite's.
@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")
def test_overwrite_of_a_zip_store(tmp_path: Path) -> None:
    target = tmp_path / "image.ome.zarr.zip"
    ngff.write_image(OLD, target, **OPTIONS)
    with pytest.raises(ngff.CreationError, match="--overwrite"):
        ngff.write_image(NEW, target, **OPTIONS)
    ngff.write_image(NEW, target, overwrite=True, **OPTIONS)
    np.testing.assert_array_equal(base(target), NEW)
    assert complete(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image.ome.zarr.zip"]


def test_overwrite_of_a_memory_store() -> None:
    memory: dict[str, Any] = {}
    ngff.write_image(OLD, memory, **OPTIONS)
    with pytest.raises(ngff.CreationError, match="--overwrite"):
        ngff.write_image(NEW, memory, **OPTIONS)
    ngff.write_image(NEW, memory, overwrite=True, **OPTIONS)
    np.testing.assert_array_equal(base(memory), NEW)


def test_a_failed_overwrite_leaves_the_old_store_untouched(old: Path) -> None:
    before = listing(old.parent)

    def fail(progress: Progress) -> None:
        if progress.done == 3:
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        ngff.write_image(NEW, old, overwrite=True, progress=fail, workers=1, **OPTIONS)
    assert listing(old.parent) == before


def test_cli_overwrite(tmp_path: Path, old: Path) -> None:
    np.save(tmp_path / "new.npy", NEW)
    result = CliRunner().invoke(
        cli, ["create", str(tmp_path / "new.npy"), str(old), "--overwrite", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(base(old), NEW)
    assert complete(old)


# Runs in a subprocess: overwrite TARGET with NEW (from SOURCE.npy), SIGKILL at KILL_AT:
# after that many tiles; "last" (every tile written, the metadata not); "swapped" (the new
# store exchanged in, the old one not yet removed); "aside" (no atomic exchange: the old
# store renamed aside, the new one not yet renamed in).
KILLER = r"""
import os, signal, sys
import numpy as np
import ngff
import ngff_geozarr.core.convert.swap as target_module

source, target, kill_at = sys.argv[1:4]

def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)

def progress(p):
    if kill_at == str(p.done) or (kill_at == "last" and p.done == p.total):
        die()

if kill_at == "swapped":
    exchange = target_module._exchange
    target_module._exchange = lambda a, b: exchange(a, b) and die()
if kill_at == "aside":
    rename = os.rename
    target_module._exchange = lambda a, b: False
    target_module.os.rename = lambda a, b: (rename(a, b), die())
ngff.write_image(np.load(source), target, overwrite=True, progress=progress, workers=2,
                 chunks=(4, 16, 16), scale=(2.0, 0.5, 0.5))
"""


@pytest.mark.parametrize("kill_at", ["1", "9", "last", "swapped", "aside"])
def test_a_killed_overwrite_leaves_the_old_or_the_new_store_complete(
    tmp_path: Path, old: Path, kill_at: str
) -> None:
    source = tmp_path / "new.npy"
    np.save(source, NEW)
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(source), str(old), kill_at],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert killed.returncode == -9, killed.stderr
    aside = old.with_name(f".old-{old.name}")
    survivor = aside if kill_at == "aside" else old
    assert complete(survivor)
    kept = base(survivor)
    assert np.array_equal(kept, OLD) or np.array_equal(kept, NEW)
    if kill_at in ("1", "9", "last"):
        np.testing.assert_array_equal(kept, OLD)
    if kill_at == "swapped":
        np.testing.assert_array_equal(kept, NEW)
    if kill_at == "aside":
        assert not old.exists()
        np.testing.assert_array_equal(kept, OLD)
        return
    ngff.write_image(NEW, old, overwrite=True, **OPTIONS)  # the next overwrite cleans up
    np.testing.assert_array_equal(base(old), NEW)
    assert sorted(p.name for p in old.parent.iterdir()) == ["image.ome.zarr"]


def test_overwrite_of_a_remote_store_is_refused_before_writing(
    tmp_path: Path,
    s3_upload: Callable[..., str],
    s3_options: dict[str, Any],
) -> None:
    local = tmp_path / "up.ome.zarr"
    ngff.write_image(OLD, local, **OPTIONS)
    url = s3_upload(local, "overwrite-me")

    def keys() -> list[str]:
        with open_store(url, storage_options=s3_options) as store:
            return store.list_keys()

    before = keys()
    with pytest.raises(ngff.CreationError, match="delete it first"):
        ngff.write_image(NEW, url, overwrite=True, storage_options=s3_options, **OPTIONS)
    with pytest.raises(ngff.CreationError, match="--overwrite"):
        ngff.write_image(NEW, url, storage_options=s3_options, **OPTIONS)
    assert keys() == before
    assert os.path.exists(local)
