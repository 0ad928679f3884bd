"""Benchmark: creating an OME-Zarr image with ``ngff.write_image`` against peers and a copy.

The same cases, synthetic sources and measurement as ``benchmarks/pyramid_engine.py`` (whose
helpers this script reuses: the source is a Zarr v3 array on disk with the case's chunks and
the run's codec, ``--compression`` (Blosc-zstd level 5 with byte shuffle by default); every
run is a fresh subprocess; peak RSS is its ``VmHWM``), but the run measured as ``ours`` is
the whole OME-Zarr creation a user calls:

- ``ngff.write_image``: level 0 and every level of the automatic plan, with the case's
  kernel (``mean`` for bio3d, ``mode`` for labels3d), axes, scales and translations, the
  OME-Zarr 0.5 metadata written last;
- ``copy-only``: read the source and write level 0 with the same chunks and codec;
- with ``--peer-python`` (default: ``.venv-peers/bin/python`` when it exists): ngff-zarr
  (its default method and ``itkwasm_bin_shrink``; for labels ``itkwasm_label_image`` and
  ``dask_image_mode``) and ome-zarr-py (``local_mean`` and ``nearest``; for labels
  ``nearest``), each asked for the same number of levels.

``label-safe`` (labels3d) tells whether every value of the coarsest level occurs in the
source. The ``bio3d-64`` case, (64, 2048, 2048), is the flat-memory reference: our peak RSS
at (256, 2048, 2048) should be within 20 % of it.

Run from the repository root (needs ~5 GiB of free disk in ``--workdir``)::

    .venv/bin/python benchmarks/ome_create.py [--cases bio3d,bio3d-64,labels3d]
        [--workdir DIR] [--peer-python PY] [--no-peers] [--compression PRESET]

It measures only; nothing is asserted about the figures.
"""

from __future__ import annotations

import argparse
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pyramid_engine as engine  # the sibling benchmark: numpy-only on import

REPO = Path(__file__).resolve().parents[1]
PEER_PYTHON = REPO / ".venv-peers" / "bin" / "python"
COMPRESSION_VARIABLE = "OME_CREATE_BENCH_COMPRESSION"


def run_create(case: engine.Case, source: Path, target: Path) -> dict[str, Any]:
    """Measure ``ngff.write_image`` in this (fresh) process."""
    import ngff
    from ngff_geozarr.core.store import open_store

    src = open_store(source).open_array("source")
    start = time.perf_counter()
    image = ngff.write_image(
        src,
        str(target),
        axes="zyx",
        units="micrometer",
        chunks=case.chunks,
        method=case.method,
        version="0.5",
        compression=os.environ[COMPRESSION_VARIABLE],
    )
    return engine.finish(start, len(image.arrays), image.paths[-1])


def measure_create(case: engine.Case, source: Path, workdir: Path, labels: Any) -> dict[str, Any]:
    """Run ``ngff.write_image`` in a subprocess; check the output validates."""
    import ngff
    from ngff_geozarr.core.store import open_store

    target = workdir / f"{case.name}-ngff-create.ome.zarr"
    shutil.rmtree(target, ignore_errors=True)
    os.sync()  # no writeback of earlier files during the measurement
    out = subprocess.run(
        [sys.executable, __file__, "--child", case.name, str(source), str(target)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["bytes"] = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    report = ngff.validate(str(target))
    result["valid"] = report.valid and not report.issues
    if labels is not None:
        with open_store(target) as store:
            coarsest = store.open_array(result["coarsest"])
            values = np.unique(coarsest.read(tuple(slice(0, n) for n in coarsest.shape)))
        result["label_safe"] = bool(np.isin(values, labels).all())
    shutil.rmtree(target, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="bio3d,bio3d-64,labels3d")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--peer-python", default=None)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--compression", default="blosc-zstd", help="codec preset of every run")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, source, target = args.child
        print(json.dumps(run_create(engine.CASES[name], Path(source), Path(target))))
        return
    os.environ[COMPRESSION_VARIABLE] = args.compression
    codec_text = engine.use_compression(args.compression)
    peer = args.peer_python or (str(PEER_PYTHON) if PEER_PYTHON.exists() else None)
    if args.no_peers:
        peer = None
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ome-create-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[engine.Case, str, dict[str, Any]]] = []
    for name in args.cases.split(","):
        case = engine.CASES[name]
        source = workdir / f"{name}-source.zarr"
        shutil.rmtree(source, ignore_errors=True)
        engine.build_source(case, source)
        labels = engine.source_labels(source) if case.dtype == "uint32" else None
        rows.append(
            (
                case,
                "copy-only",
                engine.measure(["copy-only"], case, source, workdir, sys.executable, None),
            )
        )
        rows.append(
            (
                case,
                f"ngff.write_image ({case.method})",
                measure_create(case, source, workdir, labels),
            )
        )
        if peer and name != "bio3d-64":
            for tool, method in engine.PEERS[case.dtype]:
                result = engine.measure([tool, method], case, source, workdir, peer, labels)
                rows.append((case, f"{tool} ({method})", result))
        shutil.rmtree(source, ignore_errors=True)
    engine.print_table(rows, codec_text, valid=True)
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
