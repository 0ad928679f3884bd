"""The metadata of one multiscale image (:class:`Image`), and what it says of its pyramid.

:meth:`Image.new` builds image metadata from array specs, paths, axes, scales and
translations, without touching any data; :meth:`Image.attributes` renders it for 0.4, 0.5 or
0.6 (every section built as its model, see :mod:`ngff.create.documents`) and
:meth:`Image.to_store` writes the group and empty arrays.

Every pyramid the writers produce records how it was made, as the spec recommends
(multiscales: "Each 'multiscales' dictionary SHOULD contain the field 'type', which gives the
type of downscaling method used to generate the multiscale image pyramid. It SHOULD contain
the field 'metadata', which contains a dictionary with additional information about the
downscaling method."): :func:`downsampling` gives the ``type`` and ``metadata`` of a method
and its per-level factors, for one level as for many.

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
>>> downsampling("mode", [(2, 2)])[1]["kwargs"]
{'factors': [[2, 2]]}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

import pydantic

import ngff.create.documents as documents
import ngff.create.rendering as rendering
from ngff.create.groups import dimension_names, write_group, zarr_format_of
from ngff.create.options import (
    ArraySpec,
    AxesLike,
    CreationError,
    Target,
    UnitsLike,
    check_relative_path,
    make_axes,
)
from ngff.versions import SPEC_VERSIONS, SpecVersion
from ngff_geozarr.core.groups import writing
from ngff_geozarr.core.pyramid import Method
from ngff_geozarr.core.store import Compression, join_key

__all__ = ["Image", "downsampling", "library_version"]

_KERNELS: dict[str, str] = {
    "mean": "the average of its block",
    "gaussian": "the average of its block after a Gaussian blur (sigma = factor / 3 samples)",
    "nearest": "the first sample of its block",
    "mode": "the most frequent value of its block, the smallest on ties",
    "min": "the minimum of its block",
    "max": "the maximum of its block",
    "sum": "the total of its block",
}


def library_version() -> str:
    """Return the version of this library (``unknown`` when run from a source tree).

    Returns
    -------
    str
        The installed distribution's version.
    """
    try:
        return package_version("ngff-geozarr")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def downsampling(method: Method, factors: Sequence[Sequence[int]]) -> tuple[str, dict[str, Any]]:
    """Return the multiscale ``type`` and ``metadata`` of a pyramid.

    Parameters
    ----------
    method
        The downsampling kernel (:data:`ngff_geozarr.core.pyramid.METHODS`).
    factors
        The integer factors per axis that reduce each level to the next (none for an
        image of one level).

    Returns
    -------
    tuple
        ``(type, metadata)``: the method's name, and an object with a ``description``, the
        ``method`` (the kernel's qualified name), the ``version`` of this library and the
        ``kwargs`` it was called with (the factors), as the spec's example has them.
    """
    description = (
        "Level k + 1 reduces level k by the integer factors kwargs.factors[k] per axis; "
        f"each of its samples is {_KERNELS.get(method, method)}."
    )
    metadata = {
        "description": description,
        "method": f"ngff_geozarr.core.pyramid.{method}",
        "version": library_version(),
        "kwargs": {"factors": [[int(f) for f in step] for step in factors]},
    }
    return method, metadata


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
        try:
            core, extras = documents.axis_extras(axis_list, version)
        except pydantic.ValidationError as exc:
            problem = rendering.describe(exc)
            raise CreationError(f"Expected axes OME-Zarr {version} accepts. {problem}") from None
        moves = list(translations) if translations is not None else [None] * len(specs)
        if not len(paths) == len(scales) == len(moves) == len(specs):
            raise CreationError(
                f"Expected as many paths, scales and translations as array specs "
                f"({len(specs)}). Got {len(paths)}, {len(scales)} and {len(moves)}."
            )
        datasets = []
        for path, spec, scale, move in zip(paths, specs, scales, moves, strict=True):
            check_relative_path(path)
            if len(spec.shape) != ndim:
                raise CreationError(
                    f"Expected every array spec to have {ndim} dimensions. Got {spec.shape}."
                )
            factors = [float(s) for s in scale]
            if len(factors) != ndim or not all(math.isfinite(s) and s > 0 for s in factors):
                raise CreationError(f"Expected {ndim} positive scale values. Got {factors}.")
            offsets = None
            if move is not None:
                offsets = [float(t) for t in move]
                if len(offsets) != ndim or not all(math.isfinite(t) for t in offsets):
                    raise CreationError(f"Expected {ndim} finite translations. Got {offsets}.")
            datasets.append(
                documents.dataset(path, factors, offsets if offsets and any(offsets) else None)
            )
        try:
            model = documents.multiscale(
                name=name, axes=core, datasets=datasets, type=type, metadata=metadata
            )
        except pydantic.ValidationError as exc:
            raise CreationError(
                f"Expected valid multiscale metadata. {rendering.describe(exc)}"
            ) from None
        multiscale = documents.dump(model)
        for item, extra in zip(multiscale["axes"], extras, strict=True):
            item.update(extra)
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
        sections = {"multiscales": [self.multiscale], **self.extra}
        return rendering.render(json.loads(json.dumps(sections)), self.version)

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
        with writing(target, "a", storage_options) as store:
            zarr_format = zarr_format_of(self.version)
            for ds_path, spec in zip(self.paths, self.arrays, strict=True):
                store.create_empty_array(
                    join_key(path, ds_path),
                    shape=spec.shape,
                    dtype=spec.dtype,
                    chunks=spec.chunks or tuple(max(1, n) for n in spec.shape),
                    shards=spec.shards,
                    compression=compression,
                    dimension_names=dimension_names(self.axes, zarr_format),
                    zarr_format=zarr_format,
                )
            write_group(store, path, self.attributes(), zarr_format)
