"""ngff convert: metadata only, chunk bytes never rewritten nor deleted, failures leave the
original readable."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import zarr
from click.testing import CliRunner

import ngff
from ngff.cli import cli
from ngff.convert import convert_attributes, v05_to_v06, v06_to_v05
from ngff_geozarr.core.store import open_store

AXES = [
    {"name": "y", "type": "space", "unit": "micrometer"},
    {"name": "x", "type": "space", "unit": "micrometer"},
]
DATA = np.arange(24 * 20, dtype="<u2").reshape(24, 20)


def build_v04(root: Path) -> Path:
    """A 0.4 (Zarr v2) image with two levels and a label image."""
    ms = [
        {
            "version": "0.4",
            "name": "img",
            "axes": AXES,
            "datasets": [
                {
                    "path": str(i),
                    "coordinateTransformations": [
                        {"type": "scale", "scale": [2.0**i, 2.0**i]},
                        {"type": "translation", "translation": [0.5 * i, 0.5 * i]},
                    ],
                }
                for i in range(2)
            ],
        }
    ]
    with open_store(root, "w-") as store:
        store.create_group("", {"multiscales": ms}, zarr_format=2)
        for i in range(2):
            store.create_array(str(i), DATA[:: 2**i, :: 2**i], chunks=(5, 7), zarr_format=2)
        store.create_group("labels", {"labels": ["seg"]}, zarr_format=2)
        store.create_group(
            "labels/seg",
            {
                "multiscales": ms,
                "image-label": {
                    "version": "0.4",
                    "colors": [{"label-value": 1, "rgba": [0, 255, 0, 255]}],
                },
            },
            zarr_format=2,
        )
        for i in range(2):
            store.create_array(
                f"labels/seg/{i}",
                (DATA[:: 2**i, :: 2**i] % 4).astype("u1"),
                chunks=(5, 7),
                zarr_format=2,
            )
    return root


def chunk_digests(root: Path) -> dict[str, str]:
    names = ("zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata")
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in names
    }


def test_04_to_05_in_place_keeps_every_chunk_byte(tmp_path: Path) -> None:
    store = build_v04(tmp_path / "img.zarr")
    before = chunk_digests(store)
    assert len(before) > 10
    result = ngff.convert(store, "0.5")
    assert chunk_digests(store) == before
    assert result.removed > 0
    assert not list(store.rglob(".zarray"))
    report = ngff.validate(store)
    assert report.valid, report.issues
    assert report.version == "0.5"
    meta = json.loads((store / "0" / "zarr.json").read_text())
    assert meta["chunk_key_encoding"] == {"name": "v2", "configuration": {"separator": "."}}
    assert meta["dimension_names"] == ["y", "x"]
    np.testing.assert_array_equal(zarr.open_array(store / "0", mode="r")[...], DATA)
    np.testing.assert_array_equal(zarr.open_array(store / "1", mode="r")[...], DATA[::2, ::2])


def test_04_to_06_out_copies_chunks_unchanged_and_leaves_source(tmp_path: Path) -> None:
    src = build_v04(tmp_path / "img.zarr")
    before = chunk_digests(src)
    dst = tmp_path / "out.zarr"
    ngff.convert(src, "0.6", out=dst)
    assert chunk_digests(src) == before
    assert (src / ".zgroup").exists()
    assert chunk_digests(dst) == before
    report = ngff.validate(dst)
    assert report.valid, report.issues
    assert report.version == "0.6"
    ct = json.loads((dst / "zarr.json").read_text())["attributes"]["ome"]["multiscales"][0][
        "datasets"
    ][1]["coordinateTransformations"]
    assert ct[0]["type"] == "sequence"
    assert ct[0]["input"] == {"path": "1"}
    np.testing.assert_array_equal(zarr.open_array(dst / "1", mode="r")[...], DATA[::2, ::2])


def test_round_trip_back_to_04_restores_the_attributes(tmp_path: Path) -> None:
    src = build_v04(tmp_path / "img.zarr")
    mid, back = tmp_path / "mid.zarr", tmp_path / "back.zarr"
    ngff.convert(src, "0.5", out=mid)
    ngff.convert(mid, "0.4", out=back)
    assert ngff.validate(back).valid
    for key in (".zattrs", "labels/seg/.zattrs"):
        assert json.loads((back / key).read_text()) == json.loads((src / key).read_text())
    np.testing.assert_array_equal(zarr.open_array(back / "0", mode="r")[...], DATA)


def test_refuses_an_existing_destination_unless_overwrite(tmp_path: Path) -> None:
    src = build_v04(tmp_path / "img.zarr")
    dst = tmp_path / "dst.zarr"
    dst.mkdir()
    (dst / "keep.txt").write_text("mine")
    runner = CliRunner()
    result = runner.invoke(cli, ["convert", str(src), "--to", "0.5", "--out", str(dst)])
    assert result.exit_code == 2
    assert "--overwrite" in result.output
    assert (dst / "keep.txt").read_text() == "mine"
    result = runner.invoke(
        cli, ["convert", str(src), "--to", "0.5", "--out", str(dst), "--overwrite"]
    )
    assert result.exit_code == 0, result.output
    assert ngff.validate(dst).valid


def test_refuses_a_destination_inside_the_source(tmp_path: Path) -> None:
    src = build_v04(tmp_path / "img.zarr")
    with pytest.raises(ngff.ConversionError, match="inside the source"):
        ngff.convert(src, "0.5", out=src / "sub")


def test_in_place_failure_half_way_leaves_the_original_readable(tmp_path: Path) -> None:
    store = build_v04(tmp_path / "img.zarr")
    before = chunk_digests(store)
    # a real write failure: a directory where labels/seg/0/zarr.json must be written
    (store / "labels" / "seg" / "0" / "zarr.json").mkdir()
    with pytest.raises(ngff.ConversionError, match="no old document was removed"):
        ngff.convert(store, "0.5")
    assert not (store / "zarr.json").exists()
    report = ngff.validate(store)
    assert report.valid, report.issues
    assert report.version == "0.4"
    after = {k: v for k, v in chunk_digests(store).items() if not k.endswith("zarr.json")}
    assert after == before


def test_in_place_05_to_04_refuses_default_chunk_keys(tmp_path: Path) -> None:
    with open_store(tmp_path / "v5.zarr", "w-") as store:
        store.create_group(
            "",
            {
                "ome": {
                    "version": "0.5",
                    "multiscales": [
                        {
                            "axes": AXES,
                            "datasets": [
                                {
                                    "path": "0",
                                    "coordinateTransformations": [
                                        {"type": "scale", "scale": [1.0, 1.0]}
                                    ],
                                }
                            ],
                        }
                    ],
                }
            },
        )
        store.create_array("0", DATA)
    before = chunk_digests(tmp_path / "v5.zarr")
    with pytest.raises(ngff.ConversionError, match="Use --out"):
        ngff.convert(tmp_path / "v5.zarr", "0.4")
    assert chunk_digests(tmp_path / "v5.zarr") == before


def test_06_to_05_refuses_what_05_cannot_say() -> None:
    attrs = {
        "ome": {
            "version": "0.6",
            "multiscales": [
                {
                    "coordinateSystems": [{"name": "a", "axes": AXES}, {"name": "b", "axes": AXES}],
                    "datasets": [
                        {
                            "path": "0",
                            "coordinateTransformations": [
                                {
                                    "type": "scale",
                                    "scale": [1, 1],
                                    "input": {"path": "0"},
                                    "output": {"name": "b"},
                                }
                            ],
                        }
                    ],
                    "coordinateTransformations": [
                        {"type": "identity", "input": {"name": "b"}, "output": {"name": "a"}}
                    ],
                }
            ],
        }
    }
    with pytest.raises(ngff.ConversionError, match="coordinate systems"):
        v06_to_v05(attrs)


def test_05_06_round_trip_is_the_identity() -> None:
    attrs = {
        "ome": {
            "version": "0.5",
            "multiscales": [
                {
                    "name": "m",
                    "axes": AXES,
                    "datasets": [
                        {
                            "path": "0",
                            "coordinateTransformations": [
                                {"type": "scale", "scale": [0.5, 0.5]},
                                {"type": "translation", "translation": [1.0, 2.0]},
                            ],
                        }
                    ],
                }
            ],
        }
    }
    assert v06_to_v05(v05_to_v06(attrs)) == attrs
    assert convert_attributes(convert_attributes(attrs, "0.5", "0.4"), "0.4", "0.5") == attrs


def test_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    src = build_v04(tmp_path / "img.zarr")
    result = runner.invoke(cli, ["convert", str(src), "--to", "0.5"])
    assert result.exit_code != 0
    result = runner.invoke(cli, ["convert", str(src), "--to", "0.4", "--in-place"])
    assert result.exit_code == 2
    assert "already" in result.output


def _documents(root: Path) -> dict[str, object]:
    """Every node document; consolidated metadata (a copy of the others) left out."""
    names = (".zarray", ".zattrs", ".zgroup", "zarr.json")
    documents = {
        p.relative_to(root).as_posix(): json.loads(p.read_text())
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name in names
    }
    for document in documents.values():
        document.pop("consolidated_metadata", None)
    return documents


@pytest.mark.parametrize("middle", ["0.5", "0.6"])
def test_04_round_trip_is_equal_in_metadata_and_chunks(tmp_path: Path, middle: str) -> None:
    # what the 0.4 writer produces: fill_value null, no _ARRAY_DIMENSIONS, a zero translation
    src = build_v04(tmp_path / "img.zarr")
    ngff.write_image(DATA, tmp_path / "w.zarr", version="0.4", levels=2, chunks=(8, 8))
    for source in (src, tmp_path / "w.zarr"):
        zarray = json.loads((source / "0" / ".zarray").read_text())
        assert zarray["fill_value"] is None
        assert "_ARRAY_DIMENSIONS" not in json.loads((source / "0" / ".zattrs").read_text())
        mid, back = tmp_path / f"{source.name}.mid", tmp_path / f"{source.name}.back"
        ngff.convert(source, middle, out=mid)
        assert json.loads((mid / "0" / "zarr.json").read_text())["fill_value"] == 0
        ngff.convert(mid, "0.4", out=back)
        assert _documents(back) == _documents(source)
        assert chunk_digests(back) == chunk_digests(source)


def test_05_round_trip_through_04_keeps_fill_values_and_dimension_names(tmp_path: Path) -> None:
    src = tmp_path / "v5.zarr"
    ngff.write_image(DATA, src, version="0.5", levels=1, chunks=(8, 8))
    with open_store(src, "r+") as store:  # an array outside any image, own dimension names
        store.create_array("extra", DATA.astype("f4"), fill_value=7.5, dimension_names=("a", "b"))
    mid, back = tmp_path / "v4.zarr", tmp_path / "back.zarr"
    ngff.convert(src, "0.4", out=mid)
    assert json.loads((mid / "0" / ".zarray").read_text())["fill_value"] is None
    assert "_ARRAY_DIMENSIONS" not in json.loads((mid / "0" / ".zattrs").read_text())
    assert json.loads((mid / "extra" / ".zarray").read_text())["fill_value"] == 7.5
    assert json.loads((mid / "extra" / ".zattrs").read_text())["_ARRAY_DIMENSIONS"] == ["a", "b"]
    ngff.convert(mid, "0.5", out=back)
    # converted stores are consolidated, as every store the writers make
    assert (mid / ".zmetadata").is_file()
    assert json.loads((back / "zarr.json").read_text())["consolidated_metadata"]["metadata"]
    before, after = _documents(src), _documents(back)
    for key in ("0/zarr.json", "extra/zarr.json"):
        old, new = before[key], after[key]
        assert isinstance(old, dict)
        assert isinstance(new, dict)
        # what differs: chunk keys of the v2 encoding, as Zarr v2 names them (renamed once,
        # kept since), and an empty storage_transformers list (the default) not repeated
        assert new.pop("chunk_key_encoding")["name"] == "v2"
        del old["chunk_key_encoding"]
        assert old.pop("storage_transformers", []) == []
    assert after == before
    np.testing.assert_array_equal(zarr.open_array(back / "extra", mode="r")[...], DATA)
