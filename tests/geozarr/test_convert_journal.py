"""geozarr convert in place (journaled, completed by a rerun), destinations refused before any
write, and --overwrite that never mixes old and new content."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from tests.core.convert_faults import Killed, check_every_interruption, interrupted_at, snapshot

import geozarr
from geozarr.cli import cli
from geozarr.convert import ConversionError, ConvertProgress
from ngff_geozarr.core.convert import JOURNAL_KEY

GEOZARR = str(Path(sys.executable).parent / "geozarr")
TRANSFORM = (25.0, 0.0, 600_000.0, 0.0, -25.0, 4_100_000.0)


def _write(target: Path, zarr_format: int) -> Path:
    data = np.linspace(-5, 5, 24 * 20, dtype=np.float32).reshape(24, 20)
    data[:3, :4] = np.nan
    geozarr.write(
        data,
        target,
        crs="EPSG:32630",
        transform=TRANSFORM,
        chunks=(8, 8),
        levels=2,
        zarr_format=zarr_format,  # type: ignore[arg-type]
    )
    return target


@pytest.fixture(scope="module")
def v2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("geo") / "v2.zarr", 2)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GEOZARR, "convert", *args, "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_interruption_of_v2_to_v3_is_completed_by_a_rerun(tmp_path: Path, v2: Path) -> None:
    changes = check_every_interruption(
        v2, tmp_path, lambda s: geozarr.convert(s, None, zarr_format=3)
    )
    assert any(c.startswith("delete 1/data/.zarray") for c in changes)
    reference = tmp_path / "reference"
    assert not list(reference.rglob(".z*"))  # every v2 document gone
    assert list(geozarr.validate(reference).issues) == []
    copied = tmp_path / "copied.zarr"
    geozarr.convert(v2, copied, zarr_format=3)
    # in place gives the documents a copy gives, and keeps every chunk where it was
    for key, value in snapshot(copied).items():
        assert snapshot(reference)[key] == value, key


def test_validate_and_the_cli_complete_an_interrupted_conversion(tmp_path: Path, v2: Path) -> None:
    store = tmp_path / "geo.zarr"
    shutil.copytree(v2, store)
    with pytest.raises(Killed), interrupted_at(14):
        geozarr.convert(store, None, zarr_format=3)
    (issue,) = [
        i for i in geozarr.validate(store).issues if i.rule == "target.conversion-interrupted"
    ]
    command = issue.message.split("`")[1]
    assert command == f"geozarr convert {store} --in-place --zarr-format 3"
    done = subprocess.run(
        [GEOZARR, *command.split()[1:]], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert not (store / JOURNAL_KEY).exists()
    assert list(geozarr.validate(store).issues) == []


def test_in_place_refuses_what_would_rename_chunks(tmp_path: Path) -> None:
    store = _write(tmp_path / "v3.zarr", 3)
    before = snapshot(store)
    done = _cli(str(store), "--in-place", "--zarr-format", "2")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "chunk key encoding" in done.stderr
    assert snapshot(store) == before


@pytest.mark.parametrize("where", ["same", "inside", "holding"])
def test_a_destination_that_is_inside_or_holds_the_source_is_refused(
    tmp_path: Path, v2: Path, where: str
) -> None:
    src = tmp_path / "outer" / "src.zarr"
    shutil.copytree(v2, src)
    before = snapshot(src)
    dst = {"same": src, "inside": src / "sub", "holding": tmp_path / "outer"}[where]
    done = CliRunner().invoke(
        cli, ["convert", str(src), str(dst), "--zarr-format", "3", "--overwrite"]
    )
    assert done.exit_code == 2, done.output
    assert "inside the source" in done.output
    assert snapshot(src) == before


def test_usage_needs_one_of_dst_or_in_place(tmp_path: Path, v2: Path) -> None:
    runner = CliRunner()
    neither = runner.invoke(cli, ["convert", str(v2), "--zarr-format", "3"])
    assert neither.exit_code == 2
    assert "exactly one of DST or --in-place" in neither.output
    both = runner.invoke(
        cli, ["convert", str(v2), str(tmp_path / "d.zarr"), "--in-place", "--zarr-format", "3"]
    )
    assert both.exit_code == 2
    assert not (tmp_path / "d.zarr").exists()


def test_overwrite_replaces_without_mixing_and_a_failure_keeps_the_old(
    tmp_path: Path, v2: Path
) -> None:
    dst = tmp_path / "dst.zarr"
    geozarr.convert(v2, dst, zarr_format=3)
    stale = dst / "stale"
    stale.mkdir()
    (stale / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group"}')
    old = snapshot(dst)

    def fail(p: ConvertProgress) -> None:
        if p.done == 5:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        geozarr.convert(v2, dst, zarr_format=3, overwrite=True, progress=fail)
    assert snapshot(dst) == old  # the old store, whole
    assert not list(tmp_path.glob(".new-*"))
    result = geozarr.convert(v2, dst, zarr_format=3, overwrite=True)
    assert result.destination == str(dst)
    assert not stale.exists()
    assert json.loads((dst / "zarr.json").read_text())["node_type"] == "group"
    assert list(geozarr.validate(dst).issues) == []


def test_a_mapping_is_overwritten_whole(v2: Path) -> None:
    target: dict[str, object] = {"old/zarr.json": b'{"zarr_format": 3, "node_type": "group"}'}
    with pytest.raises(ConversionError, match="not empty"):
        geozarr.convert(v2, target, zarr_format=3)
    geozarr.convert(v2, target, zarr_format=3, overwrite=True)
    assert "old/zarr.json" not in target
    assert "zarr.json" in target
