"""The one conversion engine both conventions convert through.

A conversion is planned (:mod:`~ngff_geozarr.core.convert.plan`: every document to write and
delete, the chunk keys that change; nothing is written while planning), then applied
(:mod:`~ngff_geozarr.core.convert.apply`): copied into a new store, chunks byte for byte, or
applied in place under a journal (:mod:`~ngff_geozarr.core.convert.journal`) that lets any
rerun complete an interrupted conversion. :mod:`~ngff_geozarr.core.convert.swap` checks
destinations and replaces a store without mixing old and new content.
"""

from __future__ import annotations

from ngff_geozarr.core.convert.apply import (
    Applied,
    apply_in_place,
    complete,
    converting_in_place,
    copy_converted,
    refuse_interrupted,
)
from ngff_geozarr.core.convert.journal import (
    INTERRUPTED_RULE,
    JOURNAL_KEY,
    Journal,
    interrupted_issues,
    read_journal,
)
from ngff_geozarr.core.convert.plan import Plan, depth_order, dump, format_change, same_format
from ngff_geozarr.core.convert.swap import check_destination, replacing

__all__ = [
    "INTERRUPTED_RULE",
    "JOURNAL_KEY",
    "Applied",
    "Journal",
    "Plan",
    "apply_in_place",
    "check_destination",
    "complete",
    "converting_in_place",
    "copy_converted",
    "depth_order",
    "dump",
    "format_change",
    "interrupted_issues",
    "read_journal",
    "refuse_interrupted",
    "replacing",
    "same_format",
]
