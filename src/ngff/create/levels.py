"""Add the downsampled levels to an image that holds only level 0 (:func:`add_levels`)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from ngff.create.groups import (
    compressors_of,
    dimension_names,
    read_image,
    scale_translation,
    write_group,
)
from ngff.create.image import Image
from ngff.create.options import CreationError, Target, axis_kinds, plan_levels, resolve_method
from ngff.create.write import pyramid_image, write_levels
from ngff_geozarr.core.groups import writing
from ngff_geozarr.core.pyramid import OutputOptions, Progress, PyramidResult
from ngff_geozarr.core.store import join_key
from ngff_geozarr.core.store.writelock import held_lock
from ngff_geozarr.core.store.writerecord import array_fingerprint

__all__ = ["add_levels"]

_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


def _next_paths(first: str, count: int) -> list[str]:
    match = _TRAILING_NUMBER.match(first)
    if match is not None:
        stem, number = match.group(1), int(match.group(2))
        return [f"{stem}{number + k}" for k in range(count)]
    return [first] + [f"{first}_{k}" for k in range(1, count)]


def add_levels(
    target: Target,
    *,
    image_path: str = "",
    method: str | None = None,
    levels: int | Sequence[Sequence[int]] | None = None,
    resume: bool = False,
    client: Any = None,
    workers: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Image:
    """Add the downsampled levels to an image that holds only level 0.

    The new arrays copy the base's chunks, shards, codecs and chunk-key separator; the base
    is read, never rewritten. The image metadata is rewritten last, with every level.

    Parameters
    ----------
    target
        The store holding the image (see :data:`Target`).
    image_path
        The image group's path in the store.
    method
        The kernel; ``mode`` for a label image (``image-label``), ``mean`` otherwise.
    levels
        The number of levels (base included) or explicit factors; automatic when omitted.
    resume, client, workers, progress, storage_options
        How the write runs, as for :func:`~ngff.create.write.write_image`.

    Returns
    -------
    Image
        The image's metadata as rewritten, listing every level.

    Raises
    ------
    CreationError
        When the target holds no image, or one with more than one level (unless ``resume``
        and they are the levels planned: a run interrupted after its metadata was written).
    """
    where = target if isinstance(target, str | os.PathLike) else "TARGET"
    with writing(
        target,
        "r+",
        storage_options,
        operation="ngff pyramid",
        command=f"`ngff pyramid {os.fspath(where)} --resume` (add_levels(..., resume=True))",
        resume=resume,
    ) as store:
        image = read_image(store, image_path)
        ms = image.multiscale
        datasets = ms["datasets"]
        if len(datasets) != 1 and not resume:
            raise CreationError(
                f"Expected an image holding only level 0. Got {len(datasets)} levels."
            )
        base_path = join_key(image_path, datasets[0]["path"])
        base = store.open_array(base_path)
        lock = held_lock(store)
        if lock is not None:  # a resumed run must find the base it started from
            lock.set_source(array_fingerprint({base_path: base}))
        scale, translation = scale_translation(datasets[0])
        axes = list(ms["axes"])
        if len(scale) != len(base.shape) or len(axes) != len(base.shape):
            raise CreationError(
                f"Expected {len(base.shape)} axes and scale values for the base array. "
                f"Got {len(axes)} and {len(scale)}."
            )
        chosen = method or ("mode" if "image-label" in image.ome else "mean")
        kind = resolve_method(chosen)
        planned = plan_levels(base.shape, base.chunks, scale, axis_kinds(axes), base.shards, levels)
        names = _next_paths(datasets[0]["path"], len(planned))
        if len(datasets) != 1 and [d["path"] for d in datasets] != names:
            # resumed after the metadata was written: only the same levels can be completed
            raise CreationError(
                f"Expected an image holding only level 0, or the levels {names} to resume. "
                f"Got {[d['path'] for d in datasets]}."
            )
        compressors, separator = compressors_of(store, base_path, image.zarr_format)
        output = OutputOptions(
            zarr_format=image.zarr_format,
            compressors=compressors,
            dimension_names=dimension_names(axes, image.zarr_format),
            chunk_key_separator="/" if separator == "/" else ".",
        )
        origin = translation or [0.0] * len(scale)

        def write_metadata(result: PyramidResult) -> Image:
            new = pyramid_image(
                result, base.dtype, names, axes, origin, ms.get("name"), image.version, kind
            )
            kept = {k: v for k, v in ms.items() if k not in new.multiscale}
            multiscale = {**kept, **new.multiscale}
            extra = {k: v for k, v in image.ome.items() if k not in ("version", "multiscales")}
            new = replace(new, multiscale=multiscale, extra=extra)
            attributes = new.attributes()
            others = {k: v for k, v in image.attributes.items() if k != "ome"}
            write_group(store, image_path, {**others, **attributes}, image.zarr_format)
            return new

        return write_levels(
            base,
            store,
            planned,
            [join_key(image_path, n) for n in names],
            kind,
            output,
            metadata=write_metadata,
            resume=resume,
            client=client,
            workers=workers,
            progress=progress,
            write_base=False,
        )
