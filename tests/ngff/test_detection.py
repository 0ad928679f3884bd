"""One table of OME-Zarr node kinds, used by ``ngff info`` and by validation alike."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ngff.cli import cli
from ngff.detection import KINDS, detect, discover, node_kind, node_kinds
from ngff.validate import node_kind as validation_node_kind
from ngff_geozarr.core.hierarchy import Node, hierarchy_from_json

SCENE = Path(__file__).parents[1] / "data/conformance/ngff/0.6/examples/scene/scene_stitching.json"


@pytest.fixture
def scene_store(tmp_path: Path) -> Path:
    """A 0.6 store whose root is a scene (the spec's stitching example) over its tiles."""
    root = tmp_path / "scene.ome.zarr"
    root.mkdir()
    (root / "zarr.json").write_text(SCENE.read_text())
    for tile in ("tile_0", "tile_1", "tile_2", "tile_3"):
        (root / tile).mkdir()
        (root / tile / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group"}')
    return root


def test_ngff_info_names_a_scene(scene_store: Path) -> None:
    """Regression: ``ngff info`` labelled no 0.6 scene (its kind table lacked ``scene``)."""
    text = CliRunner().invoke(cli, ["info", str(scene_store)])
    assert text.exit_code == 0, text.output
    root_line = text.output.splitlines()[1]
    assert "[OME-Zarr 0.6rc0 scene]" in root_line
    as_json = CliRunner().invoke(cli, ["info", str(scene_store), "--format", "json"])
    nodes = {n["path"]: n for n in json.loads(as_json.output)["nodes"]}
    assert nodes[""]["conventions"] == ["OME-Zarr 0.6rc0 scene"]
    assert nodes["tile_0"]["conventions"] == []


def test_info_and_validation_share_the_kind_table() -> None:
    """Every key of the table, alone and in pairs, gets the same kind from the validator as
    from detection, and info labels it with that kind first."""
    assert validation_node_kind is node_kind
    keys = [key for key, _ in KINDS]
    for n in (1, 2):
        for combination in itertools.combinations(keys, n):
            ome = {"version": "0.6", **{key: {} for key in combination}}
            kind = node_kind(ome)
            node = Node("", "group", 3, {"ome": ome}, {})
            labels = detect(node, hierarchy_from_json({"ome": ome}))
            first = "label image" if kind == "image" and "image-label" in ome else kind
            assert labels[0] == f"OME-Zarr 0.6 {first}", combination


def test_every_kind_of_the_table_is_named() -> None:
    for key, kind in KINDS:
        assert node_kinds({key: {}}) == [kind]
    assert node_kind({"version": "0.5", "omero": {}}) == "group"


def test_discover_follows_the_paths_of_a_scene() -> None:
    document = json.loads(SCENE.read_text())
    node = Node("", "group", 3, document["attributes"], {})
    assert discover(node) == ["tile_0", "tile_1", "tile_2", "tile_3"]
