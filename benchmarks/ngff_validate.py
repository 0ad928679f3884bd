"""Benchmark: ``ngff validate`` on a plate of 96 wells x 2 fields x 4 levels.

The plate (8 rows x 12 columns, every well with two fields of view, every field a 4-level
multiscale image of 2D uint16 arrays) is written as metadata documents only — validation never
reads chunks. The script times

- the ``ngff validate`` command on the local directory (a fresh interpreter: the wall time a
  user sees, imports included), and ``ngff.validate`` in process;
- ``ngff.validate`` over moto's S3 server (the ``test`` extra), printing the number of HTTP
  requests the server logged and the wall time.

Run it from the repository root::

    .venv/bin/python benchmarks/ngff_validate.py [--repeat R]

It measures only; nothing is asserted about the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ngff
from ngff_geozarr.core.testing import moto_s3_server

ROWS = "ABCDEFGH"
COLUMNS = [str(i) for i in range(1, 13)]
LEVELS = 4
AXES = [
    {"name": "c", "type": "channel"},
    {"name": "y", "type": "space", "unit": "micrometer"},
    {"name": "x", "type": "space", "unit": "micrometer"},
]


def _write(path: Path, attributes: dict[str, object] | None = None, **array: object) -> None:
    path.mkdir(parents=True, exist_ok=True)
    doc: dict[str, object] = {"zarr_format": 3, "node_type": "array" if array else "group"}
    doc.update(array)
    doc["attributes"] = attributes or {}
    (path / "zarr.json").write_text(json.dumps(doc))


def build_plate(root: Path) -> int:
    ome = {"version": "0.5"}
    wells = [
        {"path": f"{r}/{c}", "rowIndex": i, "columnIndex": j}
        for i, r in enumerate(ROWS)
        for j, c in enumerate(COLUMNS)
    ]
    plate = {
        "name": "bench",
        "rows": [{"name": r} for r in ROWS],
        "columns": [{"name": c} for c in COLUMNS],
        "wells": wells,
        "field_count": 2,
    }
    _write(root, {"ome": {**ome, "plate": plate}})
    nodes = 1
    multiscales = [
        {
            "name": "field",
            "axes": AXES,
            "datasets": [
                {
                    "path": str(k),
                    "coordinateTransformations": [{"type": "scale", "scale": [1, 2.0**k, 2.0**k]}],
                }
                for k in range(LEVELS)
            ],
        }
    ]
    for r in ROWS:
        _write(root / r)
        nodes += 1
        for c in COLUMNS:
            well = root / r / c
            images = [{"path": "0"}, {"path": "1"}]
            _write(well, {"ome": {**ome, "well": {"images": images}}})
            nodes += 1
            for f in ("0", "1"):
                _write(well / f, {"ome": {**ome, "multiscales": multiscales}})
                nodes += 1
                for k in range(LEVELS):
                    size = 1024 // 2**k
                    _write(
                        well / f / str(k),
                        shape=[2, size, size],
                        data_type="uint16",
                        chunk_grid={
                            "name": "regular",
                            "configuration": {"chunk_shape": [1, 256, 256]},
                        },
                        chunk_key_encoding={"name": "default"},
                        fill_value=0,
                        codecs=[{"name": "bytes", "configuration": {"endian": "little"}}],
                        dimension_names=["c", "y", "x"],
                    )
                    nodes += 1
    return nodes


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if '"' in record.getMessage():  # werkzeug's access-log lines quote the request line
            self.count += 1


def _upload(root: Path, endpoint: str) -> str:
    import s3fs

    fs = s3fs.S3FileSystem(
        key="testing",
        secret="testing",
        client_kwargs={"endpoint_url": endpoint},
        s3_additional_kwargs={"ACL": "public-read"},
    )
    fs.mkdir("bench", acl="public-read")
    fs.put(str(root) + "/", "bench/plate.ome.zarr/", recursive=True)
    return "s3://bench/plate.ome.zarr"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "plate.ome.zarr"
        nodes = build_plate(root)
        cli = [sys.executable, "-c", "from ngff.cli import main; main()"]
        walls = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            proc = subprocess.run(
                [*cli, "validate", str(root), "--format", "json"],
                capture_output=True,
                text=True,
                check=False,
            )
            walls.append(time.perf_counter() - start)
            assert json.loads(proc.stdout)["valid"], proc.stdout[:500]
        rows.append(
            ("local dir, `ngff validate` (new process)", str(nodes), "-", f"{min(walls):.2f} s")
        )
        walls = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            report = ngff.validate(root)
            walls.append(time.perf_counter() - start)
        assert report.valid
        rows.append(
            ("local dir, `ngff.validate` (in process)", str(nodes), "-", f"{min(walls):.2f} s")
        )
        counter = _Counter()
        logger = logging.getLogger("werkzeug")
        logger.setLevel(logging.INFO)
        logger.addHandler(counter)
        logger.propagate = False
        with moto_s3_server() as endpoint:
            url = _upload(root, endpoint)
            for _ in range(args.repeat):
                counter.count = 0
                start = time.perf_counter()
                report = ngff.validate(url, storage_options={"endpoint_url": endpoint})
                wall = time.perf_counter() - start
                assert report.valid, report.issues[:3]
            rows.append(
                ("moto S3 server, `ngff.validate`", str(nodes), str(counter.count), f"{wall:.2f} s")
            )
    print("| case | nodes | requests | wall time |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
