"""Where a pyramid's time goes: the seconds its tasks spend in each stage, per level.

A task (:func:`~ngff_geozarr.core.pyramid.tasks.run_task`) obtains its tile, writes it and
reduces it into the next level. While :func:`recording` is active in a process, every task
that runs on a thread of that process adds the time of each step to the recorder, with the
bytes it handled:

``read``
    Reading and decoding the tile from its reader (the source for the base; a stored level
    on resume) or taking the array the coordinator read.
``assemble``
    Placing the reduced pieces of the finer level into one tile (levels above the base).
``write``
    Encoding the tile and storing it (zarr's codec pipeline and the store's writes).
``reduce``
    The kernel: the tile reduced into a piece of the next level.

The figures are sums over the worker threads, so with several threads they add up to more
than the wall time; their shares say where the work is. Tasks that run on dask workers in
other processes are not recorded (the recorder lives in the calling process).

Examples
--------
>>> import numpy as np
>>> from ngff_geozarr.core.pyramid import plan, write_pyramid
>>> from ngff_geozarr.core.store import open_store
>>> data = np.zeros((64, 64), dtype=np.uint8)
>>> with recording() as times:
...     _ = write_pyramid(data, open_store({}, "a"), plan(data.shape, (16, 16)))
>>> [row.level for row in times.rows() if row.stage == "write"]
[0, 1, 2]
>>> times.total("write", level=0).nbytes
4096
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

__all__ = ["STAGES", "Stage", "StageTime", "StageTimes", "active", "recording"]

Stage = Literal["read", "assemble", "write", "reduce"]
"""A step of a task."""

STAGES: tuple[Stage, ...] = ("read", "assemble", "write", "reduce")
"""Every stage, in the order a task runs them."""


@dataclass(frozen=True)
class StageTime:
    """The time spent in one stage of one level.

    Parameters
    ----------
    level
        The level whose tiles the stage handled (``reduce`` at level ``k`` makes pieces of
        level ``k + 1``).
    stage
        The stage.
    seconds
        The summed seconds of every task's step.
    nbytes
        The bytes of the tiles handled (decoded size).
    calls
        How many tasks ran the step.
    """

    level: int
    stage: Stage
    seconds: float
    nbytes: int
    calls: int


class StageTimes:
    """A thread-safe sum of stage times, by level and stage (see the module notes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sums: dict[tuple[int, Stage], tuple[float, int, int]] = {}

    def add(self, level: int, stage: Stage, seconds: float, nbytes: int) -> None:
        """Add one step of one task.

        Parameters
        ----------
        level
            The task's level.
        stage
            The step.
        seconds
            How long it took.
        nbytes
            The bytes of the tile it handled.
        """
        with self._lock:
            total, size, calls = self._sums.get((level, stage), (0.0, 0, 0))
            self._sums[(level, stage)] = (total + seconds, size + nbytes, calls + 1)

    def rows(self) -> list[StageTime]:
        """Return every recorded (level, stage), by level, then in :data:`STAGES` order.

        Returns
        -------
        list of StageTime
            One entry per level and stage that ran at least once.
        """
        with self._lock:
            items = dict(self._sums)
        keys = sorted(items, key=lambda k: (k[0], STAGES.index(k[1])))
        return [StageTime(k[0], k[1], *items[k]) for k in keys]

    def total(self, stage: Stage, *, level: int | None = None) -> StageTime:
        """Return one stage's sum over one level, or over every level.

        Parameters
        ----------
        stage
            The stage.
        level
            The level, or ``None`` for all of them (the result's ``level`` is then -1).

        Returns
        -------
        StageTime
            Zero seconds, bytes and calls when the stage never ran there.
        """
        chosen = [r for r in self.rows() if r.stage == stage and level in (None, r.level)]
        return StageTime(
            -1 if level is None else level,
            stage,
            sum(r.seconds for r in chosen),
            sum(r.nbytes for r in chosen),
            sum(r.calls for r in chosen),
        )


_active: StageTimes | None = None
_active_lock = threading.Lock()


def active() -> StageTimes | None:
    """Return the recorder of this process, or ``None`` when nothing is recording.

    Returns
    -------
    StageTimes or None
        What :func:`recording` made active.
    """
    return _active


@contextmanager
def recording() -> Iterator[StageTimes]:
    """Record the stage times of every pyramid task run in this process while active.

    Yields
    ------
    StageTimes
        The recorder; read it during or after the block.

    Raises
    ------
    RuntimeError
        When a recording is active already (recordings do not nest).
    """
    global _active
    times = StageTimes()
    with _active_lock:
        if _active is not None:
            raise RuntimeError("A stage recording is active already.")
        _active = times
    try:
        yield times
    finally:
        with _active_lock:
            _active = None
