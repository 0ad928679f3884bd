"""Benchmark: the cost of a chunk and shard layout, for writing, for a viewer, for an object store.

The shard planner (:mod:`ngff_geozarr.core.pyramid.shards`) picks chunks and shards per
reader (``--for viewer|archive|gdal``). This script measures what a layout costs, on a grid
of layouts and on the planner's own choice for each target, for two ``uint16`` volumes
(``--cases``): ``2d`` (8192 x 8192, 128 MiB) and ``3d`` (64 x 2048 x 2048, 512 MiB). Their
data are smooth structures plus noise (sigma 40, from a fixed random table at a changing
offset), which Blosc-zstd (level 5, byte shuffle: the engine's default) compresses to
about two thirds, like a microscope image. Each volume is written once (untimed) as a
``.npy`` file and memory-mapped: reading the source costs the same whatever the layout
(and its pages are dropped from the writer after every read, so they do not count in its
resident set).

Layouts (``--chunks`` and ``--shards``, in KiB or MiB): every chunk size with every shard
size larger than it, and unsharded. A budget of B bytes becomes a shape the way the planner
shapes its shards: powers of two, shared as evenly as the axes allow (an axis stops growing
at its extent and the rest goes to the others; the planner's chunks are cubes or squares
instead), so ``3d`` chunks of 128 KiB are
32 x 32 x 64 and shards of 64 MiB are 64 x 512 x 1024. The rows named ``viewer``,
``archive`` and ``gdal`` are :func:`~ngff_geozarr.core.pyramid.shards.choose_layout`'s
choice for that target, as it is. A layout whose level 0 is written as an earlier row's is
measured once, under both names (a shard that would hold the whole array is dropped).

Per layout:

- **write**: :func:`ngff_geozarr.core.pyramid.write_pyramid` writes every level of the
  automatic plan (``mean``; levels that one shard would hold are unsharded, see
  :func:`~ngff_geozarr.core.pyramid.shards.unshard_small_levels`) in a fresh subprocess on
  the engine's threads: wall time (``write s``), the writer's peak RSS (``VmHWM``), the
  objects (files) and their bytes. ``obj/GiB`` is the object count per GiB of decoded
  pyramid: what an object store bills as PUT requests (one per object sent in one request)
  and what a listing walks. ``kept/GiB`` is the same count had the levels that fit in one
  shard stayed sharded (one object each), as ``ngff create`` writes them today (counted
  from the plan, not written). ``PUT/GiB`` counts the requests s3fs would send to write
  the objects (from their sizes: one ``PutObject`` below 100 MiB, a multipart upload of
  50 MiB parts above, create and complete included).
- **viewer**: the store is served by :func:`ngff_geozarr.core.testing.serve_directory`
  (own process, 127.0.0.1, ``--latency`` added to every request, 20 ms by default) and a
  viewport of 1024 x 1024 (``2d``) or 64 x 512 x 512 (``3d``) of level 0 is read at
  ``--viewports`` random places (the same places for every layout) by two readers:
  zarr-python (``view``: ``FsspecStore`` over fsspec's HTTP file system, zarr's async
  concurrency of 10, the array opened once before; it decodes) and a browser-like fetcher
  (``conc``: every chunk, or every shard index then every chunk's byte range, requested at
  once on 6 connections; it fetches and does not decode). Per viewport: the wall time, the
  requests, and (``fetched x``) the bytes zarr-python fetched over the viewport's decoded
  bytes. Medians are printed.

Run it from the repository root (about 2 GiB free in ``--workdir``)::

    .venv/bin/python benchmarks/layout_cost.py [--cases 2d,3d] [--viewports 3]
        [--latency 0.020] [--chunks 128k,512k,2m,8m] [--shards none,8m,64m,256m]
        [--workdir DIR]

It measures only; nothing is asserted about the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import mmap
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from served import Server

# Only the standard library and numpy at module level: the child processes import what
# they need.

CASES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "2d": ((8192, 8192), (1024, 1024)),
    "3d": ((64, 2048, 2048), (64, 512, 512)),
}
"""Each case's shape and the viewer's viewport."""
DTYPE = np.dtype("uint16")
TARGET_NAMES = ("viewer", "archive", "gdal")
NOISE_SIZE = 2**22 + 7919
CONNECTIONS = 6
"""Connections of the concurrent reader: a browser's per-host limit over HTTP/1.1."""


def parse_size(text: str) -> int | None:
    """Return ``"128k"``, ``"8m"`` as bytes (KiB, MiB); ``"none"`` as ``None``."""
    text = text.strip().lower()
    if text == "none":
        return None
    units = {"k": 2**10, "m": 2**20, "g": 2**30}
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def size_label(n: int | None) -> str:
    """Format a byte count as KiB or MiB (``-`` for none)."""
    if n is None:
        return "-"
    return f"{n / 2**20:g}M" if n >= 2**20 else f"{n / 2**10:g}K"


def balanced(shape: tuple[int, ...], items: int, lower: tuple[int, ...]) -> tuple[int, ...]:
    """Return the power-of-two shape of at most ``items`` items, as even as the axes allow.

    Parameters
    ----------
    shape
        The array's shape: an axis grows no further than its extent.
    items
        The budget, in items.
    lower
        The smallest exponent of two per axis (the chunk's, when shaping a shard).

    Returns
    -------
    tuple of int
        The shape, clipped to ``shape``.
    """
    upper = [max(0, math.ceil(math.log2(n))) for n in shape]
    exps = list(lower)
    left = int(math.log2(max(items, 1))) - sum(exps)
    while left > 0:
        room = [i for i in range(len(shape)) if exps[i] < upper[i]]
        if not room:
            break
        axis = min(room, key=lambda i: (exps[i], -i))  # ties: the last axes first
        exps[axis] += 1
        left -= 1
    return tuple(min(2**e, n) for e, n in zip(exps, shape, strict=True))


@dataclass(frozen=True)
class Layout:
    """One measured layout.

    Parameters
    ----------
    label
        The row's name: the budgets, or the target.
    chunks
        The chunk shape.
    shards
        The shard shape, or ``None`` when unsharded.
    """

    label: str
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None


def written(shape: tuple[int, ...], layout: Layout) -> Layout:
    """Return the layout level 0 is written with: unsharded when one shard would hold it."""
    if layout.shards is None:
        return layout
    if all(s >= n for s, n in zip(layout.shards, shape, strict=True)):
        return Layout(layout.label, layout.chunks, None)
    return layout


def grid(
    shape: tuple[int, ...], chunk_sizes: list[int], shard_sizes: list[int | None]
) -> list[Layout]:
    """Return the grid's layouts and the planner's layout of every target, each once.

    Parameters
    ----------
    shape
        The case's shape.
    chunk_sizes
        Chunk budgets, bytes.
    shard_sizes
        Shard budgets, bytes (``None``: unsharded).

    Returns
    -------
    list of Layout
        The grid's layouts (a shard no larger than its chunk is left out), then the
        targets' layouts. A layout that level 0 would be written with as an earlier one's
        (a shard holding the whole array is dropped) is measured once, under both labels.
    """
    from ngff_geozarr.core.pyramid.shards import choose_layout

    found: dict[tuple[Any, ...], Layout] = {}

    def add(layout: Layout) -> None:
        layout = written(shape, layout)
        key = (layout.chunks, layout.shards)
        if key in found:
            label = f"{found[key].label} = {layout.label}"
            found[key] = Layout(label, layout.chunks, layout.shards)
        else:
            found[key] = layout

    for chunk_size in chunk_sizes:
        chunks = balanced(shape, chunk_size // DTYPE.itemsize, (0,) * len(shape))
        for shard_size in shard_sizes:
            if shard_size is None:
                add(Layout(f"{size_label(chunk_size)} / -", chunks, None))
                continue
            if shard_size <= chunk_size:
                continue
            lower = tuple(int(math.log2(c)) if c & (c - 1) == 0 else 0 for c in chunks)
            shards = balanced(shape, shard_size // DTYPE.itemsize, lower)
            shards = tuple(-(-s // c) * c for s, c in zip(shards, chunks, strict=True))
            label = f"{size_label(chunk_size)} / {size_label(shard_size)}"
            add(Layout(label, chunks, None if shards == chunks else shards))
    kinds = ("space",) * len(shape)
    for target in TARGET_NAMES:
        chunks, target_shards = choose_layout(shape, DTYPE, kinds, target)  # type: ignore[arg-type]
        add(Layout(target, chunks, target_shards))
    return list(found.values())


def build_source(shape: tuple[int, ...], path: Path) -> None:
    """Write the case's volume as a ``.npy`` file (untimed), slab by slab."""
    noise = np.random.default_rng(17).normal(0.0, 40.0, NOISE_SIZE).astype(np.float32)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=DTYPE, shape=shape)
    full = (1, *shape) if len(shape) == 2 else shape
    view = out.reshape(full)
    rows = 512
    for z in range(full[0]):
        for y0 in range(0, full[1], rows):
            zz, yy, xx = np.ogrid[z : z + 1, y0 : min(y0 + rows, full[1]), 0 : full[2]]
            signal = 800 + 600 * np.sin(zz / 7.0) * np.cos(yy / 53.0) * np.sin(
                xx / 41.0 + zz / 11.0
            )
            count = signal.size
            offset = (z * 7919 + y0 * 131) % (NOISE_SIZE - count)
            values = signal + noise[offset : offset + count].reshape(signal.shape)
            view[z : z + 1, y0 : y0 + signal.shape[1]] = np.clip(values, 0, 65535)
    out.flush()
    del out


def peak_rss_mib() -> float:
    """Return this process's peak resident set size, MiB (``VmHWM``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class MappedSource:
    """The ``.npy`` source, read region by region without keeping its pages mapped.

    A memory map's pages count in the process's resident set as they are touched; after
    every read the mapping is told the pages are not needed (``MADV_DONTNEED``: they stay in
    the page cache, leave this process), so the peak RSS is the writer's own memory.
    """

    def __init__(self, path: Path) -> None:
        self._array = np.load(path, mmap_mode="r")
        self.shape: tuple[int, ...] = self._array.shape
        self.dtype = self._array.dtype
        self.ndim = self._array.ndim

    def __getitem__(self, key: tuple[slice, ...]) -> np.ndarray[Any, Any]:
        out = np.array(self._array[key])
        self._array._mmap.madvise(mmap.MADV_DONTNEED)
        return out


def objects_of(shape: tuple[int, ...], block: tuple[int, ...]) -> int:
    """Return the number of objects (chunks or shards of shape ``block``) of one array."""
    return math.prod(-(-n // b) for n, b in zip(shape, block, strict=True))


def child_write(source: Path, target: Path, chunks: list[int], shards: list[int] | None) -> int:
    """Child-process mode: write the pyramid of ``source``; print the figures as JSON."""
    from ngff_geozarr.core.pyramid import OutputOptions, plan, write_pyramid
    from ngff_geozarr.core.pyramid.shards import unshard_small_levels
    from ngff_geozarr.core.store import open_store

    data = MappedSource(source)
    planned = plan(data.shape, chunks, shards=shards)
    levels = unshard_small_levels(planned)
    start = time.perf_counter()
    with open_store(target, "w-") as out:
        write_pyramid(data, out, levels, output=OutputOptions(compression="blosc-zstd"))
    wall = time.perf_counter() - start
    decoded = sum(math.prod(level.shape) for level in levels) * data.dtype.itemsize
    figures = {
        "wall": wall,
        "rss": peak_rss_mib(),
        "levels": len(levels),
        "decoded": decoded,
        "kept": sum(objects_of(level.shape, level.shards or level.chunks) for level in planned),
    }
    print(json.dumps(figures), flush=True)
    return 0


def places(
    shape: tuple[int, ...], viewport: tuple[int, ...], count: int
) -> list[tuple[slice, ...]]:
    """Return ``count`` random viewports inside ``shape`` (seeded: the same for every layout)."""
    rng = np.random.default_rng(2026)
    out = []
    for _ in range(count):
        starts = [int(rng.integers(0, n - v + 1)) for n, v in zip(shape, viewport, strict=True)]
        out.append(tuple(slice(s, s + v) for s, v in zip(starts, viewport, strict=True)))
    return out


def read_viewports(
    server: Server, regions: list[tuple[slice, ...]]
) -> list[tuple[float, int, int]]:
    """Read each region of level 0 with zarr-python over fsspec HTTP (array opened once).

    Returns
    -------
    list of tuple
        Per region: wall seconds, requests, bytes sent by the server.
    """
    import zarr
    from zarr.storage import FsspecStore

    store = FsspecStore.from_url(f"{server.url}/0", read_only=True)
    array = zarr.open_array(store=store, mode="r")
    out = []
    for region in regions:
        server.clear()
        start = time.perf_counter()
        array[region]
        wall = time.perf_counter() - start
        requests, _, sent = server.counts()
        out.append((wall, requests, sent))
    return out


def _get(url: str, byte_range: str | None = None) -> bytes:
    """GET a URL (with a ``Range`` header when given); its body."""
    request = urllib.request.Request(url, headers={"Range": byte_range} if byte_range else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        body: bytes = response.read()
        return body


def _blocks(region: tuple[slice, ...], block: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Return the grid indices of the blocks of shape ``block`` that ``region`` touches."""
    ranges = [range(r.start // b, -(-r.stop // b)) for r, b in zip(region, block, strict=True)]
    return [
        tuple(r[k] for r, k in zip(ranges, index, strict=True))
        for index in np.ndindex(*[len(r) for r in ranges])
    ]


def level0_layout(root: Path, label: str) -> Layout:
    """Return the chunks and shards level 0 was written with (from its ``zarr.json``)."""
    meta = json.loads((root / "0" / "zarr.json").read_text())
    grid = tuple(meta["chunk_grid"]["configuration"]["chunk_shape"])
    codec = meta["codecs"][0]
    if codec["name"] != "sharding_indexed":
        return Layout(label, grid, None)
    config = codec["configuration"]
    names = [c["name"] for c in config.get("index_codecs", [])]
    if config.get("index_location", "end") != "end" or names != ["bytes", "crc32c"]:
        raise RuntimeError(f"unexpected shard index: {config}")
    return Layout(label, tuple(config["chunk_shape"]), grid)


def fetch_concurrently(
    server: Server, layout: Layout, regions: list[tuple[slice, ...]]
) -> list[tuple[float, int, int]]:
    """Fetch each region's bytes the way a browser viewer does: every request at once.

    Unsharded: one GET per chunk. Sharded: one suffix range GET per shard for its index
    (at the shard's end: 16 bytes per chunk and a 4-byte checksum), then one range GET per
    chunk, each round on :data:`CONNECTIONS` connections. Nothing is decoded.

    Returns
    -------
    list of tuple
        Per region: wall seconds, requests, bytes sent by the server.
    """
    url = server.url
    out = []
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        for region in regions:
            server.clear()
            start = time.perf_counter()
            if layout.shards is None:
                keys = ["/".join(map(str, i)) for i in _blocks(region, layout.chunks)]
                list(pool.map(lambda k: _get(f"{url}/0/c/{k}"), keys))
            else:
                per = [s // c for s, c in zip(layout.shards, layout.chunks, strict=True)]
                shards = _blocks(region, layout.shards)
                size = math.prod(per) * 16 + 4
                keys = [f"{url}/0/c/{'/'.join(map(str, i))}" for i in shards]
                indexes = pool.map(_get, keys, [f"bytes=-{size}"] * len(keys))
                ranges = []
                for shard, index in zip(shards, indexes, strict=True):
                    table = np.frombuffer(index[:-4], dtype="<u8").reshape(-1, 2)
                    key = f"{url}/0/c/{'/'.join(map(str, shard))}"
                    for chunk in _blocks(region, layout.chunks):
                        local = [c - s * p for c, s, p in zip(chunk, shard, per, strict=True)]
                        if not all(0 <= k < p for k, p in zip(local, per, strict=True)):
                            continue
                        offset, nbytes = table[np.ravel_multi_index(local, per)]
                        if offset != 2**64 - 1:
                            ranges.append((key, f"bytes={offset}-{offset + nbytes - 1}"))
                list(pool.map(lambda r: _get(*r), ranges))
            wall = time.perf_counter() - start
            requests, _, sent = server.counts()
            out.append((wall, requests, sent))
    return out


S3FS_PART = 50 * 2**20
"""s3fs's default part size: it sends an object of two parts or more as a multipart upload."""


def put_requests(size: int) -> int:
    """Return the requests s3fs makes to write one object of ``size`` bytes.

    One ``PutObject`` below two parts; above, a multipart upload: create, one request per
    part, complete.
    """
    if size < 2 * S3FS_PART:
        return 1
    return 2 + -(-size // S3FS_PART)


def objects_and_bytes(root: Path) -> tuple[int, int, int]:
    """Return the chunk and shard files under ``root``, all files' bytes, s3fs's PUTs."""
    files = [p for p in root.rglob("*") if p.is_file()]
    sizes = [p.stat().st_size for p in files if p.name != "zarr.json"]
    puts = sum(put_requests(n) for n in sizes)
    return len(sizes), sum(p.stat().st_size for p in files), puts


def measure(
    case: str, layout: Layout, source: Path, workdir: Path, latency: float, viewports: int
) -> dict[str, Any]:
    """Write the layout's pyramid in a child process, read viewports over HTTP, clean up."""
    shape, viewport = CASES[case]
    target = workdir / f"{case}-out.zarr"
    shutil.rmtree(target, ignore_errors=True)
    os.sync()  # no writeback of the previous output during this write
    command = [sys.executable, __file__, "--write", str(source), str(target)]
    command += ["--chunk-shape", json.dumps(layout.chunks), "--shard-shape"]
    command += [json.dumps(layout.shards)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    written = json.loads(done.stdout.strip().splitlines()[-1])
    objects, nbytes, puts = objects_and_bytes(target)
    written_layout = level0_layout(target, layout.label)
    regions = places(shape, viewport, viewports)
    server = Server(target, latency=latency)
    try:
        reads = read_viewports(server, regions)
        fetches = fetch_concurrently(server, written_layout, regions)
    finally:
        server.close()
    shutil.rmtree(target, ignore_errors=True)
    view_bytes = math.prod(viewport) * DTYPE.itemsize
    return {
        "case": case,
        "layout": layout.label,
        "chunks": "x".join(map(str, written_layout.chunks)),
        "shards": "x".join(map(str, written_layout.shards)) if written_layout.shards else "-",
        "write s": f"{written['wall']:.2f}",
        "RSS MiB": f"{written['rss']:.0f}",
        "objects": str(objects),
        "MiB": f"{nbytes / 2**20:.0f}",
        "obj/GiB": f"{objects / (written['decoded'] / 2**30):.0f}",
        "kept/GiB": f"{written['kept'] / (written['decoded'] / 2**30):.0f}",
        "PUT/GiB": f"{puts / (written['decoded'] / 2**30):.0f}",
        "view ms": f"{statistics.median(r[0] for r in reads) * 1000:.0f}",
        "view req": f"{statistics.median(r[1] for r in reads):.0f}",
        "fetched x": f"{statistics.median(r[2] for r in reads) / view_bytes:.2f}",
        "conc ms": f"{statistics.median(r[0] for r in fetches) * 1000:.0f}",
        "conc req": f"{statistics.median(r[1] for r in fetches):.0f}",
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    """Print the rows as a plain-text table, one line per layout."""
    names = list(rows[0])
    widths = [max(len(n), *(len(str(r[n])) for r in rows)) for n in names]
    print("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in rows:
        cells = (str(row[n]).ljust(w) for n, w in zip(names, widths, strict=True))
        print("  ".join(cells).rstrip(), flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or a child process' part of it); return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="2d,3d")
    parser.add_argument("--viewports", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.020)
    parser.add_argument("--chunks", default="128k,512k,2m,8m")
    parser.add_argument("--shards", default="none,8m,64m,256m")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--write", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--chunk-shape", help=argparse.SUPPRESS)
    parser.add_argument("--shard-shape", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write is not None:
        return child_write(*args.write, json.loads(args.chunk_shape), json.loads(args.shard_shape))
    cases = args.cases.split(",")
    if any(c not in CASES for c in cases) or args.viewports < 1 or args.latency < 0:
        parser.error(f"--cases among {', '.join(CASES)}; --viewports >= 1; --latency >= 0")
    try:
        chunk_sizes = [s for s in map(parse_size, args.chunks.split(",")) if s is not None]
        shard_sizes = [parse_size(s) for s in args.shards.split(",")]
    except (ValueError, IndexError):
        parser.error("--chunks and --shards take sizes such as 128k,8m (and none for --shards)")
    if not chunk_sizes or any(n is not None and n < DTYPE.itemsize for n in chunk_sizes):
        parser.error("--chunks takes at least one size of 2 bytes or more")

    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    began = time.perf_counter()
    rows = []
    workdir = Path(tempfile.mkdtemp(prefix="layout-cost-", dir=args.workdir))
    try:
        for case in cases:
            shape, _ = CASES[case]
            source = workdir / f"{case}.npy"
            build_source(shape, source)
            for layout in grid(shape, chunk_sizes, shard_sizes):
                rows.append(measure(case, layout, source, workdir, args.latency, args.viewports))
                print(" ".join(rows[-1].values()), file=sys.stderr, flush=True)
            source.unlink()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print(
        f"uint16, blosc-zstd level 5; viewer: zarr-python over fsspec HTTP, "
        f"{args.latency * 1000:g} ms per request, median of {args.viewports} viewports. "
        f"Total {time.perf_counter() - began:.0f} s."
    )
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
