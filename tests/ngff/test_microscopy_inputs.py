"""Issue 12's end-to-end law: microscopy files as instruments write them, through
``ngff create`` and ``ngff.write_image``, arrive with their channel names, colours, pixel
sizes and image name; validate under ``--strict``; open in the peers (ome-zarr-py,
ome-zarr-models, ngff-zarr); and ``ngff.open(...).to_xarray()`` gives back the same values
and coordinates.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pytest
import tifffile
from click.testing import CliRunner
from tests.conftest import write_imagej_hyperstack

import ngff
from ngff.cli import cli

REPO = Path(__file__).resolve().parents[2]
PEER_PYTHON = REPO / ".venv-peers" / "bin" / "python"
RNG = np.random.default_rng(1212)

# Runs in the peer venv: open TARGET with the three peers, print one JSON line.
PEERS = r"""
import json, sys
import ngff_zarr, ome_zarr_models
from ome_zarr.io import parse_url
from ome_zarr.reader import Reader

target = sys.argv[1]
nodes = list(Reader(parse_url(target))())
image = ngff_zarr.from_ngff_zarr(target).images[0]
print("RESULT " + json.dumps({
    "reader_shapes": [list(d.shape) for d in nodes[0].data],
    "models": type(ome_zarr_models.open_ome_zarr(target)).__name__,
    "ngff_zarr_dims": list(image.dims),
    "ngff_zarr_scale": image.scale,
    "ngff_zarr_first": int(image.data.ravel()[0].compute()),
}))
"""


def create(*args: str) -> None:
    done = CliRunner().invoke(cli, ["create", *args])
    assert done.exit_code == 0, done.output


def omero_channels(target: Path) -> list[dict[str, Any]]:
    attrs = json.loads((target / "zarr.json").read_text())["attributes"]["ome"]
    channels: list[dict[str, Any]] = attrs["omero"]["channels"]
    return channels


def strict_clean(target: Path) -> None:
    report = ngff.validate(str(target), strict=True)
    assert not report.issues, [f"{i.rule} {i.path}: {i.message}" for i in report.issues]


def reads_back(target: Path, data: np.ndarray, scale: dict[str, float]) -> None:
    """Level 0 through ngff.open: the values and pixel-centre coordinates written."""
    level = ngff.open(target).to_xarray(0)
    np.testing.assert_array_equal(level.values, data)
    for axis, step in scale.items():
        n = level.sizes[axis]
        np.testing.assert_allclose(level[axis].values, np.arange(n) * step)


def peers_open(target: Path) -> dict[str, Any]:
    if not PEER_PYTHON.exists():
        pytest.skip("the peer venv .venv-peers is missing (make peers)")
    done = subprocess.run(
        [str(PEER_PYTHON), "-c", PEERS, str(target)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    seen: dict[str, Any] = json.loads(line[len("RESULT ") :])
    assert seen["models"] == "Image"
    return seen


def test_ome_tiff_with_two_series_keeps_names_colours_and_sizes(tmp_path: Path) -> None:
    first = RNG.integers(0, 4000, (2, 40, 50), dtype=np.uint16)
    second = RNG.integers(0, 255, (3, 20, 30), dtype=np.uint8)
    path = tmp_path / "acquired.ome.tif"
    with tifffile.TiffWriter(path, ome=True) as tif:
        tif.write(
            first,
            metadata={
                "axes": "CYX",
                "Name": "well A1",
                "PhysicalSizeX": 0.5,
                "PhysicalSizeY": 0.5,
                # OME colours are signed RGBA integers: opaque red, opaque green
                "Channel": {"Name": ["DAPI", "GFP"], "Color": [-16776961, 16711935]},
            },
        )
        tif.write(second, metadata={"axes": "CYX", "Name": "overview"})
    out = tmp_path / "first.ome.zarr"
    create(str(path), str(out), "--chunks", "1,32,32")
    channels = omero_channels(out)
    assert [c["label"] for c in channels] == ["DAPI", "GFP"]
    assert [c["color"] for c in channels] == ["FF0000", "00FF00"]
    meta = json.loads((out / "zarr.json").read_text())["attributes"]["ome"]
    assert meta["multiscales"][0]["name"] == "well A1"
    strict_clean(out)
    reads_back(out, first, {"y": 0.5, "x": 0.5})
    seen = peers_open(out)
    assert seen["ngff_zarr_dims"] == ["c", "y", "x"]
    assert seen["ngff_zarr_scale"]["x"] == 0.5
    assert seen["ngff_zarr_first"] == int(first.ravel()[0])


def test_imagej_hyperstack_keeps_luts_ranges_and_calibration(tmp_path: Path) -> None:
    data = RNG.integers(0, 1000, (2, 3, 2, 24, 20), dtype=np.uint16)  # TZCYX
    path = tmp_path / "stack.tif"
    write_imagej_hyperstack(path, data)
    out = tmp_path / "stack.ome.zarr"
    create(str(path), str(out))
    channels = omero_channels(out)
    assert [c["color"] for c in channels] == ["FF00FF", "00FF00"]
    assert [(c["window"]["start"], c["window"]["end"]) for c in channels] == [
        (10.0, 200.0),
        (0.0, 1000.0),
    ]
    strict_clean(out)
    ome_order = data.transpose(0, 2, 1, 3, 4)  # TCZYX
    reads_back(out, ome_order, {"z": 2.0, "y": 0.5, "x": 0.5})
    assert peers_open(out)["ngff_zarr_dims"] == ["t", "c", "z", "y", "x"]


def test_rgb_photometric_tiff_is_red_green_blue(tmp_path: Path) -> None:
    data = RNG.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    path = tmp_path / "slide.tif"
    tifffile.imwrite(path, data, photometric="rgb")
    out = tmp_path / "slide.ome.zarr"
    create(str(path), str(out))
    channels = omero_channels(out)
    assert [c["color"] for c in channels] == ["FF0000", "00FF00", "0000FF"]
    attrs = json.loads((out / "zarr.json").read_text())["attributes"]["ome"]
    assert attrs["omero"]["rdefs"]["model"] == "color"
    strict_clean(out)
    reads_back(out, data.transpose(2, 0, 1), {})
    peers_open(out)


def test_pyramidal_tiff_writes_from_its_base(tmp_path: Path) -> None:
    base = RNG.integers(0, 60000, (96, 128), dtype=np.uint16)
    path = tmp_path / "pyramid.ome.tif"
    with tifffile.TiffWriter(path, ome=True) as tif:
        tif.write(
            base, subifds=2, metadata={"axes": "YX", "PhysicalSizeX": 0.25, "PhysicalSizeY": 0.25}
        )
        tif.write(base[::2, ::2], subfiletype=1)
        tif.write(base[::4, ::4], subfiletype=1)
    out = tmp_path / "pyramid.ome.zarr"
    create(str(path), str(out), "--chunks", "64,64")
    strict_clean(out)
    reads_back(out, base, {"y": 0.25, "x": 0.25})
    peers_open(out)


@pytest.mark.parametrize("kind", ["npy", "dask"])
def test_tczyx_arrays_through_write_image(tmp_path: Path, kind: str) -> None:
    data = RNG.integers(0, 4096, (2, 3, 4, 40, 36), dtype=np.uint16)
    source: Any
    if kind == "npy":
        source = tmp_path / "stack.npy"
        np.save(source, data)
    else:
        source = da.from_array(data, chunks=(1, 1, 2, 20, 18))
    out = tmp_path / f"{kind}.ome.zarr"
    ngff.write_image(
        source,
        out,
        axes="tczyx",
        scale=(1.0, 1.0, 2.0, 0.3, 0.3),
        units="micrometer",
        name="timelapse",
        channel_names=["DAPI", "GFP", "RFP"],
        channel_colors=["blue", "green", "red"],
        chunks=(1, 1, 2, 32, 32),
    )
    channels = omero_channels(out)
    assert [(c["label"], c["color"]) for c in channels] == [
        ("DAPI", "0000FF"),
        ("GFP", "00FF00"),
        ("RFP", "FF0000"),
    ]
    strict_clean(out)
    reads_back(out, data, {"z": 2.0, "y": 0.3, "x": 0.3})
    assert ngff.open(out).to_xarray(0).attrs["name"] == "timelapse"
    assert peers_open(out)["ngff_zarr_dims"] == ["t", "c", "z", "y", "x"]


def _two_series(path: Path) -> tuple[np.ndarray, np.ndarray]:
    first = RNG.integers(0, 4000, (2, 24, 20), dtype=np.uint16)
    second = RNG.integers(0, 255, (16, 12), dtype=np.uint8)
    with tifffile.TiffWriter(path, ome=True) as tif:
        tif.write(
            first,
            metadata={"axes": "CYX", "Name": "position 1", "Channel": {"Name": ["DAPI", "GFP"]}},
        )
        tif.write(second, metadata={"axes": "YX", "Name": "overview", "PhysicalSizeX": 4.0})
    return first, second


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_every_series_becomes_one_collection(tmp_path: Path, version: str) -> None:
    first, second = _two_series(tmp_path / "plate.ome.tif")
    out = tmp_path / "all.ome.zarr"
    create(str(tmp_path / "plate.ome.tif"), str(out), "--series", "all", "--version", version)
    strict_clean(out)
    collection = ngff.open(out)
    images = collection.images  # type: ignore[union-attr]
    assert [image.name for image in images] == ["position 1", "overview"]
    np.testing.assert_array_equal(images[0].to_xarray(0).values, first)
    np.testing.assert_array_equal(images[1].to_xarray(0).values, second)
    assert list(images[0].to_xarray(0)["c"].values) == ["DAPI", "GFP"]
    assert images[1].to_xarray(0)["x"].values[1] == 4.0


def test_one_series_by_number_and_refusals_before_writing(tmp_path: Path) -> None:
    _, second = _two_series(tmp_path / "plate.ome.tif")
    source = str(tmp_path / "plate.ome.tif")
    out = tmp_path / "second.ome.zarr"
    create(source, str(out), "--series", "1")
    reads_back(out, second, {"x": 4.0})
    runner = CliRunner()
    for args, message in (
        (["--series", "x"], "series number or 'all'"),
        (["--series", "all", "--name", "n"], "drop --name"),
        (["--series", "7"], "series"),
    ):
        refused = tmp_path / "refused.ome.zarr"
        done = runner.invoke(cli, ["create", source, str(refused), *args])
        assert done.exit_code == 2, done.output
        assert message in done.output
        assert not refused.exists()
