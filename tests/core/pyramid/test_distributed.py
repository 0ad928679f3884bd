"""write_pyramid() on a LocalCluster of worker processes: the workers read their own input
(Zarr arrays, dask arrays over them, tiled and memory-mapped TIFFs); the client reads no
source chunk; the bytes equal the threaded run's."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import pytest
import tifffile
import zarr

import ngff
from ngff.create.sources import open_source
from ngff_geozarr.core.pyramid import OutputOptions, plan, write_pyramid
from ngff_geozarr.core.pyramid.distributed import MappedFile, portable_reader
from ngff_geozarr.core.store import open_store

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

HERE = str(Path(__file__).parent)
Files = Callable[[Path], dict[str, bytes]]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two single-threaded worker processes, which import ``counting_store`` from here."""
    sys.path.insert(0, HERE)  # spawned workers start with this process's sys.path
    try:
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as dask_client,
        ):
            yield dask_client
    finally:
        sys.path.remove(HERE)


def volume(shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(17)
    return rng.integers(0, 60000, size=shape).astype(np.uint16)


def counting_source(root: Path, data: np.ndarray, chunks: tuple[int, ...]) -> Any:
    from counting_store import CountingStore

    zarr.create_array(str(root), name="raw", data=data, chunks=chunks)
    return zarr.open_array(CountingStore(str(root), read_only=True), path="raw", mode="r")


@pytest.mark.parametrize("kind", ["zarr", "dask-over-zarr"])
@pytest.mark.parametrize("shards", [None, (4, 32, 32)], ids=["unsharded", "sharded"])
def test_workers_read_the_source_and_the_client_reads_none_of_it(
    tmp_path: Path, client: Any, store_files: Files, kind: str, shards: Any
) -> None:
    from counting_store import read_log

    data = volume((10, 70, 64))
    root = tmp_path / "src.zarr"
    source: Any = counting_source(root, data, (5, 16, 16))
    if kind == "dask-over-zarr":
        da = pytest.importorskip("dask.array")
        source = da.from_zarr(source)
    levels = plan(data.shape, (2, 16, 16), shards=shards)
    # A dask array computes on the default client unless told otherwise: here, on threads.
    with dask.config.set(scheduler="threads"), open_store(tmp_path / "threads.zarr", "w-") as store:
        write_pyramid(source, store, levels, workers=2)
    threaded = read_log(root)
    # The counter sees reads where they happen: here, on threads of this process.
    assert {pid for pid, _ in threaded} == {os.getpid()}
    (tmp_path / "src.zarr.reads").unlink()
    with open_store(tmp_path / "dask.zarr", "w-") as store:
        write_pyramid(source, store, levels, client=client)
    reads = read_log(root)
    workers = {pid for pid, _ in reads}
    assert os.getpid() not in workers
    assert workers <= set(client.run(os.getpid).values())
    assert {key for _, key in reads} == {key for _, key in threaded}  # every chunk, by workers
    assert store_files(tmp_path / "dask.zarr") == store_files(tmp_path / "threads.zarr")


@pytest.mark.parametrize("shards", [None, (2, 32, 32)], ids=["unsharded", "sharded"])
def test_workers_copy_the_sources_stored_chunks_each_read_once(
    tmp_path: Path, client: Any, store_files: Files, shards: Any
) -> None:
    from counting_store import read_log

    data = volume((6, 70, 64)) // 4096  # compressible: zstd levels give other bytes
    root = tmp_path / "src.zarr"
    source = counting_source(root, data, (2, 16, 16))
    codecs = tuple(c.to_dict() for c in source.metadata.codecs[1:])  # the source's compressor
    # One chunk stored at zstd level 19: the same values, bytes no re-encoding would write.
    chunk = root / "raw" / "c/1/2/3"
    stored = numcodecs.Zstd(level=19).encode(numcodecs.Zstd().decode(chunk.read_bytes()))
    assert stored != chunk.read_bytes()
    chunk.write_bytes(stored)
    output = OutputOptions(compressors=codecs)  # stored as the source: level 0 is copied
    levels = plan(data.shape, (2, 16, 16), shards=shards)
    with open_store(tmp_path / "threads.zarr", "w-") as store:
        write_pyramid(source, store, levels, output=output, workers=2)
    (tmp_path / "src.zarr.reads").unlink()
    with open_store(tmp_path / "dask.zarr", "w-") as store:
        write_pyramid(source, store, levels, output=output, client=client)
    reads = read_log(root)
    assert os.getpid() not in {pid for pid, _ in reads}
    keys = [key for _, key in reads]
    assert len(keys) == len(set(keys)) == 3 * 5 * 4  # every source chunk, read once
    copied = store_files(tmp_path / "dask.zarr")
    assert copied == store_files(tmp_path / "threads.zarr")
    if shards is None:
        assert copied["0/c/1/2/3"] == stored
    else:  # inner chunk (0, 0, 1) of shard (1, 1, 1)
        assert stored in copied["0/c/1/1/1"]


@pytest.mark.parametrize("layout", ["tiled", "uncompressed"])
def test_tiff_pyramid_on_workers_equals_threads(
    tmp_path: Path, client: Any, store_files: Files, layout: str
) -> None:
    data = volume((6, 150, 130))
    path = tmp_path / "in.tif"
    if layout == "tiled":
        tifffile.imwrite(path, data, tile=(32, 32), compression="zlib", metadata={"axes": "ZYX"})
    else:
        tifffile.imwrite(path, data, metadata={"axes": "ZYX"})
    source, _ = open_source(path)
    description = portable_reader(source)
    # What the workers read through: the file itself, described, not its pixels.
    assert description is not None
    if layout == "uncompressed":
        assert isinstance(description, MappedFile)
    options: dict[str, Any] = {"chunks": (2, 32, 32), "scale": (2.0, 0.5, 0.5)}
    ngff.write_image(str(path), tmp_path / "threads.ome.zarr", workers=2, **options)
    ngff.write_image(str(path), tmp_path / "dask.ome.zarr", client=client, **options)
    assert store_files(tmp_path / "dask.ome.zarr") == store_files(tmp_path / "threads.ome.zarr")


def test_in_memory_sources_are_read_by_the_client_and_scattered(
    tmp_path: Path, client: Any, store_files: Files
) -> None:
    data = volume((5, 40, 40))
    assert portable_reader(data) is None
    assert portable_reader(memoryview(b"")) is None  # cannot be pickled
    levels = plan(data.shape, (2, 16, 16))
    with open_store(tmp_path / "threads.zarr", "w-") as store:
        write_pyramid(data, store, levels, method="max", workers=2)
    with open_store(tmp_path / "dask.zarr", "w-") as store:
        write_pyramid(data, store, levels, method="max", client=client)
    assert store_files(tmp_path / "dask.zarr") == store_files(tmp_path / "threads.zarr")


def test_a_mapped_file_reads_the_view_it_describes(tmp_path: Path) -> None:
    data = volume((4, 30, 20))
    np.save(tmp_path / "a.npy", data)
    mapped = np.load(tmp_path / "a.npy", mmap_mode="r")
    view = np.transpose(mapped, (2, 1, 0))[3:, ::2]
    description = portable_reader(view)
    assert isinstance(description, MappedFile)
    assert description.shape == view.shape
    region = (slice(1, 9), slice(2, 11), slice(0, 3))
    np.testing.assert_array_equal(description[region], np.asarray(view)[region])
