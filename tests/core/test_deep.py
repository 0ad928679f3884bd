"""``validate --deep``: the corpus of broken pyramids, each found under its own rule id.

Every store here is written by the project's writers, then broken on purpose through the
store layer (chunks deleted, levels rewritten with other data, shard bytes overwritten): the
deep check must report each defect with its own ``zarr.data.*`` rule, the node path and the
chunk key, and the unbroken store must raise nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import geozarr
import ngff
from ngff_geozarr.core.deep import Budget, budget_of
from ngff_geozarr.core.pyramid.kernels import downsample
from ngff_geozarr.core.report import Report
from ngff_geozarr.core.store import open_store

SHAPE = (128, 160)
CHUNKS = (32, 32)


def smooth(shape: tuple[int, ...], seed: int = 0, top: float = 4000.0) -> npt.NDArray[Any]:
    """Textured data like a micrograph: smooth blobs plus noise, never constant."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    base = np.sin(y / 7.0) * np.cos(x / 11.0) + 0.5 * np.sin((x + y) / 5.0)
    return (top * (base - base.min()) / np.ptp(base) + rng.normal(0, top / 40, shape)).clip(0, top)


def write_image(out: Path, **options: Any) -> Path:
    data = smooth(SHAPE).astype(np.uint16)
    ngff.write_image(data, out, axes="yx", chunks=CHUNKS, levels=3, **options)
    return out


def deep(target: str | Path, **options: Any) -> Report:
    return ngff.validate(str(target), deep=True, **options)


def rules(report: Report) -> set[str]:
    return {i.rule for i in report.issues}


def rewrite(store: Path, path: str, values: npt.NDArray[Any]) -> None:
    with open_store(store, "r+") as handle:
        array = handle.open_array(path)
        array.write(tuple(slice(0, n) for n in array.shape), values.astype(array.dtype))


def read(store: Path, path: str) -> npt.NDArray[Any]:
    with open_store(store) as handle:
        array = handle.open_array(path)
        return array.read(tuple(slice(0, n) for n in array.shape))


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_image(tmp_path_factory.mktemp("deep") / "image.ome.zarr")


@pytest.fixture
def broken(image: Path, tmp_path: Path) -> Callable[[], Path]:
    def copy() -> Path:
        return Path(shutil.copytree(image, tmp_path / "broken.ome.zarr"))

    return copy


# -- the defects ---------------------------------------------------------------------------


def no_chunks(store: Path) -> None:
    shutil.rmtree(store / "2" / "c")


def partial(store: Path) -> None:
    shutil.rmtree(store / "1" / "c" / "1")  # the lower half of level 1


def not_derived(store: Path) -> None:
    rewrite(store, "1", smooth((64, 80), seed=7)[::-1, ::-1] * 0.5 + smooth((64, 80), seed=9) * 0.5)


def shifted(store: Path) -> None:
    rewrite(store, "1", np.roll(read(store, "1"), 1, axis=1))


def fill_only(store: Path) -> None:
    rewrite(store, "2", np.zeros((32, 40)))


def codec_drift(store: Path) -> None:
    values = read(store, "2")
    with open_store(store, "r+") as handle:
        handle.create_empty_array(
            "2", shape=values.shape, dtype=values.dtype, chunks=CHUNKS, compression="zstd"
        ).write((slice(0, 32), slice(0, 40)), values)


DEFECTS = {
    "zarr.data.level-empty": (no_chunks, "2"),
    "zarr.data.level-partial": (partial, "1"),
    "zarr.data.level-not-derived": (not_derived, "1"),
    "zarr.data.level-shifted": (shifted, "1"),
    "zarr.data.level-fill-only": (fill_only, "2"),
    "zarr.data.level-drift": (codec_drift, "2"),
}


def test_the_writers_image_raises_nothing(image: Path) -> None:
    report = deep(image, sample=4)
    assert report.issues == ()
    assert report.exit_code == 0


@pytest.mark.parametrize("rule", sorted(DEFECTS))
def test_each_defect_is_found_under_its_own_rule(rule: str, broken: Callable[[], Path]) -> None:
    store = broken()
    breaking, path = DEFECTS[rule]
    breaking(store)
    report = deep(store, sample=4)
    found = [i for i in report.issues if i.rule == rule]
    assert found, [(i.rule, i.message) for i in report.issues]
    assert found[0].path == path  # (the level below a rewritten level no longer matches it)
    # without --deep the metadata is as valid as before: the data is what is broken
    assert rule not in rules(ngff.validate(str(store)))


def test_a_block_issue_names_its_chunk_key(broken: Callable[[], Path]) -> None:
    store = broken()
    shifted(store)
    (issue,) = {i.message: i for i in deep(store, sample=1).issues}.values()
    assert issue.rule == "zarr.data.level-shifted"
    assert "chunk '1/c/" in issue.message
    assert "[0, -1]" in issue.message  # its values are those one sample further along x
    assert issue.severity == "error"


def test_a_level_out_of_order_is_no_reduction(tmp_path: Path) -> None:
    store = write_image(tmp_path / "order.ome.zarr")
    # the level arrays swapped: "1" now holds the finer data
    (store / "1").rename(store / "tmp")
    (store / "0").rename(store / "1")
    (store / "tmp").rename(store / "0")
    report = deep(store)
    assert "zarr.data.level-not-derived" in rules(report)


def test_labels_with_invented_values(tmp_path: Path) -> None:
    store = write_image(tmp_path / "labels.ome.zarr")
    cells = (smooth(SHAPE, seed=3) // 500).astype(np.uint8)
    ngff.write_labels(cells, store, "cells")
    assert deep(store, sample=4).issues == ()
    level = read(store, "labels/cells/1")
    level[10:12, 10:12] = 200
    rewrite(store, "labels/cells/1", level)
    found = list(deep(store, sample=8).issues)
    assert [i.rule for i in found] == ["zarr.data.label-values-invented"]
    assert found[0].path == "labels/cells/1"
    assert "200" in found[0].message


def test_a_corrupt_shard_index(tmp_path: Path) -> None:
    store = write_image(tmp_path / "sharded.ome.zarr", shards=(64, 64))
    assert deep(store).issues == ()
    shard = store / "0" / "c" / "0" / "0"
    data = bytearray(shard.read_bytes())
    data[-20:-4] = (10**9).to_bytes(8, "little") * 2  # chunk 3 far beyond the shard's end
    shard.write_bytes(bytes(data))
    report = deep(store, sample=64)
    found = [i for i in report.issues if i.rule == "zarr.data.shard-index-invalid"]
    assert found
    assert found[0].path == "0"
    assert "'0/c/0/0'" in found[0].message


def test_nan_leaked_into_a_geo_mean(tmp_path: Path) -> None:
    data = smooth((96, 96)).astype(np.float32)
    data[10:30:3, 5:60:4] = np.nan
    out = tmp_path / "nan.zarr"
    geozarr.write(data, out, crs="EPSG:32633", transform=(10, 0, 5e5, 0, -10, 4e6), chunks=(32, 32))
    geozarr.pyramid(out, levels=2)
    assert geozarr.validate(str(out), deep=True, sample=4).issues == ()
    naive = data.reshape(48, 2, 48, 2).mean(axis=(1, 3))  # a mean that lets NaN in
    rewrite(out, "1/data", naive)
    report = geozarr.validate(str(out), deep=True, sample=4)
    assert rules(report) == {"zarr.data.nodata-leaked"}
    assert np.isnan(naive).any()
    assert np.allclose(naive[~np.isnan(naive)], downsample(data, (2, 2), "mean")[~np.isnan(naive)])


def test_nodata_value_mixed_into_a_mean(tmp_path: Path) -> None:
    data = smooth((64, 64)).astype(np.float32)
    data[8:20:3, 4:40:5] = -9999.0
    out = tmp_path / "nodata.zarr"
    geozarr.write(
        data,
        out,
        crs="EPSG:32633",
        transform=(10, 0, 5e5, 0, -10, 4e6),
        nodata=-9999.0,
        chunks=(32, 32),
    )
    geozarr.pyramid(out, levels=2)
    assert geozarr.validate(str(out), deep=True, sample=4).issues == ()
    rewrite(out, "1/data", data.reshape(32, 2, 32, 2).mean(axis=(1, 3)))
    assert "zarr.data.nodata-leaked" in rules(geozarr.validate(str(out), deep=True, sample=4))


def test_the_budget_is_never_exceeded_and_says_so(image: Path) -> None:
    report = deep(image, max_requests=3)
    assert rules(report) == {"zarr.data.budget-reached"}
    assert report.exit_code == 0  # a note, not a defect


def test_budget_arguments() -> None:
    assert budget_of(False) is None
    assert budget_of(True, sample=3) == Budget(sample=3)
    with pytest.raises(ValueError, match="deep=True"):
        budget_of(False, sample=3)
    with pytest.raises(ValueError, match="positive"):
        Budget(max_bytes=0)
