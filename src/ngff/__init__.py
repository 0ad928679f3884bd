"""OME-Zarr (OME-NGFF): recognise, validate and convert stores of versions 0.4, 0.5 and 0.6.

The command line is ``ngff``; see ``ngff --help``. In Python::

    import ngff
    report = ngff.validate("image.ome.zarr")
    print(report.valid, [issue.rule for issue in report.issues])
"""

from __future__ import annotations

from ngff.convert import ConversionError, ConversionResult, convert
from ngff.detection import detect, discover, ome_attributes
from ngff.validate import validate
from ngff.versions import SPEC_VERSIONS, spec_version

__all__ = [
    "SPEC_VERSIONS",
    "ConversionError",
    "ConversionResult",
    "convert",
    "detect",
    "discover",
    "ome_attributes",
    "spec_version",
    "validate",
]
