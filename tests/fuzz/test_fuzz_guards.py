"""The guards of the fuzz suite catch what they are there for (else the suite proves nothing)."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from tests.fuzz import cases
from tests.fuzz.cases import MEMORY_BOUND, Outcome, guarded


def _case(tmp_path: Path) -> tuple[Path, Path]:
    store, outside = tmp_path / "store", tmp_path / "outside"
    store.mkdir()
    outside.mkdir()
    (store / "zarr.json").write_text("{}")
    (outside / "secret.json").write_text("{}")
    return store, outside


def test_guard_sees_a_file_opened_outside_the_store(tmp_path: Path) -> None:
    store, outside = _case(tmp_path)
    (store / "link.json").symlink_to(outside / "secret.json")
    for path in (outside / "secret.json", store / ".." / "outside" / "secret.json"):
        outcome = Outcome()
        with guarded(tmp_path, store, outcome, "read"):
            path.read_bytes()
        assert outcome.failures
        assert "outside the store" in outcome.failures[0]
    outcome = Outcome()
    with guarded(tmp_path, store, outcome, "read"):
        (store / "link.json").read_bytes()  # inside by name, outside once resolved
    assert outcome.failures
    outcome = Outcome()
    with guarded(tmp_path, store, outcome, "read"):
        (store / "zarr.json").read_bytes()
    assert outcome.failures == []


def test_guard_sees_a_raise_a_warning_and_a_large_allocation(tmp_path: Path) -> None:
    store, _ = _case(tmp_path)
    outcome = Outcome()
    with guarded(tmp_path, store, outcome, "raise"):
        raise KeyError(0)
    with guarded(tmp_path, store, outcome, "warn"):
        warnings.warn("numbers", RuntimeWarning, stacklevel=1)
    with guarded(tmp_path, store, outcome, "allocate"):
        block = np.ones(MEMORY_BOUND // 8 + 2**20)
        del block
    assert [f.split(":")[0] for f in outcome.failures] == ["raise", "warn", "allocate"]


def test_guard_ends_a_case_that_runs_too_long(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = _case(tmp_path)
    monkeypatch.setattr(cases, "CASE_SECONDS", 0.2)
    outcome = Outcome()
    started = time.monotonic()
    with guarded(tmp_path, store, outcome, "loop"):
        while True:
            time.sleep(0.01)
    assert time.monotonic() - started < 5
    assert outcome.failures
    assert "timeout" in outcome.failures[0]
