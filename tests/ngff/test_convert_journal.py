"""ngff convert in place is journaled: interrupted before any of its changes, a rerun completes
it, and the store equals the one an uninterrupted conversion gives; validate names the command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.core.convert_faults import Killed, check_every_interruption, interrupted_at, snapshot
from tests.ngff.test_convert import build_v04

import ngff
from ngff_geozarr.core.convert import JOURNAL_KEY

KILL_SCRIPT = Path(__file__).parents[1] / "core" / "convert_kill.py"
NGFF = str(Path(sys.executable).parent / "ngff")


@pytest.fixture(scope="module")
def v04(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_v04(tmp_path_factory.mktemp("v04") / "img.zarr")


@pytest.fixture(scope="module")
def v05(tmp_path_factory: pytest.TempPathFactory, v04: Path) -> Path:
    """A 0.5 image whose chunks keep Zarr v2 names (made from 0.4), convertible in place."""
    out = tmp_path_factory.mktemp("v05") / "img.zarr"
    ngff.convert(v04, "0.5", out=out)
    return out


@pytest.mark.parametrize(
    ("source", "to"), [("v04", "0.5"), ("v05", "0.6"), ("v05", "0.4")], ids=str
)
def test_every_interruption_is_completed_by_a_rerun(
    request: pytest.FixtureRequest, tmp_path: Path, source: str, to: str
) -> None:
    store: Path = request.getfixturevalue(source)
    changes = check_every_interruption(store, tmp_path, lambda s: ngff.convert(s, to))  # type: ignore[arg-type]
    assert len(changes) >= 6  # the journal, documents, consolidation, the journal gone
    reference = tmp_path / "reference"
    report = ngff.validate(reference)
    assert report.version == to
    assert report.valid, report.errors


def test_validate_names_the_command_that_completes_it(tmp_path: Path, v04: Path) -> None:
    store = tmp_path / "img.zarr"
    shutil.copytree(v04, store)
    with pytest.raises(Killed), interrupted_at(6):
        ngff.convert(store, "0.5")
    assert (store / JOURNAL_KEY).is_file()
    done = subprocess.run(
        [NGFF, "validate", str(store), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    issues = json.loads(done.stdout)["issues"]
    (warning,) = [i for i in issues if i["rule"] == "target.conversion-interrupted"]
    assert warning["severity"] == "warning"
    command = warning["message"].split("`")[1]
    assert command == f"ngff convert {store} --to 0.5 --in-place"
    rerun = subprocess.run(
        [NGFF, *command.split()[1:]], capture_output=True, text=True, timeout=120, check=False
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "completed the interrupted conversion" in rerun.stdout
    assert not (store / JOURNAL_KEY).exists()
    report = ngff.validate(store)
    assert report.valid, report.issues
    assert report.version == "0.5"
    assert "target.conversion-interrupted" not in {i.rule for i in report.issues}


@pytest.mark.parametrize("kill_at", [12])
def test_a_killed_process_is_completed_by_a_rerun(tmp_path: Path, v04: Path, kill_at: int) -> None:
    reference, store = tmp_path / "reference", tmp_path / "killed"
    shutil.copytree(v04, reference)
    shutil.copytree(v04, store)
    ngff.convert(reference, "0.5")
    died = subprocess.run(
        [sys.executable, str(KILL_SCRIPT), "ngff", str(store), "0.5", str(kill_at)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert died.returncode == 75, died.stderr
    assert (store / JOURNAL_KEY).is_file()
    # another version asked: the recorded conversion is completed first, then this one
    result = ngff.convert(store, "0.6")
    assert result.from_version == "0.5"
    ngff.convert(reference, "0.6")
    assert snapshot(store) == snapshot(reference)


def test_a_failure_is_undone(tmp_path: Path, v04: Path) -> None:
    store = tmp_path / "img.zarr"
    shutil.copytree(v04, store)
    before = snapshot(store)
    (store / "labels" / "zarr.json").mkdir()  # a real write failure, half way
    with pytest.raises(ngff.ConversionError, match="undone"):
        ngff.convert(store, "0.5")
    (store / "labels" / "zarr.json").rmdir()
    assert snapshot(store) == before


def test_a_half_converted_source_is_not_copied(tmp_path: Path, v04: Path) -> None:
    store = tmp_path / "img.zarr"
    shutil.copytree(v04, store)
    with pytest.raises(Killed), interrupted_at(4):
        ngff.convert(store, "0.5")
    with pytest.raises(ngff.ConversionError, match="--in-place"):
        ngff.convert(store, "0.6", out=tmp_path / "out.zarr")
    assert not (tmp_path / "out.zarr").exists()


def test_a_cut_journal_is_discarded(tmp_path: Path, v04: Path) -> None:
    store = tmp_path / "img.zarr"
    shutil.copytree(v04, store)
    (store / JOURNAL_KEY).write_text('{"ngff-geozarr-journal": 1, "wri')
    assert ngff.convert(store, "0.5").documents > 0
    assert not (store / JOURNAL_KEY).exists()
    assert ngff.validate(store).version == "0.5"


def test_overwrite_never_mixes_old_and_new_content(tmp_path: Path, v04: Path) -> None:
    dst = tmp_path / "dst.zarr"
    ngff.convert(v04, "0.6", out=dst)
    (dst / "stale-group").mkdir()
    (dst / "stale-group" / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group"}')
    ngff.convert(v04, "0.5", out=dst, overwrite=True)
    assert not (dst / "stale-group").exists()
    assert ngff.validate(dst).version == "0.5"
    assert not list(tmp_path.glob(".new-*"))
