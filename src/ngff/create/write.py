"""Write an OME-Zarr image: level 0 and every downsampled level in one pass, metadata last.

:func:`write_image` writes a numpy, dask or zarr array and every downsampled level in one
pass over the data (``mean`` by default), in bounded memory, on threads or a dask cluster.
The label, plate and extra-level writers reuse :func:`write_multiscale`.

Scales and translations of the levels
    Level ``k`` reduces the base by the cumulative factor ``f_k`` per axis. Its scale is
    ``scale_k = scale_0 * f_k`` and, because each of its samples summarises a block of
    ``f_k`` base samples and sits at the block's centre (pixel-centre alignment), its
    translation is ``translation_k = translation_0 + (f_k - 1) / 2 * scale_0``. A level that
    halves a 1 µm axis therefore has a 2 µm scale and a 0.5 µm translation: its first
    sample's centre lies half-way between the centres of the first two base samples. A
    translation is written only when it is not zero on every axis.

Output formats
    0.4 is written as Zarr v2 (nested ``/`` chunk keys, as 0.4 requires), 0.5 and 0.6 as
    Zarr v3 with ``dimension_names`` equal to the axis names (optionally sharded). 0.6
    metadata gives each image one coordinate system, ``"physical"``, and each level one
    transformation into it (see :func:`ngff.convert.v05_to_v06`). A target named
    ``*.ozx`` is written as an RFC-9 single-file OME-Zarr (0.5/0.6, sharded by default:
    :func:`~ngff.create.options.single_file_shards`; the chunks are spooled to one file and
    the archive written in RFC-9 order at the end: :mod:`ngff_geozarr.core.store.ozx_write`).

Metadata last
    The OME metadata of a group is written only after every array below it is complete, so
    an interrupted run leaves a store that does not validate as a complete image; running it
    again with ``resume=True`` skips the chunks already written and finishes the job with
    output byte-identical to an uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pydantic

import ngff.create.documents as documents
import ngff.create.rendering as rendering
from ngff.create.arrange import from_input
from ngff.create.channels import ChannelSettings, channel_settings
from ngff.create.groups import dimension_names, write_group, zarr_format_of
from ngff.create.image import Image, downsampling
from ngff.create.omero import omero_of
from ngff.create.options import (
    ArraySpec,
    AxesLike,
    CreationError,
    Target,
    UnitsLike,
    axis_kinds,
    check_axis_counts,
    check_source,
    default_chunks,
    layout_for_reader,
    make_axes,
    per_axis,
    plan_levels,
    resolve_method,
    single_file_shards,
    sizes_per_axis,
)
from ngff.create.target import writing_target
from ngff.ozx_checks import is_ozx
from ngff.versions import SPEC_VERSIONS, SpecVersion, spec_version
from ngff_geozarr.core.pyramid import (
    Level,
    Method,
    OutputOptions,
    Progress,
    PyramidError,
    PyramidResult,
    downsample,
    write_pyramid,
)
from ngff_geozarr.core.store import Compression, StoreHandle, compressors_for, join_key
from ngff_geozarr.core.store.writerecord import fingerprint_of

__all__ = [
    "Request",
    "image_request",
    "pyramid_image",
    "write_image",
    "write_levels",
    "write_multiscale",
]


@dataclass(frozen=True)
class Request:
    """What to write for one multiscale image (see :func:`write_image` for the fields).

    ``finish`` may rewrite the metadata before it is written (label images use it);
    ``paths`` names the levels' arrays (``0``, ``1``, ... when omitted); ``channels``, when
    given, is written as the ``omero`` section (``omero`` and ``channel_names`` are what
    :func:`image_request` checked it from).
    """

    group: str
    axes: list[dict[str, Any]]
    scale: list[float]
    translation: list[float]
    name: str | None
    method: Method
    levels: int | Sequence[Sequence[int]] | None
    chunks: tuple[int, ...]
    shards: tuple[int, ...] | None
    version: SpecVersion
    compression: Compression
    compressors: tuple[dict[str, Any], ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    omero: bool = False
    channel_names: Sequence[str] | None = None
    finish: Callable[[StoreHandle, Image], Image] | None = None
    paths: tuple[str, ...] | None = None
    channels: ChannelSettings | None = None


def pyramid_image(
    result: PyramidResult,
    dtype: np.dtype[Any],
    paths: Sequence[str],
    axes: AxesLike | None,
    translation: Sequence[float],
    name: str | None,
    version: SpecVersion,
    method: Method,
) -> Image:
    """Build the metadata of a written pyramid: one dataset per level, base first.

    Each level's translation is the base's plus the offset of its pixel centres; the
    multiscale ``type`` and ``metadata`` name the kernel and its factors.

    Parameters
    ----------
    result
        What the engine wrote (its planned levels).
    dtype
        The arrays' data type.
    paths
        The dataset paths, base first.
    axes
        The image's axes.
    translation
        The base level's translation.
    name
        The multiscale's name.
    version
        The OME-Zarr version.
    method
        The kernel that produced levels 1 and up.

    Returns
    -------
    Image
        The image metadata (no extra sections).
    """
    kind, metadata = downsampling(method, [lv.factors for lv in result.levels[1:]])
    return Image.new(
        [ArraySpec(lv.shape, dtype, lv.chunks, lv.shards) for lv in result.levels],
        paths,
        axes,
        [lv.scale for lv in result.levels],
        [[t + o for t, o in zip(translation, lv.offset, strict=True)] for lv in result.levels],
        name,
        version=version,
        type=kind,
        metadata=metadata,
    )


def write_multiscale(
    store: StoreHandle,
    data: Any,
    request: Request,
    *,
    resume: bool,
    client: Any,
    workers: int | None,
    progress: Callable[[Progress], None] | None,
) -> Image:
    """Write every level of one multiscale image, then its metadata.

    Parameters
    ----------
    store
        The store, opened writable.
    data
        The base level.
    request
        What to write.
    resume
        Keep the chunks already written.
    client
        A ``dask.distributed.Client``, or ``None``.
    workers
        The number of threads.
    progress
        Called after every finished tile.

    Returns
    -------
    Image
        The metadata written.
    """
    shape = tuple(int(n) for n in data.shape)
    kinds = axis_kinds(request.axes)
    levels = plan_levels(
        shape, request.chunks, request.scale, kinds, request.shards, request.levels
    )
    zarr_format = zarr_format_of(request.version)
    names = list(request.paths or [str(k) for k in range(len(levels))])
    if len(names) != len(levels):
        raise CreationError(f"Expected {len(levels)} dataset paths. Got {names}.")
    output = OutputOptions(
        zarr_format=zarr_format,
        compression=request.compression,
        compressors=request.compressors,
        dimension_names=dimension_names(request.axes, zarr_format),
    )

    def write_metadata(result: PyramidResult) -> Image:
        image = pyramid_image(
            result,
            np.dtype(data.dtype),
            names,
            request.axes,
            request.translation,
            request.name,
            request.version,
            request.method,
        )
        image = replace(image, extra=dict(request.extra))
        settings = request.channels
        if settings is None and request.omero:  # a Request built without image_request
            axis = next((i for i, a in enumerate(request.axes) if a.get("type") == "channel"), None)
            count = 1 if axis is None else shape[axis]
            settings = channel_settings(count, names=request.channel_names, name=request.name)
        if settings is not None:
            omero = omero_of(store, image, result.paths[-1], settings)
            image = replace(image, extra={**image.extra, "omero": omero})
        if request.finish is not None:
            image = request.finish(store, image)
        write_group(store, request.group, image.attributes(), zarr_format)
        return image

    return write_levels(
        data,
        store,
        levels,
        [join_key(request.group, n) for n in names],
        request.method,
        output,
        metadata=write_metadata,
        resume=resume,
        client=client,
        workers=workers,
        progress=progress,
    )


def write_levels(
    data: Any,
    store: StoreHandle,
    levels: Sequence[Level],
    paths: Sequence[str],
    method: Method,
    output: OutputOptions,
    *,
    metadata: Callable[[PyramidResult], Image],
    resume: bool,
    client: Any,
    workers: int | None,
    progress: Callable[[Progress], None] | None,
    write_base: bool = True,
) -> Image:
    """Write the levels of a pyramid, then (once every array is complete) its metadata.

    Parameters
    ----------
    data
        The base level.
    store
        The store, opened writable.
    levels
        The planned levels (see :func:`plan_levels`).
    paths
        The key of each level's array.
    method
        The downsampling kernel.
    output
        How the arrays are encoded.
    metadata
        Writes the image metadata of the finished pyramid and returns it.
    resume, client, workers, progress
        How the write runs (see :func:`~ngff_geozarr.core.pyramid.write_pyramid`).
    write_base
        Write level 0 too (``False`` when it is already in the store).

    Returns
    -------
    Image
        The metadata ``metadata`` wrote.
    """
    written: list[Image] = []
    write_pyramid(
        data,
        store,
        levels,
        paths=paths,
        method=method,
        output=output,
        workers=workers,
        client=client,
        resume=resume,
        write_base=write_base,
        progress=progress,
        write_metadata=lambda result: written.append(metadata(result)),
    )
    return written[0]


def image_request(
    data: Any,
    group: str,
    *,
    axes: AxesLike | None,
    scale: Sequence[float] | None,
    translation: Sequence[float] | None,
    units: UnitsLike,
    name: str | None,
    method: str,
    levels: int | Sequence[Sequence[int]] | None,
    chunks: Sequence[int] | None,
    shards: Sequence[int] | None,
    version: str,
    compression: Compression,
    omero: bool,
    channel_names: Sequence[str] | None,
    channel_colors: Sequence[str] | None = None,
    channel_windows: Sequence[Sequence[float]] | None = None,
    rgb: bool = False,
    single_file: bool = False,
) -> Request:
    """Check the options of one image (see :func:`write_image`) and return its request.

    Every check a write needs happens here, before anything is written: the version,
    codec and axes; per-axis lengths; the chunks and shards against the shape (the levels
    are planned); the downsampling method against the dtype; the channel settings against
    the channel count.

    Parameters
    ----------
    data
        The base level, in OME axis order.
    group
        The image group's path in the store.
    axes, scale, translation, units, name, method, levels, chunks, shards, version
        As for :func:`write_image` (per-axis values in OME order).
    compression, omero, channel_names, channel_colors, channel_windows, rgb
        As for :func:`write_image`.
    single_file
        The image is written as an RFC-9 ``.ozx`` file: OME-Zarr 0.5 or 0.6 only, and
        sharded by default (:func:`single_file_shards`).

    Returns
    -------
    Request
        What to write.

    Raises
    ------
    CreationError
        When the options are inconsistent.
    """
    ndim = len(data.shape)
    spec_ver = spec_version(version)
    if spec_ver is None:
        raise CreationError(
            f"Expected a version among {', '.join(SPEC_VERSIONS)}. Got {version!r}."
        )
    if single_file and spec_ver == "0.4":
        raise CreationError(
            "Expected version 0.5 or 0.6 for an .ozx file (RFC-9 single-file OME-Zarr holds "
            "a Zarr v3 hierarchy). Got 0.4."
        )
    if shards is not None and spec_ver == "0.4":
        raise CreationError("Expected no shards for OME-Zarr 0.4 (Zarr v2 has no sharding).")
    try:
        compressors_for(compression, 3)
    except ValueError as exc:
        raise CreationError(str(exc)) from None
    axis_list = make_axes(axes, ndim, units)
    if spec_ver in ("0.4", "0.5"):
        check_axis_counts(axis_list)
    try:
        documents.axis_extras(axis_list, spec_ver)
    except pydantic.ValidationError as exc:
        problem = rendering.describe(exc)
        raise CreationError(f"Expected axes OME-Zarr {spec_ver} accepts. {problem}") from None
    chunk_shape = (
        default_chunks(data.shape, axis_list)
        if chunks is None
        else sizes_per_axis("chunks", chunks, ndim)
    )
    request = Request(
        group=group,
        axes=axis_list,
        scale=[float(s) for s in per_axis("scale", scale, ndim, 1.0)],
        translation=[float(t) for t in per_axis("translation", translation, ndim, 0.0)],
        name=name,
        method=resolve_method(method),
        levels=levels,
        chunks=tuple(max(1, min(int(c), n)) for c, n in zip(chunk_shape, data.shape, strict=True)),
        shards=(
            sizes_per_axis("shards", shards, ndim)
            if shards is not None
            else single_file_shards(data.shape, chunk_shape, axis_list)
            if single_file
            else None
        ),
        version=spec_ver,
        compression=compression,
        omero=omero,
        channel_names=channel_names,
    )
    _check_plan(request, tuple(int(n) for n in data.shape), np.dtype(data.dtype))
    wants_channels = omero or rgb or channel_names is not None
    if wants_channels or channel_colors is not None or channel_windows is not None:
        channel_axis = next(
            (i for i, a in enumerate(axis_list) if a.get("type") == "channel"), None
        )
        settings = channel_settings(
            1 if channel_axis is None else int(data.shape[channel_axis]),
            names=channel_names,
            colors=channel_colors,
            windows=channel_windows,
            rgb=rgb,
            name=name,
        )
        request = replace(request, omero=True, channels=settings)
    return request


def _check_plan(request: Request, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
    """Plan the levels and try the kernel on the dtype: a mistake surfaces before writing."""
    try:
        planned = plan_levels(
            shape,
            request.chunks,
            request.scale,
            axis_kinds(request.axes),
            request.shards,
            request.levels,
        )
        if len(planned) > 1:
            sample = np.zeros(tuple(min(2, n) for n in shape), dtype)
            downsample(sample, planned[1].factors, request.method)
    except PyramidError as exc:
        raise CreationError(str(exc)) from None


_DEFAULT_NAME = "image"


def write_image(
    data: Any,
    target: Target,
    *,
    axes: AxesLike | None = None,
    scale: Sequence[float] | None = None,
    translation: Sequence[float] | None = None,
    units: UnitsLike = None,
    name: str | None = _DEFAULT_NAME,
    method: str = "mean",
    levels: int | Sequence[Sequence[int]] | None = None,
    chunks: Sequence[int] | None = None,
    shards: Sequence[int] | None = None,
    layout_for: str | None = None,
    version: str = "0.5",
    compression: Compression = "blosc-zstd",
    omero: bool = False,
    channel_names: Sequence[str] | None = None,
    channel_colors: Sequence[str] | None = None,
    channel_windows: Sequence[Sequence[float]] | None = None,
    rgb: bool | None = None,
    overwrite: bool = False,
    resume: bool = False,
    client: Any = None,
    workers: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Image:
    """Write an OME-Zarr image: level 0 and every downsampled level, metadata last.

    Every argument is checked before the first byte is written (a mistake leaves the
    target untouched); the metadata is written after every array is complete.

    Parameters
    ----------
    data
        The base level: a numpy array (or memmap), a dask array, a zarr array, an array of
        a store, or anything with ``shape``, ``dtype`` and region reads; or a file path
        (``str`` or :class:`os.PathLike`: TIFF/OME-TIFF, ``.npy``, Zarr ``STORE::PATH``), an
        xarray ``DataArray`` (dims as axes, regular coordinates as scale and translation,
        their units, channel labels, its name) or a
        :class:`~ngff_geozarr.core.inputs.Source`, read with the axes, calibration,
        channel metadata and image name the input records (each a default for the
        arguments below).
    target
        Where to write (see :data:`Target`): a new or empty store; an existing one only
        with ``overwrite`` or ``resume``. A path ending in ``.ozx`` writes an RFC-9
        single-file OME-Zarr (not resumable; it appears only once complete).
    axes
        The axes of ``data`` in its own order (see :func:`make_axes`), transposed into OME
        order (time, channel or custom, then space; ``z``, ``y``, ``x`` as ``zyx``) by a
        lazy view: ``yxc`` RGB becomes ``cyx``, ``zyxc`` becomes ``czyx``. When omitted: a
        file's own axes; ``yxc``/``zyxc``/``tzyxc`` for ``rgb`` data; else ``yx``,
        ``zyx``, ``czyx`` or ``tczyx`` by the number of dimensions.
    scale
        The physical size of a base sample per axis; 1 when omitted (a file's calibration
        for a file input). Per-axis values (``scale``, ``translation``, a list of
        ``units``, ``chunks``, ``shards``, per-level factors) follow ``axes`` as given; a
        file's axes are named by the file, so for a file input they follow the OME order.
    translation
        The physical position of the base's first sample per axis; 0 when omitted.
    units
        The axis units (see :func:`make_axes`).
    name
        The image's name, written as the multiscale's and the ``omero`` ``name``; for a
        file input, the name it records replaces the default.
    method
        The downsampling kernel (``mean`` by default; ``mode`` for labels; booleans need
        ``mode``, ``nearest``, ``min`` or ``max``).
    levels
        The number of levels (base included), or explicit per-level factors; automatic
        when omitted: spatial axes only, z left alone until the xy pixel size reaches z's,
        until the largest spatial extent fits one chunk.
    chunks
        The chunk shape (see :func:`default_chunks` for the default).
    shards
        The shard shape (0.5 and 0.6 only), a multiple of ``chunks``.
    layout_for
        Instead of ``chunks`` and ``shards``: the reader to choose them for, ``"viewer"``,
        ``"archive"`` or ``"gdal"`` (:mod:`~ngff_geozarr.core.pyramid.shards`); or
        ``"source"``: a Zarr array's own chunks, shards and compressors (in place of
        ``compression``), so that level 0 is its chunks copied as stored, not encoded again.
    version
        ``"0.4"`` (Zarr v2), ``"0.5"`` or ``"0.6"`` (Zarr v3).
    compression
        The codec preset, ``NAME`` or ``NAME:LEVEL`` (see
        :data:`~ngff_geozarr.core.store.Compression`): Blosc-zstd level 5 with shuffle by
        default; ``"zstd:1"`` or ``"blosc-lz4"`` write faster and larger. Label images
        written later with :func:`write_labels` use the same codec.
    omero
        Write ``omero`` channel metadata; also written whenever channel names, colours,
        windows or ``rgb`` are given (or recorded by a file input). See
        :mod:`ngff.create.channels` for the defaults and :mod:`ngff.create.omero` for the
        windows computed from the coarsest level.
    channel_names
        One label per channel (the extent of the channel axis; 1 without one).
    channel_colors
        One colour per channel: ``RRGGBB``, ``#RRGGBB`` or a name (``red``, ``green``,
        ``blue``, ``cyan``, ``magenta``, ``yellow``, ``white``, ``gray``, ...).
    channel_windows
        One display window ``(start, end)`` per channel.
    rgb
        The channels are the red, green, blue (alpha) samples of one colour image: coloured
        ``FF0000``, ``00FF00``, ``0000FF``, shown over the dtype's whole range, rendering
        model ``color``. A file input's photometric interpretation when omitted.
    overwrite
        Replace an existing store: the new one is written next to it and swapped in once
        complete (see :mod:`ngff.create.target`; not for remote targets).
    resume
        Complete an interrupted run: keep the chunks already written.
    client
        A ``dask.distributed.Client`` to write on; threads when omitted.
    workers
        The number of threads (without ``client``).
    progress
        Called after every finished tile (see :class:`~ngff_geozarr.core.pyramid.Progress`).
    storage_options
        Options for remote targets.

    Returns
    -------
    Image
        The metadata written.

    Raises
    ------
    CreationError
        When the arguments are inconsistent, or the target is not empty and neither
        ``overwrite`` nor ``resume`` is given.

    Examples
    --------
    >>> import os, tempfile, numpy as np, ngff
    >>> target = os.path.join(tempfile.mkdtemp(), "volume.ome.zarr")
    >>> image = write_image(np.ones((40, 300, 300), np.uint16), target, scale=(4, 1, 1),
    ...                     chunks=(16, 128, 128), units="micrometer")
    >>> [d["coordinateTransformations"][0]["scale"] for d in image.multiscale["datasets"]]
    [[4.0, 1.0, 1.0], [4.0, 2.0, 2.0], [4.0, 4.0, 4.0]]
    >>> ngff.validate(target).valid
    True

    An RGB picture, colour samples last, is written as ``cyx``:

    >>> rgb = np.zeros((64, 48, 3), np.uint8)
    >>> image = write_image(rgb, target, axes="yxc", rgb=True, overwrite=True)
    >>> [a["name"] for a in image.axes], image.extra["omero"]["rdefs"]["model"]
    (['c', 'y', 'x'], 'color')
    """
    options: dict[str, Any] = {
        "scale": scale,
        "translation": translation,
        "units": units,
        "name": name,
        "levels": levels,
        "chunks": chunks,
        "shards": shards,
        "channel_names": channel_names,
        "channel_colors": channel_colors,
        "channel_windows": channel_windows,
    }
    single_file = is_ozx(target)
    if single_file and client is not None:
        raise CreationError(
            "Expected no client for an .ozx file: it is written on this machine's threads "
            "(its chunks are spooled to one local file); write a directory store on a cluster."
        )
    arranged, ome_axes, is_rgb, filled = from_input(data, axes, rgb, options, _DEFAULT_NAME)
    source = check_source(arranged)
    filled = layout_for_reader(filled, layout_for, source, ome_axes, version)
    compressors = filled.pop("compressors", None)
    request = image_request(
        source,
        "",
        axes=ome_axes,
        method=method,
        version=version,
        compression=compression,
        omero=omero,
        rgb=is_rgb,
        single_file=single_file,
        **filled,
    )
    if compressors is not None:  # the source's, so that its chunks are copied as stored
        request = replace(request, compressors=tuple(compressors))
    with writing_target(
        target,
        resume=resume,
        overwrite=overwrite,
        storage_options=storage_options,
        operation="ngff create",
        command="the same `ngff create` with --resume (write_image(..., resume=True))",
        source=fingerprint_of(data),
    ) as store:
        return write_multiscale(
            store, source, request, resume=resume, client=client, workers=workers, progress=progress
        )
