"""The picture reader both report builders share: unreadable arrays get no thumbnail."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ngff.create import write_image
from ngff.report import build_report
from ngff_geozarr.core.store import open_store
from ngff_geozarr.core.thumbnail import read_stored_slice


def test_read_stored_slice_reads_the_middle_slice_or_none(tmp_path: Path) -> None:
    data = np.arange(3 * 8 * 10, dtype=np.uint16).reshape(3, 8, 10)
    with open_store(tmp_path / "s.zarr", "w-") as store:
        store.create_array("a", data, chunks=(1, 4, 5))
    (tmp_path / "s.zarr" / "a" / "c" / "1" / "0" / "0").write_bytes(b"not zstd")
    with open_store(tmp_path / "s.zarr") as store:
        assert read_stored_slice(store, "missing", (1, 2)) is None
        assert read_stored_slice(store, "a", (1, 2)) is None  # a corrupt chunk in the slice
        plane, cropped = read_stored_slice(store, "a", (0, 2)) or (None, None)
    assert cropped is False
    np.testing.assert_array_equal(plane, data[:, 4, :])


def test_a_corrupt_chunk_costs_its_thumbnail_not_the_report(tmp_path: Path) -> None:
    out = tmp_path / "img.ome.zarr"
    write_image(np.arange(64 * 64, dtype=np.uint16).reshape(64, 64), out, chunks=(32, 32))
    for chunk in out.glob("*/c/*/*"):
        chunk.write_bytes(b"not zstd")
    page, report = build_report(out)
    assert report.valid
    assert "<h2>Tree</h2>" in page
    assert "data:image/png" not in page


def test_build_report_runs_the_parts_checking_and_closes_it(tmp_path: Path) -> None:
    """Both conventions' ``build_report`` is ReportParts.build_report: the checks come from
    the parts' ``checking``, opened for the target and closed once the page is made."""
    from collections.abc import Iterator
    from contextlib import contextmanager

    from ngff.detection import detect, discover
    from ngff.report import image_thumbnails
    from ngff.validate import check_hierarchy
    from ngff_geozarr.core.html import ReportParts
    from ngff_geozarr.core.validation import Check

    out = tmp_path / "img.ome.zarr"
    write_image(np.zeros((8, 8), np.uint8), out, chunks=(8, 8))
    seen: list[tuple[str, object, bool, str]] = []

    @contextmanager
    def checking(target: object, options: object, strict: bool) -> Iterator[Check]:
        seen.append(("open", options, strict, str(target)))
        yield lambda h: check_hierarchy(h, strict=strict)
        seen.append(("close", options, strict, str(target)))

    parts = ReportParts(discover, detect, image_thumbnails, checking=checking)
    options: dict[str, object] = {}
    page, report = parts.build_report(out, strict=True, storage_options=options)
    assert report.valid
    assert "data:image/png" in page
    assert seen == [("open", options, True, str(out)), ("close", options, True, str(out))]
    assert seen[0][1] is options
    with pytest.raises(TypeError, match="checking"):
        ReportParts(discover, detect, image_thumbnails).build_report(out)
