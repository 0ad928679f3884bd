"""``ngff validate --deep``: our writers' and the peers' pyramids raise nothing; defects are
found the same way over HTTP and S3; the command's options and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.core.test_deep import SHAPE, read, rewrite, shifted, smooth, write_image

import ngff
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.testing import serve_directory

REPO = Path(__file__).resolve().parents[2]
PEER_PYTHON = REPO / ".venv-peers" / "bin" / "python"
DATA = ("zarr.data.",)


def deep_rules(report: Report) -> list[tuple[str, str, str]]:
    return [(i.rule, i.path, i.message) for i in report.issues if i.rule.startswith(DATA)]


@pytest.mark.parametrize(
    "options",
    [
        {"version": "0.4"},
        {"version": "0.5", "method": "gaussian"},
        {"version": "0.5", "method": "nearest", "shards": (64, 64)},
        {"version": "0.5", "method": "max", "compression": "zstd"},
        {"version": "0.6", "method": "min"},
    ],
    ids=["0.4-mean-v2", "0.5-gaussian", "0.5-nearest-sharded", "0.5-max", "0.6-min"],
)
def test_our_images_raise_nothing(tmp_path: Path, options: dict[str, Any]) -> None:
    store = write_image(tmp_path / "image.ome.zarr", **options)
    ngff.write_labels((smooth(SHAPE, seed=3) // 500).astype(np.uint8), store, "cells")
    report = ngff.validate(str(store), deep=True, sample=8)
    assert deep_rules(report) == []


def test_our_plate_raises_nothing(tmp_path: Path) -> None:
    fields = [smooth((64, 64), seed=s).astype(np.uint16) for s in range(4)]
    out = tmp_path / "plate.ome.zarr"
    ngff.write_plate(
        out, {"A/1": fields[:2], "B/2": fields[2:]}, axes="yx", levels=3, chunks=(16, 16)
    )
    report = ngff.validate(str(out), deep=True)
    assert deep_rules(report) == []
    assert report.exit_code == 0


def test_a_float_image_with_nan_raises_nothing(tmp_path: Path) -> None:
    data = smooth(SHAPE).astype(np.float32)
    data[5:40:7, 3:90:5] = np.nan
    out = tmp_path / "nan.ome.zarr"
    ngff.write_image(data, out, axes="yx", chunks=(32, 32), levels=3)
    assert deep_rules(ngff.validate(str(out), deep=True, sample=8)) == []


# -- the peers -------------------------------------------------------------------------------

PEER_WRITERS = r"""
import sys, numpy as np, zarr
import ngff_zarr as nz
from ome_zarr.format import FormatV04, FormatV05
from ome_zarr.writer import write_image, write_labels
img, lab = np.load("img.npy"), np.load("lab.npy")
for fmt, F, zf in (("0.4", FormatV04(), 2), ("0.5", FormatV05(), 3)):
    root = zarr.open_group(f"ome-zarr-py-{fmt}.ome.zarr", mode="w", zarr_format=zf)
    write_image(img, root, axes="yx", fmt=F, storage_options=dict(chunks=(64, 64)))
    write_labels(lab, root, name="cells", axes="yx", fmt=F)
for name, data in (("ITKWASM_GAUSSIAN", img), ("ITKWASM_BIN_SHRINK", img),
                   ("ITKWASM_LABEL_IMAGE", lab), ("DASK_IMAGE_MODE", lab)):
    image = nz.to_ngff_image(data, dims=["y", "x"])
    ms = nz.to_multiscales(image, scale_factors=[2, 4], method=getattr(nz.Methods, name), chunks=64)
    nz.to_ngff_zarr(f"ngff-zarr-{name}.ome.zarr", ms)
print("DONE")
"""


@pytest.fixture(scope="module")
def peer_stores(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    if not PEER_PYTHON.exists():
        pytest.skip("the peer venv .venv-peers is missing (make peers)")
    folder = tmp_path_factory.mktemp("peers")
    np.save(folder / "img.npy", smooth((256, 320)).astype(np.uint16))
    np.save(folder / "lab.npy", (smooth((256, 320), seed=3) // 500).astype(np.uint8))
    result = subprocess.run(
        [str(PEER_PYTHON), "-c", PEER_WRITERS],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=folder,
    )
    assert "DONE" in result.stdout, result.stderr[-3000:]
    return sorted(folder.glob("*.ome.zarr"))


def test_the_peers_pyramids_raise_nothing(peer_stores: list[Path]) -> None:
    assert len(peer_stores) == 6
    for store in peer_stores:
        report = ngff.validate(str(store), deep=True, sample=8)
        assert deep_rules(report) == [], store.name


def test_a_peers_shifted_level_is_found(peer_stores: list[Path], tmp_path: Path) -> None:
    store = Path(shutil.copytree(peer_stores[-1], tmp_path / "peer.ome.zarr"))
    assert store.name.startswith("peer")
    names = sorted(p.name for p in peer_stores)
    original = next(p for p in peer_stores if p.name == names[-1])
    level = "s1" if (original / "s1").exists() else "scale1/image"
    rewrite(store, level, np.roll(read(store, level), 1, axis=0))
    found = {rule for rule, _, _ in deep_rules(ngff.validate(str(store), deep=True))}
    assert "zarr.data.level-shifted" in found


# -- remote stores ----------------------------------------------------------------------------


def test_over_http_a_shifted_level_and_a_missing_level(
    http_root: tuple[Path, str], tmp_path: Path
) -> None:
    folder, url = http_root
    good = write_image(folder / "good.ome.zarr")
    bad = Path(shutil.copytree(good, folder / "bad.ome.zarr"))
    shifted(bad)
    shutil.rmtree(bad / "2" / "c")
    assert deep_rules(ngff.validate(f"{url}/good.ome.zarr", deep=True)) == []
    found = deep_rules(ngff.validate(f"{url}/bad.ome.zarr", deep=True))
    assert ("zarr.data.level-shifted", "1") in {(r, p) for r, p, _ in found}
    assert ("zarr.data.level-empty", "2") in {(r, p) for r, p, _ in found}


def test_over_http_without_listings_coverage_is_a_note(tmp_path: Path) -> None:
    store = write_image(tmp_path / "image.ome.zarr")
    shifted(store)
    with serve_directory(tmp_path, listing=False) as (url, _):
        report = ngff.validate(f"{url}/image.ome.zarr", deep=True)
    found = {r for r, _, _ in deep_rules(report)}
    assert found == {"zarr.data.not-listable", "zarr.data.level-shifted"}


def test_over_s3_the_corpus_is_found(
    s3_upload: Callable[..., str], s3_options: dict[str, Any], tmp_path: Path
) -> None:
    good = write_image(tmp_path / "good.ome.zarr")
    bad = Path(shutil.copytree(good, tmp_path / "bad.ome.zarr"))
    shutil.rmtree(bad / "1" / "c" / "1")
    good_url = s3_upload(good, "deep-good.ome.zarr")
    bad_url = s3_upload(bad, "deep-bad.ome.zarr")
    assert deep_rules(ngff.validate(good_url, deep=True, storage_options=s3_options)) == []
    found = deep_rules(ngff.validate(bad_url, deep=True, storage_options=s3_options))
    assert ("zarr.data.level-partial", "1") in {(r, p) for r, p, _ in found}


def test_http_requests_stay_within_the_budget(http_root: tuple[Path, str]) -> None:
    folder, _ = http_root
    write_image(folder / "image.ome.zarr")
    with serve_directory(folder) as (url, log):
        ngff.validate(f"{url}/image.ome.zarr")
        metadata_only = log.count
        log.clear()
        report = ngff.validate(f"{url}/image.ome.zarr", deep=True, max_requests=5)
        assert log.count <= metadata_only + 5
    assert "zarr.data.budget-reached" in {r for r, _, _ in deep_rules(report)}


# -- the command ------------------------------------------------------------------------------


def _ngff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from ngff.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_command(tmp_path: Path) -> None:
    store = write_image(tmp_path / "image.ome.zarr")
    shifted(store)
    assert _ngff("validate", str(store)).returncode == 0
    result = _ngff("validate", str(store), "--deep", "--sample", "1", "--format", "json")
    assert result.returncode == 1
    issues = json.loads(result.stdout)["issues"]
    assert {i["rule"] for i in issues} == {
        "zarr.data.level-shifted",
        "zarr.data.level-not-derived",
    } or {i["rule"] for i in issues} == {"zarr.data.level-shifted"}
    for args in (["--sample", "2"], ["--deep", "--max-requests", "0"]):
        result = _ngff("validate", str(store), *args)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("ngff: error: ")
