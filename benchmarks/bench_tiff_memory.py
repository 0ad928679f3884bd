"""Benchmark: peak memory of ``ngff create`` on a 4 GiB tiled, compressed TIFF.

The input is built here, in ``--workdir`` (a temporary directory by default, removed at the
end): a single-page TIFF of ``--height`` x ``--width`` uint16 samples (default 32768 x 65536,
4 GiB decoded), in 512 x 512 tiles compressed with zlib level 1. Each tile is mostly one
value (a different one per tile) with a ramp along its first row, so it compresses to a few
kilobytes: the file is small, but every tile must be decoded to read it. tifffile writes it
from a generator, one tile at a time, so the writer holds one tile at once.

Each case runs as its own subprocess, started by a small wrapper process that reports the
peak resident set size of its children (``getrusage(RUSAGE_CHILDREN).ru_maxrss``, which
counts the child and anything the child waited for). The cases:

- ``ours``: ``ngff create INPUT OUT.ome.zarr --quiet``, defaults otherwise (OME-Zarr 0.5,
  ``mean``, the automatic level plan, threads);
- ``peer`` (with ``--peer``, when ``.venv-peers/bin/ngff-zarr`` exists): ngff-zarr's command
  line, ``ngff-zarr -i INPUT -o OUT.ome.zarr``, with its defaults.

Run from the repository root::

    .venv/bin/python benchmarks/bench_tiff_memory.py [--workdir DIR] [--keep] [--peer]
        [--height N] [--width N] [--timeout SECONDS]

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


def main() -> int:
    """Build the TIFF, run the cases, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--peer", action="store_true", help="also run ngff-zarr")
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
                ],
            )
        ]
        if args.peer and PEER_NGFF_ZARR.exists():
            cases.append(
                (
                    "peer: ngff-zarr",
                    [
                        str(PEER_NGFF_ZARR),
                        "-i",
                        str(source),
                        "-o",
                        str(workdir / "peer.ome.zarr"),
                        "--quiet",
                    ],
                )
            )
        print()
        print(f"{'case':<22}  {'exit':>7}  {'wall s':>8}  {'peak RSS MiB':>12}")
        print(f"{'-' * 22}  {'-' * 7}  {'-' * 8}  {'-' * 12}")
        for name, command in cases:
            found = measure(command, args.timeout)
            print(
                f"{name:<22}  {found['code']!s:>7}  {found['wall']:>8.1f}  "
                f"{found['peak'] / 2**20:>12.0f}",
                flush=True,
            )
            if found["code"] != 0:
                print(f"  {name} failed: {found['error']}")
        print(f"\nMachine load after the runs: {load()}")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
