"""An opened multiscale image: its axes, its levels as lazy arrays, its labels.

Where each level's samples are comes from the spec's transformations:

- 0.4 and 0.5: each dataset's ``coordinateTransformations`` (a ``scale``, optionally
  followed by a ``translation``), then the multiscale image's own, applied after them
  (spec, multiscales: "they are applied after the dataset-specific transformations").
- 0.6: each dataset's one transformation to the image's *intrinsic* coordinate system (the
  system the datasets' transformations name as ``output``; spec, multiscales: "The
  ``output`` of the transformation MUST be the "intrinsic" coordinate system"): a
  ``scale``, an ``identity``, or a ``sequence`` of a scale and a translation. The axes are
  that system's. Transformations from it to further coordinate systems (the multiscale's
  own ``coordinateTransformations``, scenes) are kept in :attr:`ImageNode.multiscale` and
  not applied.

Sample ``i`` along an axis is at ``translation + i * scale``: a coordinate names the centre
of its sample (a translation moves the first sample's centre), in every version.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ngff.common.axes import Axis
from ngff.common.coordinate_transformations import ScaleTransformation
from ngff.common.coordinate_transformations import Transformation as Transformation05
from ngff.common.labels import ImageLabel, Labels
from ngff.common.multiscales import Multiscale
from ngff.common.omero import Omero
from ngff.reading.source import ChildNodes, OpenedNode, StoreSource
from ngff.v06.coordinate_systems import CoordinateSystem
from ngff.v06.coordinate_transformations import Identity, Scale, Sequence_, Translation
from ngff.v06.multiscales import Multiscale as Multiscale06

if TYPE_CHECKING:
    import dask.array
    import xarray

__all__ = ["ImageNode", "LabelsNode", "Level"]


class Level:
    """One resolution level of an image: its array, read lazily, and where its samples are.

    Parameters
    ----------
    source
        The store it is read from.
    path
        The array's path in the store.
    shape
        The array's shape.
    scale
        The distance between samples along each axis, in the axis' unit.
    translation
        Where the first sample is along each axis (its centre).
    """

    def __init__(
        self,
        source: StoreSource,
        path: str,
        shape: tuple[int, ...],
        scale: tuple[float, ...],
        translation: tuple[float, ...],
    ) -> None:
        self.source = source
        self.path = path
        self.shape = shape
        self.scale = scale
        self.translation = translation

    @property
    def data(self) -> dask.array.Array:
        """The level as a dask array: nothing is read until it is computed.

        Raises
        ------
        ImportError
            When dask is not installed.
        """
        return self.source.lazy(self.path)

    @property
    def dtype(self) -> np.dtype[Any]:
        """The array's data type (reads the array's metadata, no chunk)."""
        dtype: np.dtype[Any] = np.dtype(self.data.dtype)
        return dtype

    def coordinates(self, axis: int) -> npt.NDArray[np.float64]:
        """Return the positions of the samples along one axis: ``translation + i * scale``.

        Parameters
        ----------
        axis
            The axis' index.

        Returns
        -------
        numpy.ndarray
            One position per sample.
        """
        i = np.arange(self.shape[axis], dtype=np.float64)
        return self.translation[axis] + i * self.scale[axis]

    def __repr__(self) -> str:
        return f"<Level {self.path!r} shape={self.shape} scale={self.scale}>"


class ImageNode(OpenedNode):
    """An opened multiscale image (or label image): axes, levels, channels, labels.

    Build one with :func:`ngff.open`. A group may declare several multiscale images;
    this is the one at :attr:`index` (:meth:`select` gives the others, :attr:`count` says
    how many there are).

    Parameters
    ----------
    source
        The store and its metadata.
    path
        The image group's path in the store.
    index
        Which multiscale image of the group.
    """

    kind = "image"

    def __init__(self, source: StoreSource, path: str, index: int = 0) -> None:
        super().__init__(source, path)
        ome = source.ome(path, "a multiscale image")
        items = ome.get("multiscales")
        if not isinstance(items, list) or not items:
            raise source.fail(path, "expected a multiscale image; 'multiscales' is missing.")
        if not 0 <= index < len(items):
            raise source.fail(path, f"expected a multiscale image index below {len(items)}.")
        self.index = index
        self.count = len(items)
        """How many multiscale images the group declares."""
        rules = source.rules
        self.multiscale: Multiscale | Multiscale06 = source.parse(
            rules.multiscale, items[index], path, f"multiscales/{index}"
        )  # type: ignore[assignment]
        self.omero: Omero | None = (
            source.parse(Omero, ome["omero"], path, "omero") if "omero" in ome else None
        )
        self.image_label: ImageLabel | None = (
            source.parse(rules.image_label, ome["image-label"], path, "image-label")
            if "image-label" in ome
            else None
        )
        self.coordinate_system: str | None = None
        """0.6: the name of the intrinsic coordinate system the levels map to."""
        self.axes: tuple[Axis, ...] = self._axes()
        self.levels: tuple[Level, ...] = tuple(self._levels())

    @property
    def name(self) -> str | None:
        """The image's name, as its metadata gives it."""
        return self.multiscale.name

    @property
    def axis_names(self) -> tuple[str, ...]:
        """The axes' names, in array order."""
        return tuple(a.name for a in self.axes)

    @property
    def channel_names(self) -> tuple[str, ...] | None:
        """The channel labels of ``omero``, when there is one per channel; else ``None``."""
        channel = next((i for i, a in enumerate(self.axes) if a.type == "channel"), None)
        if channel is None and "c" in self.axis_names:
            channel = self.axis_names.index("c")
        if self.omero is None or channel is None:
            return None
        labels = [c.label for c in self.omero.channels]
        if len(labels) != self.levels[0].shape[channel] or any(n is None for n in labels):
            return None
        return tuple(n for n in labels if n is not None)

    def select(self, index: int) -> ImageNode:
        """Return another multiscale image of the same group.

        Parameters
        ----------
        index
            Its index in the group's ``multiscales`` (below :attr:`count`).

        Returns
        -------
        ImageNode
            The image.
        """
        return ImageNode(self.source, self.path, index)

    @cached_property
    def labels(self) -> LabelsNode:
        """The image's label images, by name (empty when it has no ``labels`` group)."""
        path = self.source.child(self.path, "labels")
        if path not in self.source.hierarchy:
            return LabelsNode(self.source, path, names=())
        return LabelsNode(self.source, path)

    def to_xarray(self, level: int = 0) -> xarray.DataArray:
        """Return one level as an ``xarray.DataArray``, lazily (backed by dask).

        The dimensions are the axis names. Each axis that is not a channel axis gets a
        coordinate ``translation + i * scale`` (sample centres) with its ``units`` in the
        coordinate's attributes; the channel axis gets the channel names of ``omero`` as its
        coordinate when there is one per channel. The image's name, its ``omero`` metadata
        (and a label image's ``image-label``) go into the attributes.

        Parameters
        ----------
        level
            The level's index (0 is the full resolution; negative counts from the coarsest).

        Returns
        -------
        xarray.DataArray
            The level.

        Raises
        ------
        ImportError
            When xarray or dask is not installed.
        """
        from ngff.reading.xarray import level_to_xarray

        return level_to_xarray(self, self.level(level))

    def level(self, index: int) -> Level:
        """Return one level by index (negative counts from the coarsest).

        Parameters
        ----------
        index
            The level's index.

        Returns
        -------
        Level
            The level.

        Raises
        ------
        IndexError
            When there is no such level.
        """
        n = len(self.levels)
        if not -n <= index < n:
            raise IndexError(f"Expected a level index from {-n} to {n - 1}. Got {index}.")
        return self.levels[index]

    # -- metadata to levels ---------------------------------------------------------------

    def _axes(self) -> tuple[Axis, ...]:
        ms = self.multiscale
        if isinstance(ms, Multiscale):
            return tuple(ms.axes)
        system = _intrinsic(ms)
        self.coordinate_system = system.name
        return tuple(system.axes)

    def _levels(self) -> Iterator[Level]:
        n = len(self.axes)
        ms = self.multiscale
        datasets: list[Any] = list(ms.datasets)
        for j, ds in enumerate(datasets):
            path = self.source.child(self.path, ds.path)
            node = self.source.node(path, f"the array of level {j} ({ds.path!r})")
            if node.node_type != "array":
                raise self.source.fail(path, f"expected the array of level {j}; found a group.")
            if node.array is None:
                raise self.source.fail(path, f"the array metadata of level {j} cannot be read.")
            shape = tuple(int(s) for s in node.array.shape)
            if len(shape) != n:
                raise self.source.fail(
                    path, f"expected {n} dimensions, one per axis. Got {len(shape)}."
                )
            if isinstance(ms, Multiscale):
                transforms: list[Any] = list(ds.coordinateTransformations)
                transforms += ms.coordinateTransformations or []
                scale, translation = self._compose_05(transforms, n, j)
            else:
                scale, translation = self._compose_06(ds.coordinateTransformations[0], n, j)
            yield Level(self.source, path, shape, scale, translation)

    def _compose_05(
        self, transforms: Sequence[Transformation05], n: int, j: int
    ) -> tuple[tuple[float, ...], tuple[float, ...]]:
        scale, translation = np.ones(n), np.zeros(n)
        for t in transforms:
            is_scale = isinstance(t, ScaleTransformation)
            values = t.scale if isinstance(t, ScaleTransformation) else t.translation
            scale, translation = self._step(scale, translation, is_scale, values, t.type, j)
        return tuple(scale.tolist()), tuple(translation.tolist())

    def _compose_06(
        self, transform: Any, n: int, j: int
    ) -> tuple[tuple[float, ...], tuple[float, ...]]:
        scale, translation = np.ones(n), np.zeros(n)
        steps = transform.transformations if isinstance(transform, Sequence_) else [transform]
        for t in steps:
            if isinstance(t, Identity):
                continue
            if not isinstance(t, Scale | Translation):
                raise self.source.fail(
                    self.path,
                    f"level {j}: expected a scale, an identity or a sequence of a scale and a "
                    f"translation. Got {t.type!r}.",
                )
            values = t.scale if isinstance(t, Scale) else t.translation
            if values is None:
                raise self.source.fail(
                    self.path,
                    f"level {j}: the {t.type} is stored in an array ({t.path!r}); "
                    "only inline values are read.",
                )
            is_scale = isinstance(t, Scale)
            scale, translation = self._step(scale, translation, is_scale, values, t.type, j)
        return tuple(scale.tolist()), tuple(translation.tolist())

    def _step(
        self,
        scale: np.ndarray[Any, Any],
        translation: np.ndarray[Any, Any],
        is_scale: bool,
        values: Sequence[float],
        kind: str,
        j: int,
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Compose one scale or translation of level ``j`` after those before it."""
        n = len(scale)
        if len(values) != n:
            raise self.source.fail(
                self.path,
                f"level {j}: expected {n} {kind} values, one per axis. Got {len(values)}.",
            )
        if is_scale:
            return scale * values, translation * values
        return scale, translation + values


def _intrinsic(ms: Multiscale06) -> CoordinateSystem:
    """Find the coordinate system the datasets map to (named by their output), else the last."""
    first = ms.datasets[0].coordinateTransformations[0]
    name = first.output.name if first.output is not None else None
    by_name = {cs.name: cs for cs in ms.coordinateSystems}
    return by_name.get(name or "", ms.coordinateSystems[-1])


class LabelsNode(ChildNodes[ImageNode], Mapping[str, ImageNode]):
    """An opened ``labels`` group: its label images, by name.

    ``image.labels["cells"]`` is an :class:`ImageNode` (with its ``image_label``).

    Parameters
    ----------
    source
        The store and its metadata.
    path
        The labels group's path.
    names
        The label names; read from the group's ``labels`` metadata when omitted.
    """

    kind = "labels"

    _child = ImageNode

    def __init__(self, source: StoreSource, path: str, names: Sequence[str] | None = None) -> None:
        if names is None:
            data = source.section(path, "labels", "a labels group")
            names = source.parse(Labels, {"labels": data}, path, "labels").labels
        super().__init__(source, path, names)
        self.names: tuple[str, ...] = self._refs
        """The label images' names, as the group lists them."""
