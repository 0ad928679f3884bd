"""``opened``: the one way writers borrow or open a store for a ``with`` block."""

from __future__ import annotations

import pytest

from ngff_geozarr.core.store import StoreHandle, open_store
from ngff_geozarr.core.store.opening import opened


@pytest.fixture
def closes(monkeypatch: pytest.MonkeyPatch) -> list[StoreHandle]:
    """Record every StoreHandle.close call."""
    seen: list[StoreHandle] = []
    original = StoreHandle.close

    def record(self: StoreHandle) -> None:
        seen.append(self)
        original(self)

    monkeypatch.setattr(StoreHandle, "close", record)
    return seen


def test_a_target_it_opens_is_closed_on_exit(closes: list[StoreHandle]) -> None:
    with opened({}, "w-") as store:
        assert isinstance(store, StoreHandle)
        assert closes == []
    assert closes == [store]


def test_a_target_it_opens_is_closed_when_the_block_raises(closes: list[StoreHandle]) -> None:
    with pytest.raises(RuntimeError, match="boom"), opened({}, "w-") as store:
        raise RuntimeError("boom")
    assert closes == [store]


def test_an_opened_handle_is_used_as_it_is_and_left_open(closes: list[StoreHandle]) -> None:
    handle = open_store({}, "w-")
    with opened(handle, "r") as store:
        assert store is handle
    assert closes == []
