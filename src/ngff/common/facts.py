"""What the metadata of a node says, in a form every version shares.

The version subpackages read a node's OME metadata into these plain records; the checks that
need the store (arrays exist, shapes, dtypes, wells present) run over them and so need not
know which version wrote the metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ImageFacts", "LabelsFacts", "NodeFacts", "PlateFacts", "SeriesFacts", "WellFacts"]


@dataclass(frozen=True)
class ImageFacts:
    """One multiscale image of a node.

    Parameters
    ----------
    index
        Its index in the ``multiscales`` list.
    paths
        Dataset paths, highest resolution first, with their index in ``datasets``.
    axes
        Axis names (0.6: of the default coordinate system); ``None`` when unknown.
    scales
        Each dataset's scale vector (``None`` where it has none).
    axis_types
        The type of each axis (``None`` where it has none); ``None`` when unknown.
    """

    index: int
    paths: tuple[tuple[int, str], ...]
    axes: tuple[str, ...] | None
    scales: tuple[tuple[float, ...] | None, ...]
    axis_types: tuple[str | None, ...] | None = None


@dataclass(frozen=True)
class PlateFacts:
    """The wells and acquisitions of a plate.

    Parameters
    ----------
    wells
        ``(index in wells, path)`` of every well.
    acquisitions
        The acquisition ids.
    """

    wells: tuple[tuple[int, str], ...]
    acquisitions: frozenset[int]


@dataclass(frozen=True)
class WellFacts:
    """The fields of view of a well.

    Parameters
    ----------
    images
        ``(index in images, path, acquisition)`` of every field.
    """

    images: tuple[tuple[int, str, int | None], ...]


@dataclass(frozen=True)
class LabelsFacts:
    """The label images a ``labels`` group lists.

    Parameters
    ----------
    labels
        ``(index, path)`` of every listed label image.
    """

    labels: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class SeriesFacts:
    """The images of a bioformats2raw ``OME`` group.

    Parameters
    ----------
    series
        ``(index, path)`` of every image.
    """

    series: tuple[tuple[int, str], ...]


@dataclass
class NodeFacts:
    """Everything the store checks need to know about one node's metadata.

    Parameters
    ----------
    images
        Its multiscale images (a label image has ``is_label``).
    is_label
        Whether it declares ``image-label``.
    plate, well, labels, series
        The other sections, when present and readable.
    bioformats2raw
        Whether it declares ``bioformats2raw.layout``.
    omero_channels
        How many channels its ``omero`` metadata lists, when present and readable.
    """

    images: list[ImageFacts] = field(default_factory=list)
    is_label: bool = False
    plate: PlateFacts | None = None
    well: WellFacts | None = None
    labels: LabelsFacts | None = None
    series: SeriesFacts | None = None
    bioformats2raw: bool = False
    omero_channels: int | None = None
