"""``view`` on a target of several images: the catalogue, ``image=PATH``, ``--image``, the report.

A plate lists every field of every well, a collection its series, a labels group its label
images, a GeoZarr store every variable of its layout; each endpoint serves the image it is
asked for, from that image's arrays, through one shared, bounded cache.
"""

from __future__ import annotations

import json
import re
import signal
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import tifffile
import xarray as xr
from tests.core.test_viewer import get, printed_url, run_view

import geozarr
import ngff
from geozarr.viewing import open_images as open_geo_images
from geozarr.viewing import open_scene as open_geo
from ngff.viewing import open_images, open_scene
from ngff_geozarr.core.viewer import TILE, Catalogue, ImageEntry, Renderer, TileError, Viewer
from ngff_geozarr.core.viewer.tiles import encode_tile

WELLS = ("A/1", "A/2", "B/1")
FIELDS = 2
TRANSFORM = (30.0, 0.0, 500000.0, 0.0, -30.0, 5200000.0)


def field_data(well: int, field: int) -> npt.NDArray[np.uint8]:
    """A field that differs from every other: a gradient offset by its well and field."""
    y, x = np.indices((300, 400))
    return ((x + y) % 50 + 60 * well + 25 * field).astype(np.uint8)


@pytest.fixture(scope="module")
def plate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plate") / "plate.ome.zarr"
    wells = {w: [field_data(i, f) for f in range(FIELDS)] for i, w in enumerate(WELLS)}
    ngff.write_plate(path, wells, axes="yx", chunks=(128, 128), levels=2, compression="zstd")
    return path


@pytest.fixture(scope="module")
def variables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two GeoZarr variables on one grid, each with an overview level."""
    path = tmp_path_factory.mktemp("geo") / "two.zarr"
    y, x = np.indices((300, 400), dtype=np.float32)
    ds = xr.Dataset({"a": (("y", "x"), x + y), "b": (("y", "x"), 1000 - x)})
    geozarr.write(ds, path, crs="EPSG:32633", transform=TRANSFORM, chunks=(100, 100), levels=2)
    return path


@pytest.fixture
def served(plate: Path) -> Iterator[Viewer]:
    with Viewer(open_images(str(plate), {})) as viewer:
        viewer.start()
        yield viewer


def grey_tile(plane: npt.NDArray[np.uint8], window: tuple[float, float]) -> bytes:
    from ngff_geozarr.core.colour import composite_rgba

    return encode_tile(composite_rgba([plane], [(255, 255, 255)], [window]))


# -- the catalogues -------------------------------------------------------------------------


def test_a_plate_lists_every_field_of_every_well(plate: Path) -> None:
    catalogue = open_images(str(plate), {})
    try:
        assert catalogue.paths == tuple(f"{w}/{f}" for w in WELLS for f in range(FIELDS))
        assert catalogue.entries[3] == ImageEntry("A/2/1", "A/2, field 1")
        assert catalogue.default == "A/1/0"
        # a report's picture names a level's array: its image is found
        assert catalogue.resolve("B/1/0/1") == "B/1/0"
        assert catalogue.resolve("C/9/0") is None
    finally:
        catalogue.close()
    # open_scene is still the first field of the first well
    assert open_scene(str(plate), {}).path == "A/1/0"


def test_a_well_and_a_labels_group_list_their_images(plate: Path, tmp_path: Path) -> None:
    well = open_images(str(plate / "B" / "1"), {})
    assert [(e.path, e.title) for e in well.entries] == [
        ("0", "0: B1 field 0"),
        ("1", "1: B1 field 1"),
    ]
    image = tmp_path / "cells.ome.zarr"
    ngff.write_image(field_data(0, 0), image, axes="yx", chunks=(128, 128))
    for name in ("nuclei", "cells"):
        ngff.write_labels((field_data(1, 0) > 80).astype(np.uint8), image, name)
    labels = open_images(str(image / "labels"), {})
    assert labels.paths == ("nuclei", "cells")
    assert labels.scene("cells").path == "cells"


def test_a_collection_lists_its_series_by_name(tmp_path: Path) -> None:
    from ngff.create.collection import write_series_collection

    source = tmp_path / "two.ome.tif"
    with tifffile.TiffWriter(source, ome=True) as tif:
        tif.write(field_data(0, 0), metadata={"axes": "YX", "Name": "position 1"})
        tif.write(field_data(1, 1)[:200, :100], metadata={"axes": "YX", "Name": "overview"})
    write_series_collection(source, tmp_path / "all.ome.zarr")
    catalogue = open_images(str(tmp_path / "all.ome.zarr"), {})
    assert [e.title for e in catalogue.entries] == ["0: position 1", "1: overview"]
    assert catalogue.scene("1").levels[0].shape == (200, 100)


def test_geo_variables_are_listed_once_each_with_their_levels(variables: Path) -> None:
    catalogue = open_geo_images(str(variables), {})
    assert catalogue.paths == ("a", "b")  # b has its overview too, beside a's
    assert [lv.path for lv in catalogue.scene("b").levels] == ["b", "1/b"]
    assert catalogue.resolve("1/b") == "b"  # an overview names its variable
    assert open_geo(str(variables), {}).path == "a"


def test_a_catalogue_refuses_no_image_and_repeated_paths() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Catalogue([], lambda p: p)
    with pytest.raises(ValueError, match="one path"):
        Catalogue([ImageEntry("a", "A"), ImageEntry("a", "B")], lambda p: p)


# -- the server -----------------------------------------------------------------------------


def test_each_endpoint_serves_the_image_it_names(served: Viewer) -> None:
    default = json.loads(get(served, "scene.json")[1])
    chosen = json.loads(get(served, "scene.json?image=B/1/1")[1])
    assert default["image"] == "A/1/0"
    assert chosen["image"] == chosen["path"] == "B/1/1"
    assert [i["path"] for i in chosen["images"]] == list(served.catalogue.paths)
    window = tuple(chosen["windows"][0])
    _, png = get(served, "tile/0/1/1?image=B/1/1")
    assert png == grey_tile(field_data(2, 1)[TILE : 2 * TILE, TILE : 2 * TILE], window)
    # the same tile of another field: its own data (the shared cache keys on the image)
    _, other = get(served, "tile/0/1/1?image=A/2/0")
    window = tuple(json.loads(get(served, "scene.json?image=A/2/0")[1])["windows"][0])
    assert other == grey_tile(field_data(1, 0)[TILE : 2 * TILE, TILE : 2 * TILE], window)
    found = json.loads(get(served, "value?x=10.5&y=20.5&image=A/2/1")[1])
    assert found["values"] == [int(field_data(1, 1)[20, 10])]
    # an array's path names its image
    assert json.loads(get(served, "scene.json?image=A/2/1/1")[1])["image"] == "A/2/1"


def test_an_unknown_image_is_404_and_one_line(served: Viewer) -> None:
    for path in ("scene.json?image=C/3/0", "tile/0/0/0?image=nothing"):
        status, body = get(served, path)
        assert status == 404
        assert "there is no image" in json.loads(body)["error"]


def test_images_share_one_bounded_cache(plate: Path) -> None:
    with Viewer(open_images(str(plate), {}), cache_bytes=200_000) as viewer:
        for path in viewer.catalogue.paths:
            renderer = viewer.image(path)
            assert renderer.cache is viewer.cache
            for row, col in [(0, 0), (0, 1), (1, 0), (1, 1)]:
                renderer.tile(0, row, col, {})
        assert 0 < viewer.cache.size <= 200_000
        with pytest.raises(TileError):
            viewer.image("Z/9/9")


def test_the_served_report_shows_links_to_each_image(plate: Path) -> None:
    from ngff.report import build_report

    def report() -> str:
        return build_report(str(plate))[0]

    with Viewer(open_images(str(plate), {}), report=report) as viewer:
        viewer.start()
        assert json.loads(get(viewer, "scene.json")[1])["report"] is True
        status, body = get(viewer, "report")
    page = body.decode()
    assert status == 200
    links = set(re.findall(r'class="view-link" href="\./\?image=([^"]+)"', page))
    assert links
    with Viewer(open_images(str(plate), {})) as viewer:
        # every link opens an image of the plate
        assert {viewer.catalogue.resolve(link.replace("%2F", "/")) for link in links} <= set(
            viewer.catalogue.paths
        )
        viewer.start()
        assert get(viewer, "report")[0] == 404


def test_the_static_report_says_how_to_view_each_image(plate: Path) -> None:
    from ngff.report import build_report

    page, _ = build_report(str(plate))
    assert f"ngff view {plate}" in page
    # the static page links nowhere outside itself; the viewer adds links to its pictures
    assert "view-link" not in page
    figures = re.findall(r'<figure data-image="([^"]+)">', page)
    assert figures
    with Viewer(open_images(str(plate), {})) as viewer:
        assert all(viewer.catalogue.resolve(path) is not None for path in figures)


# -- the command ----------------------------------------------------------------------------


def test_view_image_opens_that_image_first(plate: Path) -> None:
    process = run_view("ngff", str(plate), "--no-browser", "--image", "B/1/1")
    try:
        url = printed_url(process, r"(http://127\.0\.0\.1:\d+/)\?image=B/1/1")
        with urllib.request.urlopen(url.group(1) + "scene.json?image=B/1/1", timeout=30) as r:
            assert json.loads(r.read())["path"] == "B/1/1"
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    assert err == ""


@pytest.mark.parametrize("convention", ["ngff", "geozarr"])
def test_view_image_naming_nothing_is_one_line_and_exit_2(
    plate: Path, variables: Path, convention: str
) -> None:
    target = plate if convention == "ngff" else variables
    process = run_view(convention, str(target), "--no-browser", "--image", "Z/9")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.strip() == f"{convention}: error: {target}: there is no image 'Z/9' to show."
    assert out == ""


def test_a_renderer_of_a_field_reads_that_field(plate: Path) -> None:
    catalogue = open_images(str(plate), {})
    renderer = Renderer(catalogue.scene("A/2/1"))
    window = renderer.windows[0]
    assert renderer.tile(1, 0, 0, {}) == grey_tile(
        np.asarray(ngff.open(plate / "A" / "2" / "1").levels[1].data[:TILE, :TILE]), window
    )
