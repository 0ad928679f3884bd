"""Time ``geozarr validate`` on the EOPF product dumps (the largest has ~230 nodes).

Run: ``.venv/bin/python benchmarks/geozarr_validate.py [REPEATS]``. Prints one row per dump:
nodes, issues, best and median wall time of the Python API, and the wall time of the
``geozarr validate --format json`` command (a fresh process: imports included).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import geozarr
from ngff_geozarr.core.hierarchy import read_hierarchy

EOPF = Path(__file__).parents[1] / "tests" / "data" / "conformance" / "geozarr" / "eopf"
DUMPS = sorted(
    p
    for folder in ("s1_examples", "s2_examples", "geozarr_examples", "optimized_geozarr_examples")
    for p in (EOPF / folder).glob("*.json")
)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    cli = str(Path(sys.executable).parent / "geozarr")
    print(f"{'dump':<44} {'nodes':>5} {'issues':>6} {'best s':>7} {'median s':>8} {'CLI s':>6}")
    for path in DUMPS:
        nodes = len(read_hierarchy(path))
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            report = geozarr.validate(path)
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run([cli, "validate", str(path), "--format", "json"], capture_output=True)
        cli_time = time.perf_counter() - start
        name = f"{path.parent.name.removesuffix('_examples')}/{path.name[:30]}"
        print(
            f"{name:<44} {nodes:>5} {len(report.issues):>6} {min(times):>7.3f} "
            f"{statistics.median(times):>8.3f} {cli_time:>6.2f}"
        )


if __name__ == "__main__":
    main()
