"""Apply a conversion plan: into a new store, or in place under a journal.

In place (:func:`apply_in_place`), in this order:

1. the journal (:mod:`ngff_geozarr.core.convert.journal`) is written: the plan, and what
   every key it touches held before;
2. every new document is written (arrays, groups from the deepest up, the root last);
3. the old documents are deleted;
4. consolidated metadata is written at the root (:func:`ngff_geozarr.core.groups.finish`);
5. the journal is removed, last.

A failure raised while applying undoes the steps done so far from the journal's "before"
and removes the journal: the store is as it was. A run killed part way leaves the journal;
:func:`complete` (which every in-place conversion calls first) redoes every step from it, so
the store ends as an uninterrupted conversion leaves it. Chunks are never written in place.

Into a new store (:func:`copy_converted`): chunk bytes copied exactly (renamed where the plan
says), then the documents, then consolidated metadata: the root document is the last write,
so an interrupted copy never looks complete.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ngff_geozarr.core.groups as groups
from ngff_geozarr.core.convert.journal import JOURNAL_KEY, Journal
from ngff_geozarr.core.convert.plan import Plan
from ngff_geozarr.core.errors import ConversionError
from ngff_geozarr.core.store import StoreHandle, open_store
from ngff_geozarr.core.store.writelock import LOCK_KEY, write_lock
from ngff_geozarr.core.zarr_format import is_metadata_key

__all__ = [
    "Applied",
    "apply_in_place",
    "complete",
    "converting_in_place",
    "copy_converted",
    "refuse_interrupted",
]

_CONSOLIDATION_KEYS = ("zarr.json", ".zmetadata")


@dataclass(frozen=True)
class Applied:
    """What applying a plan did.

    Parameters
    ----------
    documents
        Documents written.
    removed
        Old documents removed (in place).
    copied, skipped
        Chunks copied, and found already copied (into a new store).
    """

    documents: int = 0
    removed: int = 0
    copied: int = 0
    skipped: int = 0


def _present_deletes(handle: StoreHandle, plan: Plan) -> Plan:
    """Keep only the deletes of documents the store holds."""
    existing = {k for k in handle.list_keys() if is_metadata_key(k)}
    deletes = tuple(k for k in plan.deletes if k in existing)
    return Plan(writes=plan.writes, deletes=deletes, renames=plan.renames)


def apply_in_place(
    handle: StoreHandle,
    plan: Plan,
    *,
    command: str,
    description: str,
    versions: tuple[str, str] = ("", ""),
    consolidated: bool = True,
    instead: str = "Convert into a new store instead.",
) -> Applied:
    """Apply a plan to the store it was made from, under a journal.

    Parameters
    ----------
    handle
        The store, opened writable; it must hold no journal (call :func:`complete` first).
    plan
        The conversion; its ``renames`` must be empty (chunks are never moved in place).
    command
        The command line that completes the conversion (recorded for ``validate``).
    description
        What is converted, for messages.
    versions
        What is converted from and to (recorded in the journal).
    consolidated
        Whether to write consolidated metadata at the end.
    instead
        What to do instead when the plan renames chunks (ends the refusal's message).

    Returns
    -------
    Applied
        Documents written and removed.

    Raises
    ------
    ConversionError
        When the plan renames chunks, or applying failed (the store was then restored as it
        was; when even that failed, the message says which command completes it).
    """
    if plan.renames:
        arrays = ", ".join(sorted(plan.renames))
        raise ConversionError(
            f"Arrays {arrays} use the default chunk key encoding; Zarr v2 names chunks "
            f"differently, and renaming them in place would delete the originals. {instead}"
        )
    plan = _present_deletes(handle, plan)
    touched = dict.fromkeys(
        [k for k, _ in plan.writes] + list(plan.deletes) + list(_CONSOLIDATION_KEYS)
    )
    keys = list(touched)
    values = handle.run(handle.read_many(keys))
    before = dict(zip(keys, values, strict=True))
    journal = Journal(plan, before, command, description, versions, consolidated)
    handle.write_bytes(JOURNAL_KEY, journal.to_bytes())
    done: list[str] = []
    try:
        _redo(handle, journal, done)
    except Exception as exc:
        _rollback(handle, journal, done, exc)
    return Applied(documents=len(plan.writes), removed=len(plan.deletes))


def _redo(handle: StoreHandle, journal: Journal, done: list[str] | None = None) -> None:
    # a key is logged once changed (local writes are atomic), the consolidation's before
    log = done if done is not None else []
    for key, value in journal.plan.writes:
        handle.write_bytes(key, value)
        log.append(key)
    for key in journal.plan.deletes:
        handle.delete(key)
        log.append(key)
    log.extend(_CONSOLIDATION_KEYS)
    with warnings.catch_warnings():
        # zarr's consolidation walks the root and notes the journal as no node of it
        warnings.filterwarnings("ignore", message=f".*{re.escape(JOURNAL_KEY)}.*")
        groups.finish(handle, consolidated=journal.consolidated)
    handle.delete(JOURNAL_KEY)


def _rollback(handle: StoreHandle, journal: Journal, done: list[str], error: Exception) -> None:
    try:
        for key in reversed(dict.fromkeys(done)):
            old = journal.before.get(key)
            if old is None:
                handle.delete(key)
            else:
                handle.write_bytes(key, old)
        handle.delete(JOURNAL_KEY)
    except Exception as again:
        raise ConversionError(
            f"Converting {handle.target} ({journal.description}) failed ({error}), and so did "
            f"restoring it ({again}); run `{journal.command}` to complete the conversion."
        ) from error
    raise ConversionError(
        f"Converting {handle.target} ({journal.description}) failed after {len(done)} of "
        f"{len(journal.plan.writes) + len(journal.plan.deletes)} changes ({error}); they were "
        "undone: no old document was removed, and the store holds its original metadata."
    ) from error


def complete(handle: StoreHandle) -> Journal | None:
    """Complete the in-place conversion a store's journal records, if any.

    Parameters
    ----------
    handle
        The store, opened writable.

    Returns
    -------
    Journal or None
        The conversion completed, or ``None`` when the store held no journal. A journal cut
        while it was written (no change was made yet) is removed.

    Raises
    ------
    ConversionError
        When completing fails (the journal stays, for the next attempt).
    """
    journal = Journal.read(handle)
    if journal is None:
        if handle.run(handle.read(JOURNAL_KEY)) is not None:
            handle.delete(JOURNAL_KEY)
        return None
    try:
        _redo(handle, journal)
    except Exception as exc:
        raise ConversionError(
            f"Completing the interrupted conversion of {handle.target} "
            f"({journal.description}) failed ({exc}); the journal {JOURNAL_KEY} is kept."
        ) from exc
    return journal


@contextmanager
def converting_in_place(
    target: Any, storage_options: dict[str, Any] | None = None
) -> Iterator[tuple[StoreHandle, Journal | None]]:
    """Open a store to convert in place, once an interrupted conversion of it is completed.

    The store's write lock is held for the whole conversion: a second writer is refused.

    Parameters
    ----------
    target
        The store (path, URL or mapping).
    storage_options
        Options for remote stores.

    Yields
    ------
    tuple of (StoreHandle, Journal or None)
        The store opened writable (afresh, so what it says of its root is current) and the
        conversion completed first, if there was one.
    """
    with (
        open_store(target, "r+", storage_options=storage_options) as first,
        write_lock(  # one writer at a time; the journal, not this record, says what to redo
            first,
            "convert --in-place",
            "the same in-place conversion again (it completes the recorded one first)",
            resume=False,
            interrupted_ok=True,
        ),
    ):
        finished = complete(first)
        with open_store(target, "r+", storage_options=storage_options) as handle:
            yield handle, finished


def refuse_interrupted(handle: StoreHandle) -> None:
    """Refuse to read a store for a copy while an in-place conversion of it is unfinished.

    Parameters
    ----------
    handle
        The source store.

    Raises
    ------
    ConversionError
        When the store holds a journal: it is half converted.
    """
    journal = Journal.read(handle)
    if journal is not None:
        raise ConversionError(
            f"{handle.target} holds an interrupted in-place conversion ({journal.description}); "
            f"run `{journal.command}` to complete it first."
        )


def copy_converted(
    source: StoreHandle,
    destination: StoreHandle,
    plan: Plan,
    *,
    consolidated: bool = True,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Applied:
    """Write a converted copy: chunks byte for byte, then the plan's documents, root last.

    Parameters
    ----------
    source
        The store the plan was made from (only read).
    destination
        The new store, opened writable.
    plan
        The conversion.
    consolidated
        Whether to write consolidated metadata at the end.
    resume
        Keep chunks the destination already holds (an interrupted copy).
    progress
        Called with (chunks done, chunks in all) after every chunk.

    Returns
    -------
    Applied
        Documents written, chunks copied and skipped.

    Raises
    ------
    ConversionError
        When the source holds an interrupted in-place conversion (it is half converted).
    """
    refuse_interrupted(source)
    existing = set(destination.list_keys()) if resume else set()
    records = (JOURNAL_KEY, LOCK_KEY)
    chunks = [k for k in source.list_keys() if not is_metadata_key(k) and k not in records]
    copied = skipped = 0
    for done, key in enumerate(chunks, start=1):
        new_key = plan.chunk_key(key)
        if new_key in existing:
            skipped += 1
        else:
            value = source.run(source.read(key))
            if value is not None:
                destination.write_bytes(new_key, value)
                copied += 1
        if progress is not None:
            progress(done, len(chunks))
    for key, value in plan.writes:
        destination.write_bytes(key, value)
    groups.finish(destination, consolidated=consolidated)
    return Applied(documents=len(plan.writes), copied=copied, skipped=skipped)
