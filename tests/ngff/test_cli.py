"""The ``ngff validate`` command: text output in a few lines per issue, JSON per contract."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ngff.cli import cli

BAD_PLATE = {
    "ome": {
        "version": "0.5",
        "plate": {
            "columns": [{"name": "1"}],
            "rows": [{"name": "A"}],
            "wells": [{"path": "1/A", "rowIndex": 0, "columnIndex": 0}],
        },
    }
}


def _write(tmp_path: Path, doc: object) -> str:
    path = tmp_path / "zarr.json"
    path.write_text(json.dumps({"zarr_format": 3, "node_type": "group", "attributes": doc}))
    return str(path)


def test_text_output_for_one_error_is_a_few_lines(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", _write(tmp_path, BAD_PLATE)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    error = [i for i, line in enumerate(lines) if line.startswith("error")]
    assert len(error) == 1
    block = lines[error[0] : error[0] + 4]
    assert block[0].split() == ["error", "ngff.plate.well-path"]
    assert "/attributes/ome/plate/wells/0/path" in block[1]
    assert "Expected the path" in block[2]
    assert block[3].strip() == "see OME-Zarr 0.5 §plate"
    assert lines[0].startswith("INVALID")
    assert "ome-zarr 0.5 plate" in lines[0]
    assert "ngff.plate.field-count" in result.output  # the plate gives no field_count
    assert lines[-1] == "1 error, 3 warnings"


def test_json_follows_the_contract(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", _write(tmp_path, BAD_PLATE), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert list(report) == ["target", "valid", "convention", "version", "node_type", "issues"]
    assert (report["valid"], report["convention"], report["version"], report["node_type"]) == (
        False,
        "ome-zarr",
        "0.5",
        "plate",
    )
    for issue in report["issues"]:
        assert list(issue) == ["severity", "rule", "path", "pointer", "message"]
    assert {i["rule"] for i in report["issues"] if i["severity"] == "error"} == {
        "ngff.plate.well-path"
    }


def test_strict_turns_shoulds_into_errors(tmp_path: Path) -> None:
    doc = {
        "ome": {
            "version": "0.5",
            "well": {"images": [{"path": "0"}]},
            "plate": {
                "columns": [{"name": "1"}],
                "rows": [{"name": "A"}],
                "wells": [{"path": "A/1", "rowIndex": 0, "columnIndex": 0}],
            },
        }
    }
    target = _write(tmp_path, doc)
    assert CliRunner().invoke(cli, ["validate", target]).exit_code == 0
    result = CliRunner().invoke(cli, ["validate", target, "--strict", "--format", "json"])
    assert result.exit_code == 1
    assert "ngff.plate.name" in {i["rule"] for i in json.loads(result.output)["issues"]}


def test_unreadable_target_exit_2_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope.zarr")])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
