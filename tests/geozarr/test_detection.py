"""geozarr info labels: namespaced conventions come from the one convention registry."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import pytest

import geozarr.detection as detection
from geozarr.conventions.registry import PROJ, SPATIAL
from ngff_geozarr.core.hierarchy import Hierarchy, Node


def _labels(attributes: dict[str, object]) -> list[str]:
    node = Node(path="", node_type="group", zarr_format=3, attributes=attributes, metadata={})
    return detection.detect(node, Hierarchy("mem", {"": node}, zarr_format=3))


def test_proj_and_spatial_labels() -> None:
    assert _labels({"proj:code": "EPSG:32632", "spatial:dimensions": ["y", "x"]}) == [
        "proj EPSG:32632",
        "spatial",
    ]
    assert _labels({"proj:wkt2": "PROJCRS[...]"}) == ["proj (proj:wkt2)"]
    assert _labels({"other": 1}) == []


def test_a_new_namespaced_convention_is_labelled_from_the_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    extra = dataclasses.replace(SPATIAL, key=cast(Any, "geom"), uuid="x", prefix="geom:")
    registry = {PROJ.uuid: PROJ, SPATIAL.uuid: SPATIAL, "x": extra}
    monkeypatch.setattr(detection, "CONVENTIONS", registry)
    assert _labels({"geom:type": "point", "spatial:shape": [2, 2]}) == ["spatial", "geom"]
