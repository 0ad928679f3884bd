"""The same store served four ways reads the same; remote reads are concurrent and bounded."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from geozarr.detection import detect as geo_detect
from geozarr.detection import discover as geo_discover
from ngff.detection import detect as ome_detect
from ngff.detection import discover as ome_discover
from ngff_geozarr.core.hierarchy import Hierarchy, read_hierarchy
from ngff_geozarr.core.info import info_dict, render_info_text
from ngff_geozarr.core.store import MAX_CONCURRENCY, open_store
from ngff_geozarr.core.testing import serve_directory

CONVENTIONS = {"ome": (ome_detect, ome_discover), "geo": (geo_detect, geo_discover)}


def text_info(h: Hierarchy, kind: str) -> list[str]:
    out = io.StringIO()
    render_info_text(h, CONVENTIONS[kind][0], Console(file=out, width=300, color_system=None))
    return out.getvalue().splitlines()[1:]  # the first line names the target


def json_info(h: Hierarchy, kind: str) -> dict[str, Any]:
    data = info_dict(h, CONVENTIONS[kind][0])
    del data["target"]
    return data


@pytest.mark.parametrize("kind", ["ome", "geo"])
def test_same_store_four_ways_gives_identical_info(
    kind: str,
    samples: tuple[Path, Path],
    tmp_path: Path,
    zip_store: Callable[[Path, Path], Path],
    s3_upload: Callable[..., str],
    s3_endpoint: str,
) -> None:
    directory = samples[0] if kind == "ome" else samples[1]
    discover = CONVENTIONS[kind][1]
    options = {"endpoint_url": s3_endpoint}
    with serve_directory(directory.parent) as (url, _):
        targets = {
            "directory": str(directory),
            "zip": str(zip_store(directory, tmp_path / f"{kind}.zip")),
            "http": f"{url}/{directory.name}",
            "s3": s3_upload(directory, f"four-ways-{kind}"),
        }
        hierarchies = {
            way: read_hierarchy(
                t, discover=discover, storage_options=options if way == "s3" else None
            )
            for way, t in targets.items()
        }
    texts = {way: text_info(h, kind) for way, h in hierarchies.items()}
    jsons = {way: json_info(h, kind) for way, h in hierarchies.items()}
    assert len(texts["directory"]) == 7 if kind == "ome" else 5
    for way in ("zip", "http", "s3"):
        assert texts[way] == texts["directory"], way
        assert jsons[way] == jsons["directory"], way
    assert jsons["directory"]["issues"] == []


def test_unlistable_http_gives_the_same_tree_as_the_directory(
    samples: tuple[Path, Path], tmp_path: Path
) -> None:
    directory = _unconsolidated(samples[0], tmp_path)
    with serve_directory(directory.parent, listing=False) as (url, _):
        remote = read_hierarchy(f"{url}/{directory.name}", discover=ome_discover)
    local = read_hierarchy(directory)
    assert json_info(remote, "ome")["nodes"] == json_info(local, "ome")["nodes"]
    assert [i.rule for i in remote.issues] == ["zarr.hierarchy.unlistable"]


def _unconsolidated(sample: Path, folder: Path) -> Path:
    """A copy of a sample store without its consolidated metadata (writers add it)."""
    copy = folder / sample.name
    shutil.copytree(sample, copy)
    root = json.loads((copy / "zarr.json").read_text())
    root.pop("consolidated_metadata", None)
    (copy / "zarr.json").write_text(json.dumps(root))
    return copy


def _wide_store(root: Path, groups: int, arrays: int) -> Path:
    group = {"zarr_format": 3, "node_type": "group", "attributes": {}}
    array = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": [4],
        "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
        "chunk_key_encoding": {"name": "default"},
        "fill_value": 0,
        "codecs": [{"name": "bytes"}],
        "attributes": {},
    }
    docs = {"zarr.json": group}
    for g in range(groups):
        docs[f"g{g}/zarr.json"] = group
        for a in range(arrays):
            docs[f"g{g}/a{a}/zarr.json"] = array
    for key, doc in docs.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_text(json.dumps(doc))
    return root


def test_each_level_is_fetched_concurrently_within_the_bound(tmp_path: Path) -> None:
    _wide_store(tmp_path / "wide.zarr", groups=30, arrays=5)
    with serve_directory(tmp_path, latency=0.02) as (url, log):
        h = read_hierarchy(f"{url}/wide.zarr")
    assert len(h) == 1 + 30 + 150
    # Level 1 has 30 groups and level 2 has 150 arrays: each level goes out at once, up to
    # the concurrency bound, instead of one request after another.
    assert 30 <= log.max_in_flight <= MAX_CONCURRENCY
    requests = log.count
    # Root probe (5), then per level: a listing per group and a document per child.
    assert requests == 5 + 1 + 30 + 30 + 150


def test_consolidated_store_needs_only_the_root_documents(tmp_path: Path) -> None:
    root = _wide_store(tmp_path / "wide.zarr", groups=10, arrays=3)
    with open_store(root, "r+") as store:
        members = {
            str(p.parent.relative_to(root)): json.loads(p.read_text())
            for p in root.rglob("*/zarr.json")
        }
        doc = json.loads((root / "zarr.json").read_text())
        doc["consolidated_metadata"] = {
            "kind": "inline",
            "must_understand": False,
            "metadata": members,
        }
        store.write_bytes("zarr.json", json.dumps(doc).encode())
    with serve_directory(tmp_path) as (url, log):
        h = read_hierarchy(f"{url}/wide.zarr")
    assert h.consolidated
    assert len(h) == 1 + 10 + 30
    assert log.count == 5  # zarr.json, .zgroup, .zarray, .zattrs, .zmetadata: once each
