"""JSON Schemas of the GeoZarr models, written to ``schemas/geozarr/`` (never by hand).

Run ``python -m geozarr.schemas [ROOT]`` to regenerate them (``ROOT`` defaults to the
repository's ``schemas`` folder); a test fails when the files differ from the models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from geozarr.cf.grid_mappings import GridMappingVariable
from geozarr.cf.variables import CFVariable
from geozarr.conventions.multiscales import Multiscales
from geozarr.conventions.proj import ProjAttributes
from geozarr.conventions.registry import ConventionMetadata
from geozarr.conventions.spatial import SpatialAttributes
from geozarr.legacy.v04 import MultiscalesV04
from ngff_geozarr.core.convention import write_schema_documents

__all__ = ["MODELS", "main", "schema_documents", "write_schemas"]

MODELS: dict[str, type[BaseModel]] = {
    "conventions/zarr-conventions-metadata.schema.json": ConventionMetadata,
    "conventions/proj.schema.json": ProjAttributes,
    "conventions/spatial.schema.json": SpatialAttributes,
    "conventions/multiscales.schema.json": Multiscales,
    "cf/variable.schema.json": CFVariable,
    "cf/grid-mapping.schema.json": GridMappingVariable,
    "legacy/v0.4-multiscales.schema.json": MultiscalesV04,
}
"""Each schema's path below ``schemas/geozarr/`` and the model it is generated from."""


def schema_documents() -> dict[str, str]:
    """Render every schema as the text written to disk.

    Returns
    -------
    dict of str to str
        Path below ``schemas/geozarr/`` -> JSON text (sorted keys, trailing newline).
    """
    out: dict[str, str] = {}
    for path, model in MODELS.items():
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            **model.model_json_schema(by_alias=True, mode="validation"),
        }
        out[path] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return out


def write_schemas(root: Path) -> list[Path]:
    """Write the schemas under ``root / "geozarr"``.

    Parameters
    ----------
    root
        The ``schemas`` folder.

    Returns
    -------
    list of Path
        The files written.
    """
    return write_schema_documents(schema_documents(), root / "geozarr")


def main(argv: list[str] | None = None) -> int:
    """Regenerate the schemas: ``[ROOT]``.

    Parameters
    ----------
    argv
        The arguments; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        0.
    """
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "schemas"
    for path in write_schemas(root):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
