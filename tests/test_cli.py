"""The command lines as users run them: real console scripts in subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ngff_geozarr.core.testing import free_port, serve_directory

BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]], capture_output=True, text=True, timeout=120, check=False
    )


def assert_one_line_failure(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize("command", ["ngff", "geozarr"])
def test_missing_path(command: str, tmp_path: Path) -> None:
    result = run(command, "info", str(tmp_path / "nope.zarr"))
    assert_one_line_failure(result, f"{command}: error:", "no such file")


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("ngff", ["--to", "0.5", "--out", "{tmp}/out.zarr"]),
        ("geozarr", ["{tmp}/out.zarr", "--zarr-format", "2"]),
    ],
)
def test_convert_failure_has_the_same_prefix_as_every_failure(
    command: str, args: list[str], tmp_path: Path
) -> None:
    # ngff convert printed "ngff convert: error:"; one policy prints "<command>: error:"
    rest = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = run(command, "convert", str(tmp_path / "nope.zarr"), *rest)
    assert_one_line_failure(result, f"{command}: error: ", "no such file")
    assert result.stderr.startswith(f"{command}: error: ")


def test_unreachable_url() -> None:
    result = run("ngff", "info", f"http://127.0.0.1:{free_port()}/store.zarr")
    assert_one_line_failure(result, "cannot be read")


def test_not_a_zarr_hierarchy(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("hi")
    result = run("geozarr", "info", str(tmp_path))
    assert_one_line_failure(result, "not a Zarr hierarchy")


def test_http_url_that_is_not_zarr(tmp_path: Path) -> None:
    with serve_directory(tmp_path) as (url, _):
        result = run("ngff", "info", f"{url}/nothing-here")
    assert_one_line_failure(result, "not a Zarr hierarchy")


def test_private_s3_bucket(
    samples: tuple[Path, Path], s3_upload: Callable[..., str], s3_endpoint: str
) -> None:
    url = s3_upload(samples[0], "cli-secret", public=False)
    result = run("ngff", "info", url, "--storage-option", f"endpoint_url={s3_endpoint}")
    # The message names the cause (Forbidden); under heavy load botocore may give up
    # retrying before moto answers, so only the exit code and the one line are pinned.
    assert_one_line_failure(result, "cannot be read")


def test_bad_option_is_one_line() -> None:
    result = run("ngff", "info", "x", "--format", "xml")
    assert_one_line_failure(result, "xml")


def test_bad_storage_option_is_one_line(samples: tuple[Path, Path]) -> None:
    result = run("ngff", "info", str(samples[0]), "--storage-option", "novalue")
    assert_one_line_failure(result, "KEY=VALUE")


def test_version_and_help() -> None:
    assert run("ngff", "--version").returncode == 0
    help_text = run("geozarr", "info", "--help")
    assert help_text.returncode == 0
    assert "TARGET" in help_text.stdout


def test_info_text_shows_the_tree_with_conventions(samples: tuple[Path, Path]) -> None:
    result = run("ngff", "info", str(samples[0]))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Zarr v3, consolidated; 3 groups, 4 arrays" in lines[0]  # ngff output is consolidated
    assert "[OME-Zarr 0.5 image]" in lines[1]
    level0 = next(line for line in lines if "── 0 " in line)
    for part in ("(16, 96, 96) uint16", "chunks (8, 48, 48)", "codecs bytes,zstd", "fill 0"):
        assert part in level0
    assert "dims (z, y, x)" in level0
    assert any("[OME-Zarr 0.5 label image]" in line for line in lines)


def test_geozarr_info_labels_cf_and_conventions(samples: tuple[Path, Path]) -> None:
    result = run("geozarr", "info", str(samples[1]), "--format", "json")
    assert result.returncode == 0, result.stderr
    nodes = {n["path"]: n for n in json.loads(result.stdout)["nodes"]}
    assert "proj EPSG:32632" in nodes[""]["conventions"]
    assert "conventions: proj, spatial" in nodes[""]["conventions"]
    assert "CF grid_mapping -> spatial_ref" in nodes["elevation"]["conventions"]
    assert "CF grid mapping (transverse_mercator)" in nodes["spatial_ref"]["conventions"]
    assert nodes["elevation"]["fill_value"] == "NaN"
    assert nodes["elevation"]["dimension_names"] == ["y", "x"]


def test_info_reports_broken_metadata_with_exit_1_and_no_traceback(tmp_path: Path) -> None:
    root = tmp_path / "s.zarr"
    (root / "bad").mkdir(parents=True)
    (root / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group"}')
    (root / "bad" / "zarr.json").write_text('{"zarr_format": 3, "node_')
    result = run("ngff", "info", str(root))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "zarr.metadata.malformed-json" in result.stdout
    assert "bad/zarr.json" in result.stdout


def test_info_of_a_json_dump(tmp_path: Path) -> None:
    dump = Path(__file__).parent / "data/conformance/geozarr/eopf/s2_examples"
    (path,) = dump.glob("S2A_*.json")
    result = run("geozarr", "info", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["source"], data["zarr_format"], len(data["nodes"])) == ("json", 2, 185)


def test_huge_declared_shape_is_shown(tmp_path: Path) -> None:
    root = tmp_path / "huge.zarr"
    root.mkdir()
    doc = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": [10**15, 10**15],
        "data_type": "float64",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [1024, 1024]}},
        "chunk_key_encoding": {"name": "default"},
        "fill_value": 0,
        "codecs": [{"name": "bytes"}],
        "attributes": {},
    }
    (root / "zarr.json").write_text(json.dumps(doc))
    result = run("ngff", "info", str(root), "--format", "json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["nodes"][0]["shape"] == [10**15, 10**15]
    assert data["nodes"][0]["n_chunks"] == (-(-(10**15) // 1024)) ** 2
    assert [i["rule"] for i in data["issues"]] == ["zarr.array.shape-overflow"]
