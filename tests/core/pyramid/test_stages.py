"""Stage times: every level's read, assemble, write and reduce recorded with the bytes handled."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from ngff_geozarr.core.pyramid import plan, write_pyramid
from ngff_geozarr.core.pyramid.stages import STAGES, StageTimes, active, recording
from ngff_geozarr.core.store import open_store


def test_every_level_and_stage_is_recorded_with_its_bytes() -> None:
    data = np.arange(128 * 96, dtype=np.uint16).reshape(128, 96)
    levels = plan(data.shape, (32, 32))
    with recording() as times:
        write_pyramid(data, open_store({}, "a"), levels, workers=3)
    top = len(levels) - 1
    # The base is read once, whole; no level above it is read (it is assembled from pieces).
    assert times.total("read").nbytes == data.nbytes
    assert times.total("read", level=0).nbytes == data.nbytes
    for k, level in enumerate(levels):
        level_bytes = math.prod(level.shape) * data.itemsize
        assert times.total("write", level=k).nbytes == level_bytes
        if k > 0:
            assert times.total("assemble", level=k).nbytes == level_bytes
        writes = times.total("write", level=k).calls
        assert writes >= 1
        assert times.total("reduce", level=k).calls == (0 if k == top else writes)
    assert all(r.seconds >= 0 for r in times.rows())
    assert [r.stage for r in times.rows() if r.level == 0] == ["read", "write", "reduce"]
    assert {r.stage for r in times.rows()} == set(STAGES)
    assert active() is None


def test_nothing_is_recorded_outside_a_recording() -> None:
    data = np.zeros((64, 64), dtype=np.uint8)
    with recording() as times:
        pass
    write_pyramid(data, open_store({}, "a"), plan(data.shape, (16, 16)))
    assert times.rows() == []


def test_recordings_do_not_nest() -> None:
    with recording(), pytest.raises(RuntimeError, match="active already"), recording():
        pass
    assert active() is None


def test_the_sums_are_safe_from_many_threads() -> None:
    times = StageTimes()

    def add() -> None:
        for _ in range(2000):
            times.add(1, "write", 0.5, 3)

    threads = [threading.Thread(target=add) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = times.total("write", level=1)
    assert (total.calls, total.nbytes, total.seconds) == (16000, 48000, 8000.0)
