"""``ngff audit`` / ``geozarr audit``: every store root under a folder, an s3:// prefix (the
moto server) or an HTTP listing (the test server), validated concurrently, one table or one
JSON line per root, exit code by the worst verdict."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import geozarr
import ngff
from geozarr.cli import cli as geozarr_cli
from ngff.cli import cli as ngff_cli
from ngff_geozarr.core.audit import audit, audit_exit_code, find_roots
from ngff_geozarr.core.errors import TargetError
from ngff_geozarr.core.testing import serve_directory

TRANSFORM = (30.0, 0.0, 500_000.0, 0.0, -30.0, 5_200_000.0)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of stores at several depths: two OME images, a GeoZarr raster, a broken
    image (a level gone), a folder with no store, and a stray file."""
    root = tmp_path_factory.mktemp("audit") / "bucket"
    image = np.arange(2 * 32 * 32, dtype=np.uint16).reshape(2, 32, 32)
    ngff.write_image(image, root / "a" / "one.ome.zarr", axes="cyx", levels=2)
    ngff.write_image(image, root / "a" / "deeper" / "two.ome.zarr", axes="cyx", version="0.4")
    ngff.write_image(image, root / "broken.ome.zarr", axes="cyx", levels=2)
    shutil.rmtree(root / "broken.ome.zarr" / "1")
    geozarr.write(np.ones((32, 32), np.float32), root / "geo" / "dem.zarr", crs="EPSG:32632",
                  transform=TRANSFORM)  # fmt: skip
    (root / "empty" / "nothing").mkdir(parents=True)
    (root / "README.txt").write_text("not a store")
    return root


ROOTS = ["a/deeper/two.ome.zarr", "a/one.ome.zarr", "broken.ome.zarr", "geo/dem.zarr"]
OME_VERDICTS = {
    "a/deeper/two.ome.zarr": "valid",
    "a/one.ome.zarr": "valid",
    "broken.ome.zarr": "invalid",
    "geo/dem.zarr": "invalid",  # no OME metadata: not an OME-Zarr store
}


def test_find_roots_in_a_folder(tree: Path) -> None:
    assert find_roots(str(tree)) == [str(tree / r) for r in ROOTS]
    # a root itself is the only root under it: its groups and arrays are not roots
    assert find_roots(str(tree / "a" / "one.ome.zarr")) == [str(tree / "a" / "one.ome.zarr")]
    assert find_roots(str(tree / "empty")) == []


def test_find_roots_refuses_what_cannot_be_listed(tree: Path) -> None:
    with pytest.raises(TargetError, match="not a folder"):
        find_roots(str(tree / "README.txt"))


def test_find_roots_over_http(tree: Path) -> None:
    with serve_directory(tree) as (url, log):
        found = find_roots(url + "/")
        assert found == [f"{url}/{r}" for r in ROOTS]
    # one listing per folder, none inside a root: a root's groups and chunks are never listed
    folders = ["", "a/", "a/deeper/", "broken.ome.zarr/", "empty/", "empty/nothing/", "geo/",
               *(r + "/" for r in ROOTS if r != "broken.ome.zarr")]  # fmt: skip
    # (fsspec asks an empty listing again without its slash; the server redirects)
    assert {p.rstrip("/") for _, p, _ in log.entries} == {("/" + f).rstrip("/") for f in folders}


def test_find_roots_on_s3(tree: Path, s3_upload: Callable[..., str],
                          s3_options: dict[str, Any]) -> None:  # fmt: skip
    prefix = s3_upload(tree, "audit-find")
    assert find_roots(prefix, s3_options) == [f"{prefix}/{r}" for r in ROOTS]


def test_audit_verdicts_and_exit_code(tree: Path) -> None:
    roots = find_roots(str(tree))
    results = audit(roots, ngff.validate, jobs=3)
    assert [r.root for r in results] == roots
    verdicts = {str(Path(r.root).relative_to(tree)): r.verdict for r in results}
    assert verdicts == OME_VERDICTS
    assert audit_exit_code(results) == 1
    assert audit_exit_code([r for r in results if r.verdict == "valid"]) == 0
    gone = audit([str(tree / "gone.zarr"), *roots[:1]], ngff.validate)
    assert [r.verdict for r in gone] == ["unreadable", "valid"]
    assert audit_exit_code(gone) == 2


def test_cli_table_and_exit_code(tree: Path) -> None:
    result = CliRunner().invoke(ngff_cli, ["audit", str(tree)])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    for root, verdict in OME_VERDICTS.items():
        (line,) = [ln for ln in lines if str(tree / root) in ln]
        assert verdict in line
    assert "4 roots: 2 valid, 2 invalid, 0 unreadable" in result.stdout


def test_cli_jsonl_on_s3(tree: Path, s3_upload: Callable[..., str], s3_endpoint: str) -> None:
    prefix = s3_upload(tree, "audit-cli")
    result = CliRunner().invoke(
        geozarr_cli,
        ["audit", prefix, "--format", "jsonl", "--jobs", "4", "--for", "gdal-3.12",
         "--storage-option", f"endpoint_url={s3_endpoint}"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["root"] for r in rows] == [f"{prefix}/{r}" for r in ROOTS]
    assert {r["root"].rpartition("/")[2]: r["verdict"] for r in rows} == {
        "two.ome.zarr": "invalid", "one.ome.zarr": "invalid", "broken.ome.zarr": "invalid",
        "dem.zarr": "valid",
    }  # fmt: skip
    geo = rows[-1]
    assert set(geo) == {"root", "kind", "version", "verdict", "errors", "warnings", "rules"}
    assert geo["kind"] == "dataset"
    assert geo["errors"] == 0


def test_cli_over_http_listing(tree: Path) -> None:
    with serve_directory(tree) as (url, _):
        result = CliRunner().invoke(ngff_cli, ["audit", url + "/a/", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["root"], r["verdict"], r["version"]) for r in rows] == [
        (f"{url}/a/deeper/two.ome.zarr", "valid", "0.4"),
        (f"{url}/a/one.ome.zarr", "valid", "0.5"),
    ]


@pytest.mark.parametrize("args", [["empty"], ["README.txt"], ["empty", "--jobs", "0"]])
def test_cli_usage_errors(tree: Path, args: list[str]) -> None:
    result = CliRunner().invoke(ngff_cli, ["audit", str(tree / args[0]), *args[1:]])
    assert result.exit_code == 2
    assert result.stderr.startswith("ngff: error: ")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""
