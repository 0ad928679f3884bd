"""Over HTTP, a validation (and a report) fetches each metadata document once.

The stores are served by the project's own HTTP server, which logs every request; a
validation opens the store, reads the hierarchy, then its checks open arrays and may open
the store again (GeoZarr reads coordinate values): none of that may fetch a document twice.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ngff_geozarr.core.report import Report
from ngff_geozarr.core.store import open_store, read_once
from ngff_geozarr.core.testing import RequestLog, serve_directory

BIN = Path(sys.executable).parent

# ``ngff.validate`` and ``geozarr.validate`` name the functions once their packages load.
VALIDATORS: dict[str, Callable[..., Report]] = {
    "ngff": importlib.import_module("ngff.validate").validate,
    "geozarr": importlib.import_module("geozarr.validate").validate,
}


def _unconsolidate(store: Path) -> None:
    for path in store.rglob(".zmetadata"):
        path.unlink()
    root = store / "zarr.json"
    if root.exists():
        meta = json.loads(root.read_text())
        meta.pop("consolidated_metadata", None)
        root.write_text(json.dumps(meta))


@pytest.fixture(scope="module")
def served(samples: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample image and raster in Zarr v3 and v2, with and without consolidated metadata."""
    from geozarr.convert import convert as geo_convert

    ngff_convert = importlib.import_module("ngff.convert").convert
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(samples[0], root / "ngff-v3-consolidated")
    shutil.copytree(samples[1], root / "geozarr-v3-consolidated")
    ngff_convert(samples[0], "0.4", out=root / "ngff-v2-consolidated")
    geo_convert(samples[1], root / "geozarr-v2-consolidated", zarr_format=2)
    for name in [p.name for p in root.iterdir()]:
        plain = root / name.replace("-consolidated", "-plain")
        shutil.copytree(root / name, plain)
        _unconsolidate(plain)
    assert (root / "ngff-v2-consolidated" / ".zmetadata").exists()
    assert (root / "geozarr-v2-consolidated" / ".zmetadata").exists()
    assert "consolidated_metadata" in json.loads(
        (root / "ngff-v3-consolidated/zarr.json").read_text()
    )
    return root


def repeated(log: RequestLog) -> dict[str, int]:
    """The paths asked for more than once (directory listings included)."""
    counts = Counter(path for method, path, _ in log.entries if method == "GET")
    return {path: n for path, n in counts.items() if n > 1}


def documents_fetched(log: RequestLog) -> list[str]:
    names = ("zarr.json", ".zarray", ".zattrs", ".zgroup", ".zmetadata")
    return [path for _, path, _ in log.entries if path.rpartition("/")[2] in names]


@pytest.mark.parametrize("convention", ["ngff", "geozarr"])
@pytest.mark.parametrize("fmt", ["v2", "v3"])
@pytest.mark.parametrize("layout", ["plain", "consolidated"])
def test_validate_fetches_each_document_once(
    served: Path, convention: str, fmt: str, layout: str
) -> None:
    name = f"{convention}-{fmt}-{layout}"
    local = VALIDATORS[convention](served / name)
    assert local.valid, local.issues
    with serve_directory(served) as (url, log):
        remote = VALIDATORS[convention](f"{url}/{name}")
    assert remote.valid, remote.issues
    assert [(i.rule, i.path) for i in remote.issues] == [(i.rule, i.path) for i in local.issues]
    assert documents_fetched(log), "the log counts requests"
    assert repeated(log) == {}


@pytest.mark.parametrize(
    ("command", "name"), [("ngff", "ngff-v2-plain"), ("geozarr", "geozarr-v3-plain")]
)
def test_report_command_fetches_each_document_once(
    served: Path, tmp_path: Path, command: str, name: str
) -> None:
    """The page's validation and its pictures share the documents (one reading job)."""
    page = tmp_path / "page.html"
    with serve_directory(served) as (url, log):
        result = subprocess.run(
            [str(BIN / command), "report", f"{url}/{name}", "-o", str(page)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert repeated(log) == {}


def test_validations_do_not_share_documents(served: Path, tmp_path: Path) -> None:
    """Each validation reads the store as it is then: nothing is kept between two."""
    store = Path(shutil.copytree(served / "geozarr-v3-plain", tmp_path / "s.zarr"))
    validate = VALIDATORS["geozarr"]
    with serve_directory(tmp_path) as (url, log):
        assert validate(f"{url}/s.zarr").valid
        (store / "elevation" / "zarr.json").write_text('{"zarr_format": 3, "node_')
        second = validate(f"{url}/s.zarr")
    assert not second.valid
    assert "elevation" in {i.path for i in second.errors}
    fetched = Counter(documents_fetched(log))
    assert fetched["/s.zarr/zarr.json"] == fetched["/s.zarr/elevation/zarr.json"] == 2


def test_handles_share_documents_only_within_read_once(served: Path) -> None:
    target_name = "ngff-v3-plain"
    with serve_directory(served) as (url, log):
        target = f"{url}/{target_name}"
        with read_once():
            with open_store(target) as first:
                root = first.root_documents
            opened_once = log.count
            with open_store(target) as second:
                assert second.root_documents == root
                assert second.zarr_format == 3
            assert log.count == opened_once  # the second opening asked nothing
        with open_store(target):
            pass
        assert log.count == 2 * opened_once  # outside the block: read again


def test_a_document_read_in_part_is_not_kept_whole(served: Path) -> None:
    """A read cut at a size limit is not the document: the whole one is fetched after it."""
    whole = (served / "ngff-v3-plain" / "0" / "zarr.json").read_bytes()
    with serve_directory(served) as (url, log), open_store(f"{url}/ngff-v3-plain") as handle:
        log.clear()
        cut = handle.run(handle.read("0/zarr.json", 10))
        full = handle.run(handle.read("0/zarr.json"))
        again = handle.run(handle.read("0/zarr.json", 10))
        ranged = handle.run(handle.read("0/zarr.json", 4096))
        array = handle.open_array("0")
    assert cut == whole[:11]
    assert (full, again, ranged) == (whole, whole[:11], whole)
    assert array.shape == tuple(json.loads(whole)["shape"])
    # zarr's opening also asks for .zarray and .zattrs (not read before): once each
    assert Counter(p for _, p, _ in log.entries)["/ngff-v3-plain/0/zarr.json"] == 2
    assert repeated(log) == {"/ngff-v3-plain/0/zarr.json": 2}


def test_absent_documents_are_remembered_as_absent(served: Path) -> None:
    with serve_directory(served) as (url, log), open_store(f"{url}/ngff-v3-plain") as handle:
        log.clear()
        reads = [handle.run(handle.read("0/.zattrs")) for _ in range(3)]
        exists = handle.run(handle.store.exists("0/.zattrs"))
    assert reads == [None, None, None]
    assert exists is False
    assert [p for _, p, _ in log.entries] == ["/ngff-v3-plain/0/.zattrs"]


def test_a_writable_s3_store_reads_what_was_written(
    s3_upload: Callable[..., str], s3_options: dict[str, Any], samples: tuple[Path, Path]
) -> None:
    """Only read-only handles keep documents: a writer reads back its own writes."""
    url = s3_upload(samples[1], "fetch-once-writable")
    options = {**s3_options, "key": "testing", "secret": "testing"}
    with read_once(), open_store(url, "r+", storage_options=options) as handle:
        before = handle.run(handle.read("zarr.json"))
        assert before is not None
        handle.write_bytes("zarr.json", b'{"zarr_format": 3, "node_type": "group"}')
        assert handle.run(handle.read("zarr.json")) == b'{"zarr_format": 3, "node_type": "group"}'
        handle.write_bytes("zarr.json", before)
        assert handle.run(handle.read("zarr.json")) == before


def test_parts_of_a_kept_document_are_cut_from_it() -> None:
    """Ranged reads of a kept document (from an offset, a suffix, a range) are its parts."""
    from zarr.abc.store import OffsetByteRequest, RangeByteRequest, SuffixByteRequest
    from zarr.core.buffer import default_buffer_prototype
    from zarr.core.sync import sync
    from zarr.storage import MemoryStore

    from ngff_geozarr.core.store.cache import cached_store

    document = b'{"zarr_format": 3, "node_type": "group"}'
    prototype = default_buffer_prototype()
    backing: dict[str, Any] = {"g/zarr.json": prototype.buffer.from_bytes(document)}
    store = cached_store(MemoryStore(backing), "memory-test", {})
    assert sync(store.get("g/zarr.json", prototype)).to_bytes() == document
    del backing["g/zarr.json"]  # from here on, only the kept copy can answer

    def part(request: Any) -> bytes:
        return sync(store.get("g/zarr.json", prototype, request)).to_bytes()

    assert part(RangeByteRequest(2, 13)) == document[2:13]
    assert part(OffsetByteRequest(20)) == document[20:]
    assert part(SuffixByteRequest(7)) == document[-7:]
    assert sync(store.exists("g/zarr.json")) is True
    assert sync(store.getsize("g/zarr.json")) == len(document)
    assert sync(store.get("g/c/0", prototype)) is None  # chunks are never kept
