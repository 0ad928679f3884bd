"""Run the deep check over a hierarchy's pyramids: coverage, shards, levels against levels.

Two rounds, so that a small budget is shared fairly between the pyramids of a large store:
first every level of every pyramid is opened and listed (coverage, encoding drift), then
sampled blocks of every level are read and compared with the level above them (cross-level
consistency, labels, nodata, fill-only blocks, shard indexes). Reads run concurrently, a
thread per pyramid, each read through the store layer (which bounds the requests in flight).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ngff_geozarr.core.deep.budget import Budget, Spending
from ngff_geozarr.core.deep.chunks import BudgetReached, list_blocks, shard_problem
from ngff_geozarr.core.deep.compare import BlockPair, compare, factors_between
from ngff_geozarr.core.deep.levels import Layout, LevelSet, grid_indices, layout_of, spread
from ngff_geozarr.core.errors import causes
from ngff_geozarr.core.hierarchy import Hierarchy
from ngff_geozarr.core.report import Issue
from ngff_geozarr.core.rules import READER_RULES, RuleRegistry
from ngff_geozarr.core.store import ArrayIO, StoreHandle, join_key, open_store
from ngff_geozarr.core.store.policy import AccessRefusedError, RemoteFaultError, refusal
from ngff_geozarr.core.store.retry_store import note_refused

__all__ = ["THREADS", "deep_issues"]

THREADS = 32
"""Pyramids checked at once (each read is concurrent inside as well)."""

_RULES = RuleRegistry(READER_RULES)


_OPEN_REQUESTS = 3  # zarr reads an array's document and probes for the other format's


@dataclass
class _Level:
    layout: Layout
    handle: StoreHandle
    spending: Spending
    present: frozenset[tuple[int, ...]] | None = None
    _io: ArrayIO | None = None

    def read(self, region: tuple[slice, ...]) -> npt.NDArray[Any]:
        """Read a region, opening the array on first use (paid for)."""
        if self._io is None:
            if not self.spending.pay(_OPEN_REQUESTS):
                raise BudgetReached
            self._io = self.handle.open_array(self.layout.path)
        return self._io.read(region)


@dataclass
class _Pyramid:
    spec: LevelSet
    levels: list[_Level] = field(default_factory=list)
    findings: list[tuple[str, str, str]] = field(default_factory=list)  # rule, path, message
    listed: bool = True

    def add(self, rule: str, path: str, message: str) -> None:
        self.findings.append((rule, path, message))


def _span(region: Sequence[slice]) -> str:
    return "[" + ", ".join(f"{r.start}:{r.stop}" for r in region) + "]"


def _open(
    handle: StoreHandle, hierarchy: Hierarchy, spec: LevelSet, spending: Spending
) -> _Pyramid:
    pyramid = _Pyramid(spec)
    for path in spec.levels:
        node = hierarchy.get(path)
        layout = None if node is None or node.node_type != "array" else layout_of(node)
        if layout is None:
            return _Pyramid(spec)  # the metadata checks report missing or odd levels
        pyramid.levels.append(_Level(layout, handle, spending))
    return pyramid


def _drift(pyramid: _Pyramid) -> None:
    first = pyramid.levels[0].layout
    for level in pyramid.levels[1:]:
        other = level.layout
        if other.dtype != first.dtype:
            pyramid.add(
                "zarr.data.level-drift",
                other.path,
                f"Expected the data type of level {first.path!r} ({first.dtype}). "
                f"Got {other.dtype}.",
            )
        elif other.encoding != first.encoding:
            pyramid.add(
                "zarr.data.level-drift",
                other.path,
                f"Expected the codecs of level {first.path!r} ({first.encoding}). "
                f"Got {other.encoding}.",
            )


def _bounds(level: _Level, scale: Sequence[float]) -> list[tuple[float, float]] | None:
    """Return the box the stored blocks of a level cover, in samples of level 0."""
    if not level.present:
        return None
    layout = level.layout
    box = []
    for axis, (b, n, s) in enumerate(zip(layout.block, layout.shape, scale, strict=True)):
        lo = min(i[axis] for i in level.present) * b
        hi = min((max(i[axis] for i in level.present) + 1) * b, n)
        box.append((lo * s, hi * s))
    return box


def _coverage(handle: StoreHandle, pyramid: _Pyramid, spending: Spending) -> None:
    for level in pyramid.levels:
        level.present = list_blocks(handle, level.layout, spending)
        if level.present is None:
            pyramid.listed = False
            return
    base = pyramid.levels[0]
    reference = _bounds(base, [1.0] * len(base.layout.shape))
    for level in pyramid.levels:
        layout = level.layout
        total = math.prod(layout.grid)
        assert level.present is not None
        if not level.present:
            pyramid.add(
                "zarr.data.level-empty",
                layout.path,
                f"Expected stored chunks. Got none of {total} (coverage 0%): every read of "
                f"level {layout.path!r} returns its fill value {layout.fill!r}.",
            )
            continue
        if reference is None or level is base:
            continue
        scale = [n0 / n for n0, n in zip(base.layout.shape, layout.shape, strict=True)]
        box = _bounds(level, scale)
        assert box is not None
        short = [
            axis
            for axis, ((lo, hi), (rlo, rhi), s) in enumerate(
                zip(box, reference, scale, strict=True)
            )
            if lo > rlo + s or hi < rhi - s
        ]
        if short:
            shown = ", ".join(f"{lo:g}:{hi:g}" for lo, hi in box)
            wanted = ", ".join(f"{lo:g}:{hi:g}" for lo, hi in reference)
            pyramid.add(
                "zarr.data.level-partial",
                layout.path,
                f"Expected stored chunks covering level 0's region [{wanted}] (in level-0 "
                f"samples). Got [{shown}]: {len(level.present)} of {total} chunks stored "
                f"(coverage {len(level.present) / total:.0%}).",
            )


def _picks(level: _Level, count: int) -> list[tuple[slice, ...]]:
    """Regions of sampled chunks: stored blocks spread over the level (a chunk per shard)."""
    layout = level.layout
    blocks = sorted(level.present) if level.present is not None else None
    chosen = spread(blocks, count) if blocks is not None else grid_indices(layout.grid, count)
    regions = []
    for index in chosen:
        block = layout.region(index)
        centre = [
            (r.start + r.stop - 1) // 2 // c for r, c in zip(block, layout.inner, strict=True)
        ]
        regions.append(layout.region(centre, layout.inner))
    return regions


def _keys(layout: Layout, region: Sequence[slice]) -> str:
    index = [r.start // b for r, b in zip(region, layout.block, strict=True)]
    return join_key(layout.path, layout.key(index))


def _read(
    pyramid: _Pyramid, level: _Level, region: tuple[slice, ...], spending: Spending
) -> npt.NDArray[Any] | None:
    requests, nbytes = level.layout.cost(region)
    if not spending.pay(requests, nbytes):
        raise BudgetReached
    try:
        return level.read(region)
    except BudgetReached:
        raise
    except Exception as exc:
        if _remote_fault(exc):
            return None  # not read after the retries: the run reports the array unreadable
        refused = refusal(exc)
        if refused is not None:  # not read either: no defect of the chunk's is known
            note_refused(level.handle.store, _keys(level.layout, region), refused)
            return None
        pyramid.add(
            "zarr.data.chunk-unreadable",
            level.layout.path,
            f"Expected region {_span(region)} to decode. Got {type(exc).__name__}: {exc} "
            f"(chunk {_keys(level.layout, region)!r}).",
        )
        return None


def _remote_fault(exc: BaseException) -> bool:
    """Tell whether a failure is (or was caused by) a request the remote policy gave up."""
    return any(isinstance(current, RemoteFaultError) for current in causes(exc))


def _check_shard(
    handle: StoreHandle,
    pyramid: _Pyramid,
    level: _Level,
    region: Sequence[slice],
    spending: Spending,
) -> None:
    layout = level.layout
    key = _keys(layout, region)
    bound = math.prod(layout.block) * layout.dtype.itemsize + 16 * math.prod(layout.grid)
    if not spending.pay(1, bound):
        raise BudgetReached
    try:
        data = handle.run(handle.read(key))
    except RemoteFaultError:
        return  # not read after the retries: the run reports the array unreadable
    except AccessRefusedError as exc:
        note_refused(handle.store, key, exc.cause)
        return
    problem = None if data is None else shard_problem(data, layout)
    if problem is not None:
        pyramid.add(
            "zarr.data.shard-index-invalid",
            layout.path,
            f"Expected a shard index within the shard. Got: {problem} (shard {key!r}).",
        )


def _all_fill(values: npt.NDArray[Any], fill: Any) -> bool:
    if values.dtype.kind == "f" and np.isnan(fill):
        return bool(np.all(np.isnan(values)))
    return bool(np.all(values == fill))


def _compare_levels(
    pyramid: _Pyramid, upper: _Level, lower: _Level, sample: int, spending: Spending
) -> None:
    shapes = (upper.layout.shape, lower.layout.shape)
    factors = factors_between(*shapes)
    if factors is None:
        if any(m > n for n, m in zip(*shapes, strict=True)):
            pyramid.add(
                "zarr.data.level-not-derived",
                lower.layout.path,
                f"Expected a reduction of level {upper.layout.path!r} of shape "
                f"{list(shapes[0])}. Got shape {list(shapes[1])}, larger along an axis "
                "(levels out of order?).",
            )
        return  # non-integer factors: not compared
    spec = pyramid.spec
    for region in _picks(lower, sample):
        start = tuple(r.start for r in region)
        lo = tuple(max(r.start - 1, 0) for r in region)
        hi = [min(r.stop + 1, n) for r, n in zip(region, lower.layout.shape, strict=True)]
        source_region = tuple(
            slice(a * f, min(b * f, n))
            for a, b, f, n in zip(lo, hi, factors, upper.layout.shape, strict=True)
        )
        actual = _read(pyramid, lower, region, spending)
        source = _read(pyramid, upper, source_region, spending)
        if actual is None or source is None:
            continue
        verdict = compare(
            BlockPair(source, lo, actual, start, factors),
            method=spec.method,
            labels=spec.labels,
            nodata=spec.nodata,
            nodata_aware=spec.nodata_aware,
        )
        if verdict.rule is None:
            continue
        rule, detail = verdict.rule, verdict.detail
        fill = lower.layout.fill
        if (
            rule != "zarr.data.nodata-leaked"
            and _all_fill(actual, fill)
            and not _all_fill(source, upper.layout.fill)
        ):
            rule = "zarr.data.level-fill-only"
            detail = f"it decodes to the fill value {fill!r} only, the region above holds data"
        pyramid.add(
            rule,
            lower.layout.path,
            f"Expected block {_span(region)} of level {lower.layout.path!r} (chunk "
            f"{_keys(lower.layout, region)!r}) to reduce region {_span(source_region)} of level "
            f"{upper.layout.path!r}. Got: {detail}.",
        )


def _sample(handle: StoreHandle, pyramid: _Pyramid, budget: Budget, spending: Spending) -> None:
    levels = pyramid.levels
    for level in levels:
        if level.layout.sharded:
            for region in _picks(level, budget.sample):
                _check_shard(handle, pyramid, level, region, spending)
    for upper, lower in itertools.pairwise(levels):
        _compare_levels(pyramid, upper, lower, budget.sample, spending)


def _guarded(step: Callable[[], None], skipped: list[str], path: str) -> None:
    try:
        step()
    except BudgetReached:
        skipped.append(path)


def deep_issues(
    hierarchy: Hierarchy,
    pyramids: Iterable[LevelSet],
    budget: Budget,
    *,
    strict: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> tuple[Issue, ...]:
    """Check the chunk data of a hierarchy's pyramids within a budget.

    Parameters
    ----------
    hierarchy
        The hierarchy, read from a store.
    pyramids
        Its pyramids, as the convention declares them.
    budget
        What the check may read.
    strict
        Apply the strict profile (SHOULD-level issues become errors).
    storage_options
        Options for remote stores.

    Returns
    -------
    tuple of Issue
        What was found, by pyramid; a ``zarr.data.budget-reached`` note when the budget
        stopped the check, a ``zarr.data.not-listable`` note when coverage could not be
        listed.
    """
    specs = [p for p in pyramids if p.levels]
    if not specs or hierarchy.source != "store":
        return ()
    spending = Spending(budget)
    skipped: list[str] = []
    with (
        open_store(hierarchy.target, "r", storage_options=storage_options) as handle,
        ThreadPoolExecutor(THREADS) as pool,
    ):
        opened = [p for s in specs if (p := _open(handle, hierarchy, s, spending)).levels]
        for p in opened:
            _drift(p)

        def cover(p: _Pyramid) -> None:
            _guarded(lambda: _coverage(handle, p, spending), skipped, p.spec.path)

        def sample(p: _Pyramid) -> None:
            _guarded(lambda: _sample(handle, p, budget, spending), skipped, p.spec.path)

        list(pool.map(cover, opened))
        list(pool.map(sample, opened))
    issues = [
        Issue(_RULES.severity(rule, strict), rule, path, "", message)
        for p in opened
        for rule, path, message in p.findings
    ]
    if not all(p.listed for p in opened):
        unlisted = sum(not p.listed for p in opened)
        issues.append(
            Issue(
                _RULES.severity("zarr.data.not-listable", strict),
                "zarr.data.not-listable",
                "",
                "",
                f"The store did not list the chunks of {unlisted} of {len(opened)} pyramid(s): "
                "their coverage was not checked, their sampled blocks were chosen on the grid.",
            )
        )
    if skipped or spending.refused:
        issues.append(
            Issue(
                _RULES.severity("zarr.data.budget-reached", strict),
                "zarr.data.budget-reached",
                "",
                "",
                f"The deep check stopped at its budget ({budget.max_requests} requests, "
                f"{budget.max_bytes} bytes) in {len(set(skipped))} of {len(opened)} pyramid(s); "
                f"{spending.requests} requests and {spending.bytes} bytes were spent.",
            )
        )
    return tuple(issues)
