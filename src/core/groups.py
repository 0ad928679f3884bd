"""The one place writers of both conventions write group documents and consolidated metadata.

Policy, the same for OME-Zarr and GeoZarr output: a writer writes each group's document
after every array below it is complete (:func:`write_group`), and when the whole operation
has succeeded, consolidated metadata at the root (:func:`finish`), so that readers which use
it (``zarr.open_consolidated``, xarray, GDAL) open the store in one read.

- Zarr v2: ``.zmetadata`` at the root, the form the v2 ecosystem (xarray, GDAL) defines.
- Zarr v3: ``consolidated_metadata`` inside the root ``zarr.json``, zarr-python's
  extension (the v3 core specification has no consolidated metadata yet); it is marked
  ``must_understand: false``, so readers without it ignore it.

A store's consolidated metadata is only as good as its last write, so every writer that
changes a document consolidates again when it is done (adding labels or levels included);
a document rewritten later by another tool makes the copy stale, which ``validate`` reports
(``zarr.consolidated.stale``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

from ngff_geozarr.core.store import StoreHandle, ZarrFormat, join_key
from ngff_geozarr.core.store.keys import StoreMode
from ngff_geozarr.core.store.opening import opened
from ngff_geozarr.core.store.ozx_write import single_file_writes
from ngff_geozarr.core.store.writelock import write_lock

__all__ = ["CONSOLIDATED", "finish", "root_group_format", "write_group", "writing"]

CONSOLIDATED = True
"""Whether writers consolidate the metadata of what they write, by default (both conventions)."""


def write_group(
    store: StoreHandle, path: str, attributes: Mapping[str, Any], zarr_format: ZarrFormat
) -> None:
    """Write a group's metadata document(s), replacing any there, without touching children.

    Parameters
    ----------
    store
        The store, opened writable.
    path
        The group's path (``""`` for the root).
    attributes
        Its attributes, written as given.
    zarr_format
        3 writes ``zarr.json``; 2 writes ``.zgroup`` then ``.zattrs``.
    """
    if zarr_format == 3:
        document = {"zarr_format": 3, "node_type": "group", "attributes": dict(attributes)}
        store.write_bytes(join_key(path, "zarr.json"), _dump(document))
        return
    store.write_bytes(join_key(path, ".zgroup"), _dump({"zarr_format": 2}))
    store.write_bytes(join_key(path, ".zattrs"), _dump(dict(attributes)))


def root_group_format(store: StoreHandle) -> ZarrFormat | None:
    """Return the Zarr format of the store's root group, ``None`` when the root is no group.

    Parameters
    ----------
    store
        The store.

    Returns
    -------
    int or None
        3 for a ``zarr.json`` group, 2 for a ``.zgroup``, else ``None``.
    """
    raw = store.run(store.read("zarr.json"))
    if raw is not None:
        try:
            document = json.loads(raw)
        except ValueError:
            return None
        is_group = isinstance(document, dict) and document.get("node_type") == "group"
        return 3 if is_group else None
    return 2 if store.run(store.read(".zgroup")) is not None else None


def finish(store: StoreHandle, *, consolidated: bool = CONSOLIDATED) -> bool:
    """End a write: consolidate the metadata at the root, once every document is written.

    Parameters
    ----------
    store
        The store, opened writable.
    consolidated
        Whether to write consolidated metadata (the policy: :data:`CONSOLIDATED`).

    Returns
    -------
    bool
        Whether consolidated metadata was written (not when the root is no group).
    """
    zarr_format = root_group_format(store) if consolidated else None
    if zarr_format is None:
        return False
    store.consolidate(zarr_format=zarr_format)
    return True


def _dump(document: Any) -> bytes:
    return json.dumps(document, indent=2, allow_nan=False).encode()


@contextmanager
def writing(
    target: str | os.PathLike[str] | MutableMapping[str, Any] | StoreHandle,
    mode: StoreMode,
    storage_options: dict[str, Any] | None = None,
    *,
    operation: str | None = None,
    command: str = "",
    resume: bool = False,
    source: Mapping[str, Any] | None = None,
) -> Iterator[StoreHandle]:
    """Write in a target for a ``with`` block, and finish the write.

    The first three arguments are those of
    :func:`~ngff_geozarr.core.store.opening.opened`. When this opened the store itself and
    the block ended without an error, :func:`finish` writes consolidated metadata at the root
    (the policy both conventions share) and commits the store (an ``.ozx`` file is written
    only then) before it is closed.

    With ``operation``, the write holds the store's write lock
    (:func:`~ngff_geozarr.core.store.writelock.write_lock`) from before the block to after
    the commit: a second writer is refused, and a write interrupted at any point leaves its
    record (the store marked incomplete, ``command`` completing it).

    Parameters
    ----------
    target, mode, storage_options
        What to open, and how.
    operation
        What writes (``"ngff create"``); ``None``: no write lock.
    command
        How to complete the write when it is interrupted (``--resume``), as a phrase.
    resume
        Whether this write completes an interrupted one (takes its record over).
    source
        The fingerprint of the source, checked against the interrupted run's on resume.

    Yields
    ------
    StoreHandle
        The store.
    """
    owned = not isinstance(target, StoreHandle)
    with single_file_writes(), opened(target, mode, storage_options) as store:
        if operation is None or mode == "r":
            yield store
            if owned and mode != "r":
                finish(store)
                store.commit()
            return
        with write_lock(store, operation, command, resume=resume, source=source):
            yield store
            if owned:
                finish(store)
                store.commit()
