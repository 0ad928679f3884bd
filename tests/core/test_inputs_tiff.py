"""Microscopy TIFFs as they come: OME-TIFF series, ImageJ hyperstacks, RGB, pyramids, tiles.

Every file is written here with tifffile; nothing is downloaded.
"""

from __future__ import annotations

import gc
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner
from tests.conftest import write_imagej_hyperstack

from ngff.cli import cli as ngff_cli
from ngff.create.sources import source_in_ome_order
from ngff_geozarr.core.inputs import (
    SUPPORTED_FORMATS,
    InputError,
    LazyArray,
    list_series,
    open_input,
    supported_formats_text,
    tiff_calibration,
)
from ngff_geozarr.core.inputs.metadata import ome_color, ome_image
from ngff_geozarr.core.store import open_store

RNG = np.random.default_rng(12)


def _two_series(path: Path) -> tuple[np.ndarray, np.ndarray]:
    first = RNG.integers(0, 4000, (2, 8, 10), dtype=np.uint16)
    second = RNG.integers(0, 255, (3, 4, 6, 5), dtype=np.uint8)
    with tifffile.TiffWriter(path, ome=True) as tif:
        tif.write(
            first,
            metadata={
                "axes": "CYX",
                "Name": "first",
                "PhysicalSizeX": 0.5,
                "PhysicalSizeY": 0.5,
                # OME Color: signed 32-bit RGBA; -16776961 is 0xFF0000FF (opaque red)
                "Channel": {"Name": ["DAPI", "GFP"], "Color": [-16776961, 16711935]},
            },
        )
        tif.write(
            second,
            metadata={
                "axes": "ZCYX",
                "Name": "second",
                "PhysicalSizeX": 0.25,
                "PhysicalSizeY": 0.25,
                "PhysicalSizeZ": 2.0,
                "Channel": {"Name": ["a", "b", "c", "d"], "Color": [65535, None, -1, 255]},
            },
        )
    return first, second


def test_ome_tiff_with_two_series(tmp_path: Path) -> None:
    path = tmp_path / "two.ome.tif"
    first, second = _two_series(path)
    listed = list_series(path)
    assert [(s.index, s.shape, s.axes, s.name, s.dtype, s.levels) for s in listed] == [
        (0, (2, 8, 10), "CYX", "first", "uint16", 1),
        (1, (3, 4, 6, 5), "ZCYX", "second", "uint8", 1),
    ]
    source = open_input(path)  # the first series, and says there are more
    assert (source.format, source.series, source.series_count) == ("ome-tiff", 0, 2)
    assert (source.name, source.channel_names) == ("first", ("DAPI", "GFP"))
    assert source.channel_colors == ("FF0000", "00FF00")
    assert source.channel_windows == ()  # OME-XML has no standard display window
    assert source.calibration.scale == {"x": 0.5, "y": 0.5}
    np.testing.assert_array_equal(np.asarray(source.data), first)

    other = open_input(path, series=1)
    assert (other.series, other.series_count, other.axes) == (1, 2, "ZCYX")
    assert (other.name, other.channel_names) == ("second", ("a", "b", "c", "d"))
    # 65535 is 0x0000FFFF (opaque blue), 255 opaque black; -1 is white, and so is the
    # unreadable "None" tifffile writes for a missing colour (the schema's default is -1)
    assert other.channel_colors == ("0000FF", "FFFFFF", "FFFFFF", "000000")
    assert other.calibration.scale == {"x": 0.25, "y": 0.25, "z": 2.0}
    assert tiff_calibration(path, series=1) == other.calibration
    np.testing.assert_array_equal(np.asarray(other.data), second)

    with pytest.raises(InputError, match=r"no series 2; the file has 2"):
        open_input(path, series=2)


OME_XML = """<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">
<Image ID="Image:0" Name="skipped"/>
<Image ID="Image:1" Name="cells"><Pixels ID="Pixels:1" PhysicalSizeX="0.2"
  PhysicalSizeXUnit="nm"><Channel ID="Channel:1:0" Name="DAPI"/>
  <Channel ID="Channel:1:1" Name="GFP" Color="16711935"/></Pixels></Image>
</OME>"""


def test_ome_xml_image_by_name_and_colour_defaults() -> None:
    # the series named "cells" is the second Image (the first has no pixels in the file)
    image = ome_image(OME_XML, series=0, name="cells")
    assert (image.name, image.channel_names) == ("cells", ("DAPI", "GFP"))
    assert image.channel_colors == ("FFFFFF", "00FF00")  # absent Color: -1, white
    assert (image.calibration.scale, image.calibration.units) == ({"x": 0.2}, {"x": "nanometer"})
    assert ome_image(OME_XML, series=1) == image
    assert ome_image(OME_XML, series=5).name is None
    assert ome_image("<not xml").channel_names == ()
    assert [ome_color(v) for v in ("-1", "-16776961", "2147483647", "2147483648", "red")] == [
        "FFFFFF",
        "FF0000",
        "7FFFFF",
        None,
        None,
    ]


def test_series_applies_to_tiff_only(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.zeros((2, 2), "uint8"))
    with pytest.raises(InputError, match="series= applies to TIFF files"):
        open_input(tmp_path / "a.npy", series=0)
    tifffile.imwrite(tmp_path / "a.tif", np.zeros((2, 2), "uint8"))
    with pytest.raises(InputError, match="0 or more"):
        open_input(tmp_path / "a.tif", series=-1)
    with pytest.raises(InputError, match="Could not read the TIFF file"):
        list_series(tmp_path / "a.npy")


def test_imagej_hyperstack_has_luts_ranges_and_sizes(tmp_path: Path) -> None:
    data = RNG.integers(0, 1000, (2, 3, 2, 16, 20), dtype=np.uint16)
    path = tmp_path / "stack.tif"
    write_imagej_hyperstack(path, data)
    source = open_input(path)
    assert (source.format, source.axes, source.shape) == ("tiff", "TZCYX", data.shape)
    assert source.channel_colors == ("FF00FF", "00FF00")  # each LUT's top colour
    assert source.channel_windows == ((10.0, 200.0), (0.0, 1000.0))
    assert source.calibration.scale == {"x": 0.5, "y": 0.5, "z": 2.0, "t": 3.0}
    assert (source.channel_names, source.name, source.rgb) == ((), None, False)
    assert (source.series_count, source.levels) == (1, ())
    assert isinstance(source.data, np.memmap)  # uncompressed, contiguous
    ordered, names = source_in_ome_order(source)
    assert names == ["t", "c", "z", "y", "x"]
    np.testing.assert_array_equal(ordered, data.transpose(0, 2, 1, 3, 4))


def test_imagej_single_channel_min_max_is_its_window(tmp_path: Path) -> None:
    tifffile.imwrite(
        tmp_path / "one.tif", np.zeros((6, 8), "uint8"), imagej=True, metadata={"min": 3, "max": 99}
    )
    source = open_input(tmp_path / "one.tif")
    assert source.channel_windows == ((3.0, 99.0),)
    assert source.channel_colors == ()


@pytest.mark.parametrize(
    ("planar", "samples", "axes"),
    [("contig", 3, "YXS"), ("separate", 3, "SYX"), ("contig", 4, "YXS")],
)
def test_rgb_photometric_is_red_green_blue(
    tmp_path: Path, planar: str, samples: int, axes: str
) -> None:
    plane = RNG.integers(0, 255, (samples, 24, 32), dtype=np.uint8)
    data = plane if planar == "separate" else np.moveaxis(plane, 0, -1)
    extra = {"extrasamples": ["unassalpha"]} if samples == 4 else {}
    tifffile.imwrite(tmp_path / "rgb.tif", data, photometric="rgb", planarconfig=planar, **extra)
    source = open_input(tmp_path / "rgb.tif")
    assert (source.axes, source.rgb) == (axes, True)
    assert source.channel_colors == ("FF0000", "00FF00", "0000FF", "FFFFFF")[:samples]
    ordered, names = source_in_ome_order(source)
    assert names == ["c", "y", "x"]
    np.testing.assert_array_equal(ordered, plane)


def test_three_grey_samples_are_not_rgb(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "grey.tif", np.zeros((3, 8, 8), "uint8"), photometric="minisblack")
    source = open_input(tmp_path / "grey.tif")
    assert (source.rgb, source.channel_colors) == (False, ())


def _pyramid(path: Path, base: np.ndarray, tiled: bool) -> list[np.ndarray]:
    levels = [base, base[..., ::2, ::2], base[..., ::4, ::4]]
    options = {"tile": (32, 32), "compression": "zlib"} if tiled else {}
    with tifffile.TiffWriter(path, ome=True) as tif:
        tif.write(levels[0], subifds=2, metadata={"axes": "CYX"}, **options)
        for level in levels[1:]:
            tif.write(level, subfiletype=1, **options)
    return levels


@pytest.mark.parametrize("tiled", [False, True])
def test_pyramidal_tiff_exposes_its_levels(tmp_path: Path, tiled: bool) -> None:
    base = RNG.integers(0, 60000, (2, 96, 128), dtype=np.uint16)
    levels = _pyramid(tmp_path / "pyr.ome.tif", base, tiled)
    assert list_series(tmp_path / "pyr.ome.tif")[0].levels == 3
    source = open_input(tmp_path / "pyr.ome.tif")
    assert (source.shape, source.axes, len(source.levels)) == (base.shape, "CYX", 2)
    kind = LazyArray if tiled else np.memmap
    assert all(isinstance(a, kind) for a in (source.data, *source.levels))
    for found, expected in zip((source.data, *source.levels), levels, strict=True):
        assert found.shape == expected.shape
        np.testing.assert_array_equal(np.asarray(found), expected)


def _tiled(path: Path, shape: tuple[int, int], tile: int) -> np.ndarray:
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    data = ((y // 7 + x // 5) % 251).astype(np.uint8)
    tifffile.imwrite(path, data, tile=(tile, tile), compression="zlib")
    return data


def test_tiled_compressed_tiff_reads_only_the_tiles_asked(tmp_path: Path) -> None:
    path = tmp_path / "tiled.tif"
    data = _tiled(path, (256, 512), 64)
    # ruin the last tile's compressed bytes: a read that decodes every tile fails
    with tifffile.TiffFile(path) as tif:
        offset, count = tif.pages[0].dataoffsets[-1], tif.pages[0].databytecounts[-1]
    with path.open("r+b") as file:
        file.seek(offset)
        file.write(b"\xff" * count)
    source = open_input(path)
    assert isinstance(source.data, LazyArray)
    assert not isinstance(source.data, np.ndarray)
    assert (source.shape, source.dtype) == ((256, 512), np.dtype("uint8"))
    region = source.data[10:70, 100:300]
    assert isinstance(region, LazyArray)  # slicing reads nothing
    np.testing.assert_array_equal(np.asarray(region), data[10:70, 100:300])
    with pytest.raises(zlib.error):
        np.asarray(source.data[192:, 448:])


def test_a_tiled_rgb_tiff_goes_through_ngff_create(tmp_path: Path) -> None:
    plane = RNG.integers(0, 255, (3, 200, 300), dtype=np.uint8)
    tifffile.imwrite(
        tmp_path / "slide.tif",
        np.moveaxis(plane, 0, -1),
        photometric="rgb",
        tile=(64, 64),
        compression="zlib",
    )
    source = open_input(tmp_path / "slide.tif")
    assert isinstance(source.data, LazyArray)
    out = tmp_path / "slide.ome.zarr"
    result = CliRunner().invoke(
        ngff_cli, ["create", str(tmp_path / "slide.tif"), str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    with open_store(out) as handle:
        array = handle.open_array("0")
        written = array.read(tuple(slice(0, n) for n in array.shape))
    np.testing.assert_array_equal(written, plane)


def test_a_lazy_source_outlives_its_opener(tmp_path: Path) -> None:
    data = _tiled(tmp_path / "t.tif", (128, 128), 32)
    view = open_input(tmp_path / "t.tif").data[::-3, 5].T  # the Source itself is gone
    gc.collect()
    np.testing.assert_array_equal(np.asarray(view), data[::-3, 5].T)
    del view
    gc.collect()  # the file closes with its last reader, without a ResourceWarning


@pytest.mark.parametrize("name", ["picture.png", "climate.nc", "cube.h5"])
def test_an_unsupported_file_names_the_supported_formats(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"\x89PNG not really")
    with pytest.raises(InputError, match="not a supported input format") as raised:
        open_input(tmp_path / name)
    message = str(raised.value)
    assert supported_formats_text() in message
    for entry in SUPPORTED_FORMATS:
        assert entry.label in message


def test_a_directory_without_an_array_names_the_supported_formats(tmp_path: Path) -> None:
    with open_store(tmp_path / "g.zarr", "w-") as store:
        store.create_group("")
    with pytest.raises(InputError, match="Zarr array") as raised:
        open_input(tmp_path / "g.zarr")
    assert "TIFF" in str(raised.value)
