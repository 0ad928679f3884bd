"""Every image a target holds, for the viewer's picker: a :class:`Catalogue` of scenes.

A store may hold several images: a plate's fields, a bioformats2raw collection's series, a
labels group's label images, several GeoZarr variables or groups. A convention lists them
as :class:`ImageEntry` items (a path and a title) and gives a function opening one of them
as a :class:`~ngff_geozarr.core.viewer.scene.Scene`; each is opened on first request only,
so listing a plate of a thousand fields reads no array. The viewer's page shows a picker
when there is more than one, and ``/?image=PATH`` opens any of them directly.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ngff_geozarr.core.viewer.scene import OpenScene, Scene

__all__ = ["Catalogue", "ImageEntry", "OpenCatalogue", "closed_on_failure", "first_scene"]


@dataclass(frozen=True, slots=True)
class ImageEntry:
    """One image of a target, as the picker lists it.

    Parameters
    ----------
    path
        Its node path in the store (the image group, or the variable's finest array).
    title
        What the picker shows (``"A/1, field 0"``, ``"elevation"``).
    """

    path: str
    title: str


class Catalogue:
    """The images of a target, each opened as a scene on first request.

    Parameters
    ----------
    entries
        The images, in the order the picker lists them (the first is shown first).
    open_entry
        Opens one of them, given its path, as a scene.
    close
        Releases what the images share (the store); ``None``: nothing to release.

    Raises
    ------
    ValueError
        With no entry, or two entries with one path.

    Examples
    --------
    >>> catalogue = Catalogue([ImageEntry("a", "A"), ImageEntry("b", "B")], lambda p: p)
    >>> catalogue.paths, catalogue.default
    (('a', 'b'), 'a')
    >>> catalogue.resolve("b/0")
    'b'
    """

    def __init__(
        self,
        entries: Sequence[ImageEntry],
        open_entry: Callable[[str], Any],
        close: Callable[[], None] | None = None,
    ) -> None:
        if not entries:
            raise ValueError("a catalogue needs at least one image")
        self.entries = tuple(entries)
        self.paths = tuple(e.path for e in self.entries)
        if len(set(self.paths)) != len(self.paths):
            raise ValueError("two images of a catalogue have one path")
        self._open = open_entry
        self._close = close
        self._scenes: dict[str, Scene] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, scene: Scene) -> Catalogue:
        """Return the catalogue of one scene.

        Parameters
        ----------
        scene
            The scene.

        Returns
        -------
        Catalogue
            One entry, the scene.
        """
        catalogue = cls([ImageEntry(scene.path, scene.title)], lambda path: scene)
        catalogue._scenes[scene.path] = scene
        return catalogue

    @property
    def default(self) -> str:
        """The path of the image shown first."""
        return self.paths[0]

    def resolve(self, path: str) -> str | None:
        """Return the entry a path names: an entry's own path, or a node below one.

        A report's picture names a level's array (``"A/1/0/2"``); its image is the entry
        whose path is the longest prefix of it. Then any image whose levels or label
        images include the path (a GeoZarr variable's coarser levels live in other groups).

        Parameters
        ----------
        path
            The path of an image's node, or of a node below it, in the store.

        Returns
        -------
        str or None
            The entry's path; ``None`` when no image holds the node.
        """
        path = path.strip("/")
        if path in self.paths:
            return path
        below = [p for p in self.paths if p == "" or path.startswith(p + "/")]
        if below:
            return max(below, key=len)
        for entry in self.paths:
            scene = self.scene(entry)
            nodes = {lv.path for lv in scene.levels}
            nodes.update(lv.path for layer in scene.labels for lv in layer.levels)
            if path in nodes:
                return entry
        return None

    def scene(self, path: str) -> Scene:
        """Return the scene of an entry, opened once.

        Parameters
        ----------
        path
            The entry's path.

        Returns
        -------
        Scene
            Its scene.

        Raises
        ------
        KeyError
            When no entry has the path.
        """
        if path not in self.paths:
            raise KeyError(path)
        with self._lock:
            if path not in self._scenes:
                self._scenes[path] = self._open(path)
            return self._scenes[path]

    def to_json(self) -> list[dict[str, str]]:
        """List the images for the page's picker.

        Returns
        -------
        list of dict
            ``{"path", "title"}`` per image, in order.
        """
        return [{"path": e.path, "title": e.title} for e in self.entries]

    def close(self) -> None:
        """Release what the images share."""
        if self._close is not None:
            self._close()


OpenCatalogue = Callable[[str, dict[str, Any]], "Scene | Catalogue"]
"""Opens a target as its images: ``(target, storage_options) -> Catalogue`` (or one
:class:`~ngff_geozarr.core.viewer.scene.Scene`); raises
:class:`~ngff_geozarr.core.errors.NgffGeozarrError` (one line) when it cannot."""


@contextlib.contextmanager
def closed_on_failure(close: Callable[[], None]) -> Iterator[None]:
    """Call ``close`` when the block fails (then re-raise); leave things open when it succeeds.

    Parameters
    ----------
    close
        Releases what the block was given (a store, an opened node).

    Yields
    ------
    None
        Once, around the block.
    """
    try:
        yield
    except BaseException:
        close()
        raise


def first_scene(open_images: Callable[[str, dict[str, Any]], Catalogue], what: str) -> OpenScene:
    """Return the function opening a target as the scene of its first image.

    Parameters
    ----------
    open_images
        Opens a target as the catalogue of its images.
    what
        The convention's name, for the function's documentation (``"OME-Zarr"``).

    Returns
    -------
    OpenScene
        ``(target, storage_options) -> Scene``: the first image of the catalogue.
    """

    def open_scene(target: str, storage_options: dict[str, Any]) -> Scene:
        catalogue = open_images(target, storage_options)
        with closed_on_failure(catalogue.close):
            return catalogue.scene(catalogue.default)

    open_scene.__doc__ = f"""Open the first image of a target ({what}) as a scene.

    Parameters
    ----------
    target
        A store path or URL.
    storage_options
        Options for remote stores.

    Returns
    -------
    Scene
        The first image the target's catalogue lists; it keeps the store open.
    """
    return open_scene
