"""Benchmark: a long run of the fuzz suite (issue 16, point 8), counting what it saw.

The cases are those of ``tests/fuzz`` (:mod:`tests.fuzz.cases`): a valid store written by
the toolkit (OME-Zarr image with labels or plate, 0.4/0.5/0.6; GeoZarr raster, Zarr v2/v3)
broken by one to three drawn mutations, read by ``ngff validate``, ``geozarr validate``
(half of them ``--deep``, half ``--strict``) and ``info`` of both conventions in process,
each call guarded (no exception, nothing opened outside the store, at most 256 MiB
allocated at once, at most 30 s). The draws are derandomized from ``--seed``: the same
cases on every machine.

Run it from the repository root::

    .venv/bin/python benchmarks/fuzz.py [--cases N] [--seed S] [--tracebacks]

It prints a table: cases, mutations by kind, verdicts, failures (by first line), the peak
allocation and the wall time; ``--tracebacks`` also prints each distinct failure's traceback.
It measures; the exit code is 1 when any case failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from tests.fuzz.cases import build_bases, make_case, run_case


def main() -> int:
    """Run the cases and print the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--tracebacks", action="store_true")
    args = parser.parse_args()

    kinds: Counter[str] = Counter()
    bases_used: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    examples: dict[str, tuple[list[str], str]] = {}
    peak = 0
    count = 0

    with tempfile.TemporaryDirectory(prefix="fuzz-bench-") as root:
        started = time.perf_counter()
        bases = build_bases(Path(root))
        setup = time.perf_counter() - started

        @seed(args.seed)
        @settings(
            max_examples=args.cases,
            deadline=None,
            database=None,
            phases=(Phase.generate,),
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data(), deep=st.booleans(), strict=st.booleans())
        def one(data: st.DataObject, deep: bool, strict: bool) -> None:
            nonlocal peak, count
            with tempfile.TemporaryDirectory(prefix="case-", dir=root) as where:
                case = make_case(data, bases, Path(where))
                outcome = run_case(case, Path(where), deep=deep, strict=strict)
            count += 1
            bases_used[case.steps[0]] += 1
            kinds.update(case.kinds)
            verdicts.update(outcome.verdicts)
            peak = max(peak, outcome.peak)
            for i, failure in enumerate(outcome.failures):
                key = failure.split("\n")[0][:160]
                failures[key] += 1
                trace = outcome.tracebacks[i] if i < len(outcome.tracebacks) else ""
                examples.setdefault(key, (case.steps, trace))

        started = time.perf_counter()
        one()
        seconds = time.perf_counter() - started

    rows = [("cases", count), ("failing calls", sum(failures.values()))]
    rows += [(f"base {k}", n) for k, n in sorted(bases_used.items())]
    rows += [(f"mutation {k}", n) for k, n in sorted(kinds.items())]
    rows += [(f"verdict {k}", n) for k, n in sorted(verdicts.items())]
    rows += [("peak allocation (MiB)", round(peak / 2**20, 1))]
    rows += [("setup s", round(setup, 1)), ("seconds", round(seconds, 1))]
    rows += [("cases per second", round(count / seconds, 1))]
    width = max(len(k) for k, _ in rows)
    print(f"{'count':<{width}}  value")
    print(f"{'-' * width}  -----")
    for k, n in rows:
        print(f"{k:<{width}}  {n}")
    for key, n in failures.most_common():
        steps, trace = examples[key]
        print(f"\nFAILURE x{n}: {key}\n  first case: {steps}")
        if args.tracebacks and trace:
            print(trace)
    print(f"\nload: {os.getloadavg()}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
