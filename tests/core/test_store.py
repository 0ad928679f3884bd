from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ngff_geozarr.core.errors import (
    NotZarrError,
    ReadOnlyError,
    StoreAccessError,
    TargetNotFoundError,
    UnsafePathError,
    UnsupportedTargetError,
)
from ngff_geozarr.core.store import check_key, join_key, open_store
from ngff_geozarr.core.testing import free_port


@pytest.mark.parametrize(
    "key", ["", "a", "a/b/zarr.json", "labels/0/.zattrs", "A/1", "proj:code", "x..y"]
)
def test_check_key_accepts_keys_inside_the_store(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize(
    "key",
    ["..", "../x", "a/../../x", "a/..", "/abs", "/", "a//b", "a/./b", ".", "a\\..\\b", "a\x00b"],
)
def test_check_key_refuses_keys_leaving_the_store(key: str) -> None:
    with pytest.raises(UnsafePathError):
        check_key(key)


def test_join_key_checks_every_part() -> None:
    assert join_key("", "0") == "0"
    assert join_key("a", "b/c") == "a/b/c"
    with pytest.raises(UnsafePathError):
        join_key("a", "../../x")
    with pytest.raises(UnsafePathError):
        join_key("a", "/abs")


def test_detects_format_3(samples: tuple[Path, Path]) -> None:
    with open_store(samples[0]) as store:
        assert store.kind == "local"
        assert store.zarr_format == 3
        assert store.read_only
        assert store.consolidated  # ngff output is consolidated, as GeoZarr output is
        assert "zarr.json" in store.root_documents


def test_detects_format_2_and_consolidated(tmp_path: Path) -> None:
    with open_store(tmp_path / "v2.zarr", "w-") as store:
        store.create_group("", {"a": 1}, zarr_format=2)
        store.create_array("x", [1, 2, 3], zarr_format=2)
    with open_store(tmp_path / "v2.zarr") as store:
        assert (store.zarr_format, store.consolidated) == (2, False)
    (tmp_path / "v2.zarr" / ".zmetadata").write_text(
        json.dumps({"zarr_consolidated_format": 1, "metadata": {".zgroup": {"zarr_format": 2}}})
    )
    with open_store(tmp_path / "v2.zarr") as store:
        assert (store.zarr_format, store.consolidated) == (2, True)


def test_detects_inline_consolidated_v3(tmp_path: Path) -> None:
    root = tmp_path / "c.zarr"
    root.mkdir()
    doc = {
        "zarr_format": 3,
        "node_type": "group",
        "attributes": {},
        "consolidated_metadata": {"kind": "inline", "must_understand": False, "metadata": {}},
    }
    (root / "zarr.json").write_text(json.dumps(doc))
    with open_store(root) as store:
        assert (store.zarr_format, store.consolidated) == (3, True)


def test_file_url_and_zip(
    samples: tuple[Path, Path], tmp_path: Path, zip_store: Callable[[Path, Path], Path]
) -> None:
    with open_store(samples[0].resolve().as_uri()) as store:
        assert (store.kind, store.zarr_format) == ("local", 3)
    archive = zip_store(samples[0], tmp_path / "cells.zip")
    with open_store(archive) as store:
        assert (store.kind, store.zarr_format) == ("zip", 3)


def test_memory_mapping() -> None:
    data: dict[str, object] = {}
    with open_store(data, "a") as store:
        store.create_group("", {"hello": "world"})
    assert "zarr.json" in data
    with open_store(data) as store:
        assert (store.kind, store.zarr_format) == ("memory", 3)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(TargetNotFoundError, match="no such file"):
        open_store(tmp_path / "nope.zarr")


def test_directory_without_zarr_metadata(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(NotZarrError, match="not a Zarr hierarchy"):
        open_store(tmp_path)


def test_plain_file_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "image.tif"
    path.write_bytes(b"II*\x00")
    with pytest.raises(NotZarrError):
        open_store(path)


def test_corrupt_zip(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(NotZarrError, match="zip"):
        open_store(path)


def test_unknown_scheme() -> None:
    with pytest.raises(UnsupportedTargetError, match="ftp"):
        open_store("ftp://example.invalid/store.zarr")


def test_http_is_read_only() -> None:
    with pytest.raises(ReadOnlyError):
        open_store("http://127.0.0.1:1/store.zarr", "a")


def test_unreachable_url() -> None:
    # Nothing listens on a port that was free a moment ago.
    with pytest.raises(StoreAccessError, match="cannot be read"):
        open_store(f"http://127.0.0.1:{free_port()}/store.zarr")


def test_new_store_refuses_existing_content(samples: tuple[Path, Path]) -> None:
    with pytest.raises(NotZarrError, match="not empty"):
        open_store(samples[0], "w-")


def test_read_only_store_refuses_writes(samples: tuple[Path, Path]) -> None:
    with open_store(samples[0]) as store, pytest.raises(ReadOnlyError):
        store.write_bytes("x/zarr.json", b"{}")


def test_read_refuses_unsafe_keys_and_never_reads_outside(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"zarr_format": 3, "node_type": "group"}')
    root = tmp_path / "store"
    with open_store(root, "w-") as store:
        store.create_group("")
    with open_store(root) as store:
        with pytest.raises(UnsafePathError):
            store.run(store.read("../secret.json"))
        with pytest.raises(UnsafePathError):
            store.run(store.list_dir(".."))


def _store_with_links(tmp_path: Path) -> tuple[Path, Path]:
    """A v3 store whose ``out`` group document, ``a/c/0`` chunk and ``away`` directory link
    outside the root, and whose ``inner`` directory links to a group inside it."""
    import numpy as np

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group"}')
    (outside / "secret").write_bytes(b"private bytes")
    root = tmp_path / "store"
    with open_store(root, "w-") as store:
        store.create_group("")
        store.create_group("kept")
        store.create_array("a", np.arange(4, dtype=np.uint8), chunks=(4,))
    (root / "out").mkdir()
    (root / "out" / "zarr.json").symlink_to(outside / "zarr.json")
    chunk = root / "a" / "c" / "0"
    chunk.unlink()
    chunk.symlink_to(outside / "secret")
    (root / "away").symlink_to(outside, target_is_directory=True)
    (root / "inner").symlink_to(root / "kept", target_is_directory=True)
    return root, outside


def test_symbolic_links_never_lead_outside_the_store(tmp_path: Path) -> None:
    from ngff_geozarr.core.hierarchy import read_hierarchy

    root, _outside = _store_with_links(tmp_path)
    with open_store(root) as store:
        for key in ("out/zarr.json", "a/c/0", "away/secret", "away/zarr.json"):
            with pytest.raises(StoreAccessError, match="outside the store root"):
                store.run(store.read(key))
            with pytest.raises(StoreAccessError, match="outside the store root"):
                store.run(store.read(key, limit=100))
        assert store.run(store.list_dir("away")) is None
        # a link that stays inside the root is followed
        assert json.loads(store.run(store.read("inner/zarr.json")) or b"")["node_type"] == "group"
        # chunk data through zarr: refused, never the linked bytes
        array = store.open_array("a")
        with pytest.raises(PermissionError, match="outside the store root"):
            array.read((slice(0, 4),))
    hierarchy = read_hierarchy(root)
    assert "out" not in hierarchy.nodes
    assert "away" not in hierarchy.nodes
    assert {"", "a", "kept", "inner"} <= set(hierarchy.nodes)
    failed = {i.path for i in hierarchy.issues if i.rule.endswith("store.read-failed")}
    assert {"out", "away"} <= failed


def test_writes_never_follow_a_link_outside_the_store(tmp_path: Path) -> None:
    import numpy as np

    root, outside = _store_with_links(tmp_path)
    before = sorted(p.name for p in outside.iterdir())
    with open_store(root, "r+") as store:
        with pytest.raises(PermissionError, match="outside the store root"):
            store.create_empty_array("away/new", shape=(4,), dtype="uint8", chunks=(2,))
        with pytest.raises((PermissionError, StoreAccessError), match="outside the store root"):
            store.write_bytes("away/zarr.json", b"{}")
        with pytest.raises(PermissionError, match="outside the store root"):
            store.open_array("a").write((slice(0, 4),), np.zeros(4, np.uint8))
    assert sorted(p.name for p in outside.iterdir()) == before
    assert (outside / "secret").read_bytes() == b"private bytes"


def test_read_limit_reads_at_most_limit_plus_one(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with open_store(root, "w-") as store:
        store.create_group("")
        store.write_bytes("big", b"x" * 1000)
    with open_store(root) as store:
        assert store.run(store.read("big", limit=10)) == b"x" * 11
        assert store.run(store.read("big")) == b"x" * 1000
        assert store.run(store.read("missing")) is None


def test_s3_anonymous_with_endpoint_from_options(
    samples: tuple[Path, Path], s3_upload: Callable[[Path, str], str], s3_options: dict[str, str]
) -> None:
    url = s3_upload(samples[0], "open-test")
    with open_store(url, storage_options=s3_options) as store:
        assert (store.kind, store.zarr_format) == ("s3", 3)


def test_s3_endpoint_from_environment(
    samples: tuple[Path, Path],
    s3_upload: Callable[[Path, str], str],
    s3_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = s3_upload(samples[1], "env-test")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with open_store(url) as store:
        assert (store.kind, store.zarr_format) == ("s3", 3)


def test_s3_private_bucket_without_credentials(
    samples: tuple[Path, Path], s3_upload: Callable[..., str], s3_options: dict[str, str]
) -> None:
    url = s3_upload(samples[0], "secret", public=False)
    with pytest.raises(StoreAccessError, match=r"Forbidden|denied"):
        open_store(url, storage_options=s3_options)


def test_s3_missing_prefix_is_not_zarr(
    s3_upload: Callable[[Path, str], str], samples: tuple[Path, Path], s3_options: dict[str, str]
) -> None:
    s3_upload(samples[0], "exists")
    with pytest.raises(NotZarrError):
        open_store("s3://stores/does-not-exist", storage_options=s3_options)


def test_s3_credentials_from_options_reach_a_private_bucket(
    samples: tuple[Path, Path], s3_upload: Callable[..., str], s3_endpoint: str
) -> None:
    url = s3_upload(samples[0], "with-credentials", public=False)
    options = {"endpoint_url": s3_endpoint, "key": "testing", "secret": "testing"}
    with open_store(url, storage_options=options) as store:
        assert (store.kind, store.zarr_format) == ("s3", 3)


def test_delete_and_list_keys(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.zarr", "w-") as store:
        store.create_group("")
        store.create_array("a/x", [1, 2, 3], chunks=(2,))
        assert store.list_keys("a") == ["a/x/c/0", "a/x/c/1", "a/x/zarr.json", "a/zarr.json"]
        store.delete("a/x/c/1")
        store.delete("a/x/c/1")  # already gone: not an error
        assert store.list_keys("a/x") == ["a/x/c/0", "a/x/zarr.json"]
        with pytest.raises(UnsafePathError):
            store.delete("../outside")
        with pytest.raises(UnsafePathError):
            store.list_keys("..")
    with open_store(tmp_path / "s.zarr") as store, pytest.raises(ReadOnlyError):
        store.delete("a/x/zarr.json")


@pytest.mark.parametrize("tool", ["ngff", "geozarr"])
def test_commands_report_a_linked_store_without_a_traceback(tmp_path: Path, tool: str) -> None:
    import subprocess
    import sys

    root, _ = _store_with_links(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        exe = str(Path(sys.executable).parent / tool)
        done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode in (0, 1), done.stderr
        assert "Traceback" not in done.stderr
        return done

    validate = run("validate", str(root), "--format", "json")
    rules = {i["rule"] for i in json.loads(validate.stdout)["issues"]}
    assert any(r.endswith("store.read-failed") for r in rules)
    page = tmp_path / "page.html"
    run("report", str(root), "-o", str(page))
    assert "read-failed" in page.read_text()
