"""The viewer's server: scene JSON, tiles read from the right level and only their chunks,
values under a point, the byte-bounded cache, and the ``view`` command's life cycle."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from pyproj import Transformer

import geozarr
import ngff
from geozarr.viewing import open_scene as open_geo
from ngff.viewing import open_scene as open_ome
from ngff_geozarr.core.colour import composite_rgba, parse_colour
from ngff_geozarr.core.testing import serve_directory
from ngff_geozarr.core.thumbnail import labels_rgba
from ngff_geozarr.core.viewer import TILE, ByteCache, Renderer, TileError, Viewer
from ngff_geozarr.core.viewer.tiles import encode_tile

SHAPE = (3, 6, 512, 640)  # c, z, y, x
COLOURS = ("FF0000", "00FF00", "0000FF")


def cells_data() -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint32]]:
    """Three channels that differ, z planes that differ, and labelled squares."""
    c, z, y, x = np.indices(SHAPE, dtype=np.int64)
    image = ((c + 1) * 1000 + z * 100 + (x + 2 * y) % 97).astype(np.uint16)
    labels = np.zeros(SHAPE[1:], dtype=np.uint32)
    for k in range(SHAPE[1]):
        labels[k, 100:200, 300:420] = 7 + k
        labels[k, 400:480, 40:120] = 42
    return image, labels


def write_cells(path: Path) -> Path:
    image, labels = cells_data()
    ngff.write_image(
        image,
        path,
        axes="czyx",
        scale=(1.0, 2.0, 0.5, 0.5),
        units=(None, "micrometer", "micrometer", "micrometer"),
        chunks=(1, 1, 128, 128),
        levels=3,
        omero=True,
        channel_names=["dapi", "actin", "tubulin"],
        compression="zstd",
    )
    ngff.write_labels(labels[np.newaxis], path, "cells")
    return path


@pytest.fixture(scope="module")
def cells(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cells(tmp_path_factory.mktemp("viewer") / "cells.ome.zarr")


@pytest.fixture(scope="module")
def elevation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ngff_geozarr.demo import build_elevation

    return build_elevation(
        tmp_path_factory.mktemp("geo"), shape=(300, 400), chunks=(100, 100), levels="auto"
    )


@pytest.fixture
def served(cells: Path) -> Iterator[Viewer]:
    with Viewer(open_ome(str(cells), {})) as viewer:
        viewer.start()
        yield viewer


def get(viewer: Viewer, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(viewer.url + path, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def omero_windows(path: Path) -> list[tuple[float, float]]:
    with ngff.open(path) as image:
        assert image.omero is not None
        return [
            (c.window.start, c.window.end) for c in image.omero.channels if c.window is not None
        ]


def omero_colours(path: Path) -> list[tuple[int, int, int]]:
    with ngff.open(path) as image:
        assert image.omero is not None
        found = [parse_colour(c.color) for c in image.omero.channels]
    assert all(c is not None for c in found)
    return [c for c in found if c is not None]


def expected_tile(
    plane_stack: npt.NDArray[Any],
    shown: list[int],
    windows: list[tuple[float, float]],
    colours: list[tuple[int, int, int]],
) -> bytes:
    rgba = composite_rgba(
        [plane_stack[i] for i in shown], [colours[i] for i in shown], [windows[i] for i in shown]
    )
    return encode_tile(rgba)


# -- the scene ------------------------------------------------------------------------------


def test_scene_json_describes_levels_axes_channels_and_labels(cells: Path, served: Viewer) -> None:
    status, body = get(served, "scene.json")
    scene = json.loads(body)
    assert status == 200
    assert [lv["shape"] for lv in scene["levels"]] == [
        [3, 6, 512, 640],
        [3, 6, 256, 320],
        [3, 6, 128, 160],
    ]
    assert scene["levels"][1]["scale"] == [1.0, 2.0, 1.0, 1.0]
    assert [(a["name"], a["kind"], a["unit"]) for a in scene["axes"]] == [
        ("c", "channel", ""),
        ("z", "space", "micrometer"),
        ("y", "space", "micrometer"),
        ("x", "space", "micrometer"),
    ]
    assert scene["spatial"] == [2, 3]
    assert scene["channel_axis"] == 0
    assert [c["label"] for c in scene["channels"]] == ["dapi", "actin", "tubulin"]
    stated = ["#{:02x}{:02x}{:02x}".format(*c) for c in omero_colours(cells)]
    assert [c["colour"] for c in scene["channels"]] == stated
    assert [c["window"] for c in scene["channels"]] == [list(w) for w in omero_windows(cells)]
    assert scene["labels"][0]["name"] == "cells"
    assert scene["tile"] == TILE
    assert scene["geo"] is False


def test_page_loads_nothing_from_elsewhere(served: Viewer) -> None:
    status, body = get(served, "")
    page = body.decode()
    assert status == 200
    assert "<canvas" in page
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", page)
    assert "http://" not in page
    assert "https://" not in page


# -- tiles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "row", "col"), [(0, 1, 1), (1, 0, 1), (2, 0, 0)])
def test_a_tile_is_the_composite_of_its_level_region(
    cells: Path, served: Viewer, level: int, row: int, col: int
) -> None:
    with ngff.open(cells) as opened:
        rows, cols = slice(row * TILE, (row + 1) * TILE), slice(col * TILE, (col + 1) * TILE)
        data = np.asarray(opened.levels[level].data[:, 4, rows, cols])
    status, png = get(served, f"tile/{level}/{row}/{col}?z=4&channels=0,1,2")
    assert status == 200
    assert png == expected_tile(data, [0, 1, 2], omero_windows(cells), omero_colours(cells))


def test_the_z_index_and_the_channels_choose_what_is_composed(cells: Path, served: Viewer) -> None:
    image, _ = cells_data()
    windows, colours = omero_windows(cells), omero_colours(cells)
    _, z1 = get(served, "tile/0/1/0?z=1&channels=0,2")
    _, z5 = get(served, "tile/0/1/0?z=5&channels=0,2")
    assert z1 == expected_tile(image[:, 1, TILE : 2 * TILE, 0:TILE], [0, 2], windows, colours)
    assert z5 == expected_tile(image[:, 5, TILE : 2 * TILE, 0:TILE], [0, 2], windows, colours)
    assert z1 != z5


def test_windows_given_by_the_page_replace_the_stated_ones(cells: Path, served: Viewer) -> None:
    image, _ = cells_data()
    windows = [(1000.0, 1100.0), (2000.0, 2400.0), (3000.0, 3050.0)]
    query = ",".join(f"{a:g}:{b:g}" for a, b in windows)
    _, png = get(served, f"tile/0/1/0?z=1&channels=0,1,2&windows={query}")
    tile = image[:, 1, TILE : 2 * TILE, 0:TILE]
    assert png == expected_tile(tile, [0, 1, 2], windows, omero_colours(cells))
    assert png != get(served, "tile/0/1/0?z=1&channels=0,1,2")[1]


def test_an_edge_tile_is_cut_to_the_image(served: Viewer) -> None:
    # level 0 is 640 wide: the third tile column holds 128 columns
    _, png = get(served, "tile/0/0/2?z=0")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (640 - 2 * TILE, TILE)


def test_a_tile_reads_only_the_chunks_under_it(cells: Path) -> None:
    with serve_directory(cells.parent) as (url, log):
        scene = open_ome(f"{url}/{cells.name}", {})
        renderer = Renderer(scene)
        log.entries.clear()
        renderer.tile(0, 1, 2, {"z": 3}, [1])
        chunks = sorted(p for _, p, _ in log.entries if "/c/" in p)
    # tile rows 256..511, columns 512..639 of level 0: chunk rows 2-3, chunk column 4
    assert chunks == sorted(f"/cells.ome.zarr/0/c/1/3/{r}/4" for r in (2, 3))


def test_label_tiles_colour_ids_and_leave_zero_transparent(cells: Path, served: Viewer) -> None:
    _, labels = cells_data()
    _, png = get(served, "labels/cells/0/0/1?z=2")
    assert png == encode_tile(labels_rgba(labels[2, 0:TILE, TILE : 2 * TILE], alpha=255))


@pytest.mark.parametrize(
    "path",
    [
        "tile/3/0/0",
        "tile/0/2/0",
        "tile/0/0/0?z=6",
        "tile/0/0/0?channels=3",
        "tile/0/0/0?windows=0:1,0:1",
        "tile/0/0/0?windows=0:1,0:1,5:2",
        "tile/0/0/0?windows=0-1,0:1,0:1",
        "tile/0/a/0",
        "labels/nuclei/0/0/0",
        "value?x=700&y=1",
        "value?x=one&y=1",
        "nothing/here",
    ],
)
def test_requests_naming_nothing_get_404_and_one_line(served: Viewer, path: str) -> None:
    status, body = get(served, path)
    message = json.loads(body)["error"]
    assert status == 404
    assert message
    assert "\n" not in message
    assert get(served, "tile/0/0/0")[0] == 200  # the server keeps serving


def test_the_request_log_records_every_path(served: Viewer) -> None:
    get(served, "tile/1/0/0?z=2")
    assert "/tile/1/0/0?z=2" in served.requests


# -- values under a point -----------------------------------------------------------------


def test_value_reads_every_channel_the_labels_and_the_physical_position(served: Viewer) -> None:
    image, labels = cells_data()
    status, body = get(served, "value?x=310.7&y=150.2&z=3")
    found = json.loads(body)
    assert status == 200
    assert found["values"] == [int(v) for v in image[:, 3, 150, 310]]
    assert found["labels"] == {"cells": int(labels[3, 150, 310])} == {"cells": 10}
    assert found["position"] == [
        {"axis": "z", "value": 6.0, "unit": "micrometer"},
        {"axis": "y", "value": 75.0, "unit": "micrometer"},
        {"axis": "x", "value": 155.0, "unit": "micrometer"},
    ]


def test_a_geo_point_has_its_value_map_coordinates_and_lon_lat(elevation: Path) -> None:
    import zarr

    scene = open_geo(str(elevation), {})
    with Viewer(scene) as viewer:
        viewer.start()
        _, body = get(viewer, "value?x=123.5&y=45.5")
        described = json.loads(get(viewer, "scene.json")[1])
    found = json.loads(body)
    data = zarr.open_group(str(elevation), mode="r")["elevation"][45, 123]
    assert found["values"] == [pytest.approx(float(data))]
    assert described["geo"] is True
    assert "32632" in described["crs"]
    assert described["transform"] == [30.0, 0.0, 500000.0, 0.0, -30.0, 5200020.0]
    x, y = found["map"]["x"], found["map"]["y"]
    # the demo raster's grid: origin (500000, 5200020), 30 m pixels, north up
    assert (x, y) == (500000 + 30 * 123.5, 5200020 - 30 * 45.5)
    lon, lat = Transformer.from_crs(32632, 4326, always_xy=True).transform(x, y)
    assert found["map"]["lon"] == pytest.approx(lon)
    assert found["map"]["lat"] == pytest.approx(lat)


def test_geo_tiles_are_drawn_through_a_colour_map_with_nodata_transparent(
    elevation: Path,
) -> None:
    renderer = Renderer(open_geo(str(elevation), {}))
    png = renderer.tile(0, 0, 0, {})
    assert png[:4] == b"\x89PNG"
    assert renderer.scene.colormap
    assert renderer.scene.nodata is not None


# -- the cache ------------------------------------------------------------------------------


def test_the_cache_stays_under_its_bound_dropping_the_least_recently_used() -> None:
    cache = ByteCache(100)
    for i in range(5):
        cache.put(i, bytes(30))
    assert cache.size == 90
    assert cache.get(0) is None
    assert cache.get(1) is None
    cache.get(2)
    cache.put("new", bytes(30))
    assert cache.get(3) is None
    assert cache.get(2) is not None
    assert cache.size <= 100
    cache.put("huge", bytes(101))
    assert cache.get("huge") is None


def test_rendered_tiles_are_served_from_the_cache(cells: Path) -> None:
    renderer = Renderer(open_ome(str(cells), {}), cache_bytes=10 * 2**20)
    first = renderer.tile(1, 0, 0, {"z": 1})
    hits = renderer.cache.hits
    assert renderer.tile(1, 0, 0, {"z": 1}) == first
    assert renderer.cache.hits == hits + 1
    with pytest.raises(TileError):
        renderer.tile(1, 9, 9, {"z": 1})


# -- the command ----------------------------------------------------------------------------


def run_view(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ngff_geozarr.view", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def printed_url(process: subprocess.Popen[str], pattern: str = r"http://127\.0\.0\.1:\d+/") -> Any:
    """Read the line ``view`` prints first and return the match of ``pattern`` in it."""
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(pattern, line)
    assert found, line
    return found


def test_view_prints_its_url_serves_and_stops_on_sigterm_without_traceback(cells: Path) -> None:
    process = run_view("ngff", str(cells), "--no-browser")
    try:
        url = printed_url(process)
        with urllib.request.urlopen(url.group(0) + "scene.json", timeout=30) as response:
            assert json.loads(response.read())["levels"][0]["shape"] == list(SHAPE)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in err
    assert err == ""
    assert out.strip() == "stopped"


def test_sigterm_during_a_burst_of_requests_still_stops_the_viewer(cells: Path) -> None:
    """A SIGTERM that lands while the serving loop hands a request to its thread ends the
    process like any other: the loop must not take it for a failed request and serve on."""
    for _ in range(3):
        process = run_view("ngff", str(cells), "--no-browser")
        try:
            base = printed_url(process).group(0)
            stop = threading.Event()

            def hammer(base: str = base, stop: threading.Event = stop) -> None:
                while not stop.is_set():
                    try:
                        with urllib.request.urlopen(base + "scene.json", timeout=5) as response:
                            response.read()
                    except (OSError, http.client.HTTPException):
                        return

            threads = [threading.Thread(target=hammer) for _ in range(4)]
            for thread in threads:
                thread.start()
            time.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            try:
                out, err = process.communicate(timeout=30)
            finally:
                stop.set()
                for thread in threads:
                    thread.join()
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        assert process.returncode == 0, err
        assert err == "", err
        assert out.strip() == "stopped"


@pytest.mark.parametrize(
    ("convention", "target"),
    [("ngff", "missing.zarr"), ("geozarr", "missing.zarr"), ("ngff", "elevation")],
)
def test_view_of_an_invalid_target_is_one_stderr_line_and_exit_2(
    elevation: Path, convention: str, target: str
) -> None:
    path = str(elevation) if target == "elevation" else str(elevation.parent / target)
    process = run_view(convention, path, "--no-browser")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{convention}: error: ")
    assert out == ""


def test_view_on_a_port_in_use_is_one_line_and_exit_2(elevation: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = run_view("geozarr", str(elevation), "--no-browser", "--port", str(port))
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert (
        err.strip() == f"geozarr: error: cannot listen on 127.0.0.1:{port}: Address already in use."
    )


def test_a_raster_stored_south_up_is_shown_north_up(tmp_path: Path) -> None:
    rows = np.linspace(0.0, 1.0, 300, dtype=np.float32)[:, np.newaxis]
    north_first = np.repeat(rows, 200, axis=1) + np.arange(200, dtype=np.float32) / 1000
    common = {"crs": "EPSG:32632", "dims": ("y", "x"), "chunks": (100, 100), "name": "v"}
    geozarr.write(
        north_first,
        tmp_path / "north.zarr",
        transform=(30.0, 0.0, 500000.0, 0.0, -30.0, 5200000.0),
        **common,
    )
    geozarr.write(
        north_first[::-1],
        tmp_path / "south.zarr",
        transform=(30.0, 0.0, 500000.0, 0.0, 30.0, 5200000.0 - 300 * 30.0),
        **common,
    )
    north = Renderer(open_geo(str(tmp_path / "north.zarr"), {}))
    south = Renderer(open_geo(str(tmp_path / "south.zarr"), {}))
    assert south.scene.flip_rows
    assert not north.scene.flip_rows
    assert south.windows == north.windows
    for row, col in [(0, 0), (1, 0)]:
        assert south.tile(0, row, col, {}) == north.tile(0, row, col, {})
    # the same place under the cursor: value and map coordinates agree
    assert south.value(12.5, 7.5, {}) == north.value(12.5, 7.5, {}) | {
        "position": south.value(12.5, 7.5, {})["position"]
    }
    assert south.value(12.5, 7.5, {})["map"] == north.value(12.5, 7.5, {})["map"]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_view_stops_on_ctrl_c_and_sigterm(elevation: Path, stop: signal.Signals) -> None:
    process = run_view("geozarr", str(elevation), "--no-browser")
    assert process.stdout is not None
    assert "http://127.0.0.1:" in process.stdout.readline()
    process.send_signal(stop)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert err == ""
    assert out.strip() == "stopped"


def test_a_byte_rgb_raster_is_composed_in_red_green_and_blue(tmp_path: Path) -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (3, 200, 300), dtype=np.uint8)
    geozarr.write(
        rgb,
        tmp_path / "rgb.zarr",
        crs="EPSG:4326",
        transform=(0.01, 0.0, 10.0, 0.0, -0.01, 50.0),
        dims=("band", "y", "x"),
        name="rgb",
        chunks=(1, 100, 100),
    )
    renderer = Renderer(open_geo(str(tmp_path / "rgb.zarr"), {}))
    primaries = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    expected = composite_rgba(list(rgb[:, :200, :256]), primaries, [(0.0, 255.0)] * 3)
    assert renderer.tile(0, 0, 0, {}) == encode_tile(expected)
    found = renderer.value(5.5, 7.5, {})
    assert found["values"] == [int(v) for v in rgb[:, 7, 5]]
    assert found["map"]["lon"] == pytest.approx(10.055)
    assert found["map"]["lat"] == pytest.approx(49.925)


def test_a_time_axis_gets_a_slider_index(tmp_path: Path) -> None:
    series = np.random.default_rng(1).random((4, 200, 300)).astype(np.float32)
    geozarr.write(
        series,
        tmp_path / "t.zarr",
        crs="EPSG:32632",
        transform=(30.0, 0.0, 500000.0, 0.0, -30.0, 5200000.0),
        dims=("time", "y", "x"),
        name="v",
        chunks=(1, 100, 100),
    )
    with Viewer(open_geo(str(tmp_path / "t.zarr"), {})) as viewer:
        viewer.start()
        scene = json.loads(get(viewer, "scene.json")[1])
        assert scene["axes"][0] == {"name": "time", "kind": "time", "unit": ""}
        assert get(viewer, "tile/0/0/0?time=1")[1] != get(viewer, "tile/0/0/0?time=2")[1]
        found = json.loads(get(viewer, "value?x=5.5&y=5.5&time=3")[1])
        assert found["values"] == [pytest.approx(float(series[3, 5, 5]))]
        assert get(viewer, "tile/0/0/0?time=4")[0] == 404


def test_an_s3_store_is_viewed_like_a_local_one(
    cells: Path, s3_upload: Callable[..., str], s3_options: dict[str, Any]
) -> None:
    url = s3_upload(cells, "viewer-cells")
    local = Renderer(open_ome(str(cells), {}))
    remote = Renderer(open_ome(url, s3_options))
    assert remote.windows == local.windows
    assert remote.tile(1, 0, 1, {"z": 2}) == local.tile(1, 0, 1, {"z": 2})
    assert remote.label_tile("cells", 0, 0, 1, {"z": 2}) == local.label_tile(
        "cells", 0, 0, 1, {"z": 2}
    )
    assert remote.value(350.5, 150.5, {"z": 2}) == local.value(350.5, 150.5, {"z": 2})


@pytest.mark.parametrize("version", ["0.4", "0.6"])
def test_other_versions_render_the_same_tiles(cells: Path, tmp_path: Path, version: str) -> None:
    image, _ = cells_data()
    other = tmp_path / f"cells-{version}.ome.zarr"
    ngff.write_image(
        image,
        other,
        axes="czyx",
        scale=(1.0, 2.0, 0.5, 0.5),
        units=(None, "micrometer", "micrometer", "micrometer"),
        chunks=(1, 1, 128, 128),
        levels=3,
        omero=True,
        channel_names=["dapi", "actin", "tubulin"],
        compression="zstd",
        version=version,
    )
    reference = Renderer(open_ome(str(cells), {}))
    renderer = Renderer(open_ome(str(other), {}))
    assert renderer.windows == reference.windows
    for level, row, col in [(0, 1, 2), (2, 0, 0)]:
        assert renderer.tile(level, row, col, {"z": 5}) == reference.tile(level, row, col, {"z": 5})


@pytest.mark.parametrize("command", ["ngff", "geozarr"])
def test_both_clis_have_the_view_command(command: str, tmp_path: Path) -> None:
    """``ngff view`` and ``geozarr view``: an unreadable target is one stderr line, exit 2."""
    import subprocess
    import sys

    script = Path(sys.executable).parent / command
    done = subprocess.run(
        [str(script), "view", str(tmp_path / "missing.zarr"), "--no-browser"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(f"{command}: error:")
