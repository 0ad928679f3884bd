"""OME-Zarr (OME-NGFF): create, recognise, validate and convert stores of 0.4, 0.5 and 0.6.

The command line is ``ngff``; see ``ngff --help``. In Python::

    import ngff
    report = ngff.validate("image.ome.zarr")
    print(report.valid, [issue.rule for issue in report.issues])
    ngff.write_image(volume, "new.ome.zarr", axes="zyx", scale=(2.0, 0.5, 0.5))
    image = ngff.open("new.ome.zarr")  # levels as lazy arrays; image.to_xarray()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ngff.detection import detect, discover, ome_attributes
from ngff.versions import SPEC_VERSIONS, spec_version
from ngff_geozarr.core.lazy import lazy_exports

if TYPE_CHECKING:
    from ngff.convert import ConversionError, ConversionResult, convert
    from ngff.create import (
        ArraySpec,
        CreationError,
        Image,
        add_levels,
        write_image,
        write_labels,
        write_plate,
        write_series_collection,
    )
    from ngff.reading import open
    from ngff.validate import validate

__all__ = [
    "SPEC_VERSIONS",
    "ArraySpec",
    "ConversionError",
    "ConversionResult",
    "CreationError",
    "Image",
    "add_levels",
    "convert",
    "detect",
    "discover",
    "ome_attributes",
    "open",
    "spec_version",
    "validate",
    "write_image",
    "write_labels",
    "write_plate",
    "write_series_collection",
]

# Writers, converters and the validator load zarr: imported on first use, so that importing
# a model (``ngff.v05``, ...) stays light.
lazy_exports(
    __name__,
    {
        **dict.fromkeys(("ConversionError", "ConversionResult", "convert"), "ngff.convert"),
        **dict.fromkeys(
            (
                "ArraySpec",
                "CreationError",
                "Image",
                "add_levels",
                "write_image",
                "write_labels",
                "write_plate",
                "write_series_collection",
            ),
            "ngff.create",
        ),
        "open": "ngff.reading",
        "validate": "ngff.validate",
    },
)
