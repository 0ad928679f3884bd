"""Interoperability: what we write opens with ome-zarr-py's reader and with ome-zarr-models.

The peer libraries pin pydantic below our supported range, so they live in their own venv,
``<repo>/.venv-peers`` (``make test`` builds it, target ``peers``); each check runs a small
script there in a subprocess and asserts on the JSON it prints.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ngff

REPO = Path(__file__).resolve().parents[2]
PEER_PYTHON = REPO / ".venv-peers" / "bin" / "python"

pytestmark = pytest.mark.skipif(
    not PEER_PYTHON.exists(), reason="the peer venv .venv-peers is missing (make peers)"
)

# Runs in the peer venv: open TARGET with both libraries, print one JSON line.
PEER_SCRIPT = r"""
import json, sys
import ome_zarr_models
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader

target = sys.argv[1]
out = {"reader": [], "models": {}}
location = parse_url(target)
out["reader_version"] = str(location.version)
for node in Reader(location)():
    specs = sorted(type(s).__name__ for s in node.specs)
    entry = {"path": str(node.zarr).rstrip("/").split("/")[-1], "specs": specs,
             "shapes": [list(d.shape) for d in node.data]}
    if "Multiscales" in specs:
        entry["axes"] = [a["name"] if isinstance(a, dict) else a
                         for a in node.metadata.get("axes", [])]
        entry["first_value"] = int(node.data[-1].ravel()[0].compute())
    if "Label" in specs:
        entry["colors"] = len(node.metadata.get("color", {}))
    out["reader"].append(entry)
group = ome_zarr_models.open_ome_zarr(target)
out["models"]["class"] = type(group).__module__ + "." + type(group).__name__
if type(group).__name__ == "Image":
    out["models"]["datasets"] = [
        [d.path for d in ms.datasets] for ms in group.ome_attributes.multiscales
    ]
    labels = group.labels
    out["models"]["labels"] = None if labels is None else list(
        labels.ome_attributes.labels
    )
if type(group).__name__ == "HCS":
    out["models"]["wells"] = [w.path for w in group.ome_attributes.plate.wells]
    out["models"]["n_wells"] = len(list(group.well_groups))
print("RESULT " + json.dumps(out))
"""


def peer_open(target: Path) -> dict[str, Any]:
    result = subprocess.run(
        [str(PEER_PYTHON), "-c", PEER_SCRIPT, str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=target.parent,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (line,) = [ln for ln in result.stdout.splitlines() if ln.startswith("RESULT ")]
    parsed: dict[str, Any] = json.loads(line[len("RESULT ") :])
    return parsed


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_image_with_labels_opens_in_both_peers(tmp_path: Path, version: str) -> None:
    rng = np.random.default_rng(2)
    data = rng.integers(0, 3000, size=(2, 6, 70, 60)).astype(np.uint16)
    labels = np.zeros((1, 6, 70, 60), np.uint32)
    labels[:, :, 10:40, 5:30] = 4
    labels[:, :, 45:, 35:] = 9
    target = tmp_path / f"image{version}.ome.zarr"
    image = ngff.write_image(
        data,
        target,
        chunks=(1, 3, 32, 32),
        scale=(1, 2, 0.5, 0.5),
        units="micrometer",
        version=version,
        omero=True,
    )
    ngff.write_labels(labels, target, "nuclei")
    assert ngff.validate(str(target)).valid
    seen = peer_open(target)
    assert seen["reader_version"] == version
    image_node, labels_node, label_node = seen["reader"]
    assert image_node["specs"] == ["Multiscales", "OMERO"]
    assert image_node["shapes"] == [list(a.shape) for a in image.arrays]
    assert image_node["axes"] == ["c", "z", "y", "x"]
    assert image_node["first_value"] == int(
        np.asarray(ngff_level(target, str(len(image.arrays) - 1))).ravel()[0]
    )
    assert labels_node["specs"] == ["Labels"]
    assert label_node["path"].split()[0] == "nuclei"
    assert label_node["specs"] == ["Label", "Multiscales"]
    assert label_node["shapes"] == [[1, *a.shape[1:]] for a in image.arrays]
    assert label_node["colors"] == 3  # 0, 4 and 9 at the coarsest level
    models = seen["models"]
    assert models["class"] == f"ome_zarr_models.v0{version[-1]}.image.Image"
    assert models["datasets"] == [list(image.paths)]
    assert models["labels"] == ["nuclei"]


def ngff_level(target: Path, path: str) -> np.ndarray:
    from ngff_geozarr.core.store import open_store

    with open_store(target) as store:
        array = store.open_array(path)
        return array.read(tuple(slice(0, n) for n in array.shape))


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_plate_opens_in_both_peers(tmp_path: Path, version: str) -> None:
    field = np.arange(2 * 40 * 40, dtype=np.uint8).reshape(2, 40, 40)
    target = tmp_path / f"plate{version}.ome.zarr"
    ngff.write_plate(
        target,
        {"A/1": [field, field], "B/2": [field]},
        name="p",
        version=version,
        axes="cyx",
        chunks=(1, 16, 16),
    )
    seen = peer_open(target)
    assert seen["models"]["class"] == f"ome_zarr_models.v0{version[-1]}.hcs.HCS"
    assert seen["models"]["wells"] == ["A/1", "B/2"]
    assert seen["models"]["n_wells"] == 2
    assert "Plate" in seen["reader"][0]["specs"]


def test_added_levels_open_in_both_peers(tmp_path: Path) -> None:
    target = tmp_path / "base.ome.zarr"
    ngff.write_image(np.ones((64, 96), np.float32), target, chunks=(16, 16), levels=1)
    ngff.add_levels(target)
    seen = peer_open(target)
    assert seen["reader"][0]["shapes"] == [[64, 96], [32, 48], [16, 24], [8, 12]]
    assert seen["models"]["datasets"] == [["0", "1", "2", "3"]]
