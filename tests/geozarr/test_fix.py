"""geozarr fix: each repairable defect -> fix --apply -> validate --strict clean; the plan is
a dry run by default (exit 1, nothing written); a kill during apply leaves the old or the new
metadata and a rerun completes it; bad arguments and read-only targets are one line, exit 2."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.core.convert_faults import check_every_interruption, snapshot
from tests.core.fix_round_trip import check_fix_round_trip
from tests.geozarr.conftest import build_pyramid, build_store, edit_json

import geozarr
from geozarr.cli import CONVENTION, cli
from geozarr.fix import FIXERS
from ngff_geozarr.core.convert import JOURNAL_KEY
from ngff_geozarr.core.fix import apply_fixes, plan_fixes
from ngff_geozarr.core.groups import finish
from ngff_geozarr.core.store import open_store

GEOZARR = str(Path(sys.executable).parent / "geozarr")
KILL_SCRIPT = Path(__file__).parents[1] / "core" / "fix_kill.py"
Edit = Callable[[dict[str, Any]], None]


def _drop(*keys: str) -> Edit:
    def change(doc: dict[str, Any]) -> None:
        target = doc.get("attributes", doc)
        for key in keys:
            target.pop(key)

    return change


def _noncanonical(doc: dict[str, Any]) -> None:
    doc["attributes"]["zarr_conventions"][0] = {
        "name": "proj:",
        "spec_url": "https://github.com/zarr-conventions/proj/blob/v0.1/README.md",
    }


def _undeclared(doc: dict[str, Any]) -> None:
    doc["attributes"]["zarr_conventions"] = doc["attributes"]["zarr_conventions"][1:]


def _shape(doc: dict[str, Any]) -> None:
    doc["attributes"]["spatial:shape"] = [5, 5]


def _layout_shape(doc: dict[str, Any]) -> None:
    doc["attributes"]["multiscales"]["layout"][1]["spatial:shape"] = [3, 4]


def _integer_fill(store: Path) -> None:
    import numpy as np

    with open_store(store, "r+") as handle:
        handle.create_array(
            "classes",
            np.ones((6, 8), np.uint8),
            dimension_names=("y", "x"),
            fill_value=0,
            attributes={"_FillValue": 255, "grid_mapping": "spatial_ref", "long_name": "class"},
        )
    (store / "zarr.json").unlink()  # the root document again, without consolidated metadata
    build_store(store.parent / "root.zarr")
    shutil.copy(store.parent / "root.zarr" / "zarr.json", store / "zarr.json")
    edit_json(store / "zarr.json", lambda d: d.pop("consolidated_metadata", None))


def consolidate(store: Path) -> None:
    with open_store(store, "r+") as handle:
        finish(handle, consolidated=True)


def _polar_without_parallel(store: Path) -> None:
    from pyproj import CRS

    from geozarr.writing.grid_mapping import cf_grid_mapping

    mapping = cf_grid_mapping(CRS.from_epsg(3413))
    mapping.pop("standard_parallel")

    def replace(doc: dict[str, Any]) -> None:
        kept = {"GeoTransform": doc["attributes"]["GeoTransform"]}
        doc["attributes"] = {**mapping, "spatial_ref": mapping["crs_wkt"], **kept}

    edit_json(store / "spatial_ref" / "zarr.json", replace)
    edit_json(store / "zarr.json", lambda d: d["attributes"].__setitem__("proj:code", "EPSG:3413"))


def _stale(store: Path) -> None:
    # a document edited after consolidation: the consolidated copy says otherwise
    consolidate(store)
    edit_json(store / "elevation" / "zarr.json", lambda d: d.__setitem__("fill_value", 0.0))
    edit_json(store / "elevation" / "zarr.json", lambda d: d["attributes"].pop("_FillValue"))


# rule -> (builder, Zarr format, document edited, its edit (or a function of the store))
CASES: dict[str, tuple[Callable[..., Path], int, str, Any]] = {
    "geozarr.conventions.noncanonical": (build_store, 3, "zarr.json", _noncanonical),
    "geozarr.conventions.undeclared": (build_store, 3, "zarr.json", _undeclared),
    "geozarr.xarray.array-dimensions": (build_store, 2, "x/.zattrs", _drop("_ARRAY_DIMENSIONS")),
    "geozarr.spatial.shape": (build_store, 3, "zarr.json", _shape),
    "geozarr.cf.fill-value": (build_store, 3, "", _integer_fill),
    "geozarr.cf.grid-mapping": (
        build_store,
        3,
        "spatial_ref/zarr.json",
        _drop("latitude_of_projection_origin", "scale_factor_at_central_meridian"),
    ),
    "geozarr.cf.grid-mapping-parameters": (build_store, 3, "", _polar_without_parallel),
    "zarr.consolidated.stale": (build_store, 3, "", _stale),
}
EXTRA = {
    "0-D _ARRAY_DIMENSIONS": (
        "geozarr.xarray.array-dimensions",
        (build_store, 2, "spatial_ref/.zattrs", _drop("_ARRAY_DIMENSIONS")),
    ),
    "multiscales layout spatial:shape": (
        "geozarr.spatial.shape",
        (build_pyramid, 3, "zarr.json", _layout_shape),
    ),
}


def make_defect(tmp_path: Path, case: tuple[Callable[..., Path], int, str, Any]) -> Path:
    builder, fmt, document, change = case
    store = tmp_path / "store.zarr"
    if builder is build_store:
        build_store(store, fmt)
    else:
        builder(store)
    if document:
        edit_json(store / document, change)
    else:
        change(store)
    return store


def strict_rules(store: Path) -> set[str]:
    return {i.rule for i in geozarr.validate(store, strict=True).issues}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_every_repair_has_a_case() -> None:
    assert set(FIXERS) | {"zarr.consolidated.stale"} == set(CASES)


@pytest.mark.parametrize(
    ("rule", "case"),
    [*CASES.items(), *EXTRA.values()],
    ids=[*CASES, *EXTRA],
)
def test_fix_apply_repairs_the_defect(tmp_path: Path, rule: str, case: Any) -> None:
    check_fix_round_trip(cli, geozarr.validate, make_defect(tmp_path, case), rule)


def test_json_plan_names_rules_and_documents(tmp_path: Path) -> None:
    store = make_defect(tmp_path, CASES["geozarr.spatial.shape"])
    result = invoke("fix", str(store), "--format", "json")
    assert result.exit_code == 1
    plan = json.loads(result.output)
    assert [r["rule"] for r in plan["repairs"]] == ["geozarr.spatial.shape"]
    assert plan["documents"] == ["zarr.json"]
    assert plan["consolidate"] is False  # the store has no consolidated metadata to refresh
    assert plan["applied"] is False
    assert "-      5,\n-      5\n+      6,\n+      8" in plan["diff"]


def test_nothing_is_guessed(tmp_path: Path) -> None:
    """proj: properties of another scheme (STAC's proj:epsg) are not declared as proj v0.1,
    and a 1-D array no sibling names as a dimension gets no _ARRAY_DIMENSIONS."""
    store = build_store(tmp_path / "s.zarr", 2)

    def stac(doc: dict[str, Any]) -> None:
        doc["zarr_conventions"] = doc["zarr_conventions"][1:]
        doc.pop("proj:code")
        doc["proj:epsg"] = 32632

    edit_json(store / ".zattrs", stac)
    edit_json(store / "x" / ".zattrs", lambda d: d.pop("_ARRAY_DIMENSIONS"))
    edit_json(
        store / "elevation" / ".zattrs", lambda d: d.__setitem__("_ARRAY_DIMENSIONS", ["y", "u"])
    )
    plan = plan_fixes(store, validate=geozarr.validate, fixers=FIXERS)
    repaired = {(r.rule, r.path) for r in plan.repairs}
    assert ("geozarr.conventions.undeclared", "") not in repaired
    assert ("geozarr.xarray.array-dimensions", "x") not in repaired
    assert any(i.rule == "geozarr.xarray.array-dimensions" for i in plan.unrepaired)


def _apply(store: Path) -> object:
    return apply_fixes(
        store,
        validate=geozarr.validate,
        fixers=FIXERS,
        command=f"geozarr fix {store} --apply",
        discover=CONVENTION.discover,
    )


def test_every_interruption_is_completed_by_a_rerun(tmp_path: Path) -> None:
    source = make_defect(tmp_path / "src", CASES["geozarr.spatial.shape"])
    edit_json(source / "zarr.json", _noncanonical)
    edit_json(source / "spatial_ref" / "zarr.json", _drop("latitude_of_projection_origin"))
    consolidate(source)
    changes = check_every_interruption(source, tmp_path / "work", _apply)
    # the journal, two documents, the consolidation, the journal gone
    assert len(changes) == 5, changes
    report = geozarr.validate(tmp_path / "work" / "reference", strict=True)
    assert not report.issues


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("defective")
    store = make_defect(base, CASES["geozarr.spatial.shape"])
    edit_json(store / "spatial_ref" / "zarr.json", _drop("latitude_of_projection_origin"))
    consolidate(store)  # apply writes the consolidated metadata again too
    return store


def own(raw: bytes | None) -> Any:
    """A document less its consolidated copy of the others (written again last)."""
    if raw is None:
        return None
    doc = json.loads(raw)
    if isinstance(doc, dict):
        doc.pop("consolidated_metadata", None)
    return doc


def _kill_points(store: Path, tmp_path: Path) -> int:
    reference = tmp_path / "count.zarr"
    shutil.copytree(store, reference)
    died = subprocess.run(
        [sys.executable, str(KILL_SCRIPT), "geozarr", str(reference), "-1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert died.returncode == 0, died.stderr
    return int(died.stdout.split()[-1])


def test_a_sigkill_at_each_write_leaves_old_or_new_and_a_rerun_completes(
    tmp_path: Path, defective: Path
) -> None:
    old = snapshot(defective)
    reference = tmp_path / "reference.zarr"
    shutil.copytree(defective, reference)
    _apply(reference)
    new = snapshot(reference)
    changes = _kill_points(defective, tmp_path)
    assert changes >= 5
    documents = [k for k in new if k.endswith("zarr.json")]
    for n in range(changes):
        store = tmp_path / f"killed-{n}"
        shutil.copytree(defective, store)
        died = subprocess.run(
            [sys.executable, str(KILL_SCRIPT), "geozarr", str(store), str(n)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert died.returncode == -signal.SIGKILL, (n, died.stderr)
        got = snapshot(store)
        for key in documents:  # each document is whole: the old one or the new one
            assert own(got.get(key)) in (own(old.get(key)), own(new[key])), (n, key)
        if n > 0:
            assert JOURNAL_KEY in got  # the record of the change, for the rerun
        rerun = subprocess.run(
            [GEOZARR, "fix", str(store), "--apply"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert rerun.returncode == 0, (n, rerun.stderr)
        assert snapshot(store) == new, n
        shutil.rmtree(store)


def test_validate_names_the_fix_command_of_an_interrupted_apply(
    tmp_path: Path, defective: Path
) -> None:
    store = tmp_path / "store.zarr"
    shutil.copytree(defective, store)
    died = subprocess.run(
        [sys.executable, str(KILL_SCRIPT), "geozarr", str(store), "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert died.returncode == -signal.SIGKILL
    (issue,) = [
        i for i in geozarr.validate(store).issues if i.rule == "target.conversion-interrupted"
    ]
    assert f"`geozarr fix {store} --apply`" in issue.message
    dry = invoke("fix", str(store))
    assert dry.exit_code == 1
    assert "interrupted" in dry.output
    applied = invoke("fix", str(store), "--apply", "--format", "json")
    assert applied.exit_code == 0, applied.output
    result = json.loads(applied.output)
    assert result["completed"] == "metadata repairs"
    assert result["applied"] is True
    assert result["repairs"] == []  # the interrupted apply made them all
    assert not geozarr.validate(store, strict=True).issues


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fix"], "Missing argument 'TARGET'"),
        (["fix", "{store}", "--format", "yaml"], "'yaml' is not one of"),
        (["fix", "{store}", "--bogus"], "No such option"),
        (["fix", "{missing}"], "no such file or directory"),
        (["fix", "{missing}", "--apply"], "no such file or directory"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    tmp_path: Path, defective: Path, args: list[str], message: str
) -> None:
    values = {"store": str(defective), "missing": str(tmp_path / "nope.zarr")}
    argv = [a.format(**values) for a in args]
    done = subprocess.run(
        [GEOZARR, *argv], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("geozarr: error: "), done.stderr
    assert message in lines[0]
    assert "Traceback" not in done.stderr


def test_http_is_planned_but_refused_for_apply(
    defective: Path, http_root: tuple[Path, str]
) -> None:
    folder, url = http_root
    shutil.copytree(defective, folder / "store.zarr")
    target = f"{url}/store.zarr"
    dry = subprocess.run([GEOZARR, "fix", target], capture_output=True, text=True, timeout=120)
    assert dry.returncode == 1, dry.stderr
    assert "geozarr.spatial.shape" in dry.stdout
    before = snapshot(folder / "store.zarr")
    done = subprocess.run(
        [GEOZARR, "fix", target, "--apply"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "fix --apply changes only local directory stores" in lines[0]
    assert snapshot(folder / "store.zarr") == before


def test_s3_apply_through_the_journal(
    defective: Path, s3_upload: Callable[..., str], s3_options: dict[str, Any]
) -> None:
    url = s3_upload(defective, "fix-geozarr", public=False)
    options = [f"--storage-option=endpoint_url={s3_options['endpoint_url']}"]
    options += ["--storage-option=key=testing", "--storage-option=secret=testing"]
    done = subprocess.run(
        [GEOZARR, "fix", url, "--apply", *options], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    again = subprocess.run(
        [GEOZARR, "fix", url, *options], capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stdout + again.stderr
    report = geozarr.validate(
        url, strict=True, storage_options={**s3_options, "key": "testing", "secret": "testing"}
    )
    assert not report.issues, report.issues


def test_s3_documents_are_read_not_the_consolidated_copy(
    tmp_path: Path, s3_upload: Callable[..., str], s3_options: dict[str, Any]
) -> None:
    """Remote, the consolidated copy is trusted by readers; fix reads the documents, so a
    stale copy never overwrites what a document says."""
    store = build_store(tmp_path / "store.zarr")
    edit_json(store / "spatial_ref" / "zarr.json", _drop("latitude_of_projection_origin"))
    consolidate(store)
    # edited after consolidation: the copy is stale, the document says more
    edit_json(
        store / "spatial_ref" / "zarr.json",
        lambda d: d["attributes"].__setitem__("comment", "edited later"),
    )
    url = s3_upload(store, "fix-stale", public=False)
    credentials = {**s3_options, "key": "testing", "secret": "testing"}
    options = [f"--storage-option={k}={v}" for k, v in credentials.items()]
    done = subprocess.run(
        [GEOZARR, "fix", url, "--apply", *options], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    import s3fs

    fs = s3fs.S3FileSystem(
        client_kwargs={"endpoint_url": s3_options["endpoint_url"]},
        key="testing",
        secret="testing",
        skip_instance_cache=True,
    )
    document = json.loads(fs.cat(f"{url}/spatial_ref/zarr.json"))["attributes"]
    assert document["latitude_of_projection_origin"] == 0.0  # repaired
    assert document["comment"] == "edited later"  # the document's own content, kept
    root = json.loads(fs.cat(f"{url}/zarr.json"))
    copy = root["consolidated_metadata"]["metadata"]["spatial_ref"]["attributes"]
    assert copy == document  # and the copy written again from it
