"""The demo's OME-Zarr sample against the validator."""

from __future__ import annotations

from pathlib import Path

import ngff


def test_demo_image_is_valid_ome_zarr_without_warnings(samples: tuple[Path, Path]) -> None:
    report = ngff.validate(samples[0])
    assert (report.convention, report.version, report.node_type) == ("ome-zarr", "0.5", "image")
    assert [(i.rule, i.path) for i in report.issues] == []
