"""Colour for pictures: windows, colour maps, additive composites, true-aspect sampling."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from rich.console import Console
from tests.core.conftest import CountingArray

from ngff_geozarr.core.colour import (
    VIRIDIS,
    colormap_rgba,
    composite_rgba,
    parse_colour,
    stretch,
)
from ngff_geozarr.core.hierarchy import Hierarchy, Node
from ngff_geozarr.core.info import FactTable, NodeFacts, info_dict, render_info_text
from ngff_geozarr.core.thumbnail import read_planes, sample_grid


@pytest.mark.parametrize(
    ("rows", "columns", "pixel", "expected"),
    [
        (1200, 1000, (1.0, 1.0), (400, 334)),  # the 1000 x 1200, not 300 x 500
        (300, 500, (1.0, 1.0), (300, 500)),  # small enough: every pixel
        (100, 100, (2.0, 1.0), (200, 100)),  # tall pixels: twice as high on the ground
        (100, 100, (30.0, 60.0), (100, 200)),  # signs and units do not matter, ratios do
        (4000, 10, (1.0, 1.0), (500, 2)),
    ],
)
def test_sample_grid_keeps_the_ground_aspect(
    rows: int, columns: int, pixel: tuple[float, float], expected: tuple[int, int]
) -> None:
    row_index, column_index = sample_grid(rows, columns, pixel, max_side=512)
    assert (len(row_index), len(column_index)) == expected
    assert row_index.max() < rows
    assert column_index.max() < columns


def test_read_planes_keeps_the_channel_axis_and_cuts_the_others() -> None:
    data = np.arange(4 * 3 * 5 * 20 * 30).reshape(4, 3, 5, 20, 30)  # t c z y x
    array = CountingArray(data)
    planes, cropped = read_planes(array, (3, 4), channel_axis=1)
    assert not cropped
    (region,) = array.regions
    assert region[:3] == (slice(2, 3), slice(0, 3), slice(2, 3))
    assert planes.shape == (3, 20, 30)
    assert np.array_equal(planes, data[2, :, 2])


def test_read_planes_reads_at_most_max_channels() -> None:
    data = np.zeros((20, 8, 8))
    array = CountingArray(data)
    planes, _ = read_planes(array, (1, 2), channel_axis=0, max_channels=4)
    assert array.regions[0][0] == slice(0, 4)
    assert planes.shape == (4, 8, 8)


def test_stretch_windows_and_nodata() -> None:
    values = np.array([[0.0, 50.0, 100.0, -9999.0, np.nan]])
    scaled, valid, window = stretch(values, nodata=-9999.0, quantiles=(0.0, 1.0))
    assert window == (0.0, 100.0)  # -9999 does not stretch the window
    assert valid.tolist() == [[True, True, True, False, False]]
    assert scaled[0, :3].tolist() == [0.0, 0.5, 1.0]
    scaled, _, window = stretch(values, window=(0.0, 200.0))
    assert window == (0.0, 200.0)
    assert scaled[0, 2] == 0.5


def test_colormap_runs_from_the_first_to_the_last_anchor() -> None:
    rgba, ends = colormap_rgba(np.array([[1.0, 3.0, 2.0, -1.0]]), nodata=-1, quantiles=(0, 1))
    assert ends == (1.0, 3.0)
    assert rgba[0, 0, :3].tolist() == list(VIRIDIS[0])
    assert rgba[0, 1, :3].tolist() == list(VIRIDIS[-1])
    assert rgba[0, :, 3].tolist() == [255, 255, 255, 0]


def test_composite_adds_channels_in_their_colours() -> None:
    green = np.array([[1000, 0, 1000, 500]])
    magenta = np.array([[0, 1000, 1000, 0]])
    rgba = composite_rgba([green, magenta], [(0, 255, 0), (255, 0, 255)], [(0, 1000), (0, 1000)])
    assert rgba[0].tolist() == [
        [0, 255, 0, 255],
        [255, 0, 255, 255],
        [255, 255, 255, 255],  # both: white
        [0, 128, 0, 255],  # half the window: half green
    ]


def test_composite_alpha_and_nodata() -> None:
    plane = np.array([[10, 0, 20]])
    rgba = composite_rgba([plane], [(255, 255, 255)], [(0, 20)], nodata=0)
    assert rgba[0, :, 3].tolist() == [255, 0, 255]
    alpha = np.array([[255, 128, 0]])
    rgba = composite_rgba([plane], [(255, 0, 0)], [(0, 20)], alpha=alpha)
    assert rgba[0, :, 3].tolist() == [255, 128, 0]
    with pytest.raises(ValueError, match="at least one channel"):
        composite_rgba([], [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FF0000", (255, 0, 0)),
        ("#00ff80", (0, 255, 128)),
        ("red", None),
        (12, None),
        ("GG0000", None),
    ],
)
def test_parse_colour(text: Any, expected: tuple[int, int, int] | None) -> None:
    assert parse_colour(text) == expected


def _hierarchy() -> Hierarchy:
    root = Node("", "group", 3, {}, {"node_type": "group"})
    return Hierarchy(target="t", nodes={"": root}, zarr_format=3)


def test_facts_reach_info_json_and_text() -> None:
    facts = NodeFacts(
        "",
        "image 'cells'",
        (("name", "cells"),),
        (FactTable("axes", ("name", "unit"), (("y", "micrometer"),)),),
        {"name": "cells"},
    )
    hierarchy = _hierarchy()
    described = info_dict(hierarchy, lambda n, h: [], lambda h: [facts])
    assert described["nodes"][0]["facts"] == {"name": "cells"}
    assert "facts" not in info_dict(hierarchy, lambda n, h: [])["nodes"][0]
    console = Console(record=True, width=120)
    render_info_text(hierarchy, lambda n, h: [], console, lambda h: [facts])
    text = console.export_text()
    assert "image 'cells'" in text
    assert "name: cells" in text
    assert "micrometer" in text
