"""One policy for group documents and consolidated metadata, for both conventions."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import zarr

import ngff
from ngff_geozarr.core.groups import CONSOLIDATED, finish, root_group_format, write_group
from ngff_geozarr.core.store import open_store

IMAGE = np.arange(40 * 48, dtype=np.uint16).reshape(40, 48)


def _open_consolidated(path: Path, zarr_format: int) -> zarr.Group:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
        return zarr.open_consolidated(str(path), mode="r", zarr_format=zarr_format)


@pytest.mark.parametrize(("version", "zarr_format"), [("0.4", 2), ("0.5", 3), ("0.6", 3)])
def test_a_written_ome_zarr_is_consolidated_and_reads_back_equal(
    tmp_path: Path, version: str, zarr_format: int
) -> None:
    assert CONSOLIDATED
    out = tmp_path / "img.ome.zarr"
    ngff.write_image(IMAGE, out, version=version, chunks=(16, 16))
    ngff.write_labels((IMAGE > 900).astype(np.uint8), out, "cells")
    if zarr_format == 2:
        consolidated = json.loads((out / ".zmetadata").read_text())["metadata"]
        assert json.loads((out / ".zattrs").read_text()) == consolidated[".zattrs"]
        assert "labels/cells/0/.zarray" in consolidated
    else:
        root = json.loads((out / "zarr.json").read_text())
        entries = root["consolidated_metadata"]["metadata"]
        assert "labels/cells/0" in entries  # written after the image: consolidated again
    group = _open_consolidated(out, zarr_format)
    np.testing.assert_array_equal(group["0"][...], IMAGE)
    np.testing.assert_array_equal(group["labels/cells/0"][...], IMAGE > 900)
    report = ngff.validate(out, strict=True)
    assert report.valid, report.issues
    assert not [i for i in report.issues if "consolidated" in i.rule]


def test_finish_writes_nothing_without_a_root_group(tmp_path: Path) -> None:
    with open_store(tmp_path / "a.zarr", "w-") as store:
        store.create_array("", np.zeros((2, 2), np.uint8))
        assert root_group_format(store) is None
        assert finish(store) is False
    with open_store(tmp_path / "g.zarr", "w-") as store:
        write_group(store, "", {"k": 1}, 2)
        assert root_group_format(store) == 2
        assert finish(store, consolidated=False) is False
        assert not (tmp_path / "g.zarr" / ".zmetadata").exists()
        assert finish(store) is True
    assert json.loads((tmp_path / "g.zarr" / ".zmetadata").read_text())["metadata"][".zattrs"] == {
        "k": 1
    }
