"""The ``zarr_conventions`` metadata object, and the conventions GeoZarr knows by UUID.

Zarr Conventions Specification §"Convention Registration via ``zarr_conventions``": a node that
follows conventions lists them in ``attributes.zarr_conventions``, an array of Convention
Metadata Objects (CMO). A CMO MUST hold at least one of ``uuid``, ``schema_url``,
``spec_url`` and MUST NOT hold keys other than those and ``name``, ``description``. The UUID
identifies a convention; names are for people and MUST NOT be used to identify one.

In the wild the same convention is declared with several schema URLs and names (the
``zarr-experimental/geo-proj`` v1 URLs, ``zarr-conventions/geo-proj``, ``zarr-conventions/proj``
v0.1; ``proj:`` or ``proj``; ``spatial:`` or ``spatial``). :data:`REGISTRY` recognises every
variant seen, so a store written by any tool is understood; a declaration that is not the
canonical v0.1 one is reported as a warning, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from ngff_geozarr.core.models import SpecModel

__all__ = [
    "MULTISCALES",
    "PROJ",
    "REGISTRY",
    "SPATIAL",
    "ConventionKey",
    "ConventionMetadata",
    "KnownConvention",
    "identify",
    "noncanonical_fields",
]

ConventionKey = Literal["proj", "spatial", "multiscales"]
"""The conventions this package validates."""

_UUID = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
]


class ConventionMetadata(SpecModel):
    """One Convention Metadata Object of a ``zarr_conventions`` array.

    Zarr Conventions Specification §"Convention Registration": at least one of ``uuid``,
    ``schema_url``, ``spec_url`` MUST be present (rule ``geozarr.conventions.identifier``);
    no other keys than these and ``name``, ``description`` (unknown keys are reported).
    """

    uuid: _UUID | None = None
    schema_url: str | None = None
    spec_url: str | None = None
    name: str | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _has_identifier(self) -> ConventionMetadata:
        """Rule geozarr.conventions.identifier: a CMO names its convention."""
        if self.uuid is None and self.schema_url is None and self.spec_url is None:
            raise PydanticCustomError(
                "geozarr.conventions.identifier",
                "Expected at least one of uuid, schema_url, spec_url. Got none.",
            )
        return self


@dataclass(frozen=True)
class KnownConvention:
    """A convention this package validates, with every declaration of it seen in the wild.

    Parameters
    ----------
    key
        Short key used in rule ids (``proj``, ``spatial``, ``multiscales``).
    uuid
        The permanent identifier.
    schema_url, spec_url, name, description
        The canonical v0.1 declaration.
    schema_urls, spec_urls, names
        Every variant recognised (canonical included).
    prefix
        The attribute namespace (``proj:``) or key (``multiscales``) of its properties.
    """

    key: ConventionKey
    uuid: str
    schema_url: str
    spec_url: str
    name: str
    description: str
    schema_urls: frozenset[str]
    spec_urls: frozenset[str]
    names: frozenset[str]
    prefix: str

    def canonical(self) -> dict[str, str]:
        """Return the canonical v0.1 declaration as a JSON object.

        Returns
        -------
        dict of str to str
            ``uuid``, ``schema_url``, ``spec_url``, ``name``, ``description``.
        """
        return {
            "uuid": self.uuid,
            "schema_url": self.schema_url,
            "spec_url": self.spec_url,
            "name": self.name,
            "description": self.description,
        }


def _url(kind: str, repo: str, tag: str) -> str:
    if kind == "schema":
        return f"https://raw.githubusercontent.com/{repo}/refs/tags/{tag}/schema.json"
    return f"https://github.com/{repo}/blob/{tag}/README.md"


_TAGS = ("v0", "v0.1", "v1")
_CANONICAL_TAG = "v0.1"


def _known(
    key: ConventionKey,
    uuid: str,
    description: str,
    repos: tuple[str, ...],
    names: frozenset[str],
    prefix: str,
) -> KnownConvention:
    """Build a convention whose canonical declaration is its first repository's v0.1 one.

    Every repository of ``repos`` at every tag of ``_TAGS`` is a recognised variant.
    """
    return KnownConvention(
        key=key,
        uuid=uuid,
        schema_url=_url("schema", repos[0], _CANONICAL_TAG),
        spec_url=_url("spec", repos[0], _CANONICAL_TAG),
        name=key,
        description=description,
        schema_urls=frozenset(_url("schema", r, t) for r in repos for t in _TAGS),
        spec_urls=frozenset(_url("spec", r, t) for r in repos for t in _TAGS),
        names=names,
        prefix=prefix,
    )


PROJ = _known(
    "proj",
    "f17cb550-5864-4468-aeb7-f3180cfb622f",
    "Coordinate reference system information for geospatial data",
    (
        "zarr-conventions/proj",
        "zarr-conventions/geo-proj",
        "zarr-experimental/geo-proj",
        "zarr-experimental/proj",
    ),
    frozenset({"proj", "proj:", "geo-proj", "geo:proj"}),
    "proj:",
)
"""The ``proj:`` convention (CRS as ``proj:code``, ``proj:wkt2``, ``proj:projjson``)."""

SPATIAL = _known(
    "spatial",
    "689b58e2-cf7b-45e0-9fff-9cfc0883d6b4",
    "Spatial coordinate information",
    ("zarr-conventions/spatial", "zarr-experimental/spatial"),
    frozenset({"spatial", "spatial:"}),
    "spatial:",
)
"""The ``spatial:`` convention (dimensions, bbox, affine transform, shape, registration)."""

MULTISCALES = _known(
    "multiscales",
    "d35379db-88df-4056-af3a-620245f8e347",
    "Multiscale layout of zarr datasets",
    ("zarr-conventions/multiscales", "zarr-experimental/multiscales"),
    frozenset({"multiscales"}),
    "multiscales",
)
"""The ``multiscales`` convention (pyramid layout)."""

REGISTRY: Mapping[str, KnownConvention] = {c.uuid: c for c in (PROJ, SPATIAL, MULTISCALES)}
"""The known conventions by UUID."""


def identify(cmo: ConventionMetadata) -> KnownConvention | None:
    """Tell which known convention a declaration names, by identity precedence.

    Zarr Conventions Specification §"Convention Identity": the ``uuid`` when present, else the
    ``schema_url``, else the ``spec_url``; never the name.

    Parameters
    ----------
    cmo
        The declaration.

    Returns
    -------
    KnownConvention or None
        The convention, or ``None`` for one this package does not know.

    Examples
    --------
    >>> identify(ConventionMetadata(uuid="689b58e2-cf7b-45e0-9fff-9cfc0883d6b4")).key
    'spatial'
    >>> identify(ConventionMetadata(uuid="2dc8d146-3932-4e08-8542-06aa0e826508")) is None
    True
    """
    if cmo.uuid is not None:
        return REGISTRY.get(cmo.uuid)
    for known in REGISTRY.values():
        if cmo.schema_url is not None:
            if cmo.schema_url in known.schema_urls:
                return known
        elif cmo.spec_url in known.spec_urls:
            return known
    return None


def noncanonical_fields(cmo: ConventionMetadata, known: KnownConvention) -> list[str]:
    """List the fields of a declaration that differ from the canonical v0.1 one.

    Parameters
    ----------
    cmo
        The declaration.
    known
        The convention it names.

    Returns
    -------
    list of str
        Names of the fields that are absent or differ (``name`` is compared too: tools show
        it to people).
    """
    canonical = known.canonical()
    return [
        k for k in ("uuid", "schema_url", "spec_url", "name") if getattr(cmo, k) != canonical[k]
    ]
