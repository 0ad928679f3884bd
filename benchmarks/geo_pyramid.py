"""Benchmark: a NaN-aware geo pyramid against topozarr and two copy-only baselines.

A deterministic float32 raster with NaN regions (``--size``, 16384 x 16384 by default) is
first written as a GeoZarr v3 array (512 x 512 chunks, the run's codec: ``--compression``, a
preset of ``ngff_geozarr.core.store.Compression``, Blosc-zstd level 5 with byte shuffle by
default), outside any measurement. Each run then starts a fresh subprocess that reads that
array and writes a new store with the same chunks and codec; the figures are the child's
wall time and peak RSS (``VmHWM``, reset by ``exec``; sampled with psutil as a cross-check):

- ``copy-only``: the base alone (``geozarr.write`` with ``levels=1`` from the source array),
  on the engine's threads: the baseline of ``x copy``;
- ``zarr-copy``: zarr-python alone copies the base, a band of chunks per assignment: the
  baseline of ``x zarr``;
- ``geozarr write+pyramid``: ``geozarr.write(..., levels="auto", min_extent=255)``: the base
  and every 2x NaN-aware mean level down to < 256 px, in one pass, unsharded;
- ``geozarr pyramid (in place)``: ``geozarr.pyramid`` on the copy-only output (reads the
  base back, writes the levels only);
- ``topozarr sharded`` / ``topozarr unsharded``: ``topozarr.create_pyramid`` (its default
  shards, then ``target_shard_bytes=None``) from ``xarray.open_zarr`` of the source, the
  same number of levels and codec, written with ``DataTree.to_zarr``. Note topozarr's
  ``mean`` is xarray's ``coarsen(...).mean()`` with ``boundary="trim"`` (it drops edge
  pixels) and its levels are written from dask.

After the table, where the time of our runs went, per level and stage
(``pyramid_engine.print_stages``).

Run from the repository root (about 3 GiB free in ``--workdir``)::

    .venv/bin/python benchmarks/geo_pyramid.py [--size 16384] [--workdir DIR]

It measures only; nothing is asserted about the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
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

CHUNK = 512
TRANSFORM = (10.0, 0.0, 300_000.0, 0.0, -10.0, 5_000_000.0)
CRS = "EPSG:32632"


def _levels(size: int) -> int:
    n, count = size, 1
    while n >= 256:
        n, count = -(-n // 2), count + 1
    return count


def build_source(path: Path, size: int, compression: str) -> None:
    """Write the source raster, band by band of chunk rows (bounded memory)."""
    import geozarr
    from ngff_geozarr.core.store import open_store

    class Synthetic:
        shape = (size, size)
        dtype = np.dtype(np.float32)

        def __getitem__(self, key: tuple[slice, slice]) -> np.ndarray:
            rows, cols = key
            y = np.arange(rows.start, rows.stop, dtype=np.float32)[:, None]
            x = np.arange(cols.start, cols.stop, dtype=np.float32)[None, :]
            values = 1000 + 300 * np.sin(x / 700) * np.cos(y / 900) + (x * 7 + y * 13) % 17
            lake = (x - size * 0.3) ** 2 + (y - size * 0.6) ** 2 < (size * 0.15) ** 2
            values[lake | ((x > size * 0.8) & (y < size * 0.25))] = np.nan
            values[((x.astype(np.int64) * 31 + y.astype(np.int64) * 17) % 97) == 0] = np.nan
            return values.astype(np.float32)

    geozarr.write(
        Synthetic(),
        path,
        crs=CRS,
        transform=TRANSFORM,
        chunks=(CHUNK, CHUNK),
        name="dem",
        compression=compression,
    )
    with open_store(path) as store:
        assert store.open_array("dem").shape == (size, size)


def child(case: str, source: Path, out: Path, levels: int, compression: str) -> dict[str, Any]:
    """Run one case in this (fresh) process."""
    from ngff_geozarr.core.pyramid.stages import recording

    clock = engine.StoreClock()
    figures: dict[str, Any] = {}
    if case == "zarr-copy":
        engine.use_compression(compression)
        engine.zarr_copy(source, "dem", out)
    elif case in ("copy-only", "geozarr write+pyramid"):
        import geozarr
        from ngff_geozarr.core.store import open_store

        pyramid: dict[str, Any] = {}
        if case != "copy-only":
            pyramid = {"levels": "auto", "min_extent": 255}
        with open_store(source) as src, recording() as times:
            geozarr.write(
                src.open_array("dem"),
                out,
                crs=CRS,
                transform=TRANSFORM,
                chunks=(CHUNK, CHUNK),
                name="dem",
                compression=compression,
                **pyramid,
            )
        figures = engine.stage_figures(times, clock)
    elif case == "geozarr pyramid (in place)":
        import geozarr

        with recording() as times:
            geozarr.pyramid(out, min_extent=255)
        figures = engine.stage_figures(times, clock)
    else:
        import pyproj
        import topozarr
        import xarray as xr
        import xproj  # noqa: F401  (registers .proj)

        engine.use_compression(compression)
        ds = xr.open_zarr(source, consolidated=False)[["dem"]]
        ds = ds.drop_vars([v for v in ds.coords if v not in ("x", "y")])
        ds = ds.proj.assign_crs(spatial_ref=pyproj.CRS.from_user_input(CRS))
        shard = None if case == "topozarr unsharded" else 10 * 2**20
        tree = topozarr.create_pyramid(ds, levels=levels, target_shard_bytes=shard)
        encoding = {}
        for path, level in tree.encoding.items():
            encoding[path] = {k: {**v, "compressors": engine.codecs()} for k, v in level.items()}
        tree.dt.to_zarr(out, encoding=encoding, zarr_format=3, consolidated=False)
    with open("/proc/self/status") as status:
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    return {"rss_mib": hwm / 1024, **figures}


def measure(case: str, source: Path, out: Path, levels: int, compression: str) -> dict[str, Any]:
    """Run a case in a subprocess; return wall time and peak RSS."""
    import psutil

    args = [sys.executable, __file__, "--child", case, str(source), str(out), str(levels)]
    args.append(compression)
    os.sync()  # no writeback of earlier files during the measurement
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    watched = psutil.Process(proc.pid)
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss)
        time.sleep(0.05)
    wall = time.perf_counter() - start
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        return {"case": case, "error": stderr.strip().splitlines()[-1:]}
    result = json.loads(stdout.strip().splitlines()[-1])
    return {"case": case, "wall_s": wall, "psutil_mib": peak / 2**20, **result}


def main() -> None:
    """Build the source, run every case, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=16384)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--compression", default="blosc-zstd", help="codec preset of every run")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        case, source, out, levels, compression = args.child
        print(json.dumps(child(case, Path(source), Path(out), int(levels), compression)))
        return
    codec_text = engine.use_compression(args.compression)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="geo-pyramid-"))
    source = work / f"source-{args.compression}.zarr"
    if not source.exists():
        build_source(source, args.size, args.compression)
    levels = _levels(args.size)
    cases = [
        ("copy-only", "copy.zarr"),
        ("zarr-copy", "zarr-copy.zarr"),
        ("geozarr pyramid (in place)", "copy.zarr"),
        ("geozarr write+pyramid", "geozarr.zarr"),
        ("topozarr sharded", "topo-sharded.zarr"),
        ("topozarr unsharded", "topo-unsharded.zarr"),
    ]
    rows = []
    for case, name in cases:
        out = work / name
        if case != "geozarr pyramid (in place)" and out.exists():
            shutil.rmtree(out)
        rows.append(measure(case, source, out, levels, args.compression))
        print(json.dumps(rows[-1]), file=sys.stderr)
    walls = {r["case"]: r["wall_s"] for r in rows if "wall_s" in r}
    copy = walls.get("copy-only", math.nan)
    zarr_copy = walls.get("zarr-copy", math.nan)
    print(
        f"geo2d: float32 ({args.size}, {args.size}), chunks {CHUNK}, NaN regions, "
        f"{levels} levels (2x NaN-aware mean to < 256 px), {os.cpu_count()} CPUs; "
        f"codec: {codec_text}"
    )
    print(
        f"{'case':30} {'wall s':>8} {'x copy':>7} {'x zarr':>7} {'peak RSS MiB':>13} "
        f"{'psutil MiB':>11}"
    )
    for row in rows:
        if "error" in row:
            print(f"{row['case']:30} failed: {row['error']}")
            continue
        print(
            f"{row['case']:30} {row['wall_s']:8.1f} {row['wall_s'] / copy:7.2f} "
            f"{row['wall_s'] / zarr_copy:7.2f} {row['rss_mib']:13.0f} {row['psutil_mib']:11.0f}"
        )
    for row in rows:
        if "stages" in row:
            print()
            engine.print_stages(f"geo2d {row['case']}", row, row["wall_s"])
    for name in ("copy.zarr", "zarr-copy.zarr", "geozarr.zarr", "topo-sharded.zarr"):
        shutil.rmtree(work / name, ignore_errors=True)
    shutil.rmtree(work / "topo-unsharded.zarr", ignore_errors=True)
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
