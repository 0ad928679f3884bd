"""Channels and axes as microscopy data comes: names, colours, windows, RGB, any axes order.

What a caller (or a file) says about its channels arrives in the ``omero`` section and the
image name in both ``multiscales`` and ``omero``; RGB(A) data is red, green, blue with the
``color`` model; any axes order is transposed to OME order (lazily) with the values read
back equal; the output validates under ``--strict``; ome-zarr-models opens an RGB image.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner

import ngff
from ngff.cli import cli
from ngff.create.arrange import TransposedArray
from ngff.create.channels import DEFAULT_COLORS, parse_color
from ngff_geozarr.core.inputs import Calibration, Source, open_input
from ngff_geozarr.core.store import open_store

REPO = Path(__file__).resolve().parents[2]
PEER_PYTHON = REPO / ".venv-peers" / "bin" / "python"


def ome(target: Path) -> dict[str, Any]:
    attributes: dict[str, Any] = json.loads((target / "zarr.json").read_text())["attributes"]
    return dict(attributes["ome"])


def level(target: Path, path: str = "0") -> np.ndarray:
    with open_store(target) as store:
        array = store.open_array(path)
        return array.read(tuple(slice(0, n) for n in array.shape))


def strict_errors(target: Path) -> list[tuple[str, str]]:
    report = ngff.validate(str(target), strict=True)
    return [(i.rule, i.message) for i in report.issues]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_names_colours_windows_and_name_arrive(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    data = rng.integers(0, 4000, size=(3, 4, 40, 30)).astype(np.uint16)
    target = tmp_path / "cells.ome.zarr"
    ngff.write_image(
        data,
        target,
        chunks=(1, 4, 16, 16),
        name="cells",
        channel_names=["DAPI", "GFP", "mCherry"],
        channel_colors=["blue", "#00ff00", "FF00ff"],
        channel_windows=[(0, 255), (10, 4000), (5.5, 300.25)],
    )
    meta = ome(target)
    channels = meta["omero"]["channels"]
    assert [c["label"] for c in channels] == ["DAPI", "GFP", "mCherry"]
    assert [c["color"] for c in channels] == ["0000FF", "00FF00", "FF00FF"]
    windows = [(c["window"]["start"], c["window"]["end"]) for c in channels]
    assert windows == [(0, 255), (10, 4000), (5.5, 300.25)]
    assert all((c["window"]["min"], c["window"]["max"]) == (0, 65535) for c in channels)
    assert meta["omero"]["name"] == meta["multiscales"][0]["name"] == "cells"
    assert meta["omero"]["rdefs"]["model"] == "color"
    assert strict_errors(target) == []


def test_cli_channel_options_arrive_and_validate_strict(tmp_path: Path) -> None:
    np.save(tmp_path / "in.npy", np.arange(2 * 32 * 32, dtype=np.uint16).reshape(2, 32, 32))
    out = tmp_path / "out.ome.zarr"
    code, stdout, stderr = invoke(
        "create",
        str(tmp_path / "in.npy"),
        str(out),
        "--axes",
        "cyx",
        "--name",
        "plate 3",
        "--channel-names",
        "DAPI,GFP",
        "--channel-colors",
        "cyan,#FFFF00",
        "--channel-windows",
        "0:100,10:2000",
        "--quiet",
    )
    assert code == 0, stderr
    channels = ome(out)["omero"]["channels"]
    assert [(c["label"], c["color"]) for c in channels] == [("DAPI", "00FFFF"), ("GFP", "FFFF00")]
    assert [(c["window"]["start"], c["window"]["end"]) for c in channels] == [
        (0, 100),
        (10, 2000),
    ]
    assert ome(out)["omero"]["name"] == "plate 3"
    code, stdout, stderr = invoke("validate", str(out), "--strict")
    assert code == 0, stdout + stderr


def test_default_colours_are_distinct_and_one_channel_is_grey(tmp_path: Path) -> None:
    four = tmp_path / "four.ome.zarr"
    ngff.write_image(np.ones((4, 16, 16), np.uint8), four, axes="cyx", omero=True)
    colors = [c["color"] for c in ome(four)["omero"]["channels"]]
    assert colors == list(DEFAULT_COLORS[:4])
    assert len(set(DEFAULT_COLORS)) == len(DEFAULT_COLORS)
    assert colors[:2] == ["FF00FF", "00FF00"]  # magenta/green: the colour-blind-safe pair
    one = tmp_path / "one.ome.zarr"
    ngff.write_image(np.ones((16, 16), np.float32), one, omero=True)
    (channel,) = ome(one)["omero"]["channels"]
    assert channel["color"] == "FFFFFF"
    assert ome(one)["omero"]["rdefs"]["model"] == "greyscale"
    assert strict_errors(four) == strict_errors(one) == []


def test_float_windows_bracket_the_data(tmp_path: Path) -> None:
    data = np.linspace(-3.0, 7.0, 2 * 20 * 20, dtype=np.float32).reshape(2, 20, 20)
    data[1, 0, 0] = np.nan
    target = tmp_path / "f.ome.zarr"
    ngff.write_image(data, target, axes="cyx", levels=1, channel_windows=[(0, 1), (2, 3)])
    first, second = ome(target)["omero"]["channels"]
    assert (first["window"]["start"], first["window"]["end"]) == (0, 1)
    assert first["window"]["min"] == pytest.approx(-3.0)
    assert second["window"]["max"] == pytest.approx(7.0)
    assert strict_errors(target) == []


def test_windows_are_read_from_a_bounded_sample_of_the_coarsest_level(tmp_path: Path) -> None:
    """A long series: the window statistics read 8 evenly spaced time points, not all 40.

    Time point 1 (not among them) holds the only zeros: a whole read would start the window
    at 0, the bounded one at 100.
    """
    data = (100 + np.arange(40, dtype=np.uint16))[:, None, None, None] * np.ones(
        (1, 1, 8, 8), np.uint16
    )
    data[1] = 0
    target = tmp_path / "t.ome.zarr"
    ngff.write_image(data, target, axes="tcyx", omero=True, levels=1, chunks=(1, 1, 8, 8))
    (channel,) = ome(target)["omero"]["channels"]
    assert channel["window"]["start"] == 100
    assert 130 < channel["window"]["end"] <= 139


@pytest.mark.parametrize(("axes", "channels"), [("yxc", 3), ("zyxc", 4)])
def test_rgb_with_samples_last_is_transposed_and_coloured(
    tmp_path: Path, axes: str, channels: int
) -> None:
    rng = np.random.default_rng(2)
    shape = (50, 40, channels) if axes == "yxc" else (3, 50, 40, channels)
    data = rng.integers(0, 255, size=shape).astype(np.uint8)
    target = tmp_path / "rgb.ome.zarr"
    image = ngff.write_image(data, target, axes=axes, rgb=True, chunks=None)
    wanted = "c" + axes[:-1]
    assert [a["name"] for a in image.axes] == list(wanted)
    np.testing.assert_array_equal(level(target), np.moveaxis(data, -1, 0))
    meta = ome(target)["omero"]
    assert [c["color"] for c in meta["channels"]] == ["FF0000", "00FF00", "0000FF", "FFFFFF"][
        :channels
    ]
    assert [c["label"] for c in meta["channels"]][:3] == ["red", "green", "blue"]
    assert [c["active"] for c in meta["channels"]] == [True, True, True, False][:channels]
    assert all((c["window"]["start"], c["window"]["end"]) == (0, 255) for c in meta["channels"])
    assert meta["rdefs"]["model"] == "color"
    assert strict_errors(target) == []


def test_rgb_default_axes_put_the_samples_last(tmp_path: Path) -> None:
    data = np.zeros((6, 10, 12, 3), np.uint8)
    data[..., 0] = 200
    target = tmp_path / "stack.ome.zarr"
    image = ngff.write_image(data, target, rgb=True)
    assert [a["name"] for a in image.axes] == ["c", "z", "y", "x"]
    assert level(target)[0].min() == 200
    assert level(target)[1].max() == 0


@pytest.mark.parametrize("kind", ["numpy", "dask", "zarr"])
def test_five_dimensions_in_any_order_are_transposed_lazily(tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(3)
    given = rng.integers(0, 999, size=(5, 2, 3, 24, 20)).astype(np.uint16)  # z t c y x
    data: Any = given
    if kind == "dask":
        da = pytest.importorskip("dask.array")
        data = da.from_array(given, chunks=(2, 1, 1, 12, 10))
    elif kind == "zarr":
        store = tmp_path / "in.zarr"
        zarr = pytest.importorskip("zarr")
        zarr.create_array(str(store), shape=given.shape, dtype=given.dtype)[...] = given
        data = open_input(store).data
        assert not isinstance(data, np.ndarray)
    target = tmp_path / "five.ome.zarr"
    image = ngff.write_image(
        data,
        target,
        axes="ztcyx",
        scale=(2.0, 60.0, 1.0, 0.5, 0.25),
        units={"z": "micrometer", "t": "second", "y": "micrometer", "x": "micrometer"},
        chunks=(2, 1, 1, 12, 10),
    )
    assert [a["name"] for a in image.axes] == ["t", "c", "z", "y", "x"]
    scale = image.multiscale["datasets"][0]["coordinateTransformations"][0]["scale"]
    assert scale == [60.0, 1.0, 2.0, 0.5, 0.25]
    np.testing.assert_array_equal(level(target), np.transpose(given, (1, 2, 0, 3, 4)))
    assert strict_errors(target) == []


def test_transposed_array_reads_regions_of_its_source() -> None:
    source = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    view = TransposedArray(source, (2, 0, 1))
    assert view.shape == (4, 2, 3)
    np.testing.assert_array_equal(view[1:3, :, 0:2], np.transpose(source, (2, 0, 1))[1:3, :, 0:2])


def test_a_file_path_and_its_channel_metadata_are_accepted(tmp_path: Path) -> None:
    data = np.arange(2 * 32 * 24, dtype=np.uint16).reshape(2, 32, 24)
    tif = tmp_path / "cells.ome.tif"
    tifffile.imwrite(
        tif,
        data,
        ome=True,
        metadata={
            "axes": "CYX",
            "Channel": {"Name": ["DAPI", "GFP"]},
            "PhysicalSizeX": 0.25,
            "PhysicalSizeY": 0.5,
        },
    )
    for given in (str(tif), tif):
        target = tmp_path / f"{type(given).__name__}.ome.zarr"
        image = ngff.write_image(given, target)
        assert [c["label"] for c in ome(target)["omero"]["channels"]] == ["DAPI", "GFP"]
        scale = image.multiscale["datasets"][0]["coordinateTransformations"][0]["scale"]
        assert scale == [1.0, 0.5, 0.25]
        np.testing.assert_array_equal(level(target), data)
        assert strict_errors(target) == []


def test_a_sources_colours_windows_name_and_rgb_are_the_defaults(tmp_path: Path) -> None:
    data = np.zeros((2, 16, 16), np.uint16)
    source = Source(
        data,
        "made.tif",
        "ome-tiff",
        axes="CYX",
        calibration=Calibration({"x": 0.3, "y": 0.3}, {"x": "micrometer", "y": "micrometer"}),
        channel_names=("a", "b"),
        channel_colors=("00FFFF", "FFFF00"),
        channel_windows=((1.0, 9.0), (2.0, 8.0)),
        name="recorded",
    )
    target = tmp_path / "s.ome.zarr"
    ngff.write_image(source, target)
    meta = ome(target)
    channels = meta["omero"]["channels"]
    assert [c["color"] for c in channels] == ["00FFFF", "FFFF00"]
    assert [(c["window"]["start"], c["window"]["end"]) for c in channels] == [(1, 9), (2, 8)]
    assert meta["multiscales"][0]["name"] == meta["omero"]["name"] == "recorded"
    assert meta["multiscales"][0]["axes"][1]["unit"] == "micrometer"
    given = tmp_path / "given.ome.zarr"
    ngff.write_image(source, given, name="mine", channel_colors=["red", "blue"])
    assert ome(given)["omero"]["name"] == "mine"
    assert [c["color"] for c in ome(given)["omero"]["channels"]] == ["FF0000", "0000FF"]
    rgb = Source(np.zeros((8, 8, 3), np.uint8), "rgb.tif", "tiff", axes="YXS", rgb=True)
    target = tmp_path / "rgb.ome.zarr"
    ngff.write_image(rgb, target)
    assert [c["color"] for c in ome(target)["omero"]["channels"]] == [
        "FF0000",
        "00FF00",
        "0000FF",
    ]


def test_cli_rgb_tiff(tmp_path: Path) -> None:
    data = np.zeros((40, 30, 3), np.uint8)
    data[..., 0] = 255
    tif = tmp_path / "slide.tif"
    tifffile.imwrite(tif, data, photometric="rgb")
    out = tmp_path / "slide.ome.zarr"
    code, _, stderr = invoke("create", str(tif), str(out), "--rgb", "--quiet")
    assert code == 0, stderr
    meta = ome(out)
    assert [a["name"] for a in meta["multiscales"][0]["axes"]] == ["c", "y", "x"]
    assert [c["color"] for c in meta["omero"]["channels"]] == ["FF0000", "00FF00", "0000FF"]
    assert meta["multiscales"][0]["name"] == "slide"
    assert level(out)[0].min() == 255
    assert level(out)[1].max() == 0
    assert strict_errors(out) == []


def test_cli_zarr_input_in_any_axes_order(tmp_path: Path) -> None:
    """A Zarr array input is transposed lazily too (it used to be refused unless tczyx)."""
    zarr = pytest.importorskip("zarr")
    data = np.zeros((24, 20, 3), np.uint8)
    data[..., 2] = 90
    store = tmp_path / "slide.zarr"
    zarr.create_array(str(store), shape=data.shape, dtype=data.dtype)[...] = data
    out = tmp_path / "slide.ome.zarr"
    code, _, stderr = invoke("create", str(store), str(out), "--axes", "yxc", "--rgb", "--quiet")
    assert code == 0, stderr
    np.testing.assert_array_equal(level(out), np.moveaxis(data, -1, 0))
    assert [c["label"] for c in ome(out)["omero"]["channels"]] == ["red", "green", "blue"]
    assert strict_errors(out) == []


def test_colour_names_and_hex() -> None:
    assert [parse_color(c) for c in ("red", "GREEN", "#0000ff", "abcdef", " gray ")] == [
        "FF0000",
        "00FF00",
        "0000FF",
        "ABCDEF",
        "FFFFFF",
    ]
    with pytest.raises(ngff.CreationError, match="RRGGBB"):
        parse_color("chartreuse-ish")


PEER_SCRIPT = r"""
import json, sys
import ome_zarr_models
group = ome_zarr_models.open_ome_zarr(sys.argv[1])
ms = group.ome_attributes.multiscales[0]
omero = group.ome_attributes.omero
channels = omero["channels"] if isinstance(omero, dict) else omero.channels
print("RESULT " + json.dumps({
    "class": type(group).__name__,
    "axes": [a.name for a in ms.axes],
    "colors": [c["color"] if isinstance(c, dict) else c.color for c in channels],
}))
"""


@pytest.mark.skipif(not PEER_PYTHON.exists(), reason="the peer venv .venv-peers is missing")
@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_rgb_yxc_opens_in_ome_zarr_models(tmp_path: Path, version: str) -> None:
    data = np.random.default_rng(5).integers(0, 255, size=(64, 48, 3)).astype(np.uint8)
    target = tmp_path / "rgb.ome.zarr"
    ngff.write_image(data, target, axes="yxc", rgb=True, version=version)
    result = subprocess.run(
        [str(PEER_PYTHON), "-c", PEER_SCRIPT, str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (line,) = [ln for ln in result.stdout.splitlines() if ln.startswith("RESULT ")]
    seen = json.loads(line[len("RESULT ") :])
    assert seen == {
        "class": "Image",
        "axes": ["c", "y", "x"],
        "colors": ["FF0000", "00FF00", "0000FF"],
    }


def test_a_request_built_by_hand_with_omero_still_gets_its_channels(tmp_path: Path) -> None:
    """Request(omero=True, channel_names=...) kept working for callers of write_multiscale."""
    from dataclasses import replace

    from ngff.create.write import image_request, write_multiscale
    from ngff_geozarr.core.groups import writing

    data = np.ones((2, 16, 16), np.uint8)
    request = image_request(
        data,
        "",
        axes="cyx",
        scale=None,
        translation=None,
        units=None,
        name="by hand",
        method="mean",
        levels=1,
        chunks=None,
        shards=None,
        version="0.5",
        compression="blosc-zstd",
        omero=False,
        channel_names=None,
    )
    assert request.channels is None
    request = replace(request, omero=True, channel_names=["a", "b"])
    target = tmp_path / "hand.ome.zarr"
    with writing(target, "w-") as store:
        write_multiscale(store, data, request, resume=False, client=None, workers=1, progress=None)
    assert [c["label"] for c in ome(target)["omero"]["channels"]] == ["a", "b"]
    assert ome(target)["omero"]["name"] == "by hand"
