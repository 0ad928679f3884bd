"""Plates: rows, columns, wells and acquisitions of a high-content screening plate."""

from __future__ import annotations

from pydantic import Field

from ngff.common.base import OmeModel
from ngff.common.context import CHECKS, Context, Tokens
from ngff.common.facts import PlateFacts

__all__ = [
    "Acquisition",
    "Column",
    "Plate",
    "Row",
    "WellReference",
    "check_field_count",
    "check_names_case",
    "check_plate",
    "check_well_paths",
    "plate_facts",
]

_SECTION = "plate"
_NAME = r"^[A-Za-z0-9]+$"


class Acquisition(OmeModel):
    """One acquisition of the plate."""

    id: int = Field(ge=0)
    name: str | None = None
    maximumfieldcount: int | None = Field(default=None, gt=0)
    description: str | None = None
    starttime: int | None = Field(default=None, ge=0)
    endtime: int | None = Field(default=None, ge=0)


class Column(OmeModel):
    """One column of the plate."""

    name: str = Field(pattern=_NAME)


class Row(OmeModel):
    """One row of the plate."""

    name: str = Field(pattern=_NAME)


class WellReference(OmeModel):
    """Where one well of the plate is, and its row and column."""

    path: str
    rowIndex: int = Field(ge=0)
    columnIndex: int = Field(ge=0)


class Plate(OmeModel):
    """The ``plate`` metadata of 0.5 and 0.6 (0.4 adds ``version``)."""

    name: str | None = None
    acquisitions: list[Acquisition] | None = None
    columns: list[Column] = Field(min_length=1)
    rows: list[Row] = Field(min_length=1)
    wells: list[WellReference] = Field(min_length=1)
    field_count: int | None = Field(default=None, gt=0)


@CHECKS.check("plate", "ngff.plate.names-case")
def check_names_case(ctx: Context, plate: Plate, at: Tokens) -> None:
    """Warn about row names, or column names, equal up to case.

    Spec: plate — "Care SHOULD be taken to avoid collisions on case-insensitive filesystems
    (e.g. avoid using both `Aa` and `aA`)." (said of rows and of columns).
    """
    named = (("rows", [r.name for r in plate.rows]), ("columns", [c.name for c in plate.columns]))
    for key, names in named:
        seen: dict[str, str] = {}
        for i, name in enumerate(names):
            other = seen.setdefault(name.casefold(), name)
            if other != name:
                ctx.should(
                    "ngff.plate.names-case",
                    [*at, key, i, "name"],
                    f"{key[:-1].capitalize()} name {name!r} differs from {other!r} only by "
                    "case: the groups collide on a case-insensitive filesystem.",
                    _SECTION,
                )


@CHECKS.check("plate", "ngff.plate.field-count")
def check_field_count(ctx: Context, plate: Plate, at: Tokens) -> None:
    """Recommend ``field_count``, the largest number of fields of view in a well.

    Spec: plate — "The plate dictionary SHOULD contain a field_count key whose value MUST be
    a positive integer defining the maximum number of fields per view across all wells."
    (0.4 and 0.5; 0.6 writes "The plate object SHOULD contain a field_count key").
    """
    if plate.field_count is None:
        ctx.should(
            "ngff.plate.field-count",
            at,
            "The plate has no 'field_count'; the spec recommends the largest number of "
            "fields of view in a well.",
            _SECTION,
        )


@CHECKS.check("plate", "ngff.plate.well-index", "ngff.plate.well-path")
def check_well_paths(ctx: Context, plate: Plate, at: Tokens) -> None:
    """Ensure each well's path is ``{row}/{column}`` and agrees with its indices.

    Spec: plate — "The path MUST consist of a name in the rows list, a file separator (/),
    and a name from the columns list, in that order ... The rowIndex, columnIndex, and path
    MUST all refer to the same row/column pair".
    """
    for i, well in enumerate(plate.wells):
        where = [*at, "wells", i]
        if well.rowIndex >= len(plate.rows) or well.columnIndex >= len(plate.columns):
            ctx.error(
                "ngff.plate.well-index",
                where,
                f"Well {well.path!r}: rowIndex {well.rowIndex} / columnIndex "
                f"{well.columnIndex} outside the {len(plate.rows)} rows and "
                f"{len(plate.columns)} columns.",
                _SECTION,
            )
            continue
        expected = f"{plate.rows[well.rowIndex].name}/{plate.columns[well.columnIndex].name}"
        if well.path != expected:
            ctx.error(
                "ngff.plate.well-path",
                [*where, "path"],
                f"Expected the path '{{row}}/{{column}}' = {expected!r} for rowIndex "
                f"{well.rowIndex} and columnIndex {well.columnIndex}. Got {well.path!r}.",
                _SECTION,
            )


check_plate = CHECKS.runner("plate")
"""Run every check of the ``plate`` section that applies to the context's version."""


def plate_facts(plate: Plate) -> PlateFacts:
    """Summarise a parsed plate for the store checks.

    Parameters
    ----------
    plate
        The parsed plate.

    Returns
    -------
    PlateFacts
        The well paths and acquisition ids.
    """
    return PlateFacts(
        wells=tuple((i, w.path) for i, w in enumerate(plate.wells)),
        acquisitions=frozenset(a.id for a in plate.acquisitions or ()),
    )
