"""Render OME sections in the version written, each parsed by that version's model.

Sections built by :mod:`ngff.create.documents` (0.5 form) are converted to the written
version by :func:`ngff.convert.convert_attributes` and then parsed once more by the models
of that version (:mod:`ngff.v04`, :mod:`ngff.v05`, :mod:`ngff.v06`) and dumped from them:
what a writer emits is what the validator's models accept, or the writer refuses with a
:class:`~ngff.create.options.CreationError` and writes nothing.

Keys a model does not define, found in metadata read back from an existing store (another
tool's custom keys next to a multiscale image, say), are carried over verbatim, and the
converted document's key order is kept.

Examples
--------
>>> import ngff.create.documents as documents
>>> ms = documents.multiscale(
...     name="demo",
...     axes=[{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
...     datasets=[documents.dataset("0", [1.0, 1.0], None)],
...     type="mean",
... )
>>> attrs = render({"multiscales": [documents.dump(ms)]}, "0.4")
>>> attrs["multiscales"][0]["version"], attrs["multiscales"][0]["type"]
('0.4', 'mean')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic

from ngff.common.labels import Labels
from ngff.common.ome import VersionRules
from ngff.common.omero import Omero
from ngff.convert import convert_attributes
from ngff.create.options import CreationError
from ngff.v04.ome import RULES as V04
from ngff.v05.ome import RULES as V05
from ngff.v06.ome import RULES as V06
from ngff.versions import WRITTEN_VERSION, SpecVersion

__all__ = ["describe", "render", "retype"]

_RULES: dict[SpecVersion, VersionRules] = {"0.4": V04, "0.5": V05, "0.6": V06}


def describe(error: pydantic.ValidationError) -> str:
    """Return the first problem of a validation error as one sentence.

    Parameters
    ----------
    error
        The error.

    Returns
    -------
    str
        Where the problem is, and what it is.
    """
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "the object"
    return f"At {where}: {first['msg']}."


def _typed(model: type[pydantic.BaseModel], data: Any) -> Any:
    """Parse an object with ``model`` and dump it; foreign keys kept verbatim, in order."""
    if not isinstance(data, Mapping):
        return data
    names = set()
    for key, info in model.model_fields.items():
        names.add(info.alias or key)
    known = {k: v for k, v in data.items() if k in names}
    dumped = model.model_validate(known).model_dump(mode="json", by_alias=True)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            out[key] = value
        elif key in dumped:
            out[key] = _in_order(dumped[key], value)
    return out


def _in_order(dumped: Any, data: Any) -> Any:
    """Return ``dumped`` with its objects' keys in the order ``data`` has them (deeply).

    A model dumps its keys in the order of its fields; the converted document's own order
    is kept so that what is written does not depend on how a model declares its fields.
    """
    if isinstance(dumped, dict) and isinstance(data, Mapping):
        keys = [k for k in data if k in dumped] + [k for k in dumped if k not in data]
        return {k: _in_order(dumped[k], data.get(k)) for k in keys}
    if isinstance(dumped, list) and isinstance(data, list) and len(dumped) == len(data):
        return [_in_order(d, v) for d, v in zip(dumped, data, strict=True)]
    return dumped


def retype(attributes: Mapping[str, Any], version: SpecVersion) -> dict[str, Any]:
    """Parse every OME section of a node's attributes with the models of ``version``.

    Parameters
    ----------
    attributes
        The node's attributes, in ``version``'s layout.
    version
        The version they are written in.

    Returns
    -------
    dict
        The attributes, each section dumped from its model.

    Raises
    ------
    pydantic.ValidationError
        When a section is not what the version's model accepts (a writer's bug).
    """
    rules = _RULES[version]
    out = dict(attributes)
    ome = dict(out["ome"]) if version != "0.4" else out
    models: dict[str, type[pydantic.BaseModel]] = {
        "omero": Omero,
        "image-label": rules.image_label,
        "plate": rules.plate,
        "well": rules.well,
    }
    for key, model in models.items():
        if key in ome:
            ome[key] = _typed(model, ome[key])
    if isinstance(ome.get("multiscales"), list):
        ome["multiscales"] = [_typed(rules.multiscale, m) for m in ome["multiscales"]]
    if isinstance(ome.get("labels"), list):
        ome["labels"] = list(Labels(labels=ome["labels"]).labels)
    if version != "0.4":
        out["ome"] = ome
    return out


def render(sections: Mapping[str, Any], version: SpecVersion) -> dict[str, Any]:
    """Return a node's attributes in ``version`` from its sections in 0.5 form.

    Parameters
    ----------
    sections
        The OME sections (``multiscales``, ``omero``, ``image-label``, ``labels``, ``plate``,
        ``well``) as JSON dumped from their 0.5 models.
    version
        The version to write.

    Returns
    -------
    dict
        ``{"ome": {...}}`` for 0.5 and 0.6; the 0.4 keys at the top level for 0.4.

    Raises
    ------
    CreationError
        When a section is not what the models of ``version`` accept (nothing is written).
    """
    ome: dict[str, Any] = {"version": WRITTEN_VERSION["0.5"], **sections}
    try:
        return retype(convert_attributes({"ome": ome}, "0.5", version), version)
    except pydantic.ValidationError as exc:
        problem = describe(exc)
        raise CreationError(
            f"Expected metadata the OME-Zarr {version} models accept. {problem}"
        ) from None
