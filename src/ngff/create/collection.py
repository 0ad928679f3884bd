"""Every series of a multi-image file as one OME-Zarr collection (bioformats2raw layout).

An OME-TIFF from acquisition software often holds several images (positions, an overview, a
label image). :func:`write_series_collection` writes each series as the image ``0``, ``1``,
... of one store, then the ``OME`` group naming them in the file's order (``series``) and,
last, the root marker ``bioformats2raw.layout: 3`` -- the layout of the OME-Zarr spec's
"bioformats2raw.layout" section, which ``ngff.open`` and the peers read as a collection.

The images are complete before either group document exists, so an interrupted run never
looks like a finished collection.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ngff.create.groups import write_group, zarr_format_of
from ngff.create.image import Image
from ngff.create.options import CreationError
from ngff.create.write import write_image
from ngff.versions import SpecVersion, spec_version
from ngff_geozarr.core import inputs
from ngff_geozarr.core.groups import writing

__all__ = ["write_series_collection"]


def _ome(version: SpecVersion, section: dict[str, Any]) -> dict[str, Any]:
    """Return the attributes of a group carrying ``section``, in ``version``'s form."""
    return section if version == "0.4" else {"ome": {"version": version, **section}}


def write_series_collection(
    path: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    version: str = "0.5",
    **options: Any,
) -> list[Image]:
    """Write every series of a TIFF file as one bioformats2raw-layout collection.

    Parameters
    ----------
    path
        A TIFF / OME-TIFF file.
    target
        The new store (a local directory or ``.zip`` path); it must not exist.
    version
        The OME-Zarr version of the images and groups.
    **options
        Passed to :func:`~ngff.create.write.write_image` for every series (``chunks``,
        ``method``, ``compression``, ...); each series keeps its own name, channels and
        calibration as the file records them.

    Returns
    -------
    list of Image
        The images written, in the file's order.

    Raises
    ------
    CreationError
        When the file cannot be read, the target exists, or an image cannot be written.
    """
    spec = spec_version(version)
    if spec is None:
        raise CreationError(f"Expected an OME-Zarr version 0.4, 0.5 or 0.6. Got {version!r}.")
    for refused in ("overwrite", "resume", "name"):
        if options.get(refused):
            raise CreationError(f"A series collection takes no {refused!r}: each series is new.")
    out = Path(os.fspath(target))
    if out.suffix == ".zip":
        raise CreationError(f"{out}: a series collection is written to a directory, not a zip.")
    if out.exists():
        raise CreationError(f"{out} already exists; write a collection to a new path.")
    try:
        listed = inputs.list_series(os.fspath(path))
    except inputs.InputError as exc:
        raise CreationError(str(exc)) from None
    if not listed:
        raise CreationError(f"{path}: no image series found.")
    images = []
    names = [str(i) for i in range(len(listed))]
    zarr_format = zarr_format_of(spec)
    # The collection's own record marks the whole of it incomplete until its root is written
    # (each series holds its own lock while written); a collection cannot be resumed.
    with writing(
        out,
        "w-",
        operation="ngff create --series all",
        command=f"a new run of the same command (remove {out} first)",
    ) as store:
        write_group(store, "", {}, zarr_format)  # a plain group until every series is in
        for index in range(len(listed)):
            try:
                source = inputs.open_input(path, series=index)
            except inputs.InputError as exc:
                raise CreationError(str(exc)) from None
            images.append(write_image(source, out / str(index), version=spec, **options))
        write_group(store, "OME", _ome(spec, {"series": names}), zarr_format)
        write_group(store, "", _ome(spec, {"bioformats2raw.layout": 3}), zarr_format)
    return images
