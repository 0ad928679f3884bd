"""Benchmark: the viewer on a large OME-Zarr store -- open time, pan render time, memory.

Builds (once, kept in ``--store`` for later runs) a 2-channel ``uint16`` image of about
``--gib`` GiB (random values, which compress least: the worst case for reading), written
with :func:`ngff.write_image` (zstd, 256 x 256 chunks, levels down to one chunk). Then
starts ``python -m ngff_geozarr.view ngff STORE --no-browser`` as a separate process and
measures:

- **open**: from starting the process to the page's ``/scene.json`` answered (Python
  start-up, imports, reading the metadata and the display windows from the coarsest level);
- **pan at the finest level**: a viewport of 5 x 4 tiles of level 0 moves one tile column
  to the right per step; the new column's 4 tiles are requested at once, as a browser does
  (6 connections), each step timed from the first request to the last tile received;
- **server memory**: the process' peak resident set (``VmHWM``) after the pans.

Run it from the repository root::

    .venv/bin/python benchmarks/bench_viewer.py [--gib 1.0] [--steps 60] [--store PATH]

It measures only; nothing is asserted about the figures.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

CHUNK = 256
DATA = Path(__file__).parent / "data"
"""Where the stores are kept between runs (git-ignored)."""
CHANNELS = 2


class Pattern:
    """A cheap, incompressible source of ``shape``: 12-bit noise, different in every chunk.

    One block of random values is drawn once; a region is that block tiled, each block
    copy offset by its position (so no two chunks are the same and zstd finds nothing to
    share). Reading a region costs an index and an addition: the store is written at the
    speed of the writer, not of a random number generator.
    """

    def __init__(self, shape: tuple[int, ...], block: int = 1024) -> None:
        self.shape = shape
        self.dtype = np.dtype("uint16")
        self.ndim = len(shape)
        self.block = block
        self._noise = np.random.default_rng(0).integers(0, 4096, (block, block), dtype=np.uint16)

    def __getitem__(self, key: tuple[slice, ...]) -> np.ndarray[Any, Any]:
        ranges = [range(*k.indices(n)) for k, n in zip(key, self.shape, strict=True)]
        *lead, rows, columns = ranges
        b = self.block
        plane = self._noise[np.ix_([r % b for r in rows], [c % b for c in columns])]
        tiles = (np.asarray(rows)[:, None] // b) * 131 + (np.asarray(columns)[None, :] // b) * 17
        out = np.empty([len(r) for r in ranges], dtype=self.dtype)
        for index in np.ndindex(*[len(r) for r in lead]):
            shift = sum((lead[a][i] + 1) * 977 * (a + 1) for a, i in enumerate(index))
            out[index] = (plane + tiles + shift) & 0x0FFF
        return out


def build(path: Path, gib: float) -> tuple[int, int]:
    """Write the store unless it is complete; return its rows and columns."""
    side = int(math.sqrt(gib * 2**30 / (2 * CHANNELS)))
    side -= side % CHUNK
    rows, columns = side, side
    if (path / "zarr.json").exists():
        return rows, columns
    import ngff

    start = time.perf_counter()
    ngff.write_image(
        Pattern((CHANNELS, rows, columns)),
        path,
        axes="cyx",
        chunks=(1, CHUNK, CHUNK),
        omero=True,
        compression="zstd:1",
        overwrite=path.exists(),
    )
    took = time.perf_counter() - start
    print(f"wrote {path} ({CHANNELS} x {rows} x {columns} uint16) in {took:.0f} s")
    return rows, columns


def fetch(url: str) -> int:
    with urllib.request.urlopen(url, timeout=60) as response:
        return len(response.read())


def peak_rss_mib(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(match.group(1)) / 1024 if match else float("nan")


def in_process(store: Path) -> None:
    """Time opening the scene and its renderer in this process (imports done before)."""
    from ngff.viewing import open_scene
    from ngff_geozarr.core.viewer import Renderer

    start = time.perf_counter()
    renderer = Renderer(open_scene(str(store), {}))
    took = time.perf_counter() - start
    levels = len(renderer.scene.levels)
    print(f"open in process (metadata, {levels} levels, windows): {took:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    store = args.store or DATA / f"viewer-{args.gib:g}gib.ome.zarr"
    rows, columns = build(store, args.gib)
    size = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
    print(f"store: {store}, {size / 2**30:.2f} GiB on disk, level 0 {rows} x {columns}")

    in_process(store)
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "ngff_geozarr.view", "ngff", str(store), "--no-browser"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        found = re.search(r"http://\S+/", process.stdout.readline())
        assert found, "the viewer printed no URL"
        url = found.group(0)
        fetch(url + "scene.json")
        opened = time.perf_counter() - start
        print(f"open (process start to scene.json): {opened:.2f} s")

        steps = []
        row0 = rows // CHUNK // 2 - 2
        col0 = columns // CHUNK // 2 - args.steps // 2
        with ThreadPoolExecutor(6) as pool:
            for step in range(args.steps):
                col = (col0 + 5 + step) % (columns // CHUNK)
                urls = [f"{url}tile/0/{row0 + r}/{col}?channels=0,1" for r in range(4)]
                t0 = time.perf_counter()
                list(pool.map(fetch, urls))
                steps.append(time.perf_counter() - t0)
        ms = sorted(s * 1000 for s in steps)
        p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
        median = statistics.median(ms)
        print(
            f"pan at level 0, {args.steps} steps of 4 new tiles: median {median:.0f} ms,"
            f" p95 {p95:.0f} ms, max {ms[-1]:.0f} ms"
        )
        print(f"server peak RSS: {peak_rss_mib(process.pid):.0f} MiB")
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
