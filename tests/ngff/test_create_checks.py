"""Every argument of a write is checked before the first byte: a mistake leaves the target
untouched (the byte listing of the whole folder is equal before and after), whether the
target is missing or an existing store asked to be overwritten."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ngff

Case = tuple[Callable[[], np.ndarray], dict[str, Any], str]


def listing(root: Path) -> dict[str, bytes]:
    """Every file and folder under ``root`` (folders as ``b"<dir>"``)."""
    return {
        p.relative_to(root).as_posix(): (b"<dir>" if p.is_dir() else p.read_bytes())
        for p in sorted(root.rglob("*"))
    }


def cyx() -> np.ndarray:
    return np.arange(2 * 32 * 32, dtype=np.uint16).reshape(2, 32, 32)


def mask() -> np.ndarray:
    return cyx() > 500


CASES: dict[str, Case] = {
    "bool data with mean": (mask, {"axes": "cyx", "levels": 2}, "Got bool: use 'mode'"),
    "bool data with sum": (mask, {"axes": "cyx", "levels": 2, "method": "sum"}, "Got bool"),
    "channel names count": (cyx, {"axes": "cyx", "channel_names": ["a"]}, "2 channel names"),
    "empty channel name": (cyx, {"axes": "cyx", "channel_names": ["a", " "]}, "non-empty"),
    "channel colours count": (
        cyx,
        {"axes": "cyx", "channel_colors": ["red", "green", "blue"]},
        "2 channel colors",
    ),
    "channel colour": (cyx, {"axes": "cyx", "channel_colors": ["red", "redd"]}, "RRGGBB"),
    "channel windows count": (cyx, {"axes": "cyx", "channel_windows": [(0, 1)]}, "2 channel"),
    "empty window": (cyx, {"axes": "cyx", "channel_windows": [(0, 1), (5, 5)]}, "start < end"),
    "rgb of 2 channels": (cyx, {"axes": "cyx", "rgb": True}, "3 \\(RGB\\) or 4"),
    "rgb without samples": (lambda: np.zeros((4, 4), np.uint8), {"rgb": True}, "RGB\\(A\\)"),
    "chunks count": (cyx, {"chunks": (8, 8)}, "chunks with 3 values"),
    "chunk side of 0": (cyx, {"chunks": (1, 0, 8)}, "integers of 1 or more"),
    "fractional shard": (cyx, {"chunks": (1, 8, 8), "shards": (1, 16.5, 16)}, "integers of 1"),
    "shards not a multiple": (cyx, {"chunks": (1, 8, 8), "shards": (1, 12, 12)}, "multiple"),
    "shards in 0.4": (cyx, {"shards": (1, 32, 32), "version": "0.4"}, "no shards"),
    "scale": (cyx, {"scale": (1, -1, 1)}, "positive"),
    "level factors": (cyx, {"levels": [(2, 2)]}, "factors\\[0\\]"),
    "repeated axes": (cyx, {"axes": "yyx"}, "unique axis names"),
    "axes count": (cyx, {"axes": "yx"}, "3 axes"),
    "method": (cyx, {"method": "median"}, "method"),
    "version": (cyx, {"version": "0.3"}, "version"),
    "compression": (cyx, {"compression": "zstd:0"}, "level"),
    "no element": (lambda: np.zeros((0, 5), np.uint8), {}, "at least one element"),
    "resume and overwrite": (
        cyx,
        {"resume": True, "overwrite": True},
        "resume or overwrite, not both",
    ),
}


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    """A complete store in a folder of its own."""
    target = tmp_path / "folder" / "old.ome.zarr"
    target.parent.mkdir()
    ngff.write_image(np.ones((16, 16), np.uint8), target, chunks=(8, 8))
    return target


@pytest.mark.parametrize("case", list(CASES))
def test_a_mistake_leaves_an_existing_store_untouched_even_with_overwrite(
    existing: Path, case: str
) -> None:
    make, options, message = CASES[case]
    before = listing(existing.parent)
    with pytest.raises(ngff.CreationError, match=message):
        ngff.write_image(make(), existing, **{"overwrite": True, **options})
    assert listing(existing.parent) == before
    assert ngff.validate(str(existing), strict=True).valid


@pytest.mark.parametrize("case", list(CASES))
def test_a_mistake_creates_nothing(tmp_path: Path, case: str) -> None:
    make, options, message = CASES[case]
    target = tmp_path / "new.ome.zarr"
    with pytest.raises(ngff.CreationError, match=message):
        ngff.write_image(make(), target, **options)
    assert listing(tmp_path) == {}


def test_an_existing_store_is_refused_without_overwrite(existing: Path) -> None:
    before = listing(existing.parent)
    with pytest.raises(ngff.CreationError, match="overwrite=True \\(--overwrite\\)"):
        ngff.write_image(cyx(), existing)
    assert listing(existing.parent) == before


def test_overwrite_never_deletes_a_folder_that_holds_no_store(tmp_path: Path) -> None:
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("precious")
    before = listing(tmp_path)
    with pytest.raises(ngff.CreationError, match="holds no Zarr store"):
        ngff.write_image(cyx(), folder, overwrite=True)
    assert listing(tmp_path) == before


def test_cli_existing_target_is_one_line_naming_overwrite(tmp_path: Path, existing: Path) -> None:
    np.save(tmp_path / "in.npy", cyx())
    before = listing(existing.parent)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ngff.cli import main; main()",
            "create",
            str(tmp_path / "in.npy"),
            str(existing),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--overwrite" in result.stderr
    assert listing(existing.parent) == before


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--channel-names", "a,b,c", "2 channel names"),
        ("--channel-colors", "red,nope", "RRGGBB"),
        ("--channel-windows", "0:1,x:2", "START:END"),
        ("--channel-windows", "0:1", "2 channel windows"),
    ],
)
def test_cli_channel_mistakes_are_one_line_and_write_nothing(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    np.save(tmp_path / "in.npy", cyx())
    out = tmp_path / "out.ome.zarr"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ngff.cli import main; main()",
            "create",
            str(tmp_path / "in.npy"),
            str(out),
            "--axes",
            "cyx",
            option,
            value,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_write_labels_refuses_an_existing_label_unless_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "image.ome.zarr"
    ngff.write_image(cyx(), target, axes="cyx", chunks=(1, 16, 16))
    first = np.zeros((1, 32, 32), np.uint16)
    first[:, :10] = 3
    ngff.write_labels(first, target, "cells")
    before = listing(tmp_path)
    second = np.zeros((1, 32, 32), np.uint16)
    second[:, 20:] = 7
    with pytest.raises(ngff.CreationError, match="labels/cells: already exists"):
        ngff.write_labels(second, target, "cells")
    assert listing(tmp_path) == before
    ngff.write_labels(second, target, "cells", overwrite=True)
    assert ngff.validate(str(target), strict=True).valid
    from ngff_geozarr.core.store import open_store

    with open_store(target) as store:
        array = store.open_array("labels/cells/0")
        np.testing.assert_array_equal(array.read((slice(0, 1), slice(0, 32), slice(0, 32))), second)
    with pytest.raises(ngff.CreationError, match="not both"):
        ngff.write_labels(second, target, "cells", overwrite=True, resume=True)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (np.zeros((1, 32, 16), np.uint16), "Expected labels of the image's shape"),
        (np.zeros((1, 32, 32), np.float32), "Expected integer labels"),
    ],
)
def test_cli_labels_that_do_not_fit_write_nothing(
    tmp_path: Path, labels: np.ndarray, message: str
) -> None:
    """Regression: the image was written first, then the labels were found not to fit."""
    np.save(tmp_path / "in.npy", cyx())
    np.save(tmp_path / "labels.npy", labels)
    out = tmp_path / "out.ome.zarr"
    argv = ["create", str(tmp_path / "in.npy"), str(out), "--axes", "cyx"]
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ngff.cli import main; main()",
            *argv,
            "--labels",
            str(tmp_path / "labels.npy"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_write_plate_checks_every_field_before_writing(tmp_path: Path) -> None:
    """Regression: the rows and the first wells were written before a later field failed."""
    field = cyx()
    target = tmp_path / "plate.ome.zarr"
    wells = {"A/1": [field], "B/2": [field, np.zeros((3, 32, 32), np.uint16)]}
    with pytest.raises(ngff.CreationError, match="3 channel names"):
        ngff.write_plate(target, wells, axes="cyx", channel_names=["a", "b"])
    assert listing(tmp_path) == {}
    ngff.write_plate(target, {"A/1": [field]}, axes="cyx", channel_names=["a", "b"])
    before = listing(tmp_path)
    with pytest.raises(ngff.CreationError, match="--overwrite"):
        ngff.write_plate(target, {"A/1": [field]}, axes="cyx")
    assert listing(tmp_path) == before
    ngff.write_plate(target, {"B/3": [field]}, axes="cyx", name="p", overwrite=True)
    assert ngff.validate(str(target), strict=True).valid
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plate.ome.zarr"]
    assert not (target / "A").exists()


def test_write_plate_refuses_an_option_no_field_would_use(tmp_path: Path) -> None:
    """Regression: a misspelt image option (``chunk=``) was silently ignored."""
    target = tmp_path / "plate.ome.zarr"
    with pytest.raises(ngff.CreationError, match="Unknown image option\\(s\\) chunk"):
        ngff.write_plate(target, {"A/1": [cyx()]}, axes="cyx", chunk=(1, 8, 8))
    assert listing(tmp_path) == {}
