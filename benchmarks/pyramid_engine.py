"""Benchmark: the pyramid engine against a copy-only baseline and peer tools.

For each case, a deterministic synthetic volume is first written to disk as a Zarr v3 array
(the case's chunks and the run's codec: ``--compression``, a preset of
``ngff_geozarr.core.store.Compression``; by default Blosc-zstd level 5 with byte shuffle, the
engine's default). That array is the source: its bytes live in files, not in the measured
process, so the peak RSS figures are what each writer itself holds. Every measurement runs
in a fresh subprocess; its peak RSS is its ``VmHWM`` (reset by ``exec``, unlike
``ru_maxrss``), its CPU time the process's user + system time. Every run writes the same
codec and chunks.

- ``copy-only``: read the source and write level 0 with the same chunks and codec, chunk by
  chunk, on a pool of as many threads as the engine uses;
- ``ours``: :func:`ngff_geozarr.core.pyramid.write_pyramid`, level 0 and every level of the
  automatic plan, with the case's kernel (metadata is not written: the engine's part only);
- with ``--peer-python PY`` (an interpreter with ``ngff-zarr`` and ``ome-zarr`` installed,
  kept out of the project's environment): ngff-zarr (its default ``itkwasm_gaussian`` and
  ``itkwasm_bin_shrink``; for labels ``itkwasm_label_image`` and ``dask_image_mode``) and
  ome-zarr-py (``local_mean`` and ``nearest``; for labels ``nearest``), each asked for the
  same number of levels, factor 2 per axis per level, from a dask array over the source.

``label-safe`` (labels case) tells whether every value of the coarsest level occurs in the
source: a kernel that averages labels invents values and fails it.

Cases (``--cases``):

- ``bio3d``: uint16 (256, 2048, 2048), chunks (64, 256, 256), ``mean``;
- ``bio3d-64``: uint16 (64, 2048, 2048), same chunks: the flat-memory reference;
- ``labels3d``: uint32 (128, 1024, 1024), chunks (64, 256, 256), ``mode``.

Run from the repository root (needs ~5 GiB of free disk in ``--workdir``)::

    .venv/bin/python benchmarks/pyramid_engine.py [--cases bio3d,bio3d-64,labels3d]
        [--workdir DIR] [--peer-python /path/to/peer-venv/bin/python]
        [--compression blosc-zstd|zstd:1|blosc-lz4|...]

It measures only; nothing is asserted about the figures.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Only the standard library and numpy at module level: peer runs import this file in an
# environment without ngff-geozarr.

CODEC_VARIABLE = "PYRAMID_BENCH_CODECS"
"""The run's compressors (Zarr v3 JSON) reach every child process in this variable."""


@dataclass(frozen=True)
class Case:
    """One benchmark volume."""

    name: str
    shape: tuple[int, int, int]
    chunks: tuple[int, int, int]
    dtype: str
    method: str


CASES = {
    "bio3d": Case("bio3d", (256, 2048, 2048), (64, 256, 256), "uint16", "mean"),
    "bio3d-64": Case("bio3d-64", (64, 2048, 2048), (64, 256, 256), "uint16", "mean"),
    "labels3d": Case("labels3d", (128, 1024, 1024), (64, 256, 256), "uint32", "mode"),
}
PEERS = {
    "uint16": [
        ("ngff-zarr", "default"),
        ("ngff-zarr", "itkwasm_bin_shrink"),
        ("ome-zarr", "local_mean"),
        ("ome-zarr", "nearest"),
    ],
    "uint32": [
        ("ngff-zarr", "itkwasm_label_image"),
        ("ngff-zarr", "dask_image_mode"),
        ("ome-zarr", "nearest"),
    ],
}


def regions(case: Case) -> list[tuple[slice, ...]]:
    """Return the chunk regions of the case's volume."""
    grid = [-(-n // c) for n, c in zip(case.shape, case.chunks, strict=True)]
    return [
        tuple(
            slice(i * c, min((i + 1) * c, n))
            for i, c, n in zip(index, case.chunks, case.shape, strict=True)
        )
        for index in np.ndindex(*grid)
    ]


def synthetic_block(case: Case, region: tuple[slice, ...]) -> np.ndarray:
    """Deterministic data for a region: smooth structures plus seeded noise (or label blobs)."""
    z, y, x = np.ogrid[tuple(region)]
    if case.dtype == "uint32":
        cells = (z // 24) * 10_000 + (y // 40) * 100 + (x // 40)
        wobble = ((np.sin(y / 9.0) + np.cos(x / 7.0) + np.sin(z / 5.0)) > 1.2).astype(np.uint32)
        return (cells * 2 + wobble).astype(np.uint32)
    rng = np.random.default_rng([s.start for s in region])
    signal = 800 + 600 * np.sin(z / 17.0) * np.cos(y / 23.0) * np.sin(x / 29.0 + z / 31.0)
    noise = rng.normal(0.0, 40.0, size=tuple(s.stop - s.start for s in region))
    return np.clip(signal + noise, 0, 65535).astype(np.uint16)


def codecs() -> list[dict[str, Any]]:
    """Return the run's compressors, Zarr v3 JSON objects (see :data:`CODEC_VARIABLE`)."""
    return list(json.loads(os.environ.get(CODEC_VARIABLE, "null")) or [])


def use_compression(compression: str) -> str:
    """Set the run's codec from a preset for this process and its children; describe it."""
    from ngff_geozarr.core.store import compressors_for

    os.environ[CODEC_VARIABLE] = json.dumps(compressors_for(compression, 3))
    return f"{compression} = {json.dumps(codecs())}"


def build_source(case: Case, path: Path) -> None:
    """Write the case's source array (untimed)."""
    from ngff_geozarr.core.store import open_store

    with open_store(path, "w-") as store:
        array = store.create_empty_array(
            "source", shape=case.shape, dtype=case.dtype, chunks=case.chunks, compressors=codecs()
        )
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
            list(pool.map(lambda r: array.write(r, synthetic_block(case, r)), regions(case)))


def peak_rss_mib() -> float:
    """Return this process's peak resident set size (VmHWM: reset by exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class StoreClock:
    """Seconds zarr's local store spends in file reads and writes, in this process.

    zarr runs each file read and write (``zarr.storage._local._get`` and ``_put``) on a
    thread of its own; timing those functions measures the I/O alone, without the time a
    call waits for a thread. Benchmark instrumentation only: it wraps zarr's private
    functions for the life of the process.
    """

    def __init__(self) -> None:
        import threading

        import zarr.storage._local as local

        self.seconds = {"get": 0.0, "put": 0.0}
        lock = threading.Lock()

        def timed(name: str, function: Any) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                begin = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    with lock:
                        self.seconds[name] += time.perf_counter() - begin

            return wrapper

        local._get = timed("get", local._get)
        local._put = timed("put", local._put)


def stage_figures(times: Any, clock: StoreClock) -> dict[str, Any]:
    """Return a recorder's stage rows and the store's I/O seconds, as JSON-ready figures."""
    return {
        "stages": [[r.level, r.stage, r.seconds, r.nbytes, r.calls] for r in times.rows()],
        "store_get": clock.seconds["get"],
        "store_put": clock.seconds["put"],
    }


def print_stages(label: str, figures: dict[str, Any], wall: float) -> None:
    """Print where a run's time went: per level and stage, seconds summed over its threads.

    ``read`` is the source read (file reads and decoding), ``write`` the encoding and the
    store's file writes; the file reads and writes alone are the last two columns (from
    :class:`StoreClock`, all levels together). ``share`` is each level's part of the summed
    task time; ``wall s`` spreads the run's wall time over the levels in those shares.
    """
    per_level: dict[int, dict[str, float]] = {}
    sizes: dict[int, int] = {}
    for level, stage, seconds, nbytes, _calls in figures["stages"]:
        per_level.setdefault(level, {})[stage] = seconds
        if stage == "write":
            sizes[level] = nbytes
    total = sum(sum(v.values()) for v in per_level.values()) or math.nan
    print(f"stages of {label} (seconds summed over the worker threads):")
    header = (
        f"  {'level':>5} {'MiB':>8} {'read':>7} {'assemble':>8} {'reduce':>7} {'write':>7} "
        f"{'task s':>7} {'share':>6} {'wall s':>7}"
    )
    print(header)
    for level in sorted(per_level):
        v = per_level[level]
        task = sum(v.values())
        print(
            f"  {level:>5} {sizes.get(level, 0) / 2**20:>8.0f} {v.get('read', 0):>7.2f} "
            f"{v.get('assemble', 0):>8.2f} {v.get('reduce', 0):>7.2f} {v.get('write', 0):>7.2f} "
            f"{task:>7.2f} {task / total:>6.1%} {wall * task / total:>7.2f}"
        )
    sums = {s: sum(v.get(s, 0.0) for v in per_level.values()) for s in STAGE_NAMES}
    print(
        f"  {'all':>5} {sum(sizes.values()) / 2**20:>8.0f} {sums['read']:>7.2f} "
        f"{sums['assemble']:>8.2f} {sums['reduce']:>7.2f} {sums['write']:>7.2f} "
        f"{total:>7.2f} {1:>6.0%} {wall:>7.2f}"
        f"   of which file reads {figures['store_get']:.2f} s, file writes "
        f"{figures['store_put']:.2f} s"
    )


STAGE_NAMES = ("read", "assemble", "reduce", "write")


def finish(start: float, levels: int, coarsest: str) -> dict[str, Any]:
    """Return the figures of a run that started at ``start``."""
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": peak_rss_mib(),
        "levels": levels,
        "coarsest": coarsest,
    }


def copy_blocks(src: Any, dst: Any, blocks: list[tuple[slice, ...]], workers: int) -> Any:
    """Copy whole blocks on a pool of threads, recording read and write times as level 0."""
    from ngff_geozarr.core.pyramid.stages import StageTimes

    times = StageTimes()

    def copy(region: tuple[slice, ...]) -> None:
        begin = time.perf_counter()
        data = src.read(region)
        middle = time.perf_counter()
        times.add(0, "read", middle - begin, data.nbytes)
        dst.write(region, data)
        times.add(0, "write", time.perf_counter() - middle, data.nbytes)

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(copy, blocks))
    return times


def zarr_copy(source: Path, name: str, target: Path, shards: Any = None) -> None:
    """zarr-python alone: the same array created by zarr, copied a band of blocks at a time.

    Each assignment covers one block along every axis but the last (whole along the last),
    so zarr's own concurrency encodes and writes a band's blocks at once.
    """
    import zarr

    src = zarr.open_array(str(source), path=name, mode="r")
    chunks = src.chunks
    dst = zarr.create_array(
        str(target),
        name="0",
        shape=src.shape,
        dtype=src.dtype,
        chunks=chunks,
        shards=shards,
        compressors=codecs(),
        fill_value=0,
    )
    block = shards or chunks
    grid = [-(-n // b) for n, b in zip(src.shape[:-1], block[:-1], strict=True)]
    for index in np.ndindex(*grid):
        band = (
            *(
                slice(i * b, min((i + 1) * b, n))
                for i, b, n in zip(index, block[:-1], src.shape[:-1], strict=True)
            ),
            slice(None),
        )
        dst[band] = src[band]


def run_ours(mode: str, case: Case, source: Path, target: Path) -> dict[str, Any]:
    """Measure copy-only, zarr-python's copy or the engine, in this (fresh) process."""
    from ngff_geozarr.core.pyramid import OutputOptions, default_workers, plan, write_pyramid
    from ngff_geozarr.core.pyramid.stages import recording
    from ngff_geozarr.core.store import open_store

    clock = StoreClock()
    workers = default_workers()
    if mode == "zarr-copy":
        start = time.perf_counter()
        zarr_copy(source, "source", target)
        return finish(start, 1, "0")
    src = open_store(source).open_array("source")
    start = time.perf_counter()
    with open_store(target, "w-") as out:
        if mode == "copy-only":
            dst = out.create_empty_array(
                "0", shape=case.shape, dtype=case.dtype, chunks=case.chunks, compressors=codecs()
            )
            times = copy_blocks(src, dst, regions(case), workers)
            return {**finish(start, 1, "0"), **stage_figures(times, clock)}
        levels = plan(case.shape, case.chunks)
        # "ours" copies the source's stored chunks into level 0 (they are encoded as level 0
        # encodes them); "ours-encode" decodes and encodes them again, as the peers do.
        output = OutputOptions(compressors=tuple(codecs()), copy_encoded=mode == "ours")
        method: Any = case.method
        with recording() as times:
            write_pyramid(src, out, levels, method=method, output=output, workers=workers)
    return {**finish(start, len(levels), str(len(levels) - 1)), **stage_figures(times, clock)}


def run_peer(tool: str, method: str, case: Case, source: Path, target: Path) -> dict[str, Any]:
    """Measure a peer tool, in this (fresh) process of the peer environment."""
    import dask.array as da
    import zarr
    from zarr.codecs import BloscCodec, ZstdCodec

    classes: dict[str, Any] = {"blosc": BloscCodec, "zstd": ZstdCodec}
    compressors = [classes[c["name"]](**c["configuration"]) for c in codecs()]
    src = zarr.open_array(str(source), path="source", mode="r")
    levels = _our_level_count(case)
    factors = [2**k for k in range(1, levels)]
    start = time.perf_counter()
    data = da.from_zarr(src)
    if tool == "ngff-zarr":
        import ngff_zarr as nz

        image = nz.to_ngff_image(data, dims=["z", "y", "x"])
        chosen = None if method == "default" else nz.Methods(method)
        multiscales = nz.to_multiscales(
            image, scale_factors=factors, method=chosen, chunks=case.chunks
        )
        nz.to_ngff_zarr(str(target), multiscales, version="0.5", compressors=compressors)
        return finish(start, len(multiscales.images), f"scale{levels - 1}/image")
    from ome_zarr.scale import Methods
    from ome_zarr.writer import write_image

    group = zarr.open_group(str(target), mode="w")
    write_image(
        data,
        group,
        scale_factors=[{"z": f, "y": f, "x": f} for f in factors],
        method=Methods(method),
        axes="zyx",
        storage_options={"chunks": case.chunks, "compressors": compressors},
    )
    return finish(start, levels, f"s{levels - 1}")


def _our_level_count(case: Case) -> int:
    """Levels of our automatic plan (isotropic: halve every axis until it fits one chunk)."""
    count, shape = 1, case.shape
    while max(shape) > max(case.chunks):
        shape = tuple(-(-n // 2) for n in shape)  # type: ignore[assignment]
        count += 1
    return count


def measure(
    run: list[str], case: Case, source: Path, workdir: Path, python: str, labels: Any
) -> dict[str, Any]:
    """Run one measurement in a subprocess; add the output size and the label check."""
    from ngff_geozarr.core.store import open_store

    target = workdir / f"{case.name}-{'-'.join(run)}.zarr"
    shutil.rmtree(target, ignore_errors=True)
    os.sync()  # no writeback of earlier files during the measurement
    out = subprocess.run(
        [python, __file__, "--child", *run, case.name, str(source), str(target)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["bytes"] = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    if labels is not None and run[0] not in ("copy-only", "zarr-copy"):
        with open_store(target) as store:
            coarsest = store.open_array(result["coarsest"])
            values = np.unique(coarsest.read(tuple(slice(0, n) for n in coarsest.shape)))
        result["label_safe"] = bool(np.isin(values, labels).all())
    shutil.rmtree(target, ignore_errors=True)
    return result


def source_labels(source: Path) -> Any:
    """Return the distinct values of a label source."""
    from ngff_geozarr.core.store import open_store

    with open_store(source) as store:
        array = store.open_array("source")
        return np.unique(array.read(tuple(slice(0, n) for n in array.shape)))


def print_table(
    rows: list[tuple[Case, str, dict[str, Any]]], codec_text: str, *, valid: bool = False
) -> None:
    """Print the figures of the runs, a line each; the copy-only run of a case comes first."""

    def yes_no(value: Any) -> str:
        return {True: "yes", False: "NO"}.get(value, "-") if isinstance(value, bool) else "-"

    width = max(30, *(len(label) for _, label, _ in rows))
    print(f"cpus: {os.cpu_count()}; codec: {codec_text}; source: zarr v3 on disk")
    header = (
        f"{'case':<9} {'shape':<14} {'run':<{width}} {'lvls':>4} {'wall s':>7} {'x copy':>6} "
        f"{'x zarr':>6} "
        f"{'cpu s':>7} {'RSS MiB':>8} {'out MiB':>7} {'label-safe':>10}"
        + (f" {'valid':>5}" if valid else "")
    )
    print(header)
    print("-" * len(header))
    baseline: dict[str, float] = {}
    zarr_baseline: dict[str, float] = {}
    for case, label, r in rows:
        if label == "copy-only":
            baseline[case.name] = r["wall"]
        if label == "zarr-copy":
            zarr_baseline[case.name] = r["wall"]
    for case, label, r in rows:
        to_zarr = r["wall"] / zarr_baseline.get(case.name, math.nan)
        print(
            f"{case.name:<9} {'x'.join(map(str, case.shape)):<14} {label:<{width}} "
            f"{r['levels']:>4} {r['wall']:>7.2f} {r['wall'] / baseline[case.name]:>6.2f} "
            f"{to_zarr:>6.2f} "
            f"{r['cpu']:>7.2f} {r['rss']:>8.0f} {r['bytes'] / 2**20:>7.0f} "
            f"{yes_no(r.get('label_safe')):>10}"
            + (f" {yes_no(r.get('valid')):>5}" if valid else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="bio3d,bio3d-64,labels3d")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--peer-python", default=None)
    parser.add_argument("--compression", default="blosc-zstd", help="codec preset of every run")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        *run, name, source, target = args.child
        case = CASES[name]
        if run[0] in ("copy-only", "zarr-copy", "ours", "ours-encode"):
            result = run_ours(run[0], case, Path(source), Path(target))
        else:
            result = run_peer(run[0], run[1], case, Path(source), Path(target))
        print(json.dumps(result))
        return
    codec_text = use_compression(args.compression)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="pyramid-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in args.cases.split(","):
        case = CASES[name]
        source = workdir / f"{name}-source.zarr"
        shutil.rmtree(source, ignore_errors=True)
        build_source(case, source)
        labels = source_labels(source) if case.dtype == "uint32" else None
        runs: list[tuple[list[str], str]] = [
            (["copy-only"], sys.executable),
            (["zarr-copy"], sys.executable),
            (["ours"], sys.executable),
            (["ours-encode"], sys.executable),
        ]
        if args.peer_python and name != "bio3d-64":
            runs += [([tool, method], args.peer_python) for tool, method in PEERS[case.dtype]]
        for run, python in runs:
            rows.append((case, run, measure(run, case, source, workdir, python, labels)))
        shutil.rmtree(source, ignore_errors=True)
    labelled = []
    for case, run, r in rows:
        label = run[0] if not run[0].startswith("ours") else f"{run[0]} ({case.method})"
        labelled.append((case, f"{run[0]} ({run[1]})" if len(run) > 1 else label, r))
    print_table(labelled, codec_text)
    for case, label, r in labelled:
        if "stages" in r:
            print()
            print_stages(f"{case.name} {label}", r, r["wall"])
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
