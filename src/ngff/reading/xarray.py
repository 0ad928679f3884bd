"""One level of an opened image as an ``xarray.DataArray`` (dims, coordinates, units, attrs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import xarray

    from ngff.reading.image import ImageNode, Level

__all__ = ["import_xarray", "level_to_xarray"]


def import_xarray() -> Any:
    """Import xarray, or say how to install it.

    Returns
    -------
    module
        ``xarray``.

    Raises
    ------
    ImportError
        When xarray is not installed.
    """
    try:
        import xarray
    except ImportError as exc:
        raise ImportError(
            "Reading an OME-Zarr level as a DataArray needs xarray: install xarray (and dask)."
        ) from exc
    return xarray


def level_to_xarray(image: ImageNode, level: Level) -> xarray.DataArray:
    """Build the ``DataArray`` of one level of an image, lazily (backed by dask).

    Parameters
    ----------
    image
        The image.
    level
        One of its levels.

    Returns
    -------
    xarray.DataArray
        Dimensions named after the axes; a coordinate per axis that is not a channel axis
        (``translation + i * scale``, ``units`` in its attributes); the channel names of
        ``omero`` as the channel axis' coordinate when there is one per channel; the
        image's name, version, path, ``omero`` and ``image-label`` in the attributes.
    """
    xr = import_xarray()
    coords: dict[str, Any] = {}
    names = image.channel_names
    for i, axis in enumerate(image.axes):
        axis_attrs = {"units": axis.unit} if axis.unit is not None else {}
        if axis.type is not None:
            axis_attrs["axis_type"] = axis.type
        if axis.type == "channel" or (axis.type is None and axis.name == "c"):
            if names is not None:
                coords[axis.name] = (axis.name, list(names), axis_attrs)
            continue
        coords[axis.name] = (axis.name, level.coordinates(i), axis_attrs)
    attrs: dict[str, Any] = {
        "name": image.name,
        "ome_version": image.version,
        "path": image.path,
        "level": level.path,
    }
    if image.coordinate_system is not None:
        attrs["coordinate_system"] = image.coordinate_system
    if image.omero is not None:
        attrs["omero"] = image.omero.model_dump(mode="json")
    if image.image_label is not None:
        attrs["image-label"] = image.image_label.model_dump(mode="json")
    return xr.DataArray(  # type: ignore[no-any-return]
        level.data,
        dims=image.axis_names,
        coords=coords,
        name=image.name,
        attrs={k: v for k, v in attrs.items() if v is not None},
    )
