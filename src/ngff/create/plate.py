"""Write a high-content-screening plate: wells of fields of view, each an image.

:func:`write_plate` writes every field with the image writer at ``ROW/COLUMN/FIELD``, each
well's metadata once its fields are complete, and the plate's metadata last. The plate
records, as the spec recommends, the largest number of fields in a well (``field_count``)
and, for each acquisition, the largest number of fields in a well that belong to it
(``maximumfieldcount``; spec: plate — "Each acquisition object ... SHOULD contain a
maximumfieldcount key whose value MUST be a positive integer indicating the maximum number
of fields of view for the acquisition").
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ngff.create.documents as documents
import ngff.create.rendering as rendering
from ngff.create.groups import write_group, zarr_format_of
from ngff.create.options import CreationError, Target, check_source
from ngff.create.target import writing_target
from ngff.create.write import image_request, write_multiscale
from ngff.ozx_checks import is_ozx
from ngff.versions import SPEC_VERSIONS, spec_version
from ngff_geozarr.core.pyramid import Progress
from ngff_geozarr.core.store import join_key

__all__ = ["write_plate"]


def _well_key(key: str) -> tuple[str, str]:
    parts = key.split("/")
    if len(parts) != 2 or not all(re.fullmatch(r"[A-Za-z0-9]+", p) for p in parts):
        raise CreationError(f"Expected a well as 'ROW/COLUMN' (e.g. 'A/1'). Got {key!r}.")
    return parts[0], parts[1]


def _default_name(target: Target) -> str:
    """Name a plate written without one after its target, extensions removed."""
    if not isinstance(target, str | os.PathLike):
        return "plate"
    text = os.fspath(target).rstrip("/")
    return text.rsplit("/", 1)[-1].split(".")[0] or "plate"


def _natural(name: str) -> tuple[int, int, str]:
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


_IMAGE_OPTIONS = frozenset(
    {
        "axes",
        "scale",
        "translation",
        "units",
        "name",
        "method",
        "levels",
        "chunks",
        "shards",
        "compression",
        "omero",
        "channel_names",
        "channel_colors",
        "channel_windows",
        "rgb",
    }
)
"""The :func:`write_image` options a plate passes to every field."""


def write_plate(
    target: Target,
    wells: Mapping[str, Sequence[Any]],
    *,
    name: str | None = None,
    rows: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    acquisitions: Sequence[Mapping[str, Any]] | None = None,
    field_acquisitions: Mapping[str, Sequence[int]] | None = None,
    version: str = "0.5",
    overwrite: bool = False,
    resume: bool = False,
    client: Any = None,
    workers: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    storage_options: dict[str, Any] | None = None,
    **image_options: Any,
) -> dict[str, Any]:
    """Write a high-content-screening plate: wells of fields of view, each an image.

    Every field is written with :func:`write_image` at ``ROW/COLUMN/FIELD``; each well's
    metadata is written once its fields are complete, and the plate's metadata last.

    Parameters
    ----------
    target
        Where to write (see :data:`Target`).
    wells
        The fields of each well, by ``"ROW/COLUMN"`` (e.g. ``{"A/1": [field0, field1]}``).
    name
        The plate's name (the spec recommends one); default: the target's file or directory
        name without its extensions (``"screen"`` for ``screen.ome.zarr``), ``"plate"`` for a
        mapping.
    rows, columns
        The plate's row and column names; those of ``wells`` in natural order when omitted.
    acquisitions
        The plate's acquisitions (objects with an ``id``). Each one's ``maximumfieldcount``
        is filled when not given: the largest number of fields of that acquisition in a
        well.
    field_acquisitions
        The acquisition ``id`` of each field, by well (``{"A/1": [0, 0, 1]}``); required
        when there are several acquisitions, and written as each field's ``acquisition``.
        With one acquisition and no assignment, every field belongs to it.
    version
        The OME-Zarr version.
    overwrite
        Replace an existing store, as :func:`write_image` does (the new plate is swapped in
        once complete).
    resume, client, workers, progress, storage_options
        How the write runs, as for :func:`~ngff.create.write.write_image`.
    **image_options
        Passed to :func:`write_image` for every field (``axes``, ``scale``, ``units``,
        ``chunks``, ``method``, ...).

    Returns
    -------
    dict
        The plate's attributes as written.

    Raises
    ------
    CreationError
        When a well key is malformed or names a row or column not listed, the fields'
        acquisitions are missing (several acquisitions) or name none of the plate's, a
        field's options are inconsistent or unknown, or the target is not empty and neither
        ``overwrite`` nor ``resume`` is given; all before anything is written.
    """
    spec_ver = spec_version(version)
    if spec_ver is None:
        raise CreationError(
            f"Expected a version among {', '.join(SPEC_VERSIONS)}. Got {version!r}."
        )
    unknown = sorted(set(image_options) - _IMAGE_OPTIONS)
    if unknown:
        raise CreationError(
            f"Unknown image option(s) {', '.join(unknown)}. Expected among "
            f"{', '.join(sorted(_IMAGE_OPTIONS))}."
        )
    keys = [_well_key(k) for k in wells]
    row_names = list(rows) if rows is not None else sorted({r for r, _ in keys}, key=_natural)
    col_names = list(columns) if columns is not None else sorted({c for _, c in keys}, key=_natural)
    assigned = _assigned(wells, acquisitions, field_acquisitions)
    zarr_format = zarr_format_of(spec_ver)
    planned = []  # every field checked before the first byte is written
    for (row, column), fields in zip(keys, wells.values(), strict=True):
        if row not in row_names or column not in col_names:
            raise CreationError(f"Expected well {row}/{column} in the plate's rows and columns.")
        well = join_key(row, column)
        requests = []
        for i, data in enumerate(fields):
            source = check_source(data)
            request = image_request(
                source,
                join_key(well, str(i)),
                axes=image_options.get("axes"),
                scale=image_options.get("scale"),
                translation=image_options.get("translation"),
                units=image_options.get("units"),
                name=image_options.get("name", f"{row}{column} field {i}"),
                method=image_options.get("method", "mean"),
                levels=image_options.get("levels"),
                chunks=image_options.get("chunks"),
                shards=image_options.get("shards"),
                version=spec_ver,
                compression=image_options.get("compression", "blosc-zstd"),
                omero=image_options.get("omero", False),
                channel_names=image_options.get("channel_names"),
                channel_colors=image_options.get("channel_colors"),
                channel_windows=image_options.get("channel_windows"),
                rgb=bool(image_options.get("rgb", False)),
                single_file=is_ozx(target),
            )
            requests.append((source, request))
        planned.append((row, column, well, requests))
    if client is not None and is_ozx(target):
        raise CreationError("Expected no client for an .ozx file: it is written on threads.")
    with writing_target(
        target,
        resume=resume,
        overwrite=overwrite,
        storage_options=storage_options,
        operation="ngff plate",
        command="the same plate write with --resume (write_plate(..., resume=True))",
    ) as store:
        for row in row_names:
            write_group(store, row, {}, zarr_format)
        references = []
        for (row, column, well, requests), fields, ids in zip(
            planned, wells.values(), assigned, strict=True
        ):
            for source, request in requests:
                write_multiscale(
                    store,
                    source,
                    request,
                    resume=resume,
                    client=client,
                    workers=workers,
                    progress=progress,
                )
            well_doc = documents.dump(documents.well(len(fields), ids))
            write_group(store, well, rendering.render({"well": well_doc}, spec_ver), zarr_format)
            references.append((well, row_names.index(row), col_names.index(column)))
        counts = [len(f) for f in wells.values()]
        most = max(counts) if counts and max(counts) > 0 else None
        document = documents.plate(
            name=name if name is not None else _default_name(target),
            acquisitions=_counted(acquisitions, assigned, counts),
            rows=row_names,
            columns=col_names,
            wells=references,
            field_count=most,
        )
        attributes = rendering.render({"plate": documents.dump(document)}, spec_ver)
        write_group(store, "", attributes, zarr_format)
        return attributes


def _assigned(
    wells: Mapping[str, Sequence[Any]],
    acquisitions: Sequence[Mapping[str, Any]] | None,
    field_acquisitions: Mapping[str, Sequence[int]] | None,
) -> list[list[int] | None]:
    """Return the acquisition id of each field, per well (``None``: fields name none).

    Spec: well — "If multiple acquisitions were performed in the plate, it MUST contain an
    acquisition key whose value MUST be an integer identifying the acquisition which MUST
    match one of the acquisition JSON objects defined in the plate metadata".
    """
    ids = [a.get("id") for a in acquisitions or ()]
    if field_acquisitions is None:
        if len(ids) > 1:
            raise CreationError(
                "Expected field_acquisitions (the acquisition id of each field, by well) for "
                f"a plate of several acquisitions. Got none for acquisitions {ids}."
            )
        return [None] * len(wells)
    if not ids:
        raise CreationError("Expected acquisitions for field_acquisitions. Got none.")
    unknown = sorted(set(field_acquisitions) - set(wells))
    if unknown:
        raise CreationError(f"Expected field_acquisitions of the plate's wells. Got {unknown}.")
    assigned: list[list[int] | None] = []
    for key, fields in wells.items():
        given = list(field_acquisitions.get(key, ()))
        integers = all(isinstance(i, int) and not isinstance(i, bool) for i in given)
        if len(given) != len(fields) or not integers or any(i not in ids for i in given):
            raise CreationError(
                f"Expected one acquisition id among {ids} per field of well {key} "
                f"({len(fields)} fields). Got {given}."
            )
        assigned.append(given)
    return assigned


def _counted(
    acquisitions: Sequence[Mapping[str, Any]] | None,
    assigned: Sequence[Sequence[int] | None],
    counts: Sequence[int],
) -> list[dict[str, Any]] | None:
    """Fill each acquisition's ``maximumfieldcount`` (a count given is kept).

    Spec: plate — each acquisition "SHOULD contain a maximumfieldcount key whose value MUST
    be a positive integer indicating the maximum number of fields of view for the
    acquisition": the largest number of a well's fields that belong to it (with one
    acquisition and no assignment, every field does).
    """
    if acquisitions is None:
        return None
    filled = [dict(a) for a in acquisitions]
    for acquisition in filled:
        per_well = [
            count if ids is None else sum(1 for i in ids if i == acquisition.get("id"))
            for ids, count in zip(assigned, counts, strict=True)
        ]
        most = max(per_well, default=0)
        if most > 0:
            acquisition.setdefault("maximumfieldcount", most)
    return filled
