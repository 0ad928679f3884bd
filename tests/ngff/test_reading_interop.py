"""Reading back what peers wrote: ome-zarr-py and ngff-zarr stores opened with ``ngff.open``.

The peers live in ``<repo>/.venv-peers`` (their pins clash with ours); a script there writes
the store from a ``.npy`` file, then reads it back with ngff-zarr's reader and saves each
level it sees. Our reader must see the same levels: shapes, values, scale and translation
(ngff-zarr's reading), and the values and coordinates the writer was given.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ngff
from ngff.reading import ImageNode, PlateNode

REPO = Path(__file__).resolve().parents[2]
PEER_PYTHON = REPO / ".venv-peers" / "bin" / "python"

pytestmark = pytest.mark.skipif(
    not PEER_PYTHON.exists(), reason="the peer venv .venv-peers is missing (make peers)"
)

# Runs in the peer venv: write TARGET with WRITER from SOURCE (.npy), optionally labels and a
# plate (ome-zarr-py), then read the image back with ngff-zarr and save its levels in OUT.
PEER_SCRIPT = r"""
import json, sys, warnings
import numpy as np

warnings.simplefilter("ignore")
writer, source, target, version, out = sys.argv[1:6]
data = np.load(source)
units = {"z": "micrometer", "y": "micrometer", "x": "micrometer"}
image_path = target
if writer == "ome-zarr":
    import zarr
    from ome_zarr.format import FormatV04, FormatV05
    from ome_zarr.writer import (
        write_image, write_labels, write_plate_metadata, write_well_metadata,
    )

    fmt = FormatV04() if version == "0.4" else FormatV05()
    root = zarr.open_group(target, mode="w", zarr_format=2 if version == "0.4" else 3)
    options = dict(fmt=fmt, axes="czyx", scale={"z": 2.0, "y": 0.5, "x": 0.25},
                   axes_units=units, storage_options={"chunks": (1, 2, 32, 32)})
    write_image(data, root, scale_factors=[2, 4], name="peer", **options)
    labels = (data[:1] > 2000).astype(np.uint8) * 5
    np.save(f"{out}/labels.npy", labels)
    write_labels(labels, root, name="bright", scale_factors=[2, 4], **options)
    plate = zarr.open_group(target + ".plate", mode="w",
                            zarr_format=2 if version == "0.4" else 3)
    write_plate_metadata(plate, ["A", "B"], ["1", "2"], ["A/2", "B/1"], fmt=fmt, name="p")
    for i, well_path in enumerate(["A/2", "B/1"]):
        well = plate.require_group(well_path)
        write_well_metadata(well, ["0"], fmt=fmt)
        write_image(data[:, i], well.require_group("0"), scale_factors=[2], name=well_path,
                    fmt=fmt, axes="czyx"[:1] + "yx", storage_options={"chunks": (1, 32, 32)})
else:
    import ngff_zarr as nz

    image = nz.to_ngff_image(data, dims=["c", "z", "y", "x"], name="peer",
                             scale={"c": 1.0, "z": 2.0, "y": 0.5, "x": 0.25},
                             translation={"c": 0.0, "z": 1.0, "y": 10.0, "x": 20.0},
                             axes_units=units)
    factors = [{"z": 1, "y": 2, "x": 2}, {"z": 1, "y": 4, "x": 4}]
    nz.to_ngff_zarr(target, nz.to_multiscales(image, scale_factors=factors, chunks=32),
                    version=version)

import ngff_zarr as nz

levels = []
for i, image in enumerate(nz.from_ngff_zarr(image_path).images):
    np.save(f"{out}/{i}.npy", np.asarray(image.data))
    levels.append({"dims": list(image.dims), "shape": list(image.data.shape),
                   "scale": image.scale, "translation": image.translation})
print("RESULT " + json.dumps(levels))
"""


def peer_write(writer: str, data: np.ndarray, target: Path, version: str) -> list[dict[str, Any]]:
    """Write ``target`` with a peer; return what ngff-zarr read back (levels saved beside)."""
    source = target.parent / "source.npy"
    np.save(source, data)
    out = target.parent / "peer-levels"
    out.mkdir()
    result = subprocess.run(
        [str(PEER_PYTHON), "-c", PEER_SCRIPT, writer, str(source), str(target), version, str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=target.parent,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (line,) = [ln for ln in result.stdout.splitlines() if ln.startswith("RESULT ")]
    levels: list[dict[str, Any]] = json.loads(line[len("RESULT ") :])
    return levels


def volume() -> np.ndarray:
    return np.random.default_rng(21).integers(0, 4000, size=(3, 4, 64, 96), dtype=np.uint16)


def assert_same_levels(image: ImageNode, seen: list[dict[str, Any]], out: Path) -> None:
    """Our levels are ngff-zarr's: shapes, values, and scale/translation per axis."""
    assert len(image.levels) == len(seen)
    for i, (level, peer) in enumerate(zip(image.levels, seen, strict=True)):
        assert list(image.axis_names) == peer["dims"]
        assert list(level.shape) == peer["shape"]
        np.testing.assert_array_equal(level.data.compute(), np.load(out / f"{i}.npy"))
        for axis, name in enumerate(image.axis_names):
            assert level.scale[axis] == pytest.approx(peer["scale"][name])
            assert level.translation[axis] == pytest.approx(peer["translation"][name])


@pytest.mark.parametrize("version", ["0.4", "0.5", "0.6"])
def test_an_ngff_zarr_image_reads_back_equal(tmp_path: Path, version: str) -> None:
    target = tmp_path / "peer.ome.zarr"
    seen = peer_write("ngff-zarr", volume(), target, version)
    image = ngff.open(target)
    assert isinstance(image, ImageNode)
    assert (image.version, image.name) == (version, "peer")
    assert_same_levels(image, seen, tmp_path / "peer-levels")
    arr = image.to_xarray()
    np.testing.assert_array_equal(arr.values, volume())
    # the coordinates the writer was given: translation + i * scale
    np.testing.assert_allclose(arr.coords["x"].values, 20.0 + 0.25 * np.arange(96))
    np.testing.assert_allclose(arr.coords["z"].values, 1.0 + 2.0 * np.arange(4))
    assert arr.coords["y"].attrs["units"] == "micrometer"


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_an_ome_zarr_py_image_labels_and_plate_read_back_equal(
    tmp_path: Path, version: str
) -> None:
    target = tmp_path / "peer.ome.zarr"
    data = volume()
    seen = peer_write("ome-zarr", data, target, version)
    image = ngff.open(target)
    assert isinstance(image, ImageNode)
    assert image.version == version
    assert_same_levels(image, seen, tmp_path / "peer-levels")
    arr = image.to_xarray()
    np.testing.assert_array_equal(arr.values, data)
    np.testing.assert_allclose(arr.coords["x"].values, 0.25 * np.arange(96))
    np.testing.assert_allclose(arr.coords["z"].values, 2.0 * np.arange(4))

    label = image.labels["bright"]
    assert label.image_label is not None
    np.testing.assert_array_equal(
        label.levels[0].data.compute(), np.load(tmp_path / "peer-levels" / "labels.npy")
    )

    plate = ngff.open(Path(f"{target}.plate"))
    assert isinstance(plate, PlateNode)
    assert list(plate) == ["A/2", "B/1"]
    for i, path in enumerate(plate):
        (field,) = plate[path].fields
        np.testing.assert_array_equal(field.levels[0].data.compute(), data[:, i])
