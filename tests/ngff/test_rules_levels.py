"""Levels out of resolution order and omero channels that do not match the channel axis.

Both are errors (issue 12, item 7): ``ngff.multiscales.resolution-order`` (from the scales,
per spatial axis) and ``ngff.omero.channel-count`` (against level 0's shape). Each case is a
store our writer made, then broken on purpose, in every version.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ngff
from ngff_geozarr.core.report import Report

VERSIONS = ["0.4", "0.5", "0.6"]
ORDER = "ngff.multiscales.resolution-order"
CHANNELS = "ngff.omero.channel-count"


def write(
    root: Path, version: str, axes: str = "cyx", shape: tuple[int, ...] = (3, 32, 32)
) -> Path:
    data = (np.arange(int(np.prod(shape))) % 251).astype("uint16").reshape(shape)
    ngff.write_image(data, root, axes=axes, version=version, omero=True, levels=3)
    return root


def ome(root: Path) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """The document holding the root's OME metadata, the document, and the OME object."""
    if (root / ".zattrs").exists():
        path = root / ".zattrs"
        doc = json.loads(path.read_text())
        return path, doc, doc
    path = root / "zarr.json"
    doc = json.loads(path.read_text())
    return path, doc, doc["attributes"]["ome"]


def edit(root: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change the root's OME metadata (0.4: also drop the consolidated copy of it)."""
    path, doc, meta = ome(root)
    change(meta)
    path.write_text(json.dumps(doc))
    (root / ".zmetadata").unlink(missing_ok=True)


def scales(dataset: dict[str, Any]) -> list[float]:
    """The scale vector of a dataset, in place (0.4/0.5 list, 0.6 scale or sequence)."""
    for t in dataset["coordinateTransformations"]:
        if t["type"] == "scale":
            return t["scale"]  # type: ignore[no-any-return]
        if t["type"] == "sequence":
            return scales({"coordinateTransformations": t["transformations"]})
    raise AssertionError(f"no scale in {dataset}")


def found(report: Report, rule: str) -> list[tuple[str, str, str]]:
    return [(i.severity.value, i.pointer, i.message) for i in report.issues if i.rule == rule]


def prefix(version: str) -> str:
    return "/attributes" if version == "0.4" else "/attributes/ome"


@pytest.mark.parametrize("version", VERSIONS)
def test_written_images_raise_neither_rule(tmp_path: Path, version: str) -> None:
    report = ngff.validate(write(tmp_path / "img.zarr", version), strict=True)
    assert report.valid, report.issues
    assert found(report, ORDER) == found(report, CHANNELS) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_levels_listed_lowest_resolution_first_are_an_error(tmp_path: Path, version: str) -> None:
    root = write(tmp_path / "img.zarr", version)
    edit(root, lambda m: m["multiscales"][0]["datasets"].reverse())
    report = ngff.validate(root)
    assert not report.valid
    issues = found(report, ORDER)
    pointer = f"{prefix(version)}/multiscales/0/datasets/{{}}/coordinateTransformations"
    assert [(s, p) for s, p, _ in issues] == [
        ("error", pointer.format(1)),
        ("error", pointer.format(2)),
    ]
    assert "'y' (2 < 4), 'x' (2 < 4)" in issues[0][2]
    assert "shape-order" in " ".join(i.rule for i in report.errors)  # shapes say so too


@pytest.mark.parametrize("version", VERSIONS)
def test_one_finer_spatial_axis_is_enough(tmp_path: Path, version: str) -> None:
    """The shapes are in order: only the scales of level 2 say it is finer along x."""
    root = write(tmp_path / "img.zarr", version)

    def finer_x(meta: dict[str, Any]) -> None:
        scales(meta["multiscales"][0]["datasets"][2])[2] = 1.0  # level 1 has 2.0

    edit(root, finer_x)
    report = ngff.validate(root)
    issues = found(report, ORDER)
    assert len(issues) == 1
    severity, pointer, message = issues[0]
    assert severity == "error"
    assert pointer.endswith("/datasets/2/coordinateTransformations")
    assert "Level 2 is finer than level 1 along 'x' (1 < 2)" in message
    assert "'y'" not in message


@pytest.mark.parametrize("version", VERSIONS)
def test_a_non_spatial_axis_may_shrink(tmp_path: Path, version: str) -> None:
    """The rule is about space: a channel axis whose 'scale' decreases is not a resolution."""
    root = write(tmp_path / "img.zarr", version)
    edit(root, lambda m: scales(m["multiscales"][0]["datasets"][1]).__setitem__(0, 0.5))
    assert found(ngff.validate(root), ORDER) == []


def test_the_order_is_checked_from_the_metadata_alone(tmp_path: Path) -> None:
    """A JSON document has no arrays to compare, but its scales still give the order."""
    root = write(tmp_path / "img.zarr", "0.5")
    edit(root, lambda m: m["multiscales"][0]["datasets"].reverse())
    document = tmp_path / "zarr.json"
    document.write_text((root / "zarr.json").read_text())
    report = ngff.validate(document)
    assert [s for s, _, _ in found(report, ORDER)] == ["error", "error"]
    assert "ngff.multiscales.shape-order" not in {i.rule for i in report.issues}


@pytest.mark.parametrize("version", VERSIONS)
def test_omero_with_a_channel_missing_is_an_error(tmp_path: Path, version: str) -> None:
    root = write(tmp_path / "img.zarr", version)
    edit(root, lambda m: m["omero"]["channels"].pop())
    report = ngff.validate(root)
    assert not report.valid
    assert found(report, CHANNELS) == [
        (
            "error",
            f"{prefix(version)}/omero/channels",
            "Expected 3 channel(s) in omero (the size of the channel axis 'c' in level 0's "
            "shape [3, 32, 32]). Got 2.",
        )
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_omero_channels_of_an_image_without_channel_axis(tmp_path: Path, version: str) -> None:
    root = write(tmp_path / "img.zarr", version, axes="yx", shape=(32, 32))
    assert found(ngff.validate(root), CHANNELS) == []  # one channel written, one expected
    edit(root, lambda m: m["omero"]["channels"].append(dict(m["omero"]["channels"][0])))
    issues = found(ngff.validate(root), CHANNELS)
    assert len(issues) == 1
    assert "no channel axis: one channel" in issues[0][2]
    assert issues[0][2].endswith("Got 2.")


def test_an_untyped_axis_named_c_is_the_channel_axis(tmp_path: Path) -> None:
    """0.4 axes may have no type: then the axis named 'c' holds the channels."""
    root = write(tmp_path / "img.zarr", "0.4", axes="czyx", shape=(2, 4, 16, 16))

    def untyped(meta: dict[str, Any]) -> None:
        for axis in meta["multiscales"][0]["axes"]:
            axis.pop("type")
        meta["omero"]["channels"].append(dict(meta["omero"]["channels"][0]))

    edit(root, untyped)
    issues = found(ngff.validate(root), CHANNELS)
    assert [m for _, _, m in issues] == [
        "Expected 2 channel(s) in omero (the size of the channel axis 'c' in level 0's shape "
        "[2, 4, 16, 16]). Got 3."
    ]


def test_both_rules_are_declared_as_musts_with_their_clause() -> None:
    from ngff.rules import REGISTRY

    order, channels = REGISTRY.lookup(ORDER), REGISTRY.lookup(CHANNELS)
    assert (order.level.value, channels.level.value) == ("MUST", "MUST")
    assert "ordered from largest (i.e. highest resolution) to smallest" in order.clause.quote
    assert "c dimension size" in channels.clause.quote
