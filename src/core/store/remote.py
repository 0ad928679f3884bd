"""Remote stores: ``http(s)://`` and ``s3://`` through fsspec (zarr; the ``remote`` extra).

``s3://`` is anonymous unless credentials are given in ``storage_options`` or found in the
usual environment variables (``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ...); the endpoint comes
from ``storage_options`` (``endpoint_url``) or ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import os
from typing import Any

from zarr.abc.store import Store
from zarr.storage import FsspecStore

from ngff_geozarr.core.errors import StoreAccessError, UnsupportedTargetError
from ngff_geozarr.core.store.keys import MAX_CONCURRENCY

__all__ = ["fsspec_store", "http_options", "s3_options"]

_REMOTE_EXTRA = "install the 'remote' extra: pip install 'ngff-geozarr[remote]'"


def fsspec_store(url: str, options: dict[str, Any], read_only: bool) -> Store:
    """Open a remote URL as an fsspec-backed store.

    Parameters
    ----------
    url
        An ``http(s)://`` or ``s3://`` URL.
    options
        The file system's options (see :func:`http_options`, :func:`s3_options`).
    read_only
        Whether writes are refused.

    Returns
    -------
    zarr.abc.store.Store
        The store.

    Raises
    ------
    UnsupportedTargetError
        When the ``remote`` extra (fsspec and the protocol's file system) is not installed.
    StoreAccessError
        When the file system cannot be set up.
    """
    try:
        import fsspec  # noqa: F401
    except ImportError as exc:
        raise UnsupportedTargetError(f"{url}: {_REMOTE_EXTRA}.") from exc
    try:
        return FsspecStore.from_url(url.rstrip("/"), storage_options=options, read_only=read_only)
    except ImportError as exc:
        raise UnsupportedTargetError(f"{url}: {_REMOTE_EXTRA} ({exc}).") from exc
    except Exception as exc:
        raise StoreAccessError(f"{url}: {exc}") from exc


def http_options(options: dict[str, Any]) -> dict[str, Any]:
    """Fill in the options of an HTTP file system: a client with enough connections.

    Parameters
    ----------
    options
        The caller's ``storage_options``; they take precedence.

    Returns
    -------
    dict
        The options to open the store with.
    """
    return {"get_client": _http_client, **options}


_CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


async def _http_client(**kwargs: Any) -> Any:
    """Create the aiohttp session of an HTTP store, with MAX_CONCURRENCY connections.

    aiohttp allows 100 connections by default, which would cap the requests in flight below
    the reader's bound.
    """
    import aiohttp

    connector = aiohttp.TCPConnector(limit=MAX_CONCURRENCY, limit_per_host=MAX_CONCURRENCY)
    return aiohttp.ClientSession(connector=connector, **kwargs)


def s3_options(options: dict[str, Any]) -> dict[str, Any]:
    """Fill in s3fs options: anonymous unless credentials are given; endpoint from the env.

    Parameters
    ----------
    options
        The caller's ``storage_options`` (not modified).

    Returns
    -------
    dict
        The options to open the store with.
    """
    """Fill in s3fs options: anonymous unless credentials are given; endpoint from the env."""
    opts = dict(options)
    # botocore keeps 10 connections by default: too few for concurrent metadata reads.
    config = dict(opts.get("config_kwargs") or {})
    config.setdefault("max_pool_connections", MAX_CONCURRENCY)
    opts["config_kwargs"] = config
    has_credentials = any(k in opts for k in ("key", "secret", "token", "profile")) or any(
        os.environ.get(v) for v in _CREDENTIAL_VARIABLES
    )
    opts.setdefault("anon", not has_credentials)
    endpoint = opts.pop("endpoint_url", None) or os.environ.get(
        "AWS_ENDPOINT_URL_S3", os.environ.get("AWS_ENDPOINT_URL")
    )
    if endpoint:
        client_kwargs = dict(opts.get("client_kwargs") or {})
        client_kwargs.setdefault("endpoint_url", endpoint)
        opts["client_kwargs"] = client_kwargs
    return opts
