"""RFC-9 single-file OME-Zarr (``.ozx``): written in RFC order, validated, read over HTTP.

The archives are checked with the standard library's ``zipfile`` and by reading the end
records directly (not through the toolkit's own parser), so a writer and reader that agreed
on a wrong layout would still fail here.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import ngff
from ngff.cli import cli
from ngff_geozarr.core.testing import serve_directory

REPO = Path(__file__).resolve().parents[2]
PEER_PYTHON = REPO / ".venv-peers" / "bin" / "python"
RULES = (
    "ngff.ozx.split",
    "ngff.ozx.nested",
    "ngff.ozx.zip64",
    "ngff.ozx.compressed",
    "ngff.ozx.unsharded",
    "ngff.ozx.root-not-first",
    "ngff.ozx.json-order",
    "ngff.ozx.comment",
    "ngff.ozx.json-first",
)


def image(shape: tuple[int, ...] = (300, 400), seed: int = 0) -> np.ndarray[Any, Any]:
    return np.random.default_rng(seed).integers(0, 60000, shape, dtype=np.uint16)


def end_records(path: Path) -> tuple[bytes, bool]:
    """The archive comment, and whether a ZIP64 end record + locator precede the end record."""
    data = path.read_bytes()
    at = data.rfind(b"PK\x05\x06")
    (comment_len,) = struct.unpack_from("<H", data, at + 20)
    locator = data[at - 20 : at]
    has64 = locator[:4] == b"PK\x06\x07"
    if has64:
        (end64,) = struct.unpack_from("<Q", locator, 8)
        has64 = data[end64 : end64 + 4] == b"PK\x06\x06"
    return data[at + 22 : at + 22 + comment_len], has64


def rules_of(target: str | Path, strict: bool = True) -> list[str]:
    return [i.rule for i in ngff.validate(str(target), strict=strict).issues]


# -- writing ------------------------------------------------------------------------------


def test_written_archive_follows_rfc9(tmp_path: Path) -> None:
    target = tmp_path / "x.ozx"
    data = image()
    ngff.write_image(data, target, chunks=(64, 64), units="micrometer")
    with zipfile.ZipFile(target) as zf:
        infos = zf.infolist()
        assert zf.testzip() is None
        by_offset = sorted(infos, key=lambda i: i.header_offset)
    names = [i.filename for i in infos]
    jsons = [n for n in names if n.endswith("zarr.json")]
    # root first, every zarr.json before any chunk, breadth-first: in the central directory
    # and in the file
    assert names[0] == "zarr.json"
    assert names[: len(jsons)] == jsons == sorted(jsons, key=lambda n: (n.count("/"), n))
    assert [i.filename for i in by_offset] == names
    assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
    comment, has64 = end_records(target)
    assert has64
    assert json.loads(comment) == {
        "ome": {"version": "0.5", "zipFile": {"centralDirectory": {"jsonFirst": True}}}
    }
    # sharded by default: 300x400 in 64x64 chunks is 5x7 chunks, 2x2 shards of 4x4 chunks
    level0 = [n for n in names if n.startswith("0/c/")]
    assert len(level0) == 4
    assert ngff.validate(str(target), strict=True).issues == ()
    read = ngff.open(str(target))
    assert np.array_equal(read.level(0).data.compute(), data)
    # nothing left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.ozx"]


def test_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    data = image()
    for name in ("a.ozx", "b.ozx"):
        ngff.write_image(data, tmp_path / name, chunks=(64, 64), workers=2)
    assert (tmp_path / "a.ozx").read_bytes() == (tmp_path / "b.ozx").read_bytes()


class FailingSource:
    """An array whose reads fail after a few: a write that breaks part way."""

    def __init__(self, data: np.ndarray[Any, Any], good: int) -> None:
        self.data, self.good = data, good
        self.shape, self.dtype, self.ndim = data.shape, data.dtype, data.ndim

    def __getitem__(self, key: Any) -> Any:
        self.good -= 1
        if self.good < 0:
            raise OSError("the source broke")
        return self.data[key]


def test_failed_write_leaves_no_archive(tmp_path: Path) -> None:
    target = tmp_path / "x.ozx"
    with pytest.raises(Exception, match="the source broke"):
        ngff.write_image(FailingSource(image(), 2), target, chunks=(64, 64), workers=1)
    assert list(tmp_path.iterdir()) == []


def test_failed_overwrite_keeps_the_old_archive(tmp_path: Path) -> None:
    target = tmp_path / "x.ozx"
    ngff.write_image(image(seed=1), target, chunks=(64, 64))
    before = target.read_bytes()
    with pytest.raises(Exception, match="the source broke"):
        ngff.write_image(
            FailingSource(image(), 2), target, chunks=(64, 64), workers=1, overwrite=True
        )
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.ozx"]


KILLED_WRITER = r"""
import sys, time, numpy as np, ngff

class Slow:
    def __init__(self):
        self.data = np.ones((512, 512), np.uint16)
        self.shape, self.dtype, self.ndim = self.data.shape, self.data.dtype, 2
    def __getitem__(self, key):
        time.sleep(0.5)
        return self.data[key]

ngff.write_image(Slow(), sys.argv[1], chunks=(32, 32), workers=1)
"""


def test_killed_write_leaves_no_archive(tmp_path: Path) -> None:
    target = tmp_path / "x.ozx"
    spool = tmp_path / ".x.ozx.spool"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target)])
    try:
        deadline = time.monotonic() + 120
        while not (spool.exists() and spool.stat().st_size > 0):
            assert proc.poll() is None, "the writer ended before it was killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert not target.exists()
    # the next write removes what the killed one left and completes
    ngff.write_image(image(), target, chunks=(64, 64))
    assert ngff.validate(str(target), strict=True).valid
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.ozx"]


def test_cli_create_and_refusals(tmp_path: Path) -> None:
    source = tmp_path / "in.npy"
    np.save(source, image())
    target = tmp_path / "out.ozx"
    runner = CliRunner()
    result = runner.invoke(cli, ["create", str(source), str(target), "--chunks", "64,64"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["validate", "--strict", str(target)])
    assert result.exit_code == 0, result.output
    for extra in (["--overwrite", "--version", "0.4"], ["--resume"]):
        result = runner.invoke(cli, ["create", str(source), str(target), *extra])
        assert result.exit_code == 2
        lines = result.output.strip().splitlines()
        assert lines[-1].startswith("ngff: error:"), result.output
        assert ".ozx" in lines[-1], result.output
        assert "Traceback" not in result.output


# -- reading over HTTP ----------------------------------------------------------------------


def test_read_over_http_with_range_requests(tmp_path: Path) -> None:
    target = tmp_path / "big.ozx"
    data = image((2048, 2048), seed=3)
    ngff.write_image(data, target, chunks=(128, 128))
    size = target.stat().st_size
    with serve_directory(tmp_path) as (url, log):
        report = ngff.validate(f"{url}/big.ozx", strict=True)
        assert report.valid
        assert report.issues == ()
        opened = ngff.open(f"{url}/big.ozx")
        region = opened.level(0).data[1000:1100, 300:400].compute()
        assert np.array_equal(region, data[1000:1100, 300:400])
        entries = [e for e in log.entries if e[1] == "/big.ozx"]
        gets = [e for e in entries if e[0] == "GET"]
        assert gets
        assert all(status == 206 for _, _, status in gets)
        sent = log.bytes_sent["/big.ozx"]
        assert sent < size / 20, (sent, size)


def test_cli_over_http(tmp_path: Path) -> None:
    ngff.write_image(image(), tmp_path / "x.ozx", chunks=(64, 64))
    runner = CliRunner()
    with serve_directory(tmp_path) as (url, _):
        for command in (["validate", "--strict"], ["info"]):
            result = runner.invoke(cli, [*command, f"{url}/x.ozx"])
            assert result.exit_code == 0, result.output


# -- the rules, each broken by a hand-made archive -----------------------------------------


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    """A sharded OME-Zarr 0.5 image in a directory: the entries the archives are made of."""
    root = tmp_path / "image.ome.zarr"
    ngff.write_image(image(), root, chunks=(64, 64), shards=(128, 128))
    return root


def entries_of(root: Path) -> list[tuple[str, bytes]]:
    """The store's keys, the RFC-9 order: zarr.json breadth-first, then the rest."""
    keys = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    jsons = sorted((k for k in keys if k.endswith("zarr.json")), key=lambda k: (k.count("/"), k))
    rest = sorted(k for k in keys if not k.endswith("zarr.json"))
    return [(k, (root / k).read_bytes()) for k in [*jsons, *rest]]


OK_COMMENT = b'{"ome": {"version": "0.5"}}'


def pack(
    path: Path,
    entries: list[tuple[str, bytes]],
    *,
    method: int = zipfile.ZIP_STORED,
    comment: bytes = OK_COMMENT,
) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in entries:
            zf.writestr(name, data)
        zf.comment = comment
    return path


def test_standard_library_archive_lacks_only_zip64(directory: Path, tmp_path: Path) -> None:
    # zipfile writes no ZIP64 end record for a small archive: the one thing it misses
    target = pack(tmp_path / "a.ozx", entries_of(directory))
    assert rules_of(target) == ["ngff.ozx.zip64"]
    assert rules_of(target, strict=False) == ["ngff.ozx.zip64"]
    assert ngff.validate(str(target)).valid  # a SHOULD: a warning unless strict


def test_compressed_entries(directory: Path, tmp_path: Path) -> None:
    target = pack(tmp_path / "a.ozx", entries_of(directory), method=zipfile.ZIP_DEFLATED)
    assert "ngff.ozx.compressed" in rules_of(target)


def test_root_not_first(directory: Path, tmp_path: Path) -> None:
    entries = entries_of(directory)
    target = pack(tmp_path / "a.ozx", [*entries[1:], entries[0]])
    found = rules_of(target)
    assert found.count("ngff.ozx.root-not-first") == 2  # in the file and in the directory


def test_json_not_breadth_first(directory: Path, tmp_path: Path) -> None:
    entries = entries_of(directory)
    jsons = [e for e in entries if e[0].endswith("zarr.json")]
    rest = [e for e in entries if not e[0].endswith("zarr.json")]
    # a chunk between the metadata documents
    target = pack(tmp_path / "a.ozx", [jsons[0], rest[0], *jsons[1:], *rest[1:]])
    assert "ngff.ozx.json-order" in rules_of(target)
    assert "ngff.ozx.json-first" not in rules_of(target)  # the comment does not claim it
    claimed = b'{"ome": {"version": "0.5", "zipFile": {"centralDirectory": {"jsonFirst": true}}}}'
    target = pack(tmp_path / "b.ozx", [jsons[0], rest[0], *jsons[1:], *rest[1:]], comment=claimed)
    assert "ngff.ozx.json-first" in rules_of(target)
    assert "ngff.ozx.json-first" in rules_of(target, strict=False)  # a MUST
    assert not ngff.validate(str(target)).valid


def test_comment(directory: Path, tmp_path: Path) -> None:
    for i, comment in enumerate((b"", b"not json", b'{"ome": {"version": "0.4"}}')):
        target = pack(tmp_path / f"{i}.ozx", entries_of(directory), comment=comment)
        assert "ngff.ozx.comment" in rules_of(target), comment


def test_nested_archive(directory: Path, tmp_path: Path) -> None:
    inner = pack(tmp_path / "inner.ozx", entries_of(directory)).read_bytes()
    target = pack(tmp_path / "a.ozx", [*entries_of(directory), ("labels.ozx", inner)])
    assert "ngff.ozx.nested" in rules_of(target, strict=False)


def test_unsharded(tmp_path: Path) -> None:
    root = tmp_path / "flat.ome.zarr"
    ngff.write_image(image(), root, chunks=(64, 64))
    target = pack(tmp_path / "a.ozx", entries_of(root))
    found = ngff.validate(str(target), strict=True).issues
    unsharded = [i for i in found if i.rule == "ngff.ozx.unsharded"]
    # levels of more than one chunk only (300x400, 150x200, 75x100 in 64x64 chunks)
    assert sorted(i.path for i in unsharded) == ["0", "1", "2"]


def test_split_archive(directory: Path, tmp_path: Path) -> None:
    target = pack(tmp_path / "a.ozx", entries_of(directory))
    data = bytearray(target.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, at + 4, 1, 1)  # this disk, the directory's disk
    target.write_bytes(bytes(data))
    assert "ngff.ozx.split" in rules_of(target, strict=False)


def test_every_rule_is_exercised() -> None:
    registered = {r.id for r in ngff.rules.REGISTRY if r.id.startswith("ngff.ozx.")}
    assert registered == set(RULES)


# -- peers ----------------------------------------------------------------------------------

NGFF_ZARR = r"""
import json, sys
from ngff_zarr import from_ngff_zarr
ms = from_ngff_zarr(sys.argv[1])
print("RESULT " + json.dumps({"levels": len(ms.images),
      "shape": list(ms.images[0].data.shape),
      "value": int(ms.images[1].data[5, 7].compute())}))
"""

OME_ZARR_PY = r"""
import json, sys
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader
location = parse_url(sys.argv[1])
if location is None:
    print("RESULT " + json.dumps({"unsupported": True}))
else:
    node = next(iter(Reader(location)()))
    print("RESULT " + json.dumps({"unsupported": False,
          "shape": list(node.data[0].shape), "value": int(node.data[1][5, 7].compute())}))
"""


def peer(script: str, target: Path) -> dict[str, Any]:
    if not PEER_PYTHON.exists():
        pytest.skip("the peer venv .venv-peers is missing (make peers)")
    result = subprocess.run(
        [str(PEER_PYTHON), "-c", script, str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=target.parent,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (line,) = [ln for ln in result.stdout.splitlines() if ln.startswith("RESULT ")]
    parsed: dict[str, Any] = json.loads(line[len("RESULT ") :])
    return parsed


def test_ngff_zarr_opens_it(tmp_path: Path) -> None:
    data = image()
    target = tmp_path / "x.ozx"
    written = ngff.write_image(data, target, chunks=(64, 64))
    found = peer(NGFF_ZARR, target)
    level1 = ngff.open(str(target)).level(1).data.compute()
    assert found == {
        "levels": len(written.paths),
        "shape": list(data.shape),
        "value": int(level1[5, 7]),
    }


def test_ome_zarr_py(tmp_path: Path) -> None:
    target = tmp_path / "x.ozx"
    ngff.write_image(image(), target, chunks=(64, 64))
    found = peer(OME_ZARR_PY, target)
    if found["unsupported"]:
        pytest.skip("ome-zarr-py (0.18) does not open .ozx or zip files: parse_url gives None")
    level1 = ngff.open(str(target)).level(1).data.compute()
    assert found["shape"] == [300, 400]
    assert found["value"] == int(level1[5, 7])


def test_viewer_serves_tiles_of_an_ozx_over_http(tmp_path: Path) -> None:
    from ngff.viewing import open_scene
    from ngff_geozarr.core.viewer import Viewer

    ngff.write_image(image((600, 700)), tmp_path / "x.ozx", chunks=(64, 64))
    with serve_directory(tmp_path) as (url, log):
        with Viewer(open_scene(f"{url}/x.ozx", {})) as viewer:
            viewer.start()
            with urllib.request.urlopen(viewer.url + "scene.json", timeout=30) as response:
                scene = json.loads(response.read())
            with urllib.request.urlopen(viewer.url + "tile/0/1/1", timeout=30) as response:
                png = response.read()
        assert scene["levels"][0]["shape"] == [600, 700]
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        gets = [e for e in log.entries if e[0] == "GET"]
        assert gets
        assert all(status == 206 for _, _, status in gets)


def test_writers_that_cannot_commit_an_ozx_refuse_it(tmp_path: Path) -> None:
    # a converter writes documents through a store it closes itself: it would close an
    # .ozx store without writing the archive, so it is refused before the first byte
    source = tmp_path / "x.ozx"
    ngff.write_image(image(), source, chunks=(64, 64))
    before = source.read_bytes()
    runner = CliRunner()
    for args in (
        ["convert", str(source), "--to", "0.6", "--out", str(tmp_path / "y.ozx")],
        ["convert", str(source), "--to", "0.6", "--in-place"],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert "an .ozx file is written only by" in result.output
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.ozx"]


@pytest.mark.skipif(shutil.which("unzip") is None, reason="Info-ZIP unzip is not installed")
def test_info_zip_reads_the_archive(tmp_path: Path) -> None:
    # another implementation than Python's: its ZIP64 reading and CRC checks agree
    target = tmp_path / "x.ozx"
    ngff.write_image(image(), target, chunks=(64, 64))
    result = subprocess.run(
        ["unzip", "-t", str(target)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout


def test_plate_in_one_file(tmp_path: Path) -> None:
    target = tmp_path / "plate.ozx"
    fields = {"A/1": [image()], "B/2": [image(seed=1), image(seed=2)]}
    ngff.write_plate(target, fields, name="screen", chunks=(64, 64))
    assert ngff.validate(str(target), strict=True).issues == ()
    with zipfile.ZipFile(target) as zf:
        names = [i.filename for i in zf.infolist()]
    jsons = [n for n in names if n.endswith("zarr.json")]
    assert names[: len(jsons)] == sorted(jsons, key=lambda n: (n.count("/"), n))
    assert names[:3] == ["zarr.json", "A/zarr.json", "B/zarr.json"]


def test_read_from_s3(tmp_path: Path, s3_upload: Any, s3_options: dict[str, Any]) -> None:
    folder = tmp_path / "up"
    folder.mkdir()
    data = image()
    ngff.write_image(data, folder / "x.ozx", chunks=(64, 64))
    url = s3_upload(folder, "single") + "/x.ozx"
    report = ngff.validate(url, strict=True, storage_options=s3_options)
    assert report.issues == ()
    opened = ngff.open(url, storage_options=s3_options)
    assert np.array_equal(opened.level(0).data.compute(), data)
