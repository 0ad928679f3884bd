"""ngff fix: each repairable defect -> fix --apply -> validate --strict clean; a dry run writes
nothing; a SIGKILL at each change of an apply leaves old or new metadata, and a rerun
completes it; bad arguments are one line, exit 2."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from tests.core.convert_faults import snapshot
from tests.core.fix_round_trip import check_fix_round_trip
from tests.geozarr.conftest import edit_json

import ngff
from ngff.cli import cli
from ngff.create import write_image, write_labels
from ngff.fix import FIXERS
from ngff_geozarr.core.convert import JOURNAL_KEY
from ngff_geozarr.core.fix import plan_fixes

NGFF = str(Path(sys.executable).parent / "ngff")
KILL_SCRIPT = Path(__file__).parents[1] / "core" / "fix_kill.py"
DATA = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)


def image(path: Path, version: str) -> Path:
    write_image(DATA, path, axes="yx", version=version, levels=2, chunks=(32, 32))
    return path


def _ms(doc: dict[str, Any]) -> dict[str, Any]:
    attrs = doc.get("attributes", doc)
    return attrs.get("ome", attrs)["multiscales"][0]  # type: ignore[no-any-return]


def _no_version_v04(doc: dict[str, Any]) -> None:
    _ms(doc).pop("version")


def _no_version_v05(doc: dict[str, Any]) -> None:
    doc["attributes"]["ome"].pop("version")


def _dimension_names(doc: dict[str, Any]) -> None:
    doc["dimension_names"] = ["a", "b"]


def _unlisted(doc: dict[str, Any]) -> None:
    doc["attributes"]["ome"]["labels"].remove("cells")


def _no_type(doc: dict[str, Any]) -> None:
    _ms(doc).pop("type")


# id -> (rule, version, document, edit)
CASES: dict[str, tuple[str, str, str, Callable[[dict[str, Any]], None]]] = {
    "version 0.4 section": ("ngff.version.missing", "0.4", ".zattrs", _no_version_v04),
    "version 0.5 labels": ("ngff.version.missing", "0.5", "labels/zarr.json", _no_version_v05),
    "dimension_names": ("ngff.multiscales.dimension-names", "0.5", "1/zarr.json", _dimension_names),
    "type": ("ngff.multiscales.type", "0.5", "zarr.json", _no_type),
    "labels unlisted": ("ngff.labels.unlisted", "0.5", "labels/zarr.json", _unlisted),
    "stale consolidated (0.4)": ("zarr.consolidated.stale", "0.4", "0/.zattrs", lambda d: None),
}


def make_defect(tmp_path: Path, case: tuple[str, str, str, Any]) -> Path:
    _, version, document, change = case
    store = image(tmp_path / "img.zarr", version)
    if document.startswith("labels/"):
        write_labels((DATA % 3).astype(np.uint8), store, "seg")
        write_labels((DATA % 4).astype(np.uint8), store, "cells")
    if document == "0/.zattrs":  # a stale copy: a level's shape edited in the copy only
        edit_json(
            store / ".zmetadata",
            lambda d: d["metadata"]["0/.zarray"].__setitem__("chunks", [16, 16]),
        )
        return store
    edit_json(store / document, change)
    return store


def strict_rules(store: Path) -> set[str]:
    return {i.rule for i in ngff.validate(store, strict=True).issues}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_every_repair_has_a_case() -> None:
    assert {case[0] for case in CASES.values()} == set(FIXERS) | {"zarr.consolidated.stale"}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_fix_apply_repairs_the_defect(tmp_path: Path, case: Any) -> None:
    check_fix_round_trip(cli, ngff.validate, make_defect(tmp_path, case), case[0])


def test_no_type_is_guessed_without_metadata(tmp_path: Path) -> None:
    store = image(tmp_path / "img.zarr", "0.5")

    def strip(doc: dict[str, Any]) -> None:
        _ms(doc).pop("type")
        _ms(doc).pop("metadata")

    edit_json(store / "zarr.json", strip)
    plan = plan_fixes(store, validate=ngff.validate, fixers=FIXERS)
    assert not plan.repairs
    assert {i.rule for i in plan.unrepaired} >= {"ngff.multiscales.type"}
    assert invoke("fix", str(store)).exit_code == 0


def test_json_plan(tmp_path: Path) -> None:
    store = make_defect(tmp_path, CASES["dimension_names"])
    result = invoke("fix", str(store), "--format", "json")
    assert result.exit_code == 1
    plan = json.loads(result.output)
    # the edit made the consolidated copy stale too: both repaired, the array's document once
    assert [(r["rule"], r["path"]) for r in plan["repairs"]] == [
        ("zarr.consolidated.stale", "1"),
        ("ngff.multiscales.dimension-names", "1"),
    ]
    assert plan["documents"] == ["1/zarr.json"]
    assert plan["consolidate"] is True


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 0.4 image (consolidated) with a section version missing and a stale copy."""
    store = image(tmp_path_factory.mktemp("defective") / "img.zarr", "0.4")
    edit_json(store / ".zattrs", _no_version_v04)
    return store


def test_a_sigkill_at_each_change_leaves_old_or_new_and_a_rerun_completes(
    tmp_path: Path, defective: Path
) -> None:
    old = snapshot(defective)
    counted = tmp_path / "count.zarr"
    shutil.copytree(defective, counted)
    done = subprocess.run(
        [sys.executable, str(KILL_SCRIPT), "ngff", str(counted), "-1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    changes = int(done.stdout.split()[-1])
    assert changes == 4  # the journal, .zattrs, the consolidation, the journal gone
    new = snapshot(counted)
    assert ngff.validate(counted, strict=True).issues == ()
    for n in range(changes):
        store = tmp_path / f"killed-{n}"
        shutil.copytree(defective, store)
        died = subprocess.run(
            [sys.executable, str(KILL_SCRIPT), "ngff", str(store), str(n)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert died.returncode == -signal.SIGKILL, (n, died.stderr)
        got = snapshot(store)
        attrs = [json.loads(v[".zattrs"]) for v in (got, old, new)]
        assert attrs[0] in attrs[1:], n  # the old document or the new one, whole
        assert (JOURNAL_KEY in got) == (n > 0), n
        rerun = subprocess.run(
            [NGFF, "fix", str(store), "--apply"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert rerun.returncode == 0, (n, rerun.stderr)
        assert ("completed the interrupted change" in rerun.stdout) == (n > 0), n
        assert snapshot(store) == new, n
        shutil.rmtree(store)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fix"], "Missing argument 'TARGET'"),
        (["fix", "{store}", "--apply=yes"], "does not take a value"),
        (["fix", "{missing}", "--apply"], "no such file or directory"),
        (["fix", "{zip}", "--apply"], "not a zip store"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    tmp_path: Path,
    defective: Path,
    zip_store: Callable[[Path, Path], Path],
    args: list[str],
    message: str,
) -> None:
    values = {
        "store": str(defective),
        "missing": str(tmp_path / "nope.zarr"),
        "zip": str(zip_store(defective, tmp_path / "img.zip")),
    }
    argv = [a.format(**values) for a in args]
    done = subprocess.run([NGFF, *argv], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("ngff: error: ")
    assert message in lines[0]
