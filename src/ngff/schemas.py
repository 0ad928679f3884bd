"""Generate JSON Schemas of the OME-Zarr models: ``python -m ngff.schemas [OUT_DIR]``.

One schema per version and spec section, written to ``OUT_DIR/<version>/<section>.json``
(default ``schemas/ngff``). The files are never edited by hand; a test regenerates them in
memory and fails when they are stale.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, TypeAdapter

import ngff.v04 as v04
import ngff.v05 as v05
import ngff.v06 as v06
from ngff_geozarr.core.convention import write_schema_documents

__all__ = ["SECTIONS", "generate", "main"]

SECTIONS: Mapping[str, Mapping[str, object]] = {
    "0.4": {
        "axes": v04.Axis,
        "coordinate_transformations": v04.Dataset,
        "multiscales": v04.Multiscale,
        "labels": v04.Labels,
        "image-label": v04.ImageLabel,
        "plate": v04.Plate,
        "well": v04.Well,
        "bioformats2raw": v04.Bioformats2rawLayout,
        "series": v04.Series,
        "omero": v04.Omero,
    },
    "0.5": {
        "axes": v05.Axis,
        "coordinate_transformations": v05.Dataset,
        "multiscales": v05.Multiscale,
        "labels": v05.Labels,
        "image-label": v05.ImageLabel,
        "plate": v05.Plate,
        "well": v05.Well,
        "bioformats2raw": v05.Bioformats2rawLayout,
        "series": v05.Series,
        "omero": v05.Omero,
    },
    "0.6": {
        "axes": v06.Axis,
        "coordinate_systems": v06.CoordinateSystem,
        "coordinate_transformations": v06.Transformation,
        "multiscales": v06.Multiscale,
        "labels": v06.Labels,
        "image-label": v06.ImageLabel,
        "plate": v06.Plate,
        "well": v06.Well,
        "bioformats2raw": v06.Bioformats2rawLayout,
        "series": v06.Series,
        "omero": v06.Omero,
        "scene": v06.Scene,
    },
}
"""The model of each spec section, by version."""


def generate() -> dict[str, str]:
    """Render every section's JSON Schema.

    Returns
    -------
    dict
        ``"<version>/<section>.json"`` to the schema's text.
    """
    out: dict[str, str] = {}
    for version, sections in SECTIONS.items():
        for section, model in sections.items():
            if isinstance(model, type) and issubclass(model, BaseModel):
                schema = model.model_json_schema(by_alias=True)
            else:
                schema = TypeAdapter(cast(Any, model)).json_schema(by_alias=True)
            schema = {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": f"ngff-geozarr/ngff/{version}/{section}.json",
                **schema,
            }
            out[f"{version}/{section}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    """Write the schemas.

    Parameters
    ----------
    argv
        ``[OUT_DIR]``; ``schemas/ngff`` when omitted.

    Returns
    -------
    int
        0.
    """
    args = sys.argv[1:] if argv is None else argv
    write_schema_documents(generate(), Path(args[0] if args else "schemas/ngff"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
