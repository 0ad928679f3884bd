"""Benchmark: ``audit`` of 200 store roots on the moto S3 server.

Writes one small OME-Zarr 0.5 image (2 x 64 x 64 ``uint16``, 2 levels) and one GeoZarr raster
(64 x 64 ``float32`` with one overview), copies them locally into ``--roots`` roots under
nested prefixes (``group-NN/image-NNN.ome.zarr``, every fifth root a raster), uploads the
tree to moto's S3 server (:func:`ngff_geozarr.core.testing.moto_s3_server`, a local process)
and times, for each ``--jobs`` value: finding the roots (:func:`find_roots`: one listing per
prefix folder and per root) and validating them all (:func:`audit` with ``ngff.validate``),
wall time for the whole audit and per root. The verdict counts are printed to show the same
work was done each time (the rasters are not OME-Zarr, so they are "invalid" for ngff).

Run it from the repository root::

    .venv/bin/python benchmarks/audit.py [--roots 200] [--jobs 1,8,32]

It measures only; nothing is asserted about the figures.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

import geozarr
import ngff
from ngff_geozarr.core.audit import audit, find_roots
from ngff_geozarr.core.testing import moto_s3_server

CREDENTIALS = {"key": "testing", "secret": "testing"}


def build(folder: Path, roots: int) -> Path:
    """Write ``roots`` small stores under ``folder / "tree"``."""
    image = folder / "image.ome.zarr"
    ngff.write_image(np.arange(2 * 64 * 64, dtype=np.uint16).reshape(2, 64, 64), image,
                     axes="cyx", levels=2)  # fmt: skip
    raster = folder / "dem.zarr"
    geozarr.write(np.ones((64, 64), np.float32), raster, crs="EPSG:32632",
                  transform=(30.0, 0.0, 5e5, 0.0, -30.0, 5.2e6), levels=2)  # fmt: skip
    tree = folder / "tree"
    for i in range(roots):
        source, name = (
            (raster, f"dem-{i:03d}.zarr") if i % 5 == 4 else (image, f"image-{i:03d}.ome.zarr")
        )
        shutil.copytree(source, tree / f"group-{i // 20:02d}" / name)
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--roots", type=int, default=200)
    parser.add_argument("--jobs", default="1,8,32")
    args = parser.parse_args()
    import s3fs

    with tempfile.TemporaryDirectory() as tmp, moto_s3_server() as endpoint:
        tree = build(Path(tmp), args.roots)
        files = sum(1 for p in tree.rglob("*") if p.is_file())
        fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint}, **CREDENTIALS,
                               s3_additional_kwargs={"ACL": "public-read"})  # fmt: skip
        fs.mkdir("audit", acl="public-read")
        start = time.perf_counter()
        fs.put(str(tree) + "/", "audit/bench/", recursive=True)
        print(f"uploaded {args.roots} roots ({files} files) in {time.perf_counter() - start:.1f} s")
        options = {"endpoint_url": endpoint}
        print("| jobs | find roots (s) | validate all (s) | total (s) | per root (ms) | verdicts |")
        print("| ---: | ---: | ---: | ---: | ---: | --- |")
        for jobs in (int(j) for j in args.jobs.split(",")):
            start = time.perf_counter()
            roots = find_roots("s3://audit/bench", options)
            found = time.perf_counter() - start
            results = audit(roots, ngff.validate, jobs=jobs, storage_options=options)
            total = time.perf_counter() - start
            verdicts = Counter(r.verdict for r in results)
            per_root = 1000 * total / len(roots)
            print(f"| {jobs} | {found:.2f} | {total - found:.2f} | {total:.2f} | "
                  f"{per_root:.0f} | {dict(sorted(verdicts.items()))} |")  # fmt: skip


if __name__ == "__main__":
    main()
