"""A convention check reports every failure inside one object, not only the first.

Regression: a ``spatial:bbox`` order error returned from the spatial check before the
``spatial:shape`` was compared with the array; one invalid multiscales level returned before
the other levels' assets and shapes were checked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geozarr

Doc = dict[str, Any]
Edit = Callable[[Path, Callable[[Doc], None]], None]
NY, NX = 6, 8  # the conftest raster: 6 x 8 pixels of 30 m
BBOX = [500_000.0, 5_200_020.0 - 30 * NY, 500_000.0 + 30 * NX, 5_200_020.0]


def _issues(target: Path) -> list[tuple[str, str, str]]:
    return [(i.rule, i.path, i.pointer) for i in geozarr.validate(target).issues]


def test_bbox_order_does_not_hide_a_shape_mismatch_on_the_group(
    geo_store: Path, edit: Edit
) -> None:
    def change(doc: Doc) -> None:
        xmin, ymin, xmax, ymax = BBOX
        doc["attributes"]["spatial:bbox"] = [xmax, ymin, xmin, ymax]  # x reversed
        doc["attributes"]["spatial:shape"] = [NY - 1, NX]  # one row short

    edit(geo_store / "zarr.json", change)
    issues = _issues(geo_store)
    assert ("geozarr.spatial.bbox-order", "", "/attributes/spatial:bbox") in issues
    # The array inherits the group's properties: its shape disagrees with spatial:shape.
    assert ("geozarr.spatial.shape", "elevation", "/attributes") in issues


def test_bbox_order_does_not_hide_a_shape_mismatch_on_the_array(
    geo_store: Path, edit: Edit
) -> None:
    def change(doc: Doc) -> None:
        doc["attributes"]["spatial:bbox"] = [10.0, 0.0, 0.0, 5.0]
        doc["attributes"]["spatial:shape"] = [NY, NX + 2]
        doc["attributes"]["spatial:dimensions"] = ["y", "x"]

    edit(geo_store / "elevation" / "zarr.json", change)
    issues = _issues(geo_store)
    assert ("geozarr.spatial.bbox-order", "elevation", "/attributes/spatial:bbox") in issues
    assert ("geozarr.spatial.shape", "elevation", "/attributes/spatial:shape") in issues


def test_an_invalid_property_is_not_also_reported_missing(geo_store: Path, edit: Edit) -> None:
    def change(doc: Doc) -> None:
        doc["attributes"]["spatial:transform"] = [30.0, 0.0, 0.0]  # three numbers, not six
        doc["attributes"]["spatial:dimensions"] = ["y"]

    edit(geo_store / "elevation" / "zarr.json", change)
    rules = {rule for rule, path, _ in _issues(geo_store) if path == "elevation"}
    assert "geozarr.spatial.schema" in rules
    assert "geozarr.spatial.transform-required" not in rules
    assert "geozarr.spatial.dimensions-required" not in rules


def test_one_invalid_level_does_not_hide_the_others(pyramid_store: Path, edit: Edit) -> None:
    def change(doc: Doc) -> None:
        layout = doc["attributes"]["multiscales"]["layout"]
        layout[0]["resampling_method"] = 5  # not a string: level 0 is invalid
        layout[1]["spatial:shape"] = [3, 4]  # level 1 holds a 4 x 4 array
        layout.append({"asset": "2"})  # no such child

    edit(pyramid_store / "zarr.json", change)
    issues = _issues(pyramid_store)
    pointer = "/attributes/multiscales/layout"
    assert ("geozarr.multiscales.schema", "", f"{pointer}/0/resampling_method") in issues
    assert ("geozarr.spatial.shape", "", f"{pointer}/1/spatial:shape") in issues
    assert ("geozarr.multiscales.asset-missing", "", f"{pointer}/2/asset") in issues
    # Level 1 is derived from the invalid level 0, which still counts as a level.
    assert not any(rule == "geozarr.multiscales.derived-from" for rule, _, _ in issues)


def test_a_wrong_scale_names_every_axis_that_disagrees(pyramid_store: Path, edit: Edit) -> None:
    def change(doc: Doc) -> None:
        doc["attributes"]["multiscales"]["layout"][1]["transform"]["scale"] = [4.0, 8.0]

    edit(pyramid_store / "zarr.json", change)
    (issue,) = [
        i for i in geozarr.validate(pyramid_store).issues if i.rule == "geozarr.multiscales.scale"
    ]
    assert "scale 4.0 on axis 0" in issue.message
    assert "scale 8.0 on axis 1" in issue.message
