"""Benchmark: the viewer on large OME-Zarr and GeoZarr stores -- open, pan, memory.

Builds (once, kept in ``benchmarks/data/``, git-ignored) a 2-channel ``uint16`` OME-Zarr
image (:func:`ngff.write_image`) and a one-band ``uint16`` GeoZarr raster
(:func:`geozarr.write`) of about ``--gib`` GiB each at level 0 (incompressible 12-bit noise:
the worst case for reading; zstd level 1, 256 x 256 chunks, levels down to one chunk).
Then, for each, starts ``python -m ngff_geozarr.view ngff|geozarr STORE --no-browser`` as a
separate process and measures:

- **open**: in process (the first image's metadata and display windows), and from starting
  the process to the page's ``/scene.json`` answered (start-up and imports included);
- **pan at the finest level**: a viewport of 5 x 4 tiles of level 0 moves one tile column
  to the right per step; the new column's 4 tiles are requested at once, as a browser does
  (6 connections), each step timed from the first request to the last tile received;
- **server memory**: the process' peak resident set (``VmHWM``) after the pans.

It prints one table row per store. Run it from the repository root::

    .venv/bin/python benchmarks/bench_viewer.py [--gib 10] [--steps 60] [--kind ome|geo|both]

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


def side_of(gib: float, bands: int) -> int:
    """Return the side of a square ``uint16`` image of ``bands`` bands and about ``gib`` GiB."""
    side = int(math.sqrt(gib * 2**30 / (2 * bands)))
    return side - side % CHUNK


def build(path: Path, gib: float) -> tuple[int, int]:
    """Write the OME-Zarr store unless it is complete; return its rows and columns."""
    rows = columns = side_of(gib, CHANNELS)
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


def build_geo(path: Path, gib: float) -> tuple[int, int]:
    """Write the GeoZarr store (one band, UTM 33N, 10 m) unless it is complete."""
    rows = columns = side_of(gib, 1)
    if (path / "zarr.json").exists():
        return rows, columns
    import dask.array as da

    import geozarr

    start = time.perf_counter()
    geozarr.write(
        da.from_array(Pattern((rows, columns)), chunks=(4 * CHUNK, 4 * CHUNK)),
        path,
        crs="EPSG:32633",
        transform=(10.0, 0.0, 300000.0, 0.0, -10.0, 5500000.0),
        dims=("y", "x"),
        name="band",
        chunks=(CHUNK, CHUNK),
        compression="zstd:1",
        levels="auto",
        overwrite=path.exists(),
    )
    took = time.perf_counter() - start
    print(f"wrote {path} ({rows} x {columns} uint16) in {took:.0f} s")
    return rows, columns


def fetch(url: str) -> int:
    with urllib.request.urlopen(url, timeout=60) as response:
        return len(response.read())


def peak_rss_mib(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(match.group(1)) / 1024 if match else float("nan")


def in_process(kind: str, store: Path) -> tuple[float, int]:
    """Time opening the first image and its renderer in this process (imports done before)."""
    if kind == "ome":
        from ngff.viewing import open_scene
    else:
        from geozarr.viewing import open_scene
    from ngff_geozarr.core.viewer import Renderer

    open_scene(str(store), {})  # imports
    start = time.perf_counter()
    renderer = Renderer(open_scene(str(store), {}))
    return time.perf_counter() - start, len(renderer.scene.levels)


def measure(kind: str, store: Path, rows: int, columns: int, steps: int) -> dict[str, Any]:
    """Open the store in a new viewer process, pan at level 0, read the server's peak RSS."""
    size = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
    inside, levels = in_process(kind, store)
    convention = "ngff" if kind == "ome" else "geozarr"
    query = "?channels=0,1" if kind == "ome" else ""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "ngff_geozarr.view", convention, str(store), "--no-browser"],
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
        times = []
        row0 = rows // CHUNK // 2 - 2
        col0 = columns // CHUNK // 2 - steps // 2
        with ThreadPoolExecutor(6) as pool:
            for step in range(steps):
                col = (col0 + 5 + step) % (columns // CHUNK)
                urls = [f"{url}tile/0/{row0 + r}/{col}{query}" for r in range(4)]
                t0 = time.perf_counter()
                list(pool.map(fetch, urls))
                times.append(time.perf_counter() - t0)
        rss = peak_rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    ms = sorted(t * 1000 for t in times)
    return {
        "store": f"{kind} {rows} x {columns}",
        "GiB on disk": f"{size / 2**30:.2f}",
        "levels": levels,
        "open in process s": f"{inside:.2f}",
        "open, new process s": f"{opened:.2f}",
        "pan median ms": f"{statistics.median(ms):.0f}",
        "pan p95 ms": f"{ms[min(len(ms) - 1, int(0.95 * len(ms)))]:.0f}",
        "pan max ms": f"{ms[-1]:.0f}",
        "peak RSS MiB": f"{rss:.0f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=10.0)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--kind", choices=["ome", "geo", "both"], default="both")
    args = parser.parse_args()
    rows_out = []
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average before: {' '.join(load)}")
    for kind in ("ome", "geo") if args.kind == "both" else (args.kind,):
        suffix = "ome.zarr" if kind == "ome" else "geo.zarr"
        store = DATA / f"viewer-{args.gib:g}gib.{suffix}"
        rows, columns = (build if kind == "ome" else build_geo)(store, args.gib)
        rows_out.append(measure(kind, store, rows, columns, args.steps))
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average after: {' '.join(load)}")
    names = list(rows_out[0])
    widths = [max(len(n), *(len(str(r[n])) for r in rows_out)) for n in names]
    print("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows_out:
        print("  ".join(str(row[n]).ljust(w) for n, w in zip(names, widths, strict=True)))


if __name__ == "__main__":
    main()
