"""choose_layout() and unshard_small_levels(): chunks and shards per target; every shard of
every level written exactly once, small levels unsharded; the OME-Zarr written validates."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ngff
from ngff_geozarr.core.pyramid import PyramidError, plan, write_pyramid
from ngff_geozarr.core.pyramid.shards import TARGETS, choose_layout, unshard_small_levels
from ngff_geozarr.core.store import open_store

SPACE3 = ("space", "space", "space")


class CountingDict(dict[str, Any]):
    """An in-memory store's mapping that counts the writes of every key."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: Counter[str] = Counter()

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes[key] += 1
        super().__setitem__(key, value)


@pytest.mark.parametrize("target", ["viewer", "archive", "gdal"])
@pytest.mark.parametrize(
    ("shape", "dtype", "kinds"),
    [
        ((30, 15000, 15000), "uint16", SPACE3),
        ((2, 3, 700, 900), "float32", ("time", "channel", "space", "space")),
        ((40000, 50000), "uint8", ("space", "space")),
        ((5, 20, 20), "uint16", SPACE3),
    ],
)
def test_layouts_fit_their_target(shape: Any, dtype: str, kinds: Any, target: str) -> None:
    chunks, shards = choose_layout(shape, dtype, kinds, target)  # type: ignore[arg-type]
    budget = TARGETS[target]
    itemsize = np.dtype(dtype).itemsize
    assert math.prod(chunks) * itemsize <= budget.chunk_bytes or target == "gdal"
    assert all(c == 1 for c, k in zip(chunks, kinds, strict=True) if k != "space")
    assert all(1 <= c <= n for c, n in zip(chunks, shape, strict=True))
    if target == "gdal":
        assert shards is None
        assert [c for c in chunks if c > 1] == [min(512, n) for n in shape[-2:]]
        return
    if shards is None:  # one chunk spans every spatial axis: a shard would hold one chunk
        assert all(c == n for c, n, k in zip(chunks, shape, kinds, strict=True) if k == "space")
        return
    assert budget.shard_bytes is not None
    assert math.prod(shards) * itemsize <= budget.shard_bytes
    assert all(s % c == 0 for s, c in zip(shards, chunks, strict=True))
    assert shards != chunks
    assert all(s < n + c for s, n, c in zip(shards, shape, chunks, strict=True))


@pytest.mark.parametrize("target", ["viewer", "archive"])
@pytest.mark.parametrize(
    ("shape", "kinds"),
    [
        ((64, 2048, 2048), SPACE3),
        ((40, 4096, 4096), SPACE3),
        ((8192, 8192), ("space", "space")),
        ((3, 16, 8192, 8192), ("channel", "space", "space", "space")),
    ],
)
def test_shards_fill_their_budget_when_an_axis_is_short(
    shape: Any, kinds: Any, target: str
) -> None:
    # An axis shorter than the cube the budget makes (z here) passes its share of the
    # shard budget to the others: the shard holds at least half its budget, not a cube
    # clipped to the short axis (measured in benchmarks/layout_cost.py: objects per GiB).
    chunks, shards = choose_layout(shape, "uint16", kinds, target)  # type: ignore[arg-type]
    budget = TARGETS[target].shard_bytes
    assert budget is not None
    assert shards is not None
    assert budget // 2 < math.prod(shards) * 2 <= budget
    assert all(s % c == 0 for s, c in zip(shards, chunks, strict=True))


def test_unknown_target_and_mismatched_kinds_are_refused() -> None:
    with pytest.raises(PyramidError, match="target"):
        choose_layout((10, 10), "uint8", ("space", "space"), "tape")  # type: ignore[arg-type]
    with pytest.raises(PyramidError, match="2 axis kinds"):
        choose_layout((10, 10), "uint8", ("space",))


def test_every_shard_is_written_once_and_small_levels_are_unsharded() -> None:
    data = np.random.default_rng(2).integers(0, 999, size=(6, 300, 260)).astype(np.uint16)
    levels = unshard_small_levels(plan(data.shape, (2, 32, 32), shards=(4, 128, 128)))
    assert levels[0].shards is not None
    assert levels[-1].shards is None
    mapping = CountingDict()
    store = open_store(mapping, "a")
    result = write_pyramid(data, store, levels, workers=3)
    for path, level in zip(result.paths, result.levels, strict=True):
        block = level.shards or level.chunks
        expected = math.prod(-(-n // b) for n, b in zip(level.shape, block, strict=True))
        keys = {k: n for k, n in mapping.writes.items() if k.startswith(f"{path}/c/")}
        assert len(keys) == expected, path
        assert set(keys.values()) == {1}, path  # no shard read, merged and rewritten
        assert store.open_array(path).shards == level.shards


def test_a_layout_chosen_for_a_viewer_validates(tmp_path: Path) -> None:
    data = np.random.default_rng(3).integers(0, 999, size=(3, 200, 180)).astype(np.uint16)
    chunks, shards = choose_layout(data.shape, data.dtype, SPACE3, "viewer")
    assert shards is not None
    target = tmp_path / "viewer.ome.zarr"
    ngff.write_image(data, target, chunks=chunks, shards=shards, version="0.5")
    report = ngff.validate(str(target))
    assert report.valid, report
    assert not [i for i in report.issues if i.severity == "warning"]
