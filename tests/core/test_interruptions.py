"""What an unfinished writer leaves in a store is reported by one function, for both kinds.

A write record (a killed ``create``/``pyramid``) and a conversion journal (a killed
``convert --in-place``) are read from one opening of the store; the per-kind functions of
before still work, and say that they are deprecated.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ngff_geozarr.core.convert import JOURNAL_KEY, Journal
from ngff_geozarr.core.convert.journal import INTERRUPTED_RULE, interrupted_issues, read_journal
from ngff_geozarr.core.convert.plan import Plan
from ngff_geozarr.core.store import open_store
from ngff_geozarr.core.store.writelock import (
    INTERRUPTED_WRITE_RULE,
    LOCK_KEY,
    interrupted_write_issues,
    read_write_record,
)
from ngff_geozarr.core.store.writerecord import WriteRecord
from ngff_geozarr.core.validation import interruption_issues


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / "left.zarr"
    root.mkdir()
    (root / "zarr.json").write_text(
        json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {}})
    )
    return root


def _leave_write(store: Path) -> None:
    record = WriteRecord(
        operation="ngff pyramid",
        command="`ngff pyramid left.zarr --resume`",
        pid=_dead_pid(),
        host=socket.gethostname(),
        started="2026-01-01T00:00:00Z",
        partial=("1",),
    )
    (store / LOCK_KEY).write_bytes(record.to_bytes())


def _leave_journal(store: Path) -> None:
    journal = Journal(Plan(writes=(), deletes=()), {}, "ngff convert left.zarr --in-place", "x")
    (store / JOURNAL_KEY).write_bytes(journal.to_bytes())


def test_both_records_are_reported_write_first(store: Path) -> None:
    _leave_journal(store)
    _leave_write(store)
    issues = interruption_issues(store)
    assert [(i.rule, i.severity) for i in issues] == [
        (INTERRUPTED_WRITE_RULE, "error"),
        (INTERRUPTED_RULE, "warning"),
    ]
    assert "Partial: '1'." in issues[0].message
    assert "ngff pyramid left.zarr --resume" in issues[0].message
    assert "`ngff convert left.zarr --in-place`" in issues[1].message


@pytest.mark.parametrize("leave", [_leave_write, _leave_journal])
def test_each_record_alone_gives_its_own_issue(store: Path, leave: object) -> None:
    assert interruption_issues(store) == []
    leave(store)  # type: ignore[operator]
    (issue,) = interruption_issues(store)
    expected = INTERRUPTED_WRITE_RULE if leave is _leave_write else INTERRUPTED_RULE
    assert issue.rule == expected


def test_no_store_gives_no_issue(tmp_path: Path) -> None:
    assert interruption_issues(tmp_path / "absent.zarr") == []


def test_the_per_kind_functions_still_work_and_are_deprecated(store: Path) -> None:
    _leave_journal(store)
    _leave_write(store)
    both = interruption_issues(store)
    with pytest.deprecated_call():
        assert interrupted_write_issues(store) == both[:1]
    with pytest.deprecated_call():
        assert interrupted_issues(store) == both[1:]


def test_both_records_are_read_by_their_class_and_the_old_readers_still_work(
    store: Path,
) -> None:
    with open_store(store) as handle:
        assert (Journal.read(handle), WriteRecord.read(handle)) == (None, None)
    _leave_journal(store)
    _leave_write(store)
    with open_store(store) as handle:
        journal, record = Journal.read(handle), WriteRecord.read(handle)
        assert journal is not None
        assert journal.command == "ngff convert left.zarr --in-place"
        assert record is not None
        assert record.partial == ("1",)
        with pytest.deprecated_call():
            assert read_journal(handle) == journal
        with pytest.deprecated_call():
            assert read_write_record(handle) == record


@pytest.mark.parametrize("kind", [Journal, WriteRecord])
def test_a_record_of_another_kind_or_cut_short_does_not_parse(kind: type[Journal]) -> None:
    other = WriteRecord if kind is Journal else Journal
    with pytest.raises(ValueError, match=f"unreadable {kind.what}: not a {kind.what}"):
        kind.from_bytes(json.dumps({other.mark: 1}).encode())
    with pytest.raises(ValueError, match=f"unreadable {kind.what}"):
        kind.from_bytes(json.dumps({kind.mark: 1, "command": "x"}).encode()[:-9])
