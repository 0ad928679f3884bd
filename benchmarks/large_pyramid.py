"""Benchmark: a 13.5 GB volume's pyramid, sharded and unsharded, on threads and on a cluster.

The case of issue 17: uint16 (30, 15000, 15000) (13.5 GB decoded), and the same 4x smaller
(30, 7500, 7500) to show that memory stays flat as the volume grows. The source is written
first (untimed) as a Zarr v3 array on disk, chunks (30, 128, 128), with the run's codec
(``--compression``, a preset of ``ngff_geozarr.core.store.Compression``; Blosc-zstd level 5
with byte shuffle by default). Its data are smooth structures plus noise (sigma 40, taken
at a changing offset from a fixed random table, so that no two chunks repeat), which
compresses to about two thirds, like a real microscope volume.

Two layouts, each with its own runs:

- ``unsharded``: chunks (30, 128, 128), no shards (13,924 chunk files at level 0);
- ``sharded``: chunks (30, 128, 128) in shards of (30, 1024, 1024) (225 shard files at level
  0): the layout :func:`ngff_geozarr.core.pyramid.shards.choose_layout` picks for
  ``archive``. Levels too small for more than one shard are unsharded.

The runs, each in a fresh subprocess (peak RSS is the process's ``VmHWM``; CPU time its own
user + system time, which for the cluster run leaves out the workers):

- ``zarr-copy``: zarr-python alone copies level 0, a band of blocks per assignment (its own
  async concurrency);
- ``copy-only``: level 0 copied block by block (shards when sharded) on the engine's threads
  (``default_workers()``): the baseline of the ratios;
- ``ours``: :func:`ngff_geozarr.core.pyramid.write_pyramid`, every level of the automatic
  plan, ``mean``, on the same threads; the source is stored as level 0 is (same chunks and
  codecs), so level 0's chunks are copied as stored (``OutputOptions.copy_encoded``);
- ``ours-encode``: the same with ``copy_encoded=False``: level 0 decoded and encoded again,
  as every peer writes it;
- ``cluster``: the same on a ``distributed.LocalCluster`` of 2 worker processes with 1
  thread each (``--cluster-threads``), run by a process of its own (scheduler and workers);
  the measured process is the client only. The workers read the source themselves, so the
  client's RSS is the figure (the scheduler's and the workers' peak RSS are given beside it;
  its CPU time is the client's alone; the wall time starts when the client is connected).

After the table, the stages of every run (see ``pyramid_engine.print_stages``). Needs about
30 GB free in ``--workdir`` (the source, and one output at a time). Run from the repository
root::

    .venv/bin/python benchmarks/large_pyramid.py [--cases vol13,vol13-quarter]
        [--layouts unsharded,sharded] [--runs zarr-copy,copy-only,ours,ours-encode,cluster]
        [--workdir DIR] [--compression PRESET]

It measures only; nothing is asserted about the figures.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import pyramid_engine as engine  # the sibling benchmark: numpy-only on import

CASES = {
    "vol13": (30, 15000, 15000),
    "vol13-quarter": (30, 7500, 7500),
    "trial": (30, 2048, 2048),
}
CHUNKS = (30, 128, 128)
LAYOUTS: dict[str, tuple[int, ...] | None] = {"unsharded": None, "sharded": (30, 1024, 1024)}
RUNS = ("zarr-copy", "copy-only", "ours", "ours-encode", "cluster")
NOISE_SIZE = 2**22 + 7919


def source_block(region: tuple[slice, ...], noise: np.ndarray) -> np.ndarray:
    """Deterministic data for a region: smooth structures plus noise from a shifting table."""
    z, y, x = np.ogrid[tuple(region)]
    signal = 800 + 600 * np.sin(z / 7.0) * np.cos(y / 53.0) * np.sin(x / 41.0 + z / 11.0)
    count = int(np.prod([s.stop - s.start for s in region]))
    offset = (region[1].start * 7 + region[2].start * 13) % (noise.size - count)
    values = signal + noise[offset : offset + count].reshape(signal.shape)
    return np.clip(values, 0, 65535).astype(np.uint16)


def blocks(shape: tuple[int, ...], block: tuple[int, ...]) -> list[tuple[slice, ...]]:
    """Return the regions of a grid of blocks."""
    grid = [-(-n // b) for n, b in zip(shape, block, strict=True)]
    return [
        tuple(
            slice(i * b, min((i + 1) * b, n)) for i, b, n in zip(index, block, shape, strict=True)
        )
        for index in np.ndindex(*grid)
    ]


def build_source(shape: tuple[int, ...], path: Path) -> float:
    """Write the source array (untimed by the table); return the seconds it took."""
    from ngff_geozarr.core.store import open_store

    start = time.perf_counter()
    noise = np.random.default_rng(7).normal(0.0, 40.0, size=NOISE_SIZE).astype(np.float32)
    with open_store(path, "w-") as store:
        array = store.create_empty_array(
            "source", shape=shape, dtype="uint16", chunks=CHUNKS, compressors=engine.codecs()
        )
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
            list(pool.map(lambda r: array.write(r, source_block(r, noise)), blocks(shape, CHUNKS)))
    return time.perf_counter() - start


def worker_peak_mib() -> float:
    """Return this (worker) process's peak RSS in MiB."""
    return engine.peak_rss_mib()


def child(run: str, layout: str, source: Path, target: Path, threads: int) -> dict[str, Any]:
    """Run one measurement in this (fresh) process."""
    from ngff_geozarr.core.pyramid import OutputOptions, default_workers, plan, write_pyramid
    from ngff_geozarr.core.pyramid.shards import unshard_small_levels
    from ngff_geozarr.core.pyramid.stages import recording
    from ngff_geozarr.core.store import open_store

    clock = engine.StoreClock()
    shards = LAYOUTS[layout]
    if run == "zarr-copy":
        start = time.perf_counter()
        engine.zarr_copy(source, "source", target, shards)
        return engine.finish(start, 1, "0")
    src = open_store(source).open_array("source")
    shape = src.shape
    start = time.perf_counter()
    with open_store(target, "w-") as out:
        if run == "copy-only":
            dst = out.create_empty_array(
                "0",
                shape=shape,
                dtype="uint16",
                chunks=CHUNKS,
                shards=shards,
                compressors=engine.codecs(),
            )
            times = engine.copy_blocks(src, dst, blocks(shape, shards or CHUNKS), default_workers())
            return {**engine.finish(start, 1, "0"), **engine.stage_figures(times, clock)}
        levels = unshard_small_levels(plan(shape, CHUNKS, shards=shards))
        # "ours" copies the source's stored chunks into level 0 (the source is stored as level 0
        # is); "ours-encode" decodes and encodes them again, as every peer does.
        copy_encoded = run != "ours-encode"
        output = OutputOptions(compressors=tuple(engine.codecs()), copy_encoded=copy_encoded)
        if run in ("ours", "ours-encode"):
            with recording() as times:
                write_pyramid(src, out, levels, output=output)
            figures = engine.stage_figures(times, clock)
        else:
            return on_cluster(src, out, levels, output, threads)
    return {**engine.finish(start, len(levels), str(len(levels) - 1)), **figures}


CLUSTER = """
import sys

from distributed import LocalCluster

threads = int(sys.argv[1])
with LocalCluster(
    n_workers=2, threads_per_worker=threads, processes=True, dashboard_address=None
) as cluster:
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()  # until the client is done
"""
"""The cluster's own process: its scheduler and 2 worker processes, apart from the client."""


def on_cluster(src: Any, out: Any, levels: Any, output: Any, threads: int) -> dict[str, Any]:
    """Write the pyramid as a client of a LocalCluster that runs in another process."""
    from distributed import Client

    from ngff_geozarr.core.pyramid import write_pyramid

    cluster = subprocess.Popen(
        [sys.executable, "-c", CLUSTER, str(threads)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert cluster.stdin is not None
    assert cluster.stdout is not None
    try:
        with Client(cluster.stdout.readline().strip()) as client:
            start = time.perf_counter()
            write_pyramid(src, out, levels, output=output, client=client)
            result = engine.finish(start, len(levels), str(len(levels) - 1))
            workers = client.run(worker_peak_mib)
            scheduler = client.run_on_scheduler(worker_peak_mib)
    finally:
        cluster.stdin.close()
        cluster.wait()
    return {**result, "worker_rss": sorted(workers.values()), "scheduler_rss": scheduler}


def measure(run: str, layout: str, source: Path, workdir: Path, threads: int) -> dict[str, Any]:
    """Run one measurement in a subprocess; add the output's size."""
    target = workdir / f"out-{run}-{layout}.zarr"
    shutil.rmtree(target, ignore_errors=True)
    os.sync()  # no writeback of earlier files during the measurement
    args = [sys.executable, __file__, "--child", run, layout, str(source), str(target)]
    out = subprocess.run(
        [*args, str(threads)], check=True, capture_output=True, text=True, env=_child_env()
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["bytes"] = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    result["files"] = sum(1 for p in target.rglob("*") if p.is_file())
    shutil.rmtree(target, ignore_errors=True)
    return result


def _child_env() -> dict[str, str]:
    """Return the environment of a child: this one, with the benchmarks folder importable."""
    here = str(Path(__file__).parent)
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": here if not path else f"{here}{os.pathsep}{path}"}


def print_table(rows: list[tuple[str, str, str, dict[str, Any]]], text: str) -> None:
    """Print the runs, a line each, with the ratios to both copies of the same layout."""
    print(f"cpus: {os.cpu_count()}; codec: {text}; source: zarr v3 on disk, chunks {CHUNKS}")
    header = (
        f"{'case':<14} {'layout':<10} {'run':<14} {'lvls':>4} {'wall s':>8} {'x copy':>6} "
        f"{'x zarr':>6} {'cpu s':>8} {'RSS MiB':>8} {'sched/workers MiB':>17} {'out GiB':>7} "
        f"{'files':>6}"
    )
    print(header)
    print("-" * len(header))
    copies = {(c, lay, r): f["wall"] for c, lay, r, f in rows if r in ("copy-only", "zarr-copy")}
    for case, layout, run, f in rows:
        copy = copies.get((case, layout, "copy-only"), float("nan"))
        zarr_copy = copies.get((case, layout, "zarr-copy"), float("nan"))
        others = [f.get("scheduler_rss"), *f.get("worker_rss", [])]
        workers = "/".join(f"{w:.0f}" for w in others if w is not None) or "-"
        print(
            f"{case:<14} {layout:<10} {run:<14} {f['levels']:>4} {f['wall']:>8.1f} "
            f"{f['wall'] / copy:>6.2f} {f['wall'] / zarr_copy:>6.2f} {f['cpu']:>8.1f} "
            f"{f['rss']:>8.0f} {workers:>17} {f['bytes'] / 2**30:>7.2f} {f['files']:>6}"
        )


def main() -> None:
    """Build each case's source, run every layout and run, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="vol13,vol13-quarter")
    parser.add_argument("--layouts", default="unsharded,sharded")
    parser.add_argument("--runs", default=",".join(RUNS))
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--compression", default="blosc-zstd", help="codec preset of every run")
    parser.add_argument("--cluster-threads", type=int, default=1, help="threads per worker")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run, layout, source, target, threads = args.child
        print(json.dumps(child(run, layout, Path(source), Path(target), int(threads))))
        return
    text = engine.use_compression(args.compression)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="large-pyramid-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str, dict[str, Any]]] = []
    for case in args.cases.split(","):
        source = workdir / f"{case}-source.zarr"
        shutil.rmtree(source, ignore_errors=True)
        seconds = build_source(CASES[case], source)
        size = sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
        print(
            f"{case}: source {CASES[case]} written in {seconds:.0f} s, "
            f"{size / 2**30:.2f} GiB on disk",
            file=sys.stderr,
        )
        for layout in args.layouts.split(","):
            for run in args.runs.split(","):
                figures = measure(run, layout, source, workdir, args.cluster_threads)
                rows.append((case, layout, run, figures))
                print(json.dumps([case, layout, run, figures]), file=sys.stderr)
        shutil.rmtree(source, ignore_errors=True)
    print_table(rows, text)
    for case, layout, run, figures in rows:
        if "stages" in figures:
            print()
            engine.print_stages(f"{case} {layout} {run}", figures, figures["wall"])
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
