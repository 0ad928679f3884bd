"""The conversion engine on its own: plans, the journal record, destinations, rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

from ngff_geozarr.core.convert import (
    JOURNAL_KEY,
    Journal,
    Plan,
    apply_in_place,
    check_destination,
    complete,
)
from ngff_geozarr.core.errors import ConversionError
from ngff_geozarr.core.store import open_store

GROUP = b'{"zarr_format": 3, "node_type": "group", "attributes": {"a": 1}}\n'


def test_chunk_keys_are_renamed_only_below_renamed_arrays() -> None:
    plan = Plan(renames={"img/0": "/", "": "."})
    assert plan.chunk_key("img/0/c/1/2") == "img/0/1/2"
    assert plan.chunk_key("img/0/c") == "img/0/0"  # a 0-d array's one chunk
    assert plan.chunk_key("c/3/4") == "3.4"  # the root array
    assert Plan(renames={"a": "."}).chunk_key("b/c/0") == "b/c/0"


def test_the_journal_keeps_every_byte() -> None:
    plan = Plan(
        writes=(("zarr.json", GROUP), ("x/zarr.json", b"\xff\x00 not utf-8")), deletes=(".zgroup",)
    )
    journal = Journal(
        plan, {"zarr.json": None, ".zgroup": b"{}"}, "tool convert s", "a -> b", ("2", "3"), False
    )
    again = Journal.from_bytes(journal.to_bytes())
    assert again == journal


@pytest.mark.parametrize(
    "raw", [b"", b'{"ngff-geozarr-journal": 1, "wr', b"[]", b'{"ngff-geozarr-journal": 2}']
)
def test_a_record_that_does_not_parse_is_no_journal(tmp_path: Path, raw: bytes) -> None:
    with pytest.raises(ValueError, match="unreadable journal"):
        Journal.from_bytes(raw)
    with open_store(tmp_path / "s.zarr", "w-") as store:
        store.create_group("")
        store.write_bytes(JOURNAL_KEY, raw)
        assert Journal.read(store) is None
        assert complete(store) is None  # a cut record: nothing was changed yet; it goes
    assert not (tmp_path / "s.zarr" / JOURNAL_KEY).exists()


def test_a_failed_apply_restores_every_byte_and_removes_the_journal(tmp_path: Path) -> None:
    root = tmp_path / "s.zarr"
    with open_store(root, "w-") as store:
        store.create_group("", {"old": True})
        store.create_group("g", {"old": True})
    before = {
        p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
    }
    (root / "h").mkdir()
    (root / "h" / "zarr.json").mkdir()  # the third write fails
    plan = Plan(
        writes=(
            ("g/zarr.json", GROUP),
            ("new/zarr.json", GROUP),
            ("h/zarr.json", GROUP),
            ("zarr.json", GROUP),
        )
    )
    with open_store(root, "r+") as store, pytest.raises(ConversionError, match="undone") as caught:
        apply_in_place(store, plan, command="tool convert", description="test")
    assert "after 2 of 4 changes" in str(caught.value)
    after = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert after == before
    assert (root / "h" / "zarr.json").is_dir()  # what was there and never written stays


def test_a_plan_that_moves_chunks_is_not_applied_in_place(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.zarr", "w-") as store:
        store.create_group("")
        with pytest.raises(ConversionError, match="would delete the originals"):
            apply_in_place(store, Plan(renames={"a": "."}), command="c", description="d")
    assert not (tmp_path / "s.zarr" / JOURNAL_KEY).exists()


@pytest.mark.parametrize(
    ("dst", "overwrite", "message"),
    [
        ("src.zarr", True, "inside the source"),
        ("src.zarr/a/b", True, "inside the source"),
        (".", True, "inside the source"),
        ("full", False, "--overwrite"),
    ],
)
def test_destinations_refused_before_anything_is_written(
    tmp_path: Path, dst: str, overwrite: bool, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src.zarr").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(ConversionError, match=message):
        check_destination("src.zarr", dst, overwrite=overwrite)
    check_destination("src.zarr", "full", overwrite=True)
    check_destination("src.zarr", "new.zarr", overwrite=False)
    with pytest.raises(ConversionError, match="not both"):
        check_destination("src.zarr", "new.zarr", overwrite=True, resume=True)
