"""The state of a write's target, checked before the first byte; replacing a store safely.

:func:`check_target` answers, before anything is written, whether a writer may write where
it is asked to:

- a missing or empty target is written;
- an existing, non-empty one is refused unless ``resume`` (finish an interrupted write in
  place) or ``overwrite`` (replace it); the error says which to pass;
- ``overwrite`` replaces only what holds a Zarr store (a directory with ``zarr.json``,
  ``.zgroup`` or ``.zarray`` at its root, a ``.zip`` or ``.ozx`` file, a non-empty
  mapping): a directory of other files is never deleted.

:func:`ngff_geozarr.core.convert.swap.replacing` (shared with the converters) does
the replacement so that a complete store is always there: the new store is written next to
the target, in the sibling ``.new-NAME``, and swapped in only once
it is complete (metadata and consolidated metadata written):

- a directory is exchanged with the new one in one atomic step where the system has it
  (Linux ``renameat2`` with ``RENAME_EXCHANGE``), otherwise the old one is renamed aside to
  ``.old-NAME``, the new one renamed in, and the old one removed: a run killed between the
  two renames leaves the complete old store in ``.old-NAME``, never neither;
- a ``.zip`` or ``.ozx`` file is replaced by one atomic :func:`os.replace`;
- a mapping (memory) is cleared and refilled once the new store is complete;
- a failed write removes ``.new-NAME`` and leaves the target untouched; a killed one leaves
  ``.new-NAME`` behind, which the next ``overwrite`` removes first.

Remote targets (``s3://``) are not replaced: object stores have no rename, so a replacement
would pass through a state with neither store complete. ``overwrite`` on a non-empty remote
target is refused before anything is written (delete the prefix first, or write to a new
one); on an empty one it writes as usual.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

from ngff.create.options import CreationError, Target
from ngff_geozarr.core.convert.swap import is_empty, local_path, replacing
from ngff_geozarr.core.errors import NotZarrError
from ngff_geozarr.core.groups import writing
from ngff_geozarr.core.store import StoreHandle, open_store

__all__ = ["check_target", "writing_target"]

_STORE_MARKERS = ("zarr.json", ".zgroup", ".zarray")


def _refusal(name: str, resume_possible: bool) -> str:
    hint = " or resume=True (--resume) to finish an interrupted write" if resume_possible else ""
    return (
        f"{name}: already exists and is not empty; pass overwrite=True (--overwrite) to "
        f"replace it{hint}."
    )


def check_target(
    target: Target,
    *,
    resume: bool,
    overwrite: bool,
    storage_options: dict[str, Any] | None = None,
) -> None:
    """Refuse a target the write may not use, before anything is written.

    Parameters
    ----------
    target
        Where to write (see :data:`~ngff.create.options.Target`).
    resume
        The write finishes an interrupted one in place.
    overwrite
        The write replaces what is there.
    storage_options
        Options for remote targets.

    Raises
    ------
    CreationError
        When both ``resume`` and ``overwrite`` are asked; when the target is not empty and
        neither is; when ``overwrite`` would replace something that holds no Zarr store, an
        opened store or a remote store.
    """
    if resume and overwrite:
        raise CreationError(
            "Expected resume or overwrite, not both: resume finishes the store there, "
            "overwrite replaces it."
        )
    if resume:
        return
    path = local_path(target)
    if path is not None:
        if is_empty(path):
            return
        single_file = path.suffix.lower() == ".ozx"  # written once: nothing to resume
        if not overwrite:
            raise CreationError(_refusal(str(path), not single_file))
        is_zip = path.is_file() and path.suffix.lower() in (".zip", ".ozx")
        if not is_zip and not any((path / m).is_file() for m in _STORE_MARKERS):
            raise CreationError(
                f"{path}: exists and holds no Zarr store (no zarr.json, .zgroup or .zarray "
                "at its root); overwrite replaces only a Zarr store."
            )
        return
    if isinstance(target, MutableMapping):
        if target and not overwrite:
            raise CreationError(_refusal("<memory>", True))
        return
    if isinstance(target, StoreHandle):
        if overwrite:
            raise CreationError(
                "Expected a path, a URL or a mapping to overwrite; an opened store is "
                "written by its owner (empty it first)."
            )
        return
    try:
        open_store(target, "w-", storage_options=storage_options).close()
    except NotZarrError:
        if overwrite:
            raise CreationError(
                f"{os.fspath(target)}: already exists; overwrite replaces local stores only "
                "(an object store has no rename to swap a new store in safely): delete it "
                "first, or write to a new prefix."
            ) from None
        raise CreationError(_refusal(os.fspath(target), True)) from None


@contextmanager
def writing_target(
    target: Target,
    *,
    resume: bool,
    overwrite: bool,
    storage_options: dict[str, Any] | None,
    operation: str,
    command: str,
    source: Mapping[str, Any] | None = None,
) -> Iterator[StoreHandle]:
    """Check a target, then write in it under its write lock, replacing it only when done.

    :func:`check_target` refuses a target the write may not use before anything is written;
    with ``overwrite`` the new store is written next to the target and swapped in once
    complete (:func:`~ngff_geozarr.core.convert.swap.replacing`); the write holds the
    store's write lock and finishes with consolidated metadata
    (:func:`~ngff_geozarr.core.groups.writing`).

    Parameters
    ----------
    target, resume, overwrite, storage_options
        As for :func:`check_target`.
    operation, command, source
        The lock's record: what writes, how to complete it, the source's fingerprint (see
        :func:`~ngff_geozarr.core.groups.writing`).

    Yields
    ------
    StoreHandle
        The store to write in (the sibling ``.new-NAME`` while an overwrite is under way).

    Raises
    ------
    CreationError
        As :func:`check_target` raises it.
    """
    check_target(target, resume=resume, overwrite=overwrite, storage_options=storage_options)
    with (
        replacing(target, overwrite=overwrite) as where,
        writing(
            where,
            "a" if resume else "w-",
            storage_options,
            operation=operation,
            command=command,
            resume=resume,
            source=source,
        ) as store,
    ):
        yield store
