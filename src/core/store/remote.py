"""Remote stores: ``http(s)://`` and ``s3://`` through fsspec (zarr; the ``remote`` extra).

``s3://`` is anonymous unless credentials are given in ``storage_options`` or found in the
usual environment variables (``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ...); the endpoint comes
from ``storage_options`` (``endpoint_url``) or ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from zarr.abc.store import Store
from zarr.storage import FsspecStore

from ngff_geozarr.core.errors import StoreAccessError, UnsupportedTargetError
from ngff_geozarr.core.store.keys import MAX_CONCURRENCY
from ngff_geozarr.core.store.policy import RemotePolicy, remote_policy

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
        store = FsspecStore.from_url(url.rstrip("/"), storage_options=options, read_only=read_only)
    except ImportError as exc:
        raise UnsupportedTargetError(f"{url}: {_REMOTE_EXTRA} ({exc}).") from exc
    except Exception as exc:
        raise StoreAccessError(f"{url}: {exc}") from exc
    if isinstance(getattr(store.fs, "retries", None), int):
        # s3fs retries some errors itself (5 attempts): the remote policy retries instead.
        store.fs.retries = 1
    return store


def http_options(options: dict[str, Any], policy: RemotePolicy | None = None) -> dict[str, Any]:
    """Fill in the options of an HTTP file system: a client with enough connections.

    Parameters
    ----------
    options
        The caller's ``storage_options``; they take precedence.
    policy
        The remote policy whose timeout the client's requests get; the current one when
        omitted.

    Returns
    -------
    dict
        The options to open the store with.
    """
    timeout = (policy or remote_policy()).timeout
    return {"get_client": functools.partial(_http_client, timeout), **options}


_CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


async def _http_client(timeout: float, **kwargs: Any) -> Any:
    """Create the aiohttp session of an HTTP store, with MAX_CONCURRENCY connections.

    aiohttp allows 100 connections by default, which would cap the requests in flight below
    the reader's bound. Each request may wait ``timeout`` seconds to connect and between two
    reads of its answer (no bound on the whole: a large chunk may take long to arrive).
    """
    import aiohttp

    kwargs.setdefault(
        "timeout", aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
    )
    connector = aiohttp.TCPConnector(limit=MAX_CONCURRENCY, limit_per_host=MAX_CONCURRENCY)
    return aiohttp.ClientSession(connector=connector, **kwargs)


def s3_options(options: dict[str, Any], policy: RemotePolicy | None = None) -> dict[str, Any]:
    """Fill in s3fs options: anonymous unless credentials are given; endpoint from the env.

    botocore gets the remote policy's connect and read timeouts and no retries of its own
    (the policy retries each request instead: botocore's and s3fs's retries together made an
    unreachable endpoint take 15-20 s to fail).

    Parameters
    ----------
    options
        The caller's ``storage_options`` (not modified).
    policy
        The remote policy; the current one when omitted.

    Returns
    -------
    dict
        The options to open the store with.
    """
    opts = dict(options)
    timeout = (policy or remote_policy()).timeout
    # botocore keeps 10 connections by default: too few for concurrent metadata reads.
    config = dict(opts.get("config_kwargs") or {})
    config.setdefault("max_pool_connections", MAX_CONCURRENCY)
    config.setdefault("connect_timeout", timeout)
    config.setdefault("read_timeout", timeout)
    config.setdefault("retries", {"total_max_attempts": 1})
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
