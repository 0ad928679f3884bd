"""Write label images: ``labels/<name>`` under an image, its levels and the ``labels`` group.

:func:`write_labels` writes a label image for an existing image: ``mode`` by default (a
downsampled label is always one present in its block), the image's levels, shapes and
transformations, ``image-label`` metadata with colours, and lists it in the ``labels``
group once complete.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

import ngff.create.documents as documents
import ngff.create.rendering as rendering
from ngff.convert import convert_attributes
from ngff.create.groups import (
    StoredImage,
    compressors_of,
    read_group,
    read_image,
    scale_translation,
    untyped,
    write_group,
    zarr_format_of,
)
from ngff.create.image import Image
from ngff.create.options import (
    CreationError,
    Target,
    check_labels,
    check_relative_path,
    check_source,
    plan_levels,
    resolve_method,
)
from ngff.create.write import Request, write_multiscale
from ngff.detection import ome_attributes
from ngff.versions import spec_version
from ngff_geozarr.core.groups import writing
from ngff_geozarr.core.pyramid import Progress
from ngff_geozarr.core.store import COMPRESSIONS, StoreHandle, join_key
from ngff_geozarr.core.store.writerecord import fingerprint_of

__all__ = ["write_labels"]

_MAX_COLORS = 4096


def _label_colors(
    store: StoreHandle, coarsest: str, colors: Mapping[int, Sequence[int]] | str | None
) -> list[tuple[int, list[int]]] | None:
    if colors is None:
        return None
    if isinstance(colors, str):
        if colors != "auto":
            raise CreationError(f"Expected colors as a mapping, 'auto' or None. Got {colors!r}.")
        array = store.open_array(coarsest)
        values = np.unique(array.read(tuple(slice(0, n) for n in array.shape)))[:_MAX_COLORS]
        table = {int(v): _label_rgba(int(v)) for v in values}
    else:
        table = {int(k): [int(c) for c in v] for k, v in colors.items()}
    if not table:
        return None
    return sorted(table.items())


def _label_rgba(value: int) -> list[int]:
    """Return a stable, well-spread colour per label; 0 (background) transparent."""
    if value == 0:
        return [0, 0, 0, 0]
    mixed = (value * 2654435761) & 0xFFFFFF
    return [(mixed >> 16) & 255, (mixed >> 8) & 255, mixed & 255, 255]


def write_labels(
    labels: Any,
    image_target: Target,
    name: str,
    *,
    image_path: str = "",
    colors: Mapping[int, Sequence[int]] | str | None = "auto",
    properties: Sequence[Mapping[str, Any]] | None = None,
    method: str = "mode",
    overwrite: bool = False,
    resume: bool = False,
    client: Any = None,
    workers: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Image:
    """Write a label image for an existing image: its levels, shapes and transformations.

    The label image goes to ``labels/<name>`` under the image group, is downsampled by the
    image's own per-level factors (``mode`` by default: never a label absent from its
    block), and is listed in the ``labels`` group once complete.

    Parameters
    ----------
    labels
        The labels at the image's base resolution, of an integer dtype: the image's shape,
        or 1 along axes the labels do not vary (a channel axis, typically).
    image_target
        The store holding the image (see :data:`Target`).
    name
        The label image's name (one path component).
    image_path
        The image group's path in the store.
    colors
        ``"auto"`` (default): a colour for each label present at the coarsest level
        (background 0 transparent); a mapping from label value to RGBA; ``None`` for none.
    properties
        The ``image-label`` properties (objects with a ``label-value``).
    method
        The downsampling kernel.
    overwrite
        Replace a label image of that name: its keys are removed, then it is written anew
        (not atomic: an interrupted overwrite leaves the label image incomplete, which
        ``validate`` reports, until a rerun). Without it, an existing label image of that
        name is refused before anything is written.
    resume, client, workers, progress, storage_options
        How the write runs, as for :func:`~ngff.create.write.write_image`.

    Returns
    -------
    Image
        The label image's metadata.

    Raises
    ------
    CreationError
        When the target holds no image, the labels do not fit it, or are not integers; when
        a label image of that name exists and neither ``overwrite`` nor ``resume`` is given.
    """
    source = check_source(labels)
    check_labels(source)
    if not name or "/" in name:
        raise CreationError(f"Expected a label name of one path component. Got {name!r}.")
    check_relative_path(name)
    if overwrite and resume:
        raise CreationError(
            "Expected resume or overwrite, not both: resume finishes the label image there, "
            "overwrite replaces it."
        )
    with writing(
        image_target,
        "r+",
        storage_options,
        operation="ngff labels",
        command="the same labels write with --resume (write_labels(..., resume=True))",
        resume=resume,
        source=fingerprint_of(labels),
    ) as store:
        image = read_image(store, image_path)
        ms = image.multiscale
        datasets = ms["datasets"]
        arrays = [store.open_array(join_key(image_path, d["path"])) for d in datasets]
        shape = tuple(int(n) for n in source.shape)
        base = arrays[0]
        check_labels(source, base.shape)
        transforms = [scale_translation(d) for d in datasets]
        factors = []
        for k in range(1, len(arrays)):
            step = []
            for d, (before, after) in enumerate(
                zip(transforms[k - 1][0], transforms[k][0], strict=True)
            ):
                ratio = after / before
                f = round(ratio)
                if f < 1 or not math.isclose(ratio, f, rel_tol=1e-6):
                    raise CreationError(
                        f"Expected integer factors between the image's levels. Got {ratio:g} "
                        f"along axis {d} of level {k}."
                    )
                step.append(f)
            factors.append(step)
        group = join_key(image_path, "labels", name)
        request = Request(
            group=group,
            axes=list(ms["axes"]),
            scale=transforms[0][0],
            translation=transforms[0][1] or [0.0] * len(shape),
            name=name,
            method=resolve_method(method),
            levels=factors,
            chunks=tuple(min(c, n) for c, n in zip(base.chunks, shape, strict=True)),
            shards=(
                None
                if base.shards is None
                else tuple(min(s, n) for s, n in zip(base.shards, shape, strict=True))
            ),
            version=image.version,
            compression=COMPRESSIONS[0],
            compressors=untyped(
                compressors_of(store, arrays[0].path, zarr_format_of(image.version))[0]
            ),
        )
        planned = plan_levels(shape, request.chunks, request.scale, None, None, factors)
        for level, array in zip(planned, arrays, strict=True):
            if any(n not in (m, 1) for n, m in zip(level.shape, array.shape, strict=True)):
                raise CreationError(
                    f"Expected the label levels to match the image's: level {level.index} "
                    f"would be {list(level.shape)}, the image's is {list(array.shape)}."
                )
        paths = [d["path"] for d in datasets]

        def finish(store: StoreHandle, label: Image) -> Image:
            # The image's own dataset paths and transformations, verbatim.
            multiscale = {**label.multiscale, "datasets": json.loads(json.dumps(datasets))}
            coarsest = join_key(group, paths[-1])
            table = _label_colors(store, coarsest, colors)
            image_label = documents.image_label(table, properties, "../../")
            return replace(
                label, multiscale=multiscale, extra={"image-label": documents.dump(image_label)}
            )

        request = replace(request, finish=finish, paths=tuple(paths))
        existing = [] if resume else store.list_keys(group)
        if existing and not overwrite:
            raise CreationError(
                f"labels/{name}: already exists in {store.target}; pass overwrite=True to "
                "replace it, or resume=True to finish an interrupted write."
            )
        for key in existing:
            store.delete(key)
        label = write_multiscale(
            store, source, request, resume=resume, client=client, workers=workers, progress=progress
        )
        _list_label(store, image, join_key(image_path, "labels"), name)
        return label


def _list_label(store: StoreHandle, image: StoredImage, path: str, name: str) -> None:
    """Add a label image to the ``labels`` group (created when missing), last.

    Other attributes of an existing ``labels`` group are kept.
    """
    found = read_group(store, path)
    listed: list[str] = []
    other: dict[str, Any] = {}
    if found is not None:
        _, attributes = found
        _, declared = ome_attributes(attributes)
        version = spec_version(declared) or image.version  # 0.4 labels carry no version
        normal = convert_attributes(attributes, version, "0.5")
        other = {k: v for k, v in normal.items() if k != "ome"}
        existing = normal.get("ome", {}).get("labels")
        if isinstance(existing, list):
            listed = [str(v) for v in existing]
    if name not in listed:
        listed.append(name)
    rendered = rendering.render({"labels": documents.labels_group(listed).labels}, image.version)
    write_group(store, path, {**other, **rendered}, image.zarr_format)
