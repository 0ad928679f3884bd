"""The record an in-place conversion keeps in the store while it changes it.

Before its first change, an in-place conversion writes :data:`JOURNAL_KEY` at the store's
root: every document it will write and delete (the redo), the bytes each touched key held
before (the undo), the command that completes it and what it converts. The record is removed
last, once every change and the consolidated metadata are written. A run killed in between
leaves the record, so:

- any later in-place conversion of the store completes the recorded one first (every write
  and delete again, in order: each is idempotent), then goes on; the result is the store an
  uninterrupted conversion gives;
- ``validate`` reports the record (``target.conversion-interrupted``) with the command that
  completes it.

A record that cannot be parsed was cut while it was written, before any change was made (the
conversion starts changing the store only once the record is complete): it is discarded.
"""

from __future__ import annotations

import base64
import json
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ngff_geozarr.core.convert.plan import Plan
from ngff_geozarr.core.report import Issue
from ngff_geozarr.core.store import StoreHandle
from ngff_geozarr.core.store.opening import StoredRecord, read_target

__all__ = [
    "INTERRUPTED_RULE",
    "JOURNAL_KEY",
    "Journal",
    "interrupted_issues",
    "read_journal",
]

JOURNAL_KEY = ".ngff-geozarr-journal.json"
"""Where an in-place conversion records its plan, at the store's root."""
INTERRUPTED_RULE = "target.conversion-interrupted"
"""The rule ``validate`` reports a journal under."""
_FORMAT = 1


@dataclass(frozen=True)
class Journal(StoredRecord):
    """An in-place conversion as recorded in the store (read it with :meth:`read`).

    Parameters
    ----------
    plan
        The documents to write and delete.
    before
        What each touched key held before the conversion (``None``: absent), for a rollback.
    command
        The command line that completes the conversion.
    description
        What is converted (``"OME-Zarr 0.4 -> 0.5"``).
    versions
        The versions (or Zarr formats) converted from and to, as text.
    consolidated
        Whether the conversion ends by writing consolidated metadata.
    """

    key: ClassVar[str] = JOURNAL_KEY
    mark: ClassVar[str] = "ngff-geozarr-journal"
    version: ClassVar[int] = _FORMAT
    what: ClassVar[str] = "journal"

    plan: Plan
    before: Mapping[str, bytes | None]
    command: str
    description: str
    versions: tuple[str, str] = ("", "")
    consolidated: bool = True

    def to_bytes(self) -> bytes:
        """Serialise the record.

        Returns
        -------
        bytes
            A JSON document (values as text, or base64 when not UTF-8).
        """
        record = {
            self.mark: self.version,
            "command": self.command,
            "description": self.description,
            "versions": list(self.versions),
            "consolidated": self.consolidated,
            "writes": [{"key": k, **_encode(v)} for k, v in self.plan.writes],
            "deletes": list(self.plan.deletes),
            "before": [{"key": k, **_encode(v)} for k, v in self.before.items()],
        }
        return (json.dumps(record, indent=1, ensure_ascii=False) + "\n").encode()

    @classmethod
    def _from_document(cls, document: dict[str, Any]) -> Journal:
        writes = tuple((str(w["key"]), _decoded(w)) for w in document["writes"])
        plan = Plan(writes=writes, deletes=tuple(str(k) for k in document["deletes"]))
        before = {str(b["key"]): _decoded_or_none(b) for b in document["before"]}
        return cls(
            plan,
            before,
            str(document["command"]),
            str(document["description"]),
            (str(document["versions"][0]), str(document["versions"][1])),
            bool(document["consolidated"]),
        )

    def issue(self) -> Issue:
        """Say that this conversion was interrupted, with the command that completes it.

        Returns
        -------
        Issue
            The warning ``validate`` reports (:data:`INTERRUPTED_RULE`).
        """
        return Issue.warning(
            INTERRUPTED_RULE,
            "",
            "",
            f"An in-place conversion ({self.description}) was interrupted part way: the "
            f"store mixes old and new metadata. Run `{self.command}` to complete it.",
        )


def _encode(value: bytes | None) -> dict[str, Any]:
    if value is None:
        return {"absent": True}
    try:
        return {"text": value.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(value).decode("ascii")}


def _decoded_or_none(entry: Mapping[str, Any]) -> bytes | None:
    return None if entry.get("absent") else _decoded(entry)


def _decoded(entry: Mapping[str, Any]) -> bytes:
    if "text" in entry:
        return str(entry["text"]).encode("utf-8")
    return base64.b64decode(str(entry["base64"]), validate=True)


def read_journal(handle: StoreHandle) -> Journal | None:
    """Read the store's journal, if it holds one that parses (deprecated).

    .. deprecated::
       Use :meth:`Journal.read`.
    """
    warnings.warn("read_journal is deprecated; use Journal.read", DeprecationWarning, stacklevel=2)
    return Journal.read(handle)


def interrupted_issues(
    target: str | os.PathLike[str], storage_options: dict[str, Any] | None = None
) -> list[Issue]:
    """Report an interrupted in-place conversion of a store (deprecated).

    .. deprecated::
       Use :func:`ngff_geozarr.core.validation.interruption_issues`, which reports an
       interrupted write as well; this reports the journal's warning only.
    """
    warnings.warn(
        "interrupted_issues is deprecated; use ngff_geozarr.core.validation.interruption_issues",
        DeprecationWarning,
        stacklevel=2,
    )
    journal = read_target(target, storage_options, Journal.read)
    return [] if journal is None else [journal.issue()]
