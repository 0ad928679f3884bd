"""Benchmark: ``ngff validate --deep`` on a plate of 96 wells x 2 fields x 4 levels over HTTP.

The plate (8 rows x 12 columns, two fields per well, each field a 4-level multiscale image of
2D uint16 data, 128 x 128 samples in 64 x 64 chunks) is written with ``ngff.write_plate``,
chunks included, then served by ``ngff_geozarr.core.testing.serve_directory`` with 20 ms
added to every request, in a child process (so the server does not share the reader's
interpreter lock). The script prints, for the metadata-only validation and for ``--deep``
with the default budget, the wall time, the requests the server received and the issues.

Run it from the repository root::

    .venv/bin/python benchmarks/deep_plate.py [--latency 0.020] [--sample N]

It measures only; nothing is asserted about the figures.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import ngff
from ngff_geozarr.core.deep import DEFAULT_BUDGET

ROWS = "ABCDEFGH"
COLUMNS = range(1, 13)


def build(root: Path) -> Path:
    """Write the plate; returns its path."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:128, 0:128]
    base = (1000 + 500 * np.sin(y / 9.0) * np.cos(x / 13.0)).astype(np.uint16)
    wells = {
        f"{r}/{c}": [base + rng.integers(0, 50, base.shape, dtype=np.uint16) for _ in range(2)]
        for r in ROWS
        for c in COLUMNS
    }
    out = root / "plate.ome.zarr"
    ngff.write_plate(out, wells, axes="yx", levels=4, chunks=(64, 64), workers=2)
    return out


def _serve(folder: str, latency: float, port: Any, count: Any, stop: Any) -> None:
    from ngff_geozarr.core.testing import serve_directory

    with serve_directory(folder, latency=latency) as (url, log):
        port.value = int(url.rsplit(":", 1)[1])
        while not stop.wait(0.05):
            count.value = log.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.020)
    parser.add_argument("--sample", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        plate = build(Path(folder))
        setup = time.perf_counter() - started
        nodes = sum(1 for _ in plate.rglob("zarr.json"))
        chunks = sum(1 for p in plate.rglob("*") if p.is_file() and p.name != "zarr.json")
        context = multiprocessing.get_context("spawn")
        port, count, stop = context.Value("i", 0), context.Value("i", 0), context.Event()
        server = context.Process(target=_serve, args=(folder, args.latency, port, count, stop))
        server.start()
        try:
            while port.value == 0:
                time.sleep(0.05)
            url = f"http://127.0.0.1:{port.value}/plate.ome.zarr"
            print(
                f"Plate: 96 wells x 2 fields x 4 levels, {nodes} nodes, {chunks} chunks; "
                f"setup {setup:.1f} s. Server: own process, {args.latency * 1000:.0f} ms per "
                f"request. Default budget: {DEFAULT_BUDGET}."
            )
            print(f"{'case':<28} {'wall s':>7} {'requests':>9} {'issues':>7}")
            for name, options in (
                ("metadata only", {}),
                ("--deep (default budget)", {"deep": True, "sample": args.sample}),
            ):
                before = count.value
                time.sleep(0.2)
                before = count.value
                started = time.perf_counter()
                report = ngff.validate(url, **options)
                wall = time.perf_counter() - started
                time.sleep(0.2)
                rules = sorted({i.rule for i in report.issues})
                print(f"{name:<28} {wall:>7.2f} {count.value - before:>9} {len(report.issues):>7}")
                if rules:
                    print(f"    rules: {', '.join(rules)}")
        finally:
            stop.set()
            server.join(timeout=10)


if __name__ == "__main__":
    main()
