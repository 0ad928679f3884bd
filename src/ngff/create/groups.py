"""Group documents in a store: write them, read an existing image's metadata back.

The writers of :mod:`ngff.create` write a group's metadata with :func:`write_group` (always
last, after every array below it is complete) and read an image they extend (labels, extra
levels) with :func:`read_image`, normalised to the 0.5 form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ngff_geozarr.core.groups as groups
from ngff.convert import convert_attributes
from ngff.create.options import CreationError
from ngff.detection import ome_attributes
from ngff.versions import SpecVersion, spec_version
from ngff_geozarr.core.store import StoreHandle, ZarrFormat, join_key
from ngff_geozarr.core.zarr_format import array_compressors

__all__ = [
    "StoredImage",
    "compressors_of",
    "dimension_names",
    "read_group",
    "read_image",
    "scale_translation",
    "untyped",
    "write_group",
    "zarr_format_of",
]


def zarr_format_of(version: SpecVersion) -> ZarrFormat:
    """Return the Zarr format an OME-Zarr version is written in: 2 for 0.4, else 3.

    Parameters
    ----------
    version
        The OME-Zarr version.

    Returns
    -------
    int
        The Zarr format.
    """
    return 2 if version == "0.4" else 3


def dimension_names(
    axes: Sequence[Mapping[str, Any]], zarr_format: ZarrFormat
) -> tuple[str, ...] | None:
    """Return the arrays' ``dimension_names``: the axis names in Zarr v3, none in v2.

    Parameters
    ----------
    axes
        The axis objects.
    zarr_format
        The Zarr format.

    Returns
    -------
    tuple of str or None
        The names.
    """
    return tuple(a["name"] for a in axes) if zarr_format == 3 else None


write_group = groups.write_group
"""Write a group's document(s): :func:`ngff_geozarr.core.groups.write_group`, shared."""


@dataclass(frozen=True)
class StoredImage:
    """An image group found in a store, its metadata in 0.5 form.

    Parameters
    ----------
    path
        The group's path.
    version
        The OME-Zarr version it is written in.
    zarr_format
        Its Zarr format.
    attributes
        The group's whole attributes, in 0.5 form.
    multiscale
        Its first multiscale image, in 0.5 form.
    """

    path: str
    version: SpecVersion
    zarr_format: ZarrFormat
    attributes: dict[str, Any]
    multiscale: dict[str, Any]

    @property
    def ome(self) -> dict[str, Any]:
        """The ``ome`` object of the attributes (0.5 form)."""
        ome: dict[str, Any] = self.attributes["ome"]
        return ome


def read_group(store: StoreHandle, path: str) -> tuple[ZarrFormat, dict[str, Any]] | None:
    """Return the Zarr format and attributes of the group at ``path``, or ``None``.

    Parameters
    ----------
    store
        The store.
    path
        The group's path.

    Returns
    -------
    tuple or None
        ``(zarr_format, attributes)``; ``None`` when there is no group there.
    """
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


def read_image(store: StoreHandle, path: str = "") -> StoredImage:
    """Read the multiscale image at ``path``, its metadata converted to 0.5 form.

    Parameters
    ----------
    store
        The store.
    path
        The image group's path.

    Returns
    -------
    StoredImage
        What was found.

    Raises
    ------
    CreationError
        When there is no group, no known version or no multiscale image there.
    """
    found = read_group(store, path)
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
    return StoredImage(path, version, zarr_format, normal, images[0])


def scale_translation(dataset: Mapping[str, Any]) -> tuple[list[float], list[float] | None]:
    """Return the scale and translation (or ``None``) of a 0.5 dataset object.

    Parameters
    ----------
    dataset
        The dataset object.

    Returns
    -------
    tuple
        ``(scale, translation)``.

    Raises
    ------
    CreationError
        When the dataset has no scale.
    """
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


def compressors_of(
    store: StoreHandle, path: str, zarr_format: ZarrFormat
) -> tuple[tuple[dict[str, Any], ...] | None, str]:
    """Return the compressors and chunk-key separator of a stored array, as JSON.

    Parameters
    ----------
    store
        The store.
    path
        The array's path.
    zarr_format
        Its Zarr format.

    Returns
    -------
    tuple
        ``(compressors, separator)``.
    """
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


def untyped(
    compressors: tuple[dict[str, Any], ...] | None,
) -> tuple[dict[str, Any], ...] | None:
    """Drop Blosc's ``typesize`` (the image's sample size) so the codec fits another dtype.

    Parameters
    ----------
    compressors
        Codec objects, or ``None``.

    Returns
    -------
    tuple of dict or None
        The codecs without ``typesize``.
    """
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
