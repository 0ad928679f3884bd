"""``hierarchy_to_convert``: a converter reads the whole hierarchy or converts nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ngff_geozarr.core.errors import ConversionError
from ngff_geozarr.core.hierarchy import hierarchy_to_convert
from ngff_geozarr.core.store import open_store

_GROUP = {"zarr_format": 3, "node_type": "group", "attributes": {}}


def _store(tmp_path: Path, child: bytes) -> Path:
    root = tmp_path / "s.zarr"
    (root / "a").mkdir(parents=True)
    (root / "zarr.json").write_text(json.dumps(_GROUP))
    (root / "a" / "zarr.json").write_bytes(child)
    return root


def test_a_readable_hierarchy_is_returned_whole(tmp_path: Path) -> None:
    with open_store(_store(tmp_path, json.dumps(_GROUP).encode()), "r") as handle:
        hierarchy = hierarchy_to_convert(handle, None, "src")
    assert hierarchy.get("a") is not None


def test_an_unreadable_document_refuses_the_conversion(tmp_path: Path) -> None:
    with (
        open_store(_store(tmp_path, b"{not json"), "r") as handle,
        pytest.raises(
            ConversionError,
            match=r"^src: its metadata cannot all be read \(.+\); nothing converted\.$",
        ),
    ):
        hierarchy_to_convert(handle, None, "src")
