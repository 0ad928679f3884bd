"""Build a document as its model, dump it by alias: the one way the writers make JSON.

A validation failure becomes a :class:`~geozarr.writing.grid.GeoWriteError` that names what
was being written, so a writer never emits what the validator would reject.
"""

from __future__ import annotations

from typing import Any

import pydantic

from geozarr.writing.grid import GeoWriteError

__all__ = ["build_model", "dump_model"]


def dump_model(model: pydantic.BaseModel) -> dict[str, Any]:
    """Return a model as JSON-ready data, keys by alias, absent keys left out.

    Parameters
    ----------
    model
        A convention model.

    Returns
    -------
    dict
        The document.
    """
    return dict(model.model_dump(mode="json", by_alias=True))


def build_model(what: str, build: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``build`` (a model class or its ``model_validate``); refuse what it rejects.

    Parameters
    ----------
    what
        What is being written, for the message (``"spatial:"``, ``"the x coordinate"``).
    build
        The model class, or a validating callable.
    *args, **kwargs
        Passed to ``build``.

    Returns
    -------
    pydantic.BaseModel
        The model.

    Raises
    ------
    GeoWriteError
        With the first validation error: where and why.
    """
    try:
        return build(*args, **kwargs)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or what
        raise GeoWriteError(f"Cannot write {what}: {where}: {first['msg']}.") from None
