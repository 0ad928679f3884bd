"""The demo's sample stores against the validators."""

from __future__ import annotations

from pathlib import Path

import geozarr


def test_demo_elevation_is_valid_geozarr_without_warnings(samples: tuple[Path, Path]) -> None:
    report = geozarr.validate(samples[1])
    assert report.valid
    assert [(i.rule, i.path) for i in report.issues] == []
