"""Create OME-Zarr images, label images and plates: metadata builder, writers, extra levels.

The workflow mirrors the one users know from other tools — array specs, image metadata,
write, add downsampled levels — on top of the toolkit's pyramid engine
(:mod:`ngff_geozarr.core.pyramid`):

- :meth:`Image.new` builds image metadata from array specs, paths, axes, scales and
  translations, without touching any data; :meth:`Image.attributes` renders it for 0.4, 0.5
  or 0.6 and :meth:`Image.to_store` writes the group and empty arrays.
- :func:`write_image` writes a numpy, dask or zarr array and every downsampled level in one
  pass over the data (``mean`` by default), in bounded memory, on threads or a dask cluster.
- :func:`write_labels` writes a label image for an existing image: ``mode`` by default (a
  downsampled label is always one present in its block), the image's levels and shapes,
  ``image-label`` metadata with colours.
- :func:`add_levels` adds the downsampled levels to a store that holds only level 0.
- :func:`write_plate` writes a high-content-screening plate: wells of fields of view.

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
    transformation into it (see :func:`ngff.convert.v05_to_v06`).

Metadata last
    The OME metadata of a group is written only after every array below it is complete, so
    an interrupted run leaves a store that does not validate as a complete image; running it
    again with ``resume=True`` skips the chunks already written and finishes the job with
    output byte-identical to an uninterrupted run.

Examples
--------
>>> import numpy as np
>>> image = Image.new(
...     [np.zeros((64, 64), np.uint8), np.zeros((32, 32), np.uint8)],
...     paths=["0", "1"],
...     axes="yx",
...     scales=[[1.0, 1.0], [2.0, 2.0]],
...     translations=[None, [0.5, 0.5]],
...     name="demo",
... )
>>> ms = image.attributes()["ome"]["multiscales"][0]
>>> ms["datasets"][1]["coordinateTransformations"][1]
{'type': 'translation', 'translation': [0.5, 0.5]}
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any, TypeAlias

import numpy as np

from ngff.convert import convert_attributes
from ngff.detection import ome_attributes
from ngff.versions import SPEC_VERSIONS, WRITTEN_VERSION, SpecVersion, spec_version
from ngff_geozarr.core.errors import NgffGeozarrError, UnsafePathError
from ngff_geozarr.core.pyramid import (
    METHODS,
    AxisKind,
    Level,
    Method,
    OutputOptions,
    Progress,
    PyramidResult,
    plan,
    write_pyramid,
)
from ngff_geozarr.core.store import (
    COMPRESSIONS,
    Compression,
    StoreHandle,
    ZarrFormat,
    check_key,
    compressors_for,
    join_key,
    open_store,
)
from ngff_geozarr.core.zarr_format import array_compressors

__all__ = [
    "ArraySpec",
    "AxesLike",
    "CreationError",
    "Image",
    "Target",
    "UnitsLike",
    "add_levels",
    "default_chunks",
    "make_axes",
    "write_image",
    "write_labels",
    "write_plate",
]

AxesLike: TypeAlias = str | Sequence[str | Mapping[str, Any]]
"""Axes as a string of one-letter names (``"tczyx"``), a list of names, or a list of axis
objects (``{"name": "x", "type": "space", "unit": "micrometer"}``)."""
UnitsLike: TypeAlias = str | Mapping[str, str] | Sequence[str | None] | None
"""Units: one unit for every space axis, a mapping from axis name to unit, or one unit (or
``None``) per axis."""
Target: TypeAlias = str | os.PathLike[str] | StoreHandle | MutableMapping[str, Any]
"""Where to write: a path or URL, an opened store, or a mapping (memory)."""

_AXIS_TYPES = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
_DEFAULT_AXES = {2: "yx", 3: "zyx", 4: "czyx", 5: "tczyx"}
_KINDS: dict[str | None, AxisKind] = {"space": "space", "time": "time", "channel": "channel"}
_PALETTE = ("FFFFFF", "00FF00", "FF00FF", "00FFFF", "FF0000", "0000FF", "FFFF00")
_WINDOW_QUANTILES = (0.001, 0.999)
_MAX_COLORS = 4096
_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


class CreationError(NgffGeozarrError, ValueError):
    """An image, label image or plate cannot be created as asked."""


# ----------------------------------------------------------------------------------------
# axes, chunks, array specs


def make_axes(axes: AxesLike | None, ndim: int, units: UnitsLike = None) -> list[dict[str, Any]]:
    """Return OME axis objects for an array of ``ndim`` dimensions.

    Parameters
    ----------
    axes
        The axes (see :data:`AxesLike`); ``yx``, ``zyx``, ``czyx`` or ``tczyx`` by the number
        of dimensions when omitted. Names ``t``, ``c``, ``z``, ``y``, ``x`` get the types
        time, channel and space; other names get no type.
    ndim
        The number of dimensions.
    units
        The units (see :data:`UnitsLike`); none when omitted.

    Returns
    -------
    list of dict
        One axis object per dimension.

    Raises
    ------
    CreationError
        When the number of axes or units does not match ``ndim``.

    Examples
    --------
    >>> make_axes("zyx", 3, units="micrometer")[0]
    {'name': 'z', 'type': 'space', 'unit': 'micrometer'}
    >>> make_axes(None, 4, {"c": None})[0]
    {'name': 'c', 'type': 'channel'}
    """
    if axes is None:
        if ndim not in _DEFAULT_AXES:
            raise CreationError(f"Expected 2 to 5 dimensions, or explicit axes. Got {ndim}.")
        axes = _DEFAULT_AXES[ndim]
    items: list[dict[str, Any]] = []
    for axis in axes:
        if isinstance(axis, str):
            item: dict[str, Any] = {"name": axis}
            if axis.lower() in _AXIS_TYPES:
                item["type"] = _AXIS_TYPES[axis.lower()]
        elif isinstance(axis, Mapping) and isinstance(axis.get("name"), str):
            item = dict(axis)
        else:
            raise CreationError(f"Expected an axis name or an axis object. Got {axis!r}.")
        items.append(item)
    if len(items) != ndim:
        names = [a["name"] for a in items]
        raise CreationError(f"Expected {ndim} axes for {ndim} dimensions. Got {names}.")
    if units is None:
        return items
    if isinstance(units, str):
        per_axis: list[str | None] = [
            units if a.get("type") == "space" else a.get("unit") for a in items
        ]
    elif isinstance(units, Mapping):
        unknown = set(units) - {a["name"] for a in items}
        if unknown:
            raise CreationError(f"Expected units for known axes. Got {sorted(unknown)}.")
        per_axis = [units.get(a["name"], a.get("unit")) for a in items]
    else:
        per_axis = list(units)
        if len(per_axis) != ndim:
            raise CreationError(f"Expected {ndim} units. Got {per_axis}.")
    for item, unit in zip(items, per_axis, strict=True):
        item.pop("unit", None)
        if unit:
            item["unit"] = unit
    return items


def _kinds(axes: Sequence[Mapping[str, Any]]) -> tuple[AxisKind, ...]:
    return tuple(_KINDS.get(a.get("type"), "other") for a in axes)


def default_chunks(shape: Sequence[int], axes: Sequence[Mapping[str, Any]]) -> tuple[int, ...]:
    """Return the default chunk shape: 256 along y and x, 64 along z, 1 along other axes.

    Parameters
    ----------
    shape
        The array's shape.
    axes
        Its axis objects (see :func:`make_axes`).

    Returns
    -------
    tuple of int
        The chunk shape, clipped to ``shape``.

    Examples
    --------
    >>> default_chunks((3, 100, 1000, 1000), make_axes("czyx", 4))
    (1, 64, 256, 256)
    """
    spatial = [i for i, a in enumerate(axes) if a.get("type") == "space"]
    chunks = [1] * len(shape)
    for rank, i in enumerate(reversed(spatial)):
        chunks[i] = 256 if rank < 2 else 64
    return tuple(max(1, min(c, n)) for c, n in zip(chunks, shape, strict=True))


@dataclass(frozen=True)
class ArraySpec:
    """The shape, data type and storage layout of one level's array (no data).

    Parameters
    ----------
    shape
        The array's shape.
    dtype
        Its data type.
    chunks
        Its chunk shape; the whole shape (one chunk) when omitted.
    shards
        Its shard shape (Zarr v3 only), or ``None``.
    """

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    chunks: tuple[int, ...] | None = None
    shards: tuple[int, ...] | None = None

    @classmethod
    def of(cls, array: Any) -> ArraySpec:
        """Describe an array-like (numpy, dask, zarr, :class:`ArraySpec` itself).

        Parameters
        ----------
        array
            Anything with ``shape`` and ``dtype``; ``chunks`` and ``shards`` are taken when
            they are tuples of integers.

        Returns
        -------
        ArraySpec
            Its description.
        """
        if isinstance(array, ArraySpec):
            return array

        def ints(value: Any) -> tuple[int, ...] | None:
            if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
                return value
            return None

        return cls(
            shape=tuple(int(n) for n in array.shape),
            dtype=np.dtype(array.dtype),
            chunks=ints(getattr(array, "chunks", None)),
            shards=ints(getattr(array, "shards", None)),
        )


# ----------------------------------------------------------------------------------------
# the metadata builder


@dataclass(frozen=True)
class Image:
    """The metadata of one multiscale image, and the specs of its arrays; no data.

    Build one with :meth:`new`. The internal form is OME-Zarr 0.5's multiscale object;
    :meth:`attributes` renders the group attributes of ``version``.

    Parameters
    ----------
    multiscale
        The multiscale object, in 0.5 form (axes, datasets with their transformations, name,
        type, metadata).
    arrays
        The spec of each dataset's array, in the order of the datasets.
    version
        The OME-Zarr version written.
    extra
        More OME metadata written next to ``multiscales`` (``omero``, ``image-label``), in
        0.5 form.
    """

    multiscale: dict[str, Any]
    arrays: tuple[ArraySpec, ...]
    version: SpecVersion = "0.5"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        array_specs: Sequence[Any],
        paths: Sequence[str],
        axes: AxesLike | None,
        scales: Sequence[Sequence[float]],
        translations: Sequence[Sequence[float] | None] | None = None,
        name: str | None = None,
        *,
        units: UnitsLike = None,
        version: SpecVersion = "0.5",
        type: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Image:
        """Build image metadata from array specs, paths, axes, scales and translations.

        Parameters
        ----------
        array_specs
            One array (or :class:`ArraySpec`) per level, base first; only shapes, dtypes
            and chunks are used.
        paths
            The array path of each level, relative to the image group.
        axes
            The axes (see :func:`make_axes`).
        scales
            The scale of each level, one value per axis.
        translations
            The translation of each level (``None`` for none); none when omitted.
        name
            The image's name.
        units
            The axis units (see :func:`make_axes`).
        version
            The OME-Zarr version to render.
        type
            The downsampling method, recorded as the multiscale's ``type``.
        metadata
            Free-form multiscale ``metadata``.

        Returns
        -------
        Image
            The metadata.

        Raises
        ------
        CreationError
            When lengths disagree, a path leaves the group, or a scale is not positive.
        """
        specs = tuple(ArraySpec.of(a) for a in array_specs)
        if not specs:
            raise CreationError("Expected at least one array spec. Got none.")
        if version not in SPEC_VERSIONS:
            raise CreationError(f"Expected a version among {SPEC_VERSIONS}. Got {version!r}.")
        ndim = len(specs[0].shape)
        axis_list = make_axes(axes, ndim, units)
        moves = list(translations) if translations is not None else [None] * len(specs)
        if not len(paths) == len(scales) == len(moves) == len(specs):
            raise CreationError(
                f"Expected as many paths, scales and translations as array specs "
                f"({len(specs)}). Got {len(paths)}, {len(scales)} and {len(moves)}."
            )
        datasets = []
        for path, spec, scale, move in zip(paths, specs, scales, moves, strict=True):
            _check_relative_path(path)
            if len(spec.shape) != ndim:
                raise CreationError(
                    f"Expected every array spec to have {ndim} dimensions. Got {spec.shape}."
                )
            factors = [float(s) for s in scale]
            if len(factors) != ndim or not all(math.isfinite(s) and s > 0 for s in factors):
                raise CreationError(f"Expected {ndim} positive scale values. Got {factors}.")
            transforms: list[dict[str, Any]] = [{"type": "scale", "scale": factors}]
            if move is not None:
                offsets = [float(t) for t in move]
                if len(offsets) != ndim or not all(math.isfinite(t) for t in offsets):
                    raise CreationError(f"Expected {ndim} finite translations. Got {offsets}.")
                if any(offsets):
                    transforms.append({"type": "translation", "translation": offsets})
            datasets.append({"path": path, "coordinateTransformations": transforms})
        multiscale: dict[str, Any] = {}
        if name is not None:
            multiscale["name"] = name
        multiscale["axes"] = axis_list
        multiscale["datasets"] = datasets
        if type is not None:
            multiscale["type"] = type
        if metadata is not None:
            multiscale["metadata"] = dict(metadata)
        return cls(multiscale=multiscale, arrays=specs, version=version)

    @property
    def paths(self) -> tuple[str, ...]:
        """The dataset paths, base first."""
        return tuple(d["path"] for d in self.multiscale["datasets"])

    @property
    def axes(self) -> tuple[dict[str, Any], ...]:
        """The axis objects."""
        return tuple(self.multiscale["axes"])

    def attributes(self) -> dict[str, Any]:
        """Render the image group's attributes in :attr:`version`.

        Returns
        -------
        dict
            ``{"ome": {...}}`` for 0.5 and 0.6; the 0.4 keys at the top level for 0.4.
        """
        ome: dict[str, Any] = {
            "version": WRITTEN_VERSION["0.5"],
            "multiscales": [json.loads(json.dumps(self.multiscale))],
        }
        ome.update(json.loads(json.dumps(self.extra)))
        return convert_attributes({"ome": ome}, "0.5", self.version)

    def to_store(
        self,
        target: Target,
        path: str = "",
        *,
        compression: Compression = "blosc-zstd",
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        """Write the group and its arrays, without any chunk (metadata only).

        Arrays are created first and the group's metadata last.

        Parameters
        ----------
        target
            Where to write (see :data:`Target`); a new store is created when missing.
        path
            The image group's path in the store.
        compression
            The arrays' compression preset.
        storage_options
            Options for remote targets.
        """
        with _opened(target, "a", storage_options) as store:
            zarr_format = _zarr_format(self.version)
            for ds_path, spec in zip(self.paths, self.arrays, strict=True):
                store.create_empty_array(
                    join_key(path, ds_path),
                    shape=spec.shape,
                    dtype=spec.dtype,
                    chunks=spec.chunks or tuple(max(1, n) for n in spec.shape),
                    shards=spec.shards,
                    compression=compression,
                    dimension_names=_dimension_names(self.axes, zarr_format),
                    zarr_format=zarr_format,
                )
            _write_group(store, path, self.attributes(), zarr_format)


def _check_relative_path(path: str) -> None:
    try:
        check_key(path)
    except UnsafePathError as exc:
        raise CreationError(f"Expected a path inside the group. Got {path!r}.") from exc
    if path == "":
        raise CreationError("Expected a non-empty dataset path. Got ''.")


def _zarr_format(version: SpecVersion) -> ZarrFormat:
    return 2 if version == "0.4" else 3


def _dimension_names(
    axes: Sequence[Mapping[str, Any]], zarr_format: ZarrFormat
) -> tuple[str, ...] | None:
    return tuple(a["name"] for a in axes) if zarr_format == 3 else None


def _write_group(
    store: StoreHandle, path: str, attributes: Mapping[str, Any], zarr_format: ZarrFormat
) -> None:
    """Write a group's metadata document(s), replacing any there, without touching children.

    Parameters
    ----------
    store
        The store, opened writable.
    path
        The group's path.
    attributes
        Its attributes.
    zarr_format
        3 writes ``zarr.json``; 2 writes ``.zgroup`` then ``.zattrs``.
    """
    if zarr_format == 3:
        document = {"zarr_format": 3, "node_type": "group", "attributes": dict(attributes)}
        store.write_bytes(join_key(path, "zarr.json"), _dump(document))
        return
    store.write_bytes(join_key(path, ".zgroup"), _dump({"zarr_format": 2}))
    store.write_bytes(join_key(path, ".zattrs"), _dump(dict(attributes)))


def _dump(document: Any) -> bytes:
    return json.dumps(document, indent=2, allow_nan=False).encode()


@contextmanager
def _opened(
    target: Target, mode: str, storage_options: dict[str, Any] | None
) -> Iterator[StoreHandle]:
    """Open a target (or use an opened store as it is, leaving it open)."""
    if isinstance(target, StoreHandle):
        yield target
        return
    store = open_store(target, mode, storage_options=storage_options)  # type: ignore[arg-type]
    try:
        yield store
    finally:
        store.close()


# ----------------------------------------------------------------------------------------
# reading an existing image's metadata


@dataclass(frozen=True)
class _Stored:
    """An image group found in a store, its metadata in 0.5 form."""

    path: str
    version: SpecVersion
    zarr_format: ZarrFormat
    attributes: dict[str, Any]  # the group's whole attributes, in 0.5 form
    multiscale: dict[str, Any]

    @property
    def ome(self) -> dict[str, Any]:
        ome: dict[str, Any] = self.attributes["ome"]
        return ome


def _read_group(store: StoreHandle, path: str) -> tuple[ZarrFormat, dict[str, Any]] | None:
    raw = store.run(store.read(join_key(path, "zarr.json")))
    if raw is not None:
        document = json.loads(raw)
        if document.get("node_type") != "group":
            return None
        return 3, dict(document.get("attributes") or {})
    if store.run(store.read(join_key(path, ".zgroup"))) is None:
        return None
    attrs = store.run(store.read(join_key(path, ".zattrs")))
    return 2, dict(json.loads(attrs)) if attrs is not None else {}


def _read_image(store: StoreHandle, path: str = "") -> _Stored:
    found = _read_group(store, path)
    where = f"{store.target}/{path}".rstrip("/")
    if found is None:
        raise CreationError(f"Expected an OME-Zarr image group at {where}. Found no group.")
    zarr_format, attributes = found
    _, declared = ome_attributes(attributes)
    version = spec_version(declared)
    if version is None:
        raise CreationError(
            f"Expected OME-Zarr 0.4, 0.5 or 0.6 metadata at {where}. Got version {declared!r}."
        )
    normal = convert_attributes(attributes, version, "0.5")
    images = normal.get("ome", {}).get("multiscales")
    if not isinstance(images, list) or not images or not isinstance(images[0], dict):
        raise CreationError(f"Expected a multiscale image at {where}. Found no multiscales.")
    return _Stored(path, version, zarr_format, normal, images[0])


def _scale_translation(dataset: Mapping[str, Any]) -> tuple[list[float], list[float] | None]:
    scale: list[float] | None = None
    translation: list[float] | None = None
    for t in dataset.get("coordinateTransformations") or []:
        if t.get("type") == "scale" and "scale" in t:
            scale = [float(v) for v in t["scale"]]
        elif t.get("type") == "translation" and "translation" in t:
            translation = [float(v) for v in t["translation"]]
    if scale is None:
        raise CreationError(f"Expected a scale for dataset {dataset.get('path')!r}. Got none.")
    return scale, translation


# ----------------------------------------------------------------------------------------
# writing


def _package_version() -> str:
    try:
        return package_version("ngff-geozarr")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _resolve_method(method: str) -> Method:
    for known in METHODS:
        if method == known:
            return known
    raise CreationError(f"Expected a method among {', '.join(METHODS)}. Got {method!r}.")


def _plan_levels(
    shape: tuple[int, ...],
    chunks: tuple[int, ...],
    scale: Sequence[float],
    kinds: Sequence[AxisKind] | None,
    shards: tuple[int, ...] | None,
    levels: int | Sequence[Sequence[int]] | None,
) -> tuple[Level, ...]:
    if levels is None or isinstance(levels, int):
        return plan(shape, chunks, scale, kinds, shards=shards, levels=levels)
    return plan(shape, chunks, scale, kinds, shards=shards, factors=[tuple(f) for f in levels])


def _per_axis(name: str, values: Sequence[Any] | None, ndim: int, default: Any) -> list[Any]:
    if values is None:
        return [default] * ndim
    items = list(values)
    if len(items) != ndim:
        raise CreationError(f"Expected {name} with {ndim} values. Got {items}.")
    return items


def _omero(
    store: StoreHandle, image: Image, coarsest: str, names: Sequence[str] | None
) -> dict[str, Any]:
    """Channel metadata, the window from quantiles of the coarsest level."""
    array = store.open_array(coarsest)
    data = array.read(tuple(slice(0, n) for n in array.shape))
    channel_axis = next((i for i, a in enumerate(image.axes) if a.get("type") == "channel"), None)
    count = 1 if channel_axis is None else data.shape[channel_axis]
    if names is not None and len(names) != count:
        raise CreationError(f"Expected {count} channel names. Got {list(names)}.")
    dtype = array.dtype
    channels = []
    for c in range(count):
        values = data if channel_axis is None else np.take(data, c, axis=channel_axis)
        finite = values[np.isfinite(values)] if dtype.kind == "f" else values.ravel()
        if finite.size:
            low, high = (float(q) for q in np.quantile(finite, _WINDOW_QUANTILES))
            lowest, highest = float(finite.min()), float(finite.max())
        else:
            low = high = lowest = highest = 0.0
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            lowest, highest = float(info.min), float(info.max)
        elif dtype.kind == "b":
            lowest, highest = 0.0, 1.0
        channels.append(
            {
                "label": names[c] if names is not None else f"Channel {c}",
                "color": _PALETTE[0] if count == 1 else _PALETTE[1 + c % (len(_PALETTE) - 1)],
                "active": True,
                "window": {"start": low, "end": high, "min": lowest, "max": highest},
            }
        )
    return {"channels": channels, "rdefs": {"model": "color" if count > 1 else "greyscale"}}


@dataclass(frozen=True)
class _Request:
    """What to write for one multiscale image."""

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


def _write_multiscale(
    store: StoreHandle,
    data: Any,
    request: _Request,
    *,
    resume: bool,
    client: Any,
    workers: int | None,
    progress: Callable[[Progress], None] | None,
) -> Image:
    shape = tuple(int(n) for n in data.shape)
    kinds = _kinds(request.axes)
    levels = _plan_levels(
        shape, request.chunks, request.scale, kinds, request.shards, request.levels
    )
    zarr_format = _zarr_format(request.version)
    names = list(request.paths or [str(k) for k in range(len(levels))])
    if len(names) != len(levels):
        raise CreationError(f"Expected {len(levels)} dataset paths. Got {names}.")
    output = OutputOptions(
        zarr_format=zarr_format,
        compression=request.compression,
        compressors=request.compressors,
        dimension_names=_dimension_names(request.axes, zarr_format),
    )
    written: list[Image] = []

    def write_metadata(result: PyramidResult) -> None:
        image = Image.new(
            [ArraySpec(lv.shape, np.dtype(data.dtype), lv.chunks, lv.shards) for lv in levels],
            names,
            request.axes,
            [lv.scale for lv in result.levels],
            [
                [t + o for t, o in zip(request.translation, lv.offset, strict=True)]
                for lv in result.levels
            ],
            request.name,
            version=request.version,
            type=request.method if len(levels) > 1 else None,
            metadata=(
                {
                    "method": f"ngff_geozarr.core.pyramid.{request.method}",
                    "version": _package_version(),
                }
                if len(levels) > 1
                else None
            ),
        )
        image = replace(image, extra=dict(request.extra))
        if request.omero:
            omero = _omero(store, image, result.paths[-1], request.channel_names)
            image = replace(image, extra={**image.extra, "omero": omero})
        if request.finish is not None:
            image = request.finish(store, image)
        _write_group(store, request.group, image.attributes(), zarr_format)
        written.append(image)

    write_pyramid(
        data,
        store,
        levels,
        paths=[join_key(request.group, n) for n in names],
        method=request.method,
        output=output,
        workers=workers,
        client=client,
        resume=resume,
        progress=progress,
        write_metadata=write_metadata,
    )
    return written[0]


def _check_source(data: Any) -> Any:
    if not hasattr(data, "shape") or not hasattr(data, "dtype"):
        data = np.asarray(data)
    dtype = np.dtype(data.dtype)
    if dtype.kind not in "biuf":
        raise CreationError(f"Expected boolean, integer or float data. Got {dtype}.")
    return data


def _image_request(
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
) -> _Request:
    ndim = len(data.shape)
    spec_ver = spec_version(version)
    if spec_ver is None:
        raise CreationError(
            f"Expected a version among {', '.join(SPEC_VERSIONS)}. Got {version!r}."
        )
    if shards is not None and spec_ver == "0.4":
        raise CreationError("Expected no shards for OME-Zarr 0.4 (Zarr v2 has no sharding).")
    try:
        compressors_for(compression, 3)
    except ValueError as exc:
        raise CreationError(str(exc)) from None
    axis_list = make_axes(axes, ndim, units)
    chunk_shape = (
        default_chunks(data.shape, axis_list)
        if chunks is None
        else tuple(_per_axis("chunks", chunks, ndim, 1))
    )
    return _Request(
        group=group,
        axes=axis_list,
        scale=[float(s) for s in _per_axis("scale", scale, ndim, 1.0)],
        translation=[float(t) for t in _per_axis("translation", translation, ndim, 0.0)],
        name=name,
        method=_resolve_method(method),
        levels=levels,
        chunks=tuple(max(1, min(int(c), n)) for c, n in zip(chunk_shape, data.shape, strict=True)),
        shards=None if shards is None else tuple(_per_axis("shards", shards, ndim, 1)),
        version=spec_ver,
        compression=compression,
        omero=omero,
        channel_names=channel_names,
    )


def write_image(
    data: Any,
    target: Target,
    *,
    axes: AxesLike | None = None,
    scale: Sequence[float] | None = None,
    translation: Sequence[float] | None = None,
    units: UnitsLike = None,
    name: str | None = "image",
    method: str = "mean",
    levels: int | Sequence[Sequence[int]] | None = None,
    chunks: Sequence[int] | None = None,
    shards: Sequence[int] | None = None,
    version: str = "0.5",
    compression: Compression = "blosc-zstd",
    omero: bool = False,
    channel_names: Sequence[str] | None = None,
    resume: bool = False,
    client: Any = None,
    workers: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Image:
    """Write an OME-Zarr image: level 0 and every downsampled level, metadata last.

    Parameters
    ----------
    data
        The base level: a numpy array (or memmap), a dask array, a zarr array, an array of
        a store, or anything with ``shape``, ``dtype`` and region reads.
    target
        Where to write (see :data:`Target`): a new store (an existing non-empty one is
        refused unless ``resume``).
    axes
        The axes (see :func:`make_axes`); by the number of dimensions when omitted.
    scale
        The physical size of a base sample per axis; 1 when omitted.
    translation
        The physical position of the base's first sample per axis; 0 when omitted.
    units
        The axis units (see :func:`make_axes`).
    name
        The image's name.
    method
        The downsampling kernel (``mean`` by default; ``mode`` for labels).
    levels
        The number of levels (base included), or explicit per-level factors; automatic
        when omitted: spatial axes only, z left alone until the xy pixel size reaches z's,
        until the largest spatial extent fits one chunk.
    chunks
        The chunk shape (see :func:`default_chunks` for the default).
    shards
        The shard shape (0.5 and 0.6 only), a multiple of ``chunks``.
    version
        ``"0.4"`` (Zarr v2), ``"0.5"`` or ``"0.6"`` (Zarr v3).
    compression
        The codec preset, ``NAME`` or ``NAME:LEVEL`` (see
        :data:`~ngff_geozarr.core.store.Compression`): Blosc-zstd level 5 with shuffle by
        default; ``"zstd:1"`` or ``"blosc-lz4"`` write faster and larger. Label images
        written later with :func:`write_labels` use the same codec.
    omero
        Also write ``omero`` channel metadata, the display window from the 0.1 % and
        99.9 % quantiles of the coarsest level.
    channel_names
        The channel labels of the ``omero`` metadata.
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
        When the arguments are inconsistent.

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
    """
    source = _check_source(data)
    request = _image_request(
        source,
        "",
        axes=axes,
        scale=scale,
        translation=translation,
        units=units,
        name=name,
        method=method,
        levels=levels,
        chunks=chunks,
        shards=shards,
        version=version,
        compression=compression,
        omero=omero,
        channel_names=channel_names,
    )
    with _opened(target, "a" if resume else "w-", storage_options) as store:
        return _write_multiscale(
            store, source, request, resume=resume, client=client, workers=workers, progress=progress
        )


def _label_colors(
    store: StoreHandle, coarsest: str, colors: Mapping[int, Sequence[int]] | str | None
) -> list[dict[str, Any]] | None:
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
    return [{"label-value": k, "rgba": v} for k, v in sorted(table.items())]


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
    resume
        Complete an interrupted run.
    client
        A ``dask.distributed.Client`` to write on.
    workers
        The number of threads.
    progress
        Called after every finished tile.
    storage_options
        Options for remote targets.

    Returns
    -------
    Image
        The label image's metadata.

    Raises
    ------
    CreationError
        When the target holds no image, the labels do not fit it, or are not integers.
    """
    source = _check_source(labels)
    if np.dtype(source.dtype).kind not in "iu":
        raise CreationError(f"Expected integer labels. Got {np.dtype(source.dtype)}.")
    if not name or "/" in name:
        raise CreationError(f"Expected a label name of one path component. Got {name!r}.")
    _check_relative_path(name)
    with _opened(image_target, "r+", storage_options) as store:
        image = _read_image(store, image_path)
        ms = image.multiscale
        datasets = ms["datasets"]
        arrays = [store.open_array(join_key(image_path, d["path"])) for d in datasets]
        shape = tuple(int(n) for n in source.shape)
        base = arrays[0]
        if len(shape) != len(base.shape) or any(
            n not in (m, 1) for n, m in zip(shape, base.shape, strict=True)
        ):
            raise CreationError(
                f"Expected labels of the image's shape {list(base.shape)} (or 1 along axes "
                f"they do not vary). Got {list(shape)}."
            )
        transforms = [_scale_translation(d) for d in datasets]
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
        request = _Request(
            group=group,
            axes=list(ms["axes"]),
            scale=transforms[0][0],
            translation=transforms[0][1] or [0.0] * len(shape),
            name=name,
            method=_resolve_method(method),
            levels=factors,
            chunks=tuple(min(c, n) for c, n in zip(base.chunks, shape, strict=True)),
            shards=(
                None
                if base.shards is None
                else tuple(min(s, n) for s, n in zip(base.shards, shape, strict=True))
            ),
            version=image.version,
            compression=COMPRESSIONS[0],
            compressors=_untyped(
                _compressors_of(store, arrays[0].path, _zarr_format(image.version))[0]
            ),
        )
        planned = _plan_levels(shape, request.chunks, request.scale, None, None, factors)
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
            image_label: dict[str, Any] = {}
            table = _label_colors(store, coarsest, colors)
            if table is not None:
                image_label["colors"] = table
            if properties is not None:
                image_label["properties"] = [dict(p) for p in properties]
            image_label["source"] = {"image": "../../"}
            return replace(label, multiscale=multiscale, extra={"image-label": image_label})

        request = replace(request, finish=finish, paths=tuple(paths))
        label = _write_multiscale(
            store, source, request, resume=resume, client=client, workers=workers, progress=progress
        )
        _list_label(store, image, join_key(image_path, "labels"), name)
        return label


def _list_label(store: StoreHandle, image: _Stored, path: str, name: str) -> None:
    """Add a label image to the ``labels`` group (created when missing), last."""
    found = _read_group(store, path)
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
    attributes = {**other, "ome": {"version": WRITTEN_VERSION["0.5"], "labels": listed}}
    _write_group(
        store, path, convert_attributes(attributes, "0.5", image.version), image.zarr_format
    )


def _next_paths(first: str, count: int) -> list[str]:
    match = _TRAILING_NUMBER.match(first)
    if match is not None:
        stem, number = match.group(1), int(match.group(2))
        return [f"{stem}{number + k}" for k in range(count)]
    return [first] + [f"{first}_{k}" for k in range(1, count)]


def _compressors_of(
    store: StoreHandle, path: str, zarr_format: ZarrFormat
) -> tuple[tuple[dict[str, Any], ...] | None, str]:
    """Return the compressors and chunk-key separator of a stored array, as JSON."""
    raw = store.run(store.read(join_key(path, ".zarray" if zarr_format == 2 else "zarr.json")))
    meta = json.loads(raw) if raw is not None else {}
    compressors = array_compressors(meta, zarr_format)
    if zarr_format == 2:
        return compressors, meta.get("dimension_separator") or "."
    encoding = meta.get("chunk_key_encoding") or {}
    separator = (encoding.get("configuration") or {}).get("separator")
    if separator is None:
        separator = "/" if encoding.get("name", "default") == "default" else "."
    return compressors, separator


def _untyped(
    compressors: tuple[dict[str, Any], ...] | None,
) -> tuple[dict[str, Any], ...] | None:
    """Drop Blosc's ``typesize`` (the image's sample size) so the codec fits another dtype."""
    if compressors is None:
        return None
    out = []
    for codec in compressors:
        codec = dict(codec)
        if isinstance(codec.get("configuration"), dict):
            codec["configuration"] = {
                k: v for k, v in codec["configuration"].items() if k != "typesize"
            }
        out.append(codec)
    return tuple(out)


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
    resume
        Complete an interrupted run.
    client
        A ``dask.distributed.Client`` to write on.
    workers
        The number of threads.
    progress
        Called after every finished tile.
    storage_options
        Options for remote targets.

    Returns
    -------
    Image
        The metadata written.

    Raises
    ------
    CreationError
        When the target holds no image, or one with more than one level.
    """
    with _opened(target, "r+", storage_options) as store:
        image = _read_image(store, image_path)
        ms = image.multiscale
        datasets = ms["datasets"]
        if len(datasets) != 1:
            raise CreationError(
                f"Expected an image holding only level 0. Got {len(datasets)} levels."
            )
        base_path = join_key(image_path, datasets[0]["path"])
        base = store.open_array(base_path)
        scale, translation = _scale_translation(datasets[0])
        axes = list(ms["axes"])
        if len(scale) != len(base.shape) or len(axes) != len(base.shape):
            raise CreationError(
                f"Expected {len(base.shape)} axes and scale values for the base array. "
                f"Got {len(axes)} and {len(scale)}."
            )
        chosen = method or ("mode" if "image-label" in image.ome else "mean")
        kind = _resolve_method(chosen)
        planned = _plan_levels(base.shape, base.chunks, scale, _kinds(axes), base.shards, levels)
        names = _next_paths(datasets[0]["path"], len(planned))
        compressors, separator = _compressors_of(store, base_path, image.zarr_format)
        output = OutputOptions(
            zarr_format=image.zarr_format,
            compressors=compressors,
            dimension_names=_dimension_names(axes, image.zarr_format),
            chunk_key_separator="/" if separator == "/" else ".",
        )
        origin = translation or [0.0] * len(scale)
        written: list[Image] = []

        def write_metadata(result: PyramidResult) -> None:
            new = Image.new(
                [ArraySpec(lv.shape, base.dtype, lv.chunks, lv.shards) for lv in planned],
                names,
                axes,
                [lv.scale for lv in planned],
                [[t + o for t, o in zip(origin, lv.offset, strict=True)] for lv in planned],
                ms.get("name"),
                version=image.version,
                type=kind,
                metadata={
                    "method": f"ngff_geozarr.core.pyramid.{kind}",
                    "version": _package_version(),
                },
            )
            kept = {k: v for k, v in ms.items() if k not in new.multiscale}
            multiscale = {**kept, **new.multiscale}
            extra = {k: v for k, v in image.ome.items() if k not in ("version", "multiscales")}
            new = replace(new, multiscale=multiscale, extra=extra)
            attributes = new.attributes()
            others = {k: v for k, v in image.attributes.items() if k != "ome"}
            _write_group(store, image_path, {**others, **attributes}, image.zarr_format)
            written.append(new)

        write_pyramid(
            base,
            store,
            planned,
            paths=[join_key(image_path, n) for n in names],
            method=kind,
            output=output,
            workers=workers,
            client=client,
            resume=resume,
            write_base=False,
            progress=progress,
            write_metadata=write_metadata,
        )
        return written[0]


def _well_key(key: str) -> tuple[str, str]:
    parts = key.split("/")
    if len(parts) != 2 or not all(re.fullmatch(r"[A-Za-z0-9]+", p) for p in parts):
        raise CreationError(f"Expected a well as 'ROW/COLUMN' (e.g. 'A/1'). Got {key!r}.")
    return parts[0], parts[1]


def _natural(name: str) -> tuple[int, int, str]:
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


def write_plate(
    target: Target,
    wells: Mapping[str, Sequence[Any]],
    *,
    name: str | None = None,
    rows: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    acquisitions: Sequence[Mapping[str, Any]] | None = None,
    version: str = "0.5",
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
        The plate's name.
    rows, columns
        The plate's row and column names; those of ``wells`` in natural order when omitted.
    acquisitions
        The plate's acquisitions (objects with an ``id``).
    version
        The OME-Zarr version.
    resume
        Complete an interrupted run.
    client
        A ``dask.distributed.Client`` to write on.
    workers
        The number of threads.
    progress
        Called after every finished tile.
    storage_options
        Options for remote targets.
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
        When a well key is malformed or names a row or column not listed.
    """
    spec_ver = spec_version(version)
    if spec_ver is None:
        raise CreationError(
            f"Expected a version among {', '.join(SPEC_VERSIONS)}. Got {version!r}."
        )
    keys = [_well_key(k) for k in wells]
    row_names = list(rows) if rows is not None else sorted({r for r, _ in keys}, key=_natural)
    col_names = list(columns) if columns is not None else sorted({c for _, c in keys}, key=_natural)
    zarr_format = _zarr_format(spec_ver)
    with _opened(target, "a" if resume else "w-", storage_options) as store:
        for row in row_names:
            _write_group(store, row, {}, zarr_format)
        references = []
        for (row, column), fields in zip(keys, wells.values(), strict=True):
            if row not in row_names or column not in col_names:
                raise CreationError(
                    f"Expected well {row}/{column} in the plate's rows and columns."
                )
            well = join_key(row, column)
            for i, data in enumerate(fields):
                source = _check_source(data)
                request = _image_request(
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
                )
                _write_multiscale(
                    store,
                    source,
                    request,
                    resume=resume,
                    client=client,
                    workers=workers,
                    progress=progress,
                )
            images = [{"path": str(i)} for i in range(len(fields))]
            well_attrs = {"ome": {"version": WRITTEN_VERSION["0.5"], "well": {"images": images}}}
            _write_group(store, well, convert_attributes(well_attrs, "0.5", spec_ver), zarr_format)
            references.append(
                {
                    "path": well,
                    "rowIndex": row_names.index(row),
                    "columnIndex": col_names.index(column),
                }
            )
        plate: dict[str, Any] = {}
        if name is not None:
            plate["name"] = name
        if acquisitions is not None:
            plate["acquisitions"] = [dict(a) for a in acquisitions]
        plate["rows"] = [{"name": r} for r in row_names]
        plate["columns"] = [{"name": c} for c in col_names]
        plate["wells"] = references
        counts = [len(f) for f in wells.values()]
        if counts and max(counts) > 0:
            plate["field_count"] = max(counts)
        attributes = convert_attributes(
            {"ome": {"version": WRITTEN_VERSION["0.5"], "plate": plate}}, "0.5", spec_ver
        )
        _write_group(store, "", attributes, zarr_format)
        return attributes
