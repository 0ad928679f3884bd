"""write_pyramid(): output equal to the in-memory reference, one read of the source, bounded
work per tile, metadata last, resume after a crash, dask equal to threads byte for byte."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ngff_geozarr.core.pyramid import (
    OutputOptions,
    Progress,
    PyramidError,
    PyramidResult,
    plan,
    write_pyramid,
)
from ngff_geozarr.core.pyramid.kernels import Method
from ngff_geozarr.core.pyramid.plan import Level
from ngff_geozarr.core.store import StoreHandle, open_store

Reference = Callable[[np.ndarray, Sequence[Level], Method], list[np.ndarray]]
Files = Callable[[Path], dict[str, bytes]]
CRASH_WRITER = Path(__file__).with_name("crash_writer.py")


def full(shape: Sequence[int]) -> tuple[slice, ...]:
    return tuple(slice(0, n) for n in shape)


def read_levels(store: StoreHandle, result: PyramidResult) -> list[np.ndarray]:
    return [
        store.open_array(path).read(full(level.shape))
        for path, level in zip(result.paths, result.levels, strict=True)
    ]


def volume(dtype: Any = np.uint16, shape: tuple[int, ...] = (13, 45, 51)) -> np.ndarray:
    rng = np.random.default_rng(7)
    if np.dtype(dtype).kind == "f":
        data = rng.normal(100, 30, size=shape).astype(dtype)
        data[rng.random(shape) < 0.2] = np.nan
        data[:2, :2, :2] = np.nan  # one block with nothing valid
        return data
    step = 50 if np.dtype(dtype).itemsize == 1 else 1000
    return (rng.integers(0, 5, size=shape) * step + rng.integers(0, 3, size=shape)).astype(dtype)


class RecordingSource:
    """A numpy array that records every region read from it (from any thread)."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data
        self.shape = data.shape
        self.dtype = data.dtype
        self.regions: list[tuple[slice, ...]] = []
        self.lock = threading.Lock()

    def __getitem__(self, region: tuple[slice, ...]) -> np.ndarray:
        with self.lock:
            self.regions.append(region)
        return self.data[region]


@pytest.mark.parametrize("method", ["mean", "mode", "min", "max", "nearest"])
@pytest.mark.parametrize(
    "layout",
    [
        pytest.param({"zarr_format": 3}, id="v3"),
        pytest.param({"zarr_format": 3, "shards": (8, 32, 32)}, id="v3-sharded"),
        pytest.param({"zarr_format": 2}, id="v2"),
    ],
)
def test_output_equals_the_in_memory_reference(
    tmp_path: Path, method: Method, layout: dict[str, Any], reference_pyramid: Reference
) -> None:
    data = volume(np.float32 if method in ("mean", "min", "max") else np.uint16)
    levels = plan(data.shape, (4, 16, 16), shards=layout.get("shards"))
    assert len(levels) >= 3
    with open_store(tmp_path / "out.zarr", "w-") as store:
        result = write_pyramid(
            data,
            store,
            levels,
            method=method,
            workers=3,
            output=OutputOptions(zarr_format=layout["zarr_format"]),
        )
        got = read_levels(store, result)
    for level, have, want in zip(levels, got, reference_pyramid(data, levels, method), strict=True):
        assert have.dtype == data.dtype
        np.testing.assert_array_equal(have, want, err_msg=f"level {level.index}")


def test_gaussian_equals_the_reference_when_each_level_is_one_tile(
    reference_pyramid: Reference,
) -> None:
    data = volume(np.uint8, (9, 40, 40))
    levels = plan(data.shape, (64, 64, 64), levels=3)
    store = open_store({}, "a")
    result = write_pyramid(data, store, levels, method="gaussian")
    for have, want in zip(
        read_levels(store, result), reference_pyramid(data, levels, "gaussian"), strict=True
    ):
        np.testing.assert_array_equal(have, want)


def test_anisotropic_plan_and_explicit_factors(reference_pyramid: Reference) -> None:
    data = volume(np.int16, (6, 50, 70))
    for levels in (
        plan(data.shape, (3, 8, 8), scale=(4.0, 1.0, 1.0)),
        plan(data.shape, (3, 10, 9), factors=[(1, 3, 2), (3, 2, 3)]),
    ):
        store = open_store({}, "a")
        result = write_pyramid(data, store, levels, method="mean", workers=2)
        for have, want in zip(
            read_levels(store, result), reference_pyramid(data, levels, "mean"), strict=True
        ):
            np.testing.assert_array_equal(have, want)


def test_the_source_is_read_once_in_tile_sized_regions() -> None:
    data = volume(np.uint16, (17, 64, 80))
    source = RecordingSource(data)
    levels = plan(data.shape, (4, 16, 16))
    write_pyramid(source, open_store({}, "a"), levels, workers=2)
    counts = np.zeros(data.shape, dtype=np.int32)
    for region in source.regions:
        assert all(s.stop - s.start <= c for s, c in zip(region, (4, 16, 16), strict=True))
        counts[region] += 1
    assert (counts == 1).all()


def test_memory_is_bounded_by_tiles_not_by_the_volume(tmp_path: Path) -> None:
    peaks: dict[int, int] = {}
    for depth in (64, 256):
        data = volume(np.uint16, (depth, 128, 128))
        levels = plan(data.shape, (16, 64, 64), levels=3)
        for run in range(2):  # the lower of two runs: a busy machine's timing adds noise
            with open_store(tmp_path / f"{depth}-{run}.zarr", "w-") as store:
                tracemalloc.start()  # the source is allocated already: only the writer counts
                try:
                    # One worker: the same bound, without peaks that depend on thread timing.
                    write_pyramid(data, store, levels, workers=1)
                    peak = tracemalloc.get_traced_memory()[1]
                    peaks[depth] = min(peaks.get(depth, peak), peak)
                finally:
                    tracemalloc.stop()
    # Far below the 8 MiB volume; and flat. The writer's own peak is about 0.75 MiB at
    # either depth (up to 1.26 times apart measured on a loaded machine); holding a whole
    # level (1 MiB for level 1 at depth 256, a quarter of that at depth 64) would make them
    # about 1.8 times apart, and break the second bound.
    assert peaks[256] < 8 * 2**20 / 4
    assert peaks[256] < 1.5 * peaks[64]


@pytest.mark.parametrize("kind", ["memmap", "store-array", "dask"])
def test_sources_numpy_memmap_store_array_and_dask(
    tmp_path: Path, kind: str, reference_pyramid: Reference
) -> None:
    data = volume(np.uint16, (10, 40, 36))
    levels = plan(data.shape, (4, 16, 16))
    source: Any
    if kind == "memmap":
        source = np.lib.format.open_memmap(tmp_path / "v.npy", "w+", data.dtype, data.shape)
        source[...] = data
        source.flush()
        source = np.load(tmp_path / "v.npy", mmap_mode="r")
    elif kind == "store-array":
        with open_store(tmp_path / "src.zarr", "w-") as src:
            src.create_array("raw", data, chunks=(3, 7, 11))
        source = open_store(tmp_path / "src.zarr").open_array("raw")
    else:
        da = pytest.importorskip("dask.array")
        source = da.from_array(data, chunks=(5, 13, 17))
    store = open_store({}, "a")
    result = write_pyramid(source, store, levels, method="mode", workers=2)
    for have, want in zip(
        read_levels(store, result), reference_pyramid(data, levels, "mode"), strict=True
    ):
        np.testing.assert_array_equal(have, want)


def test_progress_counts_every_tile_and_metadata_comes_last() -> None:
    data = volume(np.uint16, (9, 33, 40))
    levels = plan(data.shape, (4, 16, 16))
    store = open_store({}, "a")
    seen: list[Progress] = []
    calls: list[PyramidResult] = []

    def write_metadata(result: PyramidResult) -> None:
        # Every block of every level exists by the time metadata is written.
        for path, level in zip(result.paths, result.levels, strict=True):
            array = store.open_array(path)
            grid = [-(-n // c) for n, c in zip(level.shape, array.block_shape, strict=True)]
            assert len(array.stored_blocks()) == int(np.prod(grid))
        assert seen[-1].done == seen[-1].total
        calls.append(result)

    result = write_pyramid(
        data, store, levels, workers=2, progress=seen.append, write_metadata=write_metadata
    )
    assert calls == [result]
    assert [p.done for p in seen] == list(range(1, len(seen) + 1))
    assert {p.total for p in seen} == {len(seen)} == {result.tiles_written}
    assert {p.level for p in seen} == set(range(len(levels)))


def test_a_failing_run_never_writes_metadata() -> None:
    data = volume(np.uint16, (9, 33, 40))

    class Failing(RecordingSource):
        def __getitem__(self, region: tuple[slice, ...]) -> np.ndarray:
            if len(self.regions) > 5:
                raise OSError("disk on fire")
            return super().__getitem__(region)

    calls: list[PyramidResult] = []
    with pytest.raises(OSError, match="disk on fire"):
        write_pyramid(
            Failing(data),
            open_store({}, "a"),
            plan(data.shape, (4, 8, 8)),
            workers=2,
            write_metadata=calls.append,
        )
    assert calls == []


def test_interrupted_then_resumed_equals_an_uninterrupted_run(
    tmp_path: Path, store_files: Files
) -> None:
    data = volume(np.uint16, (12, 40, 48))
    levels = plan(data.shape, (4, 8, 8))
    with open_store(tmp_path / "clean.zarr", "w-") as store:
        write_pyramid(data, store, levels, workers=2)

    class Stop(Exception):
        pass

    def stop_after(n: int) -> Callable[[Progress], None]:
        def progress(p: Progress) -> None:
            if p.done == n:
                raise Stop

        return progress

    target = tmp_path / "resumed.zarr"
    calls: list[PyramidResult] = []
    with open_store(target, "w-") as store, pytest.raises(Stop):
        write_pyramid(
            data, store, levels, workers=2, progress=stop_after(40), write_metadata=calls.append
        )
    with open_store(target, "a") as store, pytest.raises(Stop):
        write_pyramid(
            data,
            store,
            levels,
            workers=2,
            resume=True,
            progress=stop_after(30),
            write_metadata=calls.append,
        )
    assert calls == []
    # What a write cut short by a killed process leaves behind in a local store:
    leftover = target / "0" / "c" / "0" / "0" / ("1." + "ab" * 16 + ".partial")
    leftover.write_bytes(b"torn")
    with open_store(target, "a") as store:
        result = write_pyramid(
            data, store, levels, workers=2, resume=True, write_metadata=calls.append
        )
    assert len(calls) == 1
    assert result.tiles_skipped > 0
    assert not leftover.exists()
    assert store_files(target) == store_files(tmp_path / "clean.zarr")


@pytest.mark.parametrize("kill_after", [1, 9, 57])
def test_sigkilled_writer_resumes_to_identical_bytes(
    tmp_path: Path, kill_after: int, store_files: Files
) -> None:
    def run(target: Path, kill: int, mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(CRASH_WRITER), str(target), str(kill), mode],
            capture_output=True,
            text=True,
            timeout=120,
        )

    clean = run(tmp_path / "clean.zarr", -1, "fresh")
    assert clean.returncode == 0, clean.stderr
    target = tmp_path / "crashed.zarr"
    killed = run(target, kill_after, "fresh")
    assert killed.returncode == -9, killed.stderr
    assert not (target / "complete.json").exists()
    if kill_after == 9:  # a second crash, during the resumed run
        again = run(target, 5, "resume")
        assert again.returncode == -9, again.stderr
        assert not (target / "complete.json").exists()
    resumed = run(target, -1, "resume")
    assert resumed.returncode == 0, resumed.stderr
    counts = json.loads(resumed.stdout)
    assert counts["skipped"] > 0
    assert (target / "complete.json").exists()
    clean_files, resumed_files = store_files(tmp_path / "clean.zarr"), store_files(target)
    assert not [k for k in resumed_files if k.endswith(".partial")]
    assert resumed_files == clean_files


def test_dask_cluster_output_is_byte_identical_to_threads(
    tmp_path: Path, store_files: Files
) -> None:
    distributed = pytest.importorskip("distributed")
    data = volume(np.uint32, (10, 48, 40))
    levels = plan(data.shape, (4, 16, 16))
    with open_store(tmp_path / "threads.zarr", "w-") as store:
        write_pyramid(data, store, levels, method="mode", workers=2)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
        open_store(tmp_path / "dask.zarr", "w-") as store,
    ):
        write_pyramid(data, store, levels, method="mode", client=client)
    assert store_files(tmp_path / "dask.zarr") == store_files(tmp_path / "threads.zarr")


def test_adding_levels_to_a_stored_base_leaves_the_base_alone(
    tmp_path: Path, store_files: Files, reference_pyramid: Reference
) -> None:
    data = volume(np.uint16, (8, 40, 40))
    levels = plan(data.shape, (4, 16, 16))
    target = tmp_path / "image.zarr"
    with open_store(target, "w-") as store:
        write_pyramid(data, store, levels[:1])
    before = store_files(target)
    with open_store(target, "a") as store:
        base = store.open_array("0")
        result = write_pyramid(base, store, levels, write_base=False)
        got = read_levels(store, result)
    after = store_files(target)
    assert {k: after[k] for k in before} == before
    assert any(k.startswith("1/") for k in after)
    for have, want in zip(got, reference_pyramid(data, levels, "mean"), strict=True):
        np.testing.assert_array_equal(have, want)


def test_output_options_reach_the_arrays(tmp_path: Path) -> None:
    data = volume(np.uint16, (4, 20, 20))
    levels = plan(data.shape, (2, 8, 8), levels=2)
    target = tmp_path / "v2.zarr"
    with open_store(target, "w-") as store:
        write_pyramid(
            data,
            store,
            levels,
            output=OutputOptions(
                zarr_format=2,
                compression="zstd",
                fill_value=7,
                attributes={"_ARRAY_DIMENSIONS": ["z", "y", "x"]},
            ),
        )
    meta = json.loads((target / "1" / ".zarray").read_text())
    assert meta["compressor"]["id"] == "zstd"
    assert meta["dimension_separator"] == "/"
    assert meta["fill_value"] == 7
    assert (target / "1" / "0" / "0" / "0").is_file()
    assert json.loads((target / "1" / ".zattrs").read_text()) == {
        "_ARRAY_DIMENSIONS": ["z", "y", "x"]
    }
    with open_store(tmp_path / "v3.zarr", "w-") as store:
        write_pyramid(data, store, levels, output=OutputOptions(dimension_names=("z", "y", "x")))
    meta = json.loads((tmp_path / "v3.zarr" / "0" / "zarr.json").read_text())
    assert meta["dimension_names"] == ["z", "y", "x"]
    assert meta["codecs"][-1]["name"] == "blosc"
    assert meta["codecs"][-1]["configuration"]["shuffle"] == "shuffle"


def test_mistakes_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    data = volume(np.uint16, (4, 20, 20))
    levels = plan(data.shape, (2, 8, 8))
    store = open_store({}, "a")
    with pytest.raises(PyramidError, match="base shape"):
        write_pyramid(data[:3], store, levels)
    with pytest.raises(PyramidError, match="method among"):
        write_pyramid(data, store, levels, method="median")  # type: ignore[arg-type]
    with pytest.raises(PyramidError, match="distinct array paths"):
        write_pyramid(data, store, levels, paths=["0"] * len(levels))
    with pytest.raises(PyramidError, match="boolean, integer or float"):
        write_pyramid(data.astype(np.complex64), store, levels)
    with pytest.raises(PyramidError, match=r"levels\[1\] of shape"):
        write_pyramid(data, store, [levels[0], levels[2]])
    assert store.run(store.list_dir("")) is None
    with pytest.raises(PyramidError, match="existing base array"):
        write_pyramid(data, store, levels, write_base=False)


def test_resume_refuses_arrays_that_do_not_match_the_plan(tmp_path: Path) -> None:
    data = volume(np.uint16, (4, 20, 20))
    with open_store(tmp_path / "o.zarr", "w-") as store:
        write_pyramid(data, store, plan(data.shape, (2, 8, 8)))
    with open_store(tmp_path / "o.zarr", "a") as store, pytest.raises(PyramidError, match="resume"):
        write_pyramid(data, store, plan(data.shape, (4, 8, 8)), resume=True)
