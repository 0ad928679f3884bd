"""What the OME-Zarr report and ``ngff info`` show of an image: channels, RGB, metadata."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from ngff.report import build_report
from ngff_geozarr.core.store import open_store

BIN = Path(sys.executable).parent


def pictures(page: str) -> list[npt.NDArray[np.uint8]]:
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(d)))) for d in found]


def two_spots(shape: tuple[int, int] = (120, 160)) -> npt.NDArray[np.uint16]:
    """Channel 0 bright on the left third, channel 1 on the right third, dark between."""
    data = np.zeros((2, *shape), dtype=np.uint16)
    third = shape[1] // 3
    data[0, :, :third] = 1000
    data[1, :, -third:] = 1000
    return data


def write_ome(
    root: Path,
    data: npt.NDArray[Any],
    axes: list[dict[str, str]],
    *,
    omero: dict[str, Any] | None = None,
    scale: list[float] | None = None,
    name: str = "cells",
) -> Path:
    """A one-level OME-Zarr 0.5 image written by hand, so that the test states its metadata."""
    scale = scale or [1.0] * data.ndim
    ms = {
        "name": name,
        "axes": axes,
        "datasets": [
            {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": scale}]}
        ],
    }
    ome: dict[str, Any] = {"version": "0.5", "multiscales": [ms]}
    if omero is not None:
        ome["omero"] = omero
    names = [a["name"] for a in axes]
    with open_store(root, "w-") as store:
        store.create_group("", {"ome": ome})
        store.create_array("0", data, chunks=data.shape, dimension_names=names)
    return root


CYX = [
    {"name": "c", "type": "channel"},
    {"name": "y", "type": "space", "unit": "micrometer"},
    {"name": "x", "type": "space", "unit": "micrometer"},
]


def _channel(colour: str, label: str, *, active: bool = True) -> dict[str, Any]:
    window = {"start": 0, "end": 1000, "min": 0, "max": 65535}
    return {"label": label, "color": colour, "active": active, "window": window}


def test_two_channels_are_composed_in_their_omero_colours(tmp_path: Path) -> None:
    omero = {"channels": [_channel("00FF00", "GFP"), _channel("FF00FF", "mCherry")]}
    page, report = build_report(write_ome(tmp_path / "a.ome.zarr", two_spots(), CYX, omero=omero))
    assert report.valid, report.issues
    (rgba,) = pictures(page)
    assert rgba[60, 10].tolist() == [0, 255, 0, 255]  # channel 0 only: green
    assert rgba[60, 150].tolist() == [255, 0, 255, 255]  # channel 1 only: magenta
    assert rgba[60, 80].tolist() == [0, 0, 0, 255]  # neither: black


def test_windows_and_inactive_channels_are_respected(tmp_path: Path) -> None:
    half = _channel("00FF00", "GFP")
    half["window"] = {"start": 0, "end": 2000, "min": 0, "max": 65535}
    omero = {"channels": [half, _channel("FF00FF", "mCherry", active=False)]}
    page, _ = build_report(write_ome(tmp_path / "a.ome.zarr", two_spots(), CYX, omero=omero))
    (rgba,) = pictures(page)
    assert rgba[60, 10].tolist() == [0, 128, 0, 255]  # 1000 in a 0-2000 window: half green
    assert rgba[60, 150].tolist() == [0, 0, 0, 255]  # the inactive channel is not drawn


def test_greyscale_model_and_single_channels_stay_grey(tmp_path: Path) -> None:
    omero = {
        "channels": [_channel("00FF00", "GFP"), _channel("FF00FF", "mCherry")],
        "rdefs": {"model": "greyscale"},
    }
    page, _ = build_report(write_ome(tmp_path / "g.ome.zarr", two_spots(), CYX, omero=omero))
    (rgba,) = pictures(page)
    assert rgba[60, 10].tolist() == [255, 255, 255, 255]
    assert rgba[60, 150].tolist() == [0, 0, 0, 255]  # only the first active channel
    ramp = np.tile(np.arange(64, dtype=np.uint16), (32, 1))
    yx = CYX[1:]
    page, _ = build_report(write_ome(tmp_path / "one.ome.zarr", ramp, yx))
    (grey,) = pictures(page)
    assert (grey[..., 0] == grey[..., 1]).all()
    assert (grey[..., 1] == grey[..., 2]).all()
    assert grey[..., 0].min() == 0
    assert grey[..., 0].max() == 255


def test_rgb_without_omero_is_shown_as_colour(tmp_path: Path) -> None:
    rgb = np.zeros((3, 30, 90), dtype=np.uint8)
    rgb[0, :, :30] = 255
    rgb[1, :, 30:60] = 255
    rgb[2, :, 60:] = 128
    page, _ = build_report(write_ome(tmp_path / "rgb.ome.zarr", rgb, CYX))
    (rgba,) = pictures(page)
    assert rgba[15, 10].tolist() == [255, 0, 0, 255]
    assert rgba[15, 40].tolist() == [0, 255, 0, 255]
    # The full 8-bit range, not a stretch: 128 stays mid-blue.
    assert rgba[15, 70].tolist() == [0, 0, 128, 255]


def test_channels_labelled_red_green_blue_are_shown_as_colour(tmp_path: Path) -> None:
    rgb = np.zeros((3, 30, 90), dtype=np.uint16)
    rgb[0, :, :30] = 4000
    rgb[2, :, 60:] = 4000
    omero = {"channels": [{"label": n} for n in ("Red", "Green", "Blue")]}
    page, _ = build_report(write_ome(tmp_path / "rgb16.ome.zarr", rgb, CYX, omero=omero))
    (rgba,) = pictures(page)
    assert rgba[15, 10].tolist() == [255, 0, 0, 255]
    assert rgba[15, 40].tolist() == [0, 0, 0, 255]
    assert rgba[15, 70].tolist() == [0, 0, 255, 255]


def test_default_colours_tell_two_channels_apart(tmp_path: Path) -> None:
    page, _ = build_report(write_ome(tmp_path / "d.ome.zarr", two_spots(), CYX))
    (rgba,) = pictures(page)
    left, right = rgba[60, 10, :3].tolist(), rgba[60, 150, :3].tolist()
    assert left != right
    assert left != [0, 0, 0]
    assert right != [0, 0, 0]


def test_anisotropic_pixels_keep_the_true_aspect_ratio(tmp_path: Path) -> None:
    data = np.zeros((40, 100), dtype=np.uint16)
    root = write_ome(tmp_path / "a.ome.zarr", data, CYX[1:], scale=[2.0, 1.0])
    (rgba,) = pictures(build_report(root)[0])
    # 40 rows of 2 um by 100 columns of 1 um: 80 um by 100 um on the ground.
    assert rgba.shape[:2] == (80, 100)


def test_an_invalid_image_still_gets_its_picture(tmp_path: Path) -> None:
    import ngff

    root = tmp_path / "broken.ome.zarr"
    ngff.write_image(two_spots((128, 128)), root, axes="cyx", levels=2)
    shutil.rmtree(root / "1")
    page, report = build_report(root)
    assert not report.valid
    (rgba,) = pictures(page)
    assert rgba.shape[:2] == (128, 128)
    assert len({tuple(p) for p in rgba[..., :3].reshape(-1, 3)}) > 1


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "ngff"), *args], capture_output=True, text=True, check=False)


def test_info_states_name_axes_units_levels_channels_and_labels(tmp_path: Path) -> None:
    import ngff

    omero = {"channels": [_channel("00FF00", "GFP"), _channel("FF00FF", "mCherry")]}
    root = write_ome(tmp_path / "i.ome.zarr", two_spots(), CYX, omero=omero, scale=[1, 0.5, 0.25])
    ngff.write_labels(np.zeros((1, 120, 160), dtype=np.uint8), root, "nuclei")
    result = _run("info", str(root), "--format", "json")
    assert result.returncode == 0, result.stderr
    (facts,) = [n["facts"] for n in json.loads(result.stdout)["nodes"] if n["path"] == ""]
    assert facts["name"] == "cells"
    assert facts["version"] == "0.5"
    assert facts["axes"][1] == {"name": "y", "type": "space", "unit": "micrometer"}
    assert facts["levels"][0]["pixel_size"] == [1.0, 0.5, 0.25]
    assert facts["levels"][0]["origin"] == [0.0, 0.0, 0.0]
    assert [c["label"] for c in facts["channels"]] == ["GFP", "mCherry"]
    assert [c["color"] for c in facts["channels"]] == ["00FF00", "FF00FF"]
    assert facts["channels"][0]["window"] == [0.0, 1000.0]
    assert facts["labels"] == ["nuclei"]
    text = _run("info", str(root)).stdout
    assert "micrometer" in text
    assert "GFP" in text
    assert "#FF00FF" in text
    assert "y 0.5 micrometer, x 0.25 micrometer" in text
    page, _ = build_report(root)
    assert 'data-table="axes"' in page
    assert 'data-table="channels"' in page
    assert "background:#00FF00" in page  # a swatch of the channel's colour


def test_info_states_the_plate_layout(tmp_path: Path) -> None:
    plate = {
        "version": "0.5",
        "plate": {
            "name": "screen",
            "rows": [{"name": "A"}, {"name": "B"}],
            "columns": [{"name": "1"}, {"name": "2"}, {"name": "3"}],
            "wells": [
                {"path": "A/1", "rowIndex": 0, "columnIndex": 0},
                {"path": "B/3", "rowIndex": 1, "columnIndex": 2},
            ],
            "field_count": 1,
        },
    }
    root = tmp_path / "plate.ome.zarr"
    with open_store(root, "w-") as store:
        store.create_group("", {"ome": plate})
    result = _run("info", str(root), "--format", "json")
    facts = json.loads(result.stdout)["nodes"][0]["facts"]
    assert facts["rows"] == ["A", "B"]
    assert facts["columns"] == ["1", "2", "3"]
    assert facts["wells"] == ["A/1", "B/3"]
    text = _run("info", str(root)).stdout
    assert "2 rows x 3 columns, 2 wells" in text
    layout = [line.split() for line in text.splitlines() if line.strip()[:1] in ("A", "B")]
    assert layout[-2:] == [["A", "●", "·", "·"], ["B", "·", "·", "●"]]


def test_info_json_on_an_unreadable_target_follows_the_validate_contract(
    tmp_path: Path,
) -> None:
    missing = str(tmp_path / "nope.zarr")
    info = _run("info", missing, "--format", "json")
    validate = _run("validate", missing, "--format", "json")
    assert info.returncode == validate.returncode == 2
    assert json.loads(info.stdout) == json.loads(validate.stdout)
    assert json.loads(info.stdout)["issues"][0]["rule"] == "target.unreadable"
    assert info.stderr.count("\n") == 1
    assert info.stderr.startswith("ngff: error: ")
    text = _run("info", missing)
    assert text.returncode == 2
    assert text.stdout == ""
    assert text.stderr.count("\n") == 1


def test_a_level_downsampled_along_x_only_keeps_the_aspect(tmp_path: Path) -> None:
    root = tmp_path / "x-only.ome.zarr"
    datasets = [
        {"path": str(i), "coordinateTransformations": [{"type": "scale", "scale": [1.0, s]}]}
        for i, s in enumerate((1.0, 2.0))
    ]
    ms = {"name": "x", "axes": CYX[1:], "datasets": datasets}
    with open_store(root, "w-") as store:
        store.create_group("", {"ome": {"version": "0.5", "multiscales": [ms]}})
        store.create_array("0", np.zeros((64, 128), dtype=np.uint8), dimension_names=["y", "x"])
        store.create_array("1", np.zeros((64, 64), dtype=np.uint8), dimension_names=["y", "x"])
    page, report = build_report(root)
    assert report.valid, report.issues
    # Both levels cover 64 x 128 um: both pictures are twice as wide as high.
    assert [p.shape[:2] for p in pictures(page)] == [(64, 128), (64, 128)]


def test_a_composite_reads_only_the_chunks_of_the_chosen_level(tmp_path: Path) -> None:
    from ngff_geozarr.core.testing import serve_directory

    shapes = [(3, 4096 // 2**i, 4096 // 2**i) for i in range(5)]
    datasets = [
        {"path": str(i), "coordinateTransformations": [{"type": "scale", "scale": [1, 2**i, 2**i]}]}
        for i in range(5)
    ]
    ms = {"name": "big", "axes": CYX, "datasets": datasets}
    omero = {"channels": [_channel(c, str(c)) for c in ("FF0000", "00FF00", "0000FF")]}
    root = tmp_path / "big.ome.zarr"
    with open_store(root, "w-") as store:
        store.create_group("", {"ome": {"version": "0.5", "multiscales": [ms], "omero": omero}})
        arrays = [
            store.create_empty_array(
                str(i),
                shape=s,
                dtype="uint16",
                chunks=(1, 256, 256),
                dimension_names=("c", "y", "x"),
            )
            for i, s in enumerate(shapes)
        ]
        arrays[4].write((slice(0, 3), slice(0, 256), slice(0, 256)), np.full((3, 256, 256), 500))
    with serve_directory(tmp_path) as (url, log):
        page, report = build_report(f"{url}/big.ome.zarr")
    assert report.readable
    # Level 4 (256 x 256) is the smallest reaching 256 px: its 3 channel chunks are read.
    requested = {path for _, path, _ in log.entries if "/c/" in path}
    assert {p.split("/")[2] for p in requested} == {"4"}
    assert len(requested) == 3
    assert pictures(page)[-1][128, 128].tolist() == [128, 128, 128, 255]
