"""``geozarr validate`` as users run it: the real console script, the JSON contract, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import geozarr
from ngff_geozarr.core.testing import serve_directory

GEOZARR = str(Path(sys.executable).parent / "geozarr")
KEYS = {"target", "valid", "convention", "version", "node_type", "issues"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GEOZARR, "validate", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_valid_store_json_contract(geo_store: Path) -> None:
    result = run(str(geo_store), "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == KEYS
    assert (doc["valid"], doc["convention"], doc["version"], doc["node_type"]) == (
        True,
        "geozarr",
        "cf+conventions",
        "dataset",
    )


def test_invalid_store_exits_1_with_pointed_issues(geo_store: Path, edit: Any) -> None:
    edit(geo_store / "zarr.json", lambda d: d["attributes"].update({"spatial:shape": [6, 9]}))
    result = run(str(geo_store), "--format", "json")
    assert result.returncode == 1
    issues = json.loads(result.stdout)["issues"]
    issue = next(i for i in issues if i["rule"] == "geozarr.spatial.shape")
    assert {i["rule"] for i in issues} == {"geozarr.spatial.shape", "geozarr.spatial.bbox"}
    assert issue == {
        "severity": "error",
        "rule": "geozarr.spatial.shape",
        "path": "elevation",  # the array the group's spatial:shape does not fit
        "pointer": "/attributes",
        "message": issue["message"],
    }
    text = run(str(geo_store))
    assert text.returncode == 1
    assert "spatial: v0.1 §spatial:shape" in text.stdout  # the clause, in text output


def test_profile_option_selects_rules(geo_store: Path, edit: Any) -> None:
    edit(geo_store / "elevation" / "zarr.json", lambda d: d["attributes"].update(units="s"))
    edit(geo_store / "x" / "zarr.json", lambda d: d["attributes"].pop("standard_name"))
    assert run(str(geo_store), "--profile", "conventions").returncode == 0
    assert run(str(geo_store), "--profile", "cf").returncode == 1
    v04 = json.loads(run(str(geo_store), "--profile", "v0.4", "--format", "json").stdout)
    assert {i["rule"] for i in v04["issues"]} == {"geozarr.cf.units", "geozarr.v04.standard-name"}


def test_unreadable_target_exits_2_in_one_line(tmp_path: Path) -> None:
    result = run(str(tmp_path / "missing.zarr"), "--format", "json")
    assert result.returncode == 2
    assert json.loads(result.stdout)["issues"][0]["rule"] == "target.unreadable"
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_profile_is_a_usage_error(geo_store: Path) -> None:
    result = run(str(geo_store), "--profile", "v9")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_over_http_with_coordinates_read(tmp_path: Path, builders: Any) -> None:
    store = builders["raster"](tmp_path / "served" / "r.zarr")
    xs = json.loads((store / "x" / "zarr.json").read_text())
    with serve_directory(tmp_path / "served") as (url, _):
        ok = run(f"{url}/r.zarr", "--format", "json")
        assert ok.returncode == 0, ok.stdout
    shutil.rmtree(store / "x" / "c")  # chunks gone: values read as fill_value 0, not monotonic
    assert xs["fill_value"] == 0.0
    with serve_directory(tmp_path / "served") as (url, _):
        bad = json.loads(run(f"{url}/r.zarr", "--format", "json").stdout)
    assert [(i["rule"], i["path"]) for i in bad["issues"]] == [
        ("geozarr.cf.coordinate-monotonic", "x"),
        ("geozarr.cf.coordinate-transform", "x"),  # every finding of x, together
    ]


def _undeclared_proj_group(store: Path) -> None:
    """Add a group using proj: without declaring it: a SHOULD-level warning, nothing else."""
    (store / "extra").mkdir()
    doc = {"zarr_format": 3, "node_type": "group", "attributes": {"proj:code": "EPSG:32632"}}
    (store / "extra" / "zarr.json").write_text(json.dumps(doc))


def test_strict_turns_a_should_warning_into_exit_1(geo_store: Path) -> None:
    _undeclared_proj_group(geo_store)
    default = run(str(geo_store), "--format", "json")
    assert default.returncode == 0, default.stdout
    issues = json.loads(default.stdout)["issues"]
    assert [(i["severity"], i["rule"], i["path"]) for i in issues] == [
        ("warning", "geozarr.conventions.undeclared", "extra")
    ]
    strict = run(str(geo_store), "--format", "json", "--strict")
    assert strict.returncode == 1, strict.stdout
    doc = json.loads(strict.stdout)
    assert doc["valid"] is False
    assert [(i["severity"], i["rule"]) for i in doc["issues"]] == [
        ("error", "geozarr.conventions.undeclared")
    ]


def test_strict_in_python_matches_the_cli(geo_store: Path) -> None:
    _undeclared_proj_group(geo_store)
    assert geozarr.validate(geo_store).valid
    report = geozarr.validate(geo_store, strict=True)
    assert not report.valid
    assert [i.rule for i in report.errors] == ["geozarr.conventions.undeclared"]


def test_strict_leaves_advice_a_warning(geo_store: Path, edit: Any) -> None:
    # fill_value 0 under a NaN _FillValue: a pitfall (ADVICE), not a SHOULD of the spec
    edit(geo_store / "elevation" / "zarr.json", lambda d: d.update({"fill_value": 0.0}))
    result = run(str(geo_store), "--format", "json", "--strict")
    assert result.returncode == 0, result.stdout
    issues = json.loads(result.stdout)["issues"]
    assert [(i["severity"], i["rule"]) for i in issues] == [
        ("warning", "geozarr.cf.fill-value-nan")
    ]
