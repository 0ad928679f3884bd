"""Opened groups of images: a plate's wells, a well's fields, a bioformats2raw collection.

Each is a mapping from the paths its metadata lists to the opened children, built on first
access (their metadata was read with the rest of the hierarchy; no array is read).
"""

from __future__ import annotations

from typing import Any

from ngff.common.bioformats2raw import Series
from ngff.common.plate import Plate
from ngff.reading.image import ImageNode
from ngff.reading.source import ChildNodes, StoreSource

__all__ = ["CollectionNode", "PlateNode", "WellNode", "series_paths"]


class WellNode(ChildNodes[ImageNode]):
    """An opened well: its fields of view, by path, in the order the well lists them.

    ``well["0"]`` (or ``well.fields[0]``) is an :class:`~ngff.reading.image.ImageNode`.

    Opened from a :class:`~ngff.reading.source.StoreSource` and the well group's path.
    """

    kind = "well"
    _child = ImageNode

    def __init__(self, source: StoreSource, path: str) -> None:
        well: Any = source.parse_section(source.rules.well, path, "well", "a well")
        self.well = well
        """The parsed ``well`` metadata (the version's model)."""
        images: list[Any] = well.images
        super().__init__(source, path, [image.path for image in images])

    @property
    def fields(self) -> tuple[ImageNode, ...]:
        """The fields of view, in the order the well lists them."""
        return self.children


class PlateNode(ChildNodes["WellNode"]):
    """An opened plate: its wells, by path (``"A/1"``), in the order the plate lists them.

    Opened from a :class:`~ngff.reading.source.StoreSource` and the plate group's path.
    """

    kind = "plate"
    _child = WellNode

    def __init__(self, source: StoreSource, path: str) -> None:
        self.plate: Plate = source.parse_section(source.rules.plate, path, "plate", "a plate")
        """The parsed ``plate`` metadata."""
        super().__init__(source, path, [well.path for well in self.plate.wells])

    @property
    def name(self) -> str | None:
        """The plate's name."""
        return self.plate.name

    @property
    def rows(self) -> tuple[str, ...]:
        """The row names."""
        return tuple(r.name for r in self.plate.rows)

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names."""
        return tuple(c.name for c in self.plate.columns)

    def well(self, row: str, column: str) -> WellNode:
        """Return the well at a row and a column, by their names.

        Parameters
        ----------
        row
            The row's name (``"A"``).
        column
            The column's name (``"1"``).

        Returns
        -------
        WellNode
            The well.

        Raises
        ------
        KeyError
            When the plate lists no such well.
        """
        return self[f"{row}/{column}"]


class CollectionNode(ChildNodes[ImageNode]):
    """An opened bioformats2raw collection: its images, by path, in series order.

    The images are those the ``OME`` group's ``series`` lists, else the groups ``0``,
    ``1``, ... that exist (spec, bioformats2raw.layout: "If the 'series' attribute does not
    exist and no plate is present, separate 'multiscales' images MUST be stored in
    consecutively numbered groups starting from 0").

    Opened from a :class:`~ngff.reading.source.StoreSource` and the collection group's path.
    """

    kind = "collection"
    _child = ImageNode

    def __init__(self, source: StoreSource, path: str) -> None:
        super().__init__(source, path, series_paths(source, path))

    @property
    def images(self) -> tuple[ImageNode, ...]:
        """The images, in series order."""
        return self.children


def series_paths(source: StoreSource, path: str) -> list[str]:
    """Return the image paths of a bioformats2raw collection, relative to it.

    Parameters
    ----------
    source
        The store and its metadata.
    path
        The collection group's path.

    Returns
    -------
    list of str
        The ``series`` of its ``OME`` group when present, else the numbered groups.
    """
    ome_path = source.child(path, "OME")
    if ome_path in source.hierarchy:
        ome = source.ome(ome_path, "the OME group")
        if "series" in ome:
            return source.parse(Series, {"series": ome["series"]}, ome_path, "series").series
    refs: list[str] = []
    while source.child(path, str(len(refs))) in source.hierarchy:
        refs.append(str(len(refs)))
    if not refs:
        raise source.fail(path, "expected the collection's images at 0, 1, ...; found none.")
    return refs
