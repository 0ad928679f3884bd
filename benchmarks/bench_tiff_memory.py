"""Benchmark: ``ngff create`` on a large tiled, compressed TIFF: wall time and peak memory.

The input is built here, in ``--workdir`` (a temporary directory by default, removed at the
end): a single-page BigTIFF of ``--height`` x ``--width`` uint16 samples (default 32768 x
65536, 4 GiB decoded), in 512 x 512 tiles compressed with zlib level 1. Each tile is mostly
one value (a different one per tile) with a ramp along its first row, so it compresses to a
few kilobytes: the file is small, but every tile must be decoded to read it. tifffile writes
it from a generator, one tile at a time, so the writer holds one tile at once.

Each case runs as its own subprocess, started by a small wrapper process that reports the
peak resident set size of its children (``getrusage(RUSAGE_CHILDREN).ru_maxrss``, which
counts the child and anything the child waited for). Every writer is given the same chunks
(``--chunk``, default 256) and, with ``--shard N``, shards of N x N. The cases:

- ``ours``: ``ngff create INPUT OUT.ome.zarr --quiet --chunks C,C [--shards S,S]``, defaults
  otherwise (OME-Zarr 0.5, ``mean``, the automatic level plan, threads);
- with ``--peer``, from ``.venv-peers``: ngff-zarr's command line (``ngff-zarr -i INPUT -o
  OUT --quiet -c C [--chunks-per-shard S/C]``, its defaults otherwise: OME-Zarr 0.5) and
  ome-zarr-py (``write_image`` of a dask array over tifffile's Zarr view of the TIFF,
  ``local_mean``, as many levels as ours, ``storage_options`` with the chunks and shards).

The file system is synced before each case and each output removed after it.

Run from the repository root::

    .venv/bin/python benchmarks/bench_tiff_memory.py [--workdir DIR] [--keep] [--peer]
        [--height N] [--width N] [--timeout SECONDS] [--chunk C] [--shard S]

It measures only; nothing is asserted about the figures (the target for ``ours`` is a peak
RSS under 512 MiB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PEER_NGFF_ZARR = REPO / ".venv-peers" / "bin" / "ngff-zarr"
TILE = 512


def tiles(height: int, width: int) -> Iterator[np.ndarray]:
    """Yield the tiles of the image in row-major tile order (one in memory at a time)."""
    ramp = np.arange(TILE, dtype=np.uint16)
    for ty in range(-(-height // TILE)):
        for tx in range(-(-width // TILE)):
            tile = np.full((TILE, TILE), (ty * 131 + tx * 17) % 4000 + 100, np.uint16)
            tile[0] += ramp
            yield tile


def build_tiff(path: Path, height: int, width: int) -> float:
    """Write the test TIFF tile by tile; return the seconds it took."""
    import tifffile

    start = time.perf_counter()
    tifffile.imwrite(
        path,
        tiles(height, width),
        shape=(height, width),
        dtype=np.uint16,
        tile=(TILE, TILE),
        compression="zlib",
        compressionargs={"level": 1},
        bigtiff=True,
        metadata={"axes": "YX"},
    )
    return time.perf_counter() - start


def own_peak_mib() -> float:
    """Return this process's peak resident set size in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> str:
    """Return the load averages over 1, 5 and 15 minutes, as ``uptime`` shows them."""
    return ", ".join(f"{v:.2f}" for v in os.getloadavg()) + f" ({os.cpu_count()} cores)"


def measure(command: list[str], timeout: float) -> dict[str, Any]:
    """Run ``command`` from a wrapper process; return its exit code, wall time and peak RSS."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "try:\n"
        "    done = subprocess.run(sys.argv[2:], timeout=float(sys.argv[1]),"
        " stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
        "    code, error = done.returncode, done.stderr.strip()[-300:]\n"
        "except subprocess.TimeoutExpired:\n"
        "    code, error = 'timeout', ''\n"
        "wall = time.perf_counter() - start\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
        "print(json.dumps({'code': code, 'wall': wall, 'peak': peak, 'error': error}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, str(timeout), *command],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


OME_ZARR_PY = """
import sys

import dask.array as da
import tifffile
import zarr
from ome_zarr.scale import Methods
from ome_zarr.writer import write_image

source, target, levels, chunk, shard = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
with tifffile.imread(source, aszarr=True) as store:
    data = da.from_zarr(zarr.open_array(store, mode="r"))
    options = {"chunks": (chunk, chunk)}
    if shard:
        options["shards"] = (shard, shard)
    write_image(
        data,
        zarr.open_group(target, mode="w"),
        scale_factors=[2**k for k in range(1, levels)],
        method=Methods.LOCAL_MEAN,
        axes="yx",
        storage_options=options,
    )
"""
"""The ome-zarr-py run, in the peer environment: a dask array over tifffile's Zarr view."""


def level_count(height: int, width: int, chunk: int) -> int:
    """Return the levels of our automatic plan: halve until one chunk holds the larger side."""
    count, side = 1, max(height, width)
    while side > chunk:
        side, count = -(-side // 2), count + 1
    return count


def peer_cases(
    source: Path, workdir: Path, args: argparse.Namespace
) -> list[tuple[str, list[str]]]:
    """Return the peers' commands, with the same chunks, shards and number of levels as ours."""
    python = REPO / ".venv-peers" / "bin" / "python"
    shard = args.shard or 0
    ngff_zarr = [str(PEER_NGFF_ZARR), "-i", str(source), "-o", str(workdir / "ngff-zarr.ome.zarr")]
    ngff_zarr += ["--quiet", "-c", str(args.chunk)]
    if shard:
        ngff_zarr += ["--chunks-per-shard", str(shard // args.chunk)]
    levels = level_count(args.height, args.width, args.chunk)
    ome_zarr = [str(python), "-c", OME_ZARR_PY, str(source), str(workdir / "ome-zarr.ome.zarr")]
    ome_zarr += [str(levels), str(args.chunk), str(shard)]
    return [("peer: ngff-zarr", ngff_zarr), ("peer: ome-zarr-py", ome_zarr)]


def main() -> int:
    """Build the TIFF, run the cases, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--peer", action="store_true", help="also run ngff-zarr and ome-zarr-py")
    parser.add_argument("--chunk", type=int, default=256, help="chunk side of every writer")
    parser.add_argument("--shard", type=int, default=None, help="shard side (default: none)")
    parser.add_argument("--height", type=int, default=32768)
    parser.add_argument("--width", type=int, default=65536)
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-tiff-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        source = workdir / "big.tif"
        seconds = build_tiff(source, args.height, args.width)
        decoded = args.height * args.width * 2
        print(
            f"Input: {source.name}, {args.height} x {args.width} uint16 "
            f"({decoded / 2**30:.2f} GiB decoded), {TILE} x {TILE} tiles, zlib level 1, "
            f"{source.stat().st_size / 2**20:.1f} MiB on disk; written in {seconds:.1f} s "
            f"(writer process peak RSS {own_peak_mib():.0f} MiB)."
        )
        print(f"Machine load before the runs: {load()}")
        cases: list[tuple[str, list[str]]] = [
            (
                "ours: ngff create",
                [
                    sys.executable,
                    "-c",
                    "from ngff.cli import main; main()",
                    "create",
                    str(source),
                    str(workdir / "ours.ome.zarr"),
                    "--quiet",
                    "--chunks",
                    f"{args.chunk},{args.chunk}",
                    *(["--shards", f"{args.shard},{args.shard}"] if args.shard else []),
                ],
            )
        ]
        if args.peer and PEER_NGFF_ZARR.exists():
            cases += peer_cases(source, workdir, args)
        print()
        print(f"{'case':<22}  {'exit':>7}  {'wall s':>8}  {'peak RSS MiB':>12}")
        print(f"{'-' * 22}  {'-' * 7}  {'-' * 8}  {'-' * 12}")
        for name, command in cases:
            os.sync()  # no writeback of earlier files during the measurement
            found = measure(command, args.timeout)
            print(
                f"{name:<22}  {found['code']!s:>7}  {found['wall']:>8.1f}  "
                f"{found['peak'] / 2**20:>12.0f}",
                flush=True,
            )
            for output in workdir.glob("*.ome.zarr"):
                shutil.rmtree(output, ignore_errors=True)
            if found["code"] != 0:
                print(f"  {name} failed: {found['error']}")
        print(f"\nMachine load after the runs: {load()}")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
