"""Open a target as a Zarr store: local directory, ``.zip``, memory, ``http(s)://``, ``s3://``.

This package is the only part of the toolkit that imports zarr. Everything else reaches a
store through :class:`StoreHandle`, which adds what zarr's stores leave to their callers:

- every key is checked before it is used, so nothing outside the store root is ever read
  (:func:`check_key`, :func:`join_key`);
- documents are read with a size cap, as a range request where the store supports it;
- a store that refuses listings (object stores behind plain HTTP) is told apart from an
  empty group;
- the root's Zarr format and consolidated metadata are detected once, on opening.

Its modules, by job:

- :mod:`~ngff_geozarr.core.store.keys`: key checks, store kinds and modes, size limits;
- :mod:`~ngff_geozarr.core.store.compression`: the codec presets of written arrays;
- :mod:`~ngff_geozarr.core.store.opening`: targets and URLs to stores (:func:`open_store`);
- :mod:`~ngff_geozarr.core.store.local`, :mod:`~ngff_geozarr.core.store.remote`: local
  directories and zip files; HTTP and S3 through fsspec;
- :mod:`~ngff_geozarr.core.store.handle`: reads, writes, groups and arrays of an open store;
- :mod:`~ngff_geozarr.core.store.cache`: each metadata document of a remote store fetched
  once (:func:`read_once` shares them between the handles of one reading job);
- :mod:`~ngff_geozarr.core.store.arrays`: region reads and writes of one array.

The first two import no zarr and are loaded with this package; the names of the others are
imported on first use (see :mod:`ngff_geozarr.core.lazy`), so a model that checks its keys
with :func:`check_key` does not load zarr.

Remote targets need the ``remote`` extra (fsspec, s3fs, aiohttp). ``s3://`` is anonymous
unless credentials are given in ``storage_options`` or found in the usual environment
variables (``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ...); the endpoint comes from
``storage_options`` (``endpoint_url``) or ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ngff_geozarr.core.lazy import lazy_exports
from ngff_geozarr.core.store.compression import COMPRESSIONS, Compression, compressors_for
from ngff_geozarr.core.store.keys import (
    CONSOLIDATED_LIMIT,
    DOCUMENT_LIMIT,
    MAX_CONCURRENCY,
    METADATA_KEYS,
    StoreKind,
    StoreMode,
    ZarrFormat,
    check_key,
    join_key,
)

if TYPE_CHECKING:
    from ngff_geozarr.core.store.arrays import ArrayIO
    from ngff_geozarr.core.store.cache import read_once
    from ngff_geozarr.core.store.handle import StoreHandle
    from ngff_geozarr.core.store.opening import open_store

__all__ = [
    "COMPRESSIONS",
    "CONSOLIDATED_LIMIT",
    "DOCUMENT_LIMIT",
    "MAX_CONCURRENCY",
    "METADATA_KEYS",
    "ArrayIO",
    "Compression",
    "StoreHandle",
    "StoreKind",
    "StoreMode",
    "ZarrFormat",
    "check_key",
    "compressors_for",
    "join_key",
    "open_store",
    "read_once",
]

lazy_exports(
    __name__,
    {
        "ArrayIO": "ngff_geozarr.core.store.arrays",
        "StoreHandle": "ngff_geozarr.core.store.handle",
        "open_store": "ngff_geozarr.core.store.opening",
        "read_once": "ngff_geozarr.core.store.cache",
    },
)
