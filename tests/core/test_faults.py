"""The remote policy under faults (issue 16), against the fault-injecting server of
``tests/core/faults.py``: 500s, 429s, resets, truncated bodies, stalls and hangs on the
documents, listings and chunks of real stores served over HTTP.

- A transient fault heals by retry: the report (or the ``info`` output) equals a clean
  run's, and the retries are counted.
- A persistent fault gives the "incomplete" verdict (exit code 3) naming each node that
  could not be read, and no defect derived from what was not read.
- Retries are bounded (``--retries``, ``NGFF_GEOZARR_RETRIES``); "not found" and "forbidden"
  are never retried.
- A hang ends within the configured ``--timeout`` (``NGFF_GEOZARR_TIMEOUT``).
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.core.faults import TRANSIENT, FaultKind, FaultServer

import geozarr.cli
import ngff.cli
from geozarr.validate import validate as geo_validate
from ngff.validate import validate as ome_validate
from ngff_geozarr.core.cli import run_guarded
from ngff_geozarr.core.report import EXIT_INCOMPLETE, UNREADABLE_NODE_RULE, Report
from ngff_geozarr.core.store.policy import (
    RETRIES_VARIABLE,
    TIMEOUT_VARIABLE,
    RemotePolicy,
    retry_after,
    set_remote_policy,
)
from ngff_geozarr.demo import build_elevation

BIN = Path(sys.executable).parent
TIMEOUT = 1.0
"""The request timeout of these tests (seconds): stalls and hangs last longer."""
STALL = 2.5
VALIDATORS: dict[str, Callable[..., Report]] = {"ngff": ome_validate, "geozarr": geo_validate}
GROUPS = {"ngff": ngff.cli.cli, "geozarr": geozarr.cli.cli}


# -- stores and policy ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def pyramid_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample elevation raster with its overview levels (a GeoZarr multiscales)."""
    return build_elevation(tmp_path_factory.mktemp("pyramid"), levels="auto")


def _unconsolidate(store: Path) -> None:
    """Drop a store's consolidated metadata: every node is then read by a request of its own."""
    root = json.loads((store / "zarr.json").read_text())
    root.pop("consolidated_metadata", None)
    (store / "zarr.json").write_text(json.dumps(root))


@pytest.fixture
def served(
    fault_server: FaultServer, samples: tuple[Path, Path], pyramid_sample: Path
) -> dict[str, str]:
    """The samples on the fault server, unconsolidated: ``cells`` (OME-Zarr 0.5 image with
    labels), ``elevation`` (GeoZarr raster with x/y coordinates), ``pyramid`` (GeoZarr
    multiscales); by name, their URLs."""
    stores = {
        "cells": (samples[0], "cells.ome.zarr"),
        "elevation": (samples[1], "elevation.zarr"),
        "pyramid": (pyramid_sample, "pyramid.zarr"),
    }
    urls = {}
    for key, (store, name) in stores.items():
        urls[key] = fault_server.put(store, name)
        _unconsolidate(fault_server.root / name)
    return urls


@pytest.fixture
def policy() -> Iterator[RemotePolicy]:
    """A short timeout and backoff for the stores opened by the test (2 retries)."""
    chosen = RemotePolicy(timeout=TIMEOUT, retries=2, backoff=0.02)
    set_remote_policy(chosen)
    yield chosen
    set_remote_policy(None)


def _store_of(path: str) -> str:
    return {"cells.ome.zarr": "cells", "elevation.zarr": "elevation", "pyramid.zarr": "pyramid"}[
        path.split("/")[0]
    ]


def contract(report: Report) -> dict[str, Any]:
    """A report in the JSON contract, without the retries it needed."""
    data = report.to_dict()
    data.pop("retries", None)
    return data


def cli(command: str, *args: str) -> tuple[int, str, str]:
    """Run ``ngff``/``geozarr`` in this process as the console script does: exit code,
    standard output, standard error."""
    out, err = io.StringIO(), io.StringIO()
    code: Any = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            run_guarded(GROUPS[command], list(args))
        except SystemExit as exc:
            code = exc.code
    assert isinstance(code, int), code
    return code, out.getvalue(), err.getvalue()


def run(
    *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run a console script in a subprocess: the result and its wall time."""
    start = time.monotonic()
    result = subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )
    return result, time.monotonic() - start


def unreadable(report: Report) -> set[str]:
    return {i.path for i in report.issues if i.rule == UNREADABLE_NODE_RULE}


# -- the server itself ---------------------------------------------------------------------


def _get(
    server: FaultServer, path: str, timeout: float = 10.0
) -> tuple[int, dict[str, str], bytes]:
    host, port = server.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request("GET", "/" + path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_each_fault_is_what_a_client_meets(fault_server: FaultServer) -> None:
    body = bytes(range(256)) * 8
    (fault_server.root / "a").mkdir()
    (fault_server.root / "a" / "blob").write_bytes(body)
    path = "a/blob"
    for status in ("500", "429", "403"):
        fault_server.inject(path, status, retry_after=7)  # type: ignore[arg-type]
        code, headers, data = _get(fault_server, path)
        assert (code, data) == (int(status), b"")
        assert headers.get("Retry-After") == ("7" if status == "429" else None)
    fault_server.inject(path, "reset")
    with pytest.raises(ConnectionError):
        _get(fault_server, path)
    fault_server.inject(path, "truncate")
    with pytest.raises(http.client.IncompleteRead) as cut:
        _get(fault_server, path)
    assert len(cut.value.partial) == len(body) // 2
    fault_server.inject(path, "stall", seconds=0.5)
    start = time.monotonic()
    assert _get(fault_server, path)[::2] == (200, body)
    assert time.monotonic() - start >= 0.5
    fault_server.inject(path, "stall", seconds=5)
    with pytest.raises(TimeoutError):
        _get(fault_server, path, timeout=0.5)
    fault_server.inject(path, "hang")
    with pytest.raises(TimeoutError):
        _get(fault_server, path, timeout=0.5)
    assert _get(fault_server, path)[::2] == (200, body)  # the schedule is spent
    kinds = ["500", "429", "403", "reset", "truncate", "stall", "stall", "hang"]
    assert [f for _, _, f in fault_server.injected] == kinds
    assert fault_server.hits(path) == len(kinds) + 1


def test_schedules_are_per_path_in_order_and_persistent_on_request(
    fault_server: FaultServer,
) -> None:
    for name in ("a", "b", "c"):
        (fault_server.root / name).write_bytes(name.encode())
    fault_server.inject("a", "500", times=2)
    fault_server.inject("a", "429")
    fault_server.inject("b", "500", times=None)
    codes = {name: [_get(fault_server, name)[0] for _ in range(5)] for name in ("a", "b", "c")}
    assert codes == {
        "a": [500, 500, 429, 200, 200],
        "b": [500] * 5,
        "c": [200] * 5,
    }
    assert fault_server.met("500") == ["a", "a", *["b"] * 5]


# -- transient faults heal -----------------------------------------------------------------

# Where a fault is met: a level's document, the root's, a group listing (the keys of the
# listing end in "/"), a coordinate array's document and chunk (read by geozarr's checks).
HEALING = [
    ("ngff", "cells.ome.zarr/1/zarr.json"),
    ("ngff", "cells.ome.zarr/zarr.json"),
    ("ngff", "cells.ome.zarr/labels/"),
    ("geozarr", "elevation.zarr/y/zarr.json"),
    ("geozarr", "elevation.zarr/x/c/0"),
]


@pytest.mark.parametrize("fault", TRANSIENT)
@pytest.mark.parametrize(("command", "path"), HEALING, ids=[p for _, p in HEALING])
def test_a_transient_fault_heals_with_the_report_of_a_clean_run(
    fault_server: FaultServer,
    served: dict[str, str],
    policy: RemotePolicy,
    command: str,
    path: str,
    fault: FaultKind,
) -> None:
    url = served[_store_of(path)]
    clean = VALIDATORS[command](url)
    assert clean.exit_code == 0, clean.issues
    assert fault_server.hits(path) >= 1  # the run does request the path
    fault_server.inject(path, fault, times=2, seconds=STALL)
    faulty = VALIDATORS[command](url)
    assert fault_server.met() == [path, path]
    assert contract(faulty) == contract(clean)
    # aiohttp retries a reset of a reused connection once on its own: 1 or 2 retries then.
    assert 1 <= faulty.retries <= 2


INFO_HEALING = [
    ("ngff", "cells.ome.zarr/labels/cells/zarr.json"),
    ("ngff", "cells.ome.zarr/"),
    ("geozarr", "elevation.zarr/"),
    ("geozarr", "elevation.zarr/elevation/zarr.json"),
]


@pytest.mark.parametrize("fault", ["500", "reset", "truncate", "hang"])
@pytest.mark.parametrize(("command", "path"), INFO_HEALING, ids=[p for _, p in INFO_HEALING])
def test_info_after_a_transient_fault_is_the_clean_info(
    fault_server: FaultServer, served: dict[str, str], command: str, path: str, fault: FaultKind
) -> None:
    url = served[_store_of(path)]
    options = ("--format", "json", "--timeout", str(TIMEOUT))
    clean = cli(command, "info", url, *options)
    assert clean[0] == 0, clean
    fault_server.inject(path, fault, times=2)
    faulty = cli(command, "info", url, *options)
    assert fault_server.met() == [path, path]
    assert faulty == clean


DEEP_HEALING = [
    ("ngff", "cells.ome.zarr/1/c/0/0/0"),
    ("ngff", "cells.ome.zarr/1/c/"),
    ("geozarr", "pyramid.zarr/1/elevation/c/0/0"),
    ("geozarr", "pyramid.zarr/1/elevation/c/"),
]


@pytest.mark.parametrize("fault", ["500", "429", "reset", "truncate", "hang"])
@pytest.mark.parametrize(("command", "path"), DEEP_HEALING, ids=[p for _, p in DEEP_HEALING])
def test_deep_validation_heals_transient_faults_on_chunks_and_listings(
    fault_server: FaultServer,
    served: dict[str, str],
    policy: RemotePolicy,
    command: str,
    path: str,
    fault: FaultKind,
) -> None:
    url = served[_store_of(path)]
    clean = VALIDATORS[command](url, deep=True)
    assert clean.exit_code == 0, clean.issues
    assert fault_server.hits(path) >= 1
    fault_server.inject(path, fault, times=2)
    faulty = VALIDATORS[command](url, deep=True)
    assert fault_server.met() == [path, path]
    assert contract(faulty) == contract(clean)
    assert faulty.retries >= 1


# -- persistent faults: incomplete, naming each node ---------------------------------------

PERSISTENT: list[tuple[str, tuple[str, ...], set[str]]] = [
    # Two levels' documents: no dataset-missing derived from them.
    (
        "ngff",
        ("cells.ome.zarr/1/zarr.json", "cells.ome.zarr/labels/cells/0/zarr.json"),
        {"1", "labels/cells/0"},
    ),
    # A coordinate's chunk, and another's document: never VALID on coordinates not read.
    ("geozarr", ("elevation.zarr/x/c/0", "elevation.zarr/y/zarr.json"), {"x", "y"}),
    # A probe for a document that is not there (zarr looks for .zarray): unreadable, not absent.
    ("geozarr", ("elevation.zarr/y/.zarray",), {"y"}),
]


@pytest.mark.parametrize("fault", TRANSIENT)
@pytest.mark.parametrize(
    ("command", "paths", "nodes"), PERSISTENT, ids=["ngff-levels", "geozarr-coordinates", "probe"]
)
def test_a_persistent_fault_is_incomplete_naming_each_node(
    fault_server: FaultServer,
    served: dict[str, str],
    policy: RemotePolicy,
    command: str,
    paths: tuple[str, ...],
    nodes: set[str],
    fault: FaultKind,
) -> None:
    for path in paths:
        fault_server.inject(path, fault, times=None, seconds=STALL)
    report = VALIDATORS[command](served[_store_of(paths[0])])
    assert set(fault_server.met()) == set(paths)
    assert (report.verdict, report.exit_code, report.valid) == (
        "incomplete",
        EXIT_INCOMPLETE,
        False,
    )
    assert unreadable(report) == nodes
    assert [i.rule for i in report.errors] == [UNREADABLE_NODE_RULE] * len(nodes)
    assert report.retries >= policy.retries * len(paths)


DEEP_PERSISTENT = [
    ("ngff", "cells.ome.zarr/1/c/", "1"),
    ("ngff", "cells.ome.zarr/1/c/0/0/0", "1"),
    ("geozarr", "pyramid.zarr/1/elevation/c/", "1/elevation"),
    ("geozarr", "pyramid.zarr/1/elevation/c/0/0", "1/elevation"),
]


@pytest.mark.parametrize("fault", ["500", "reset", "truncate", "403"])
@pytest.mark.parametrize(
    ("command", "path", "node"), DEEP_PERSISTENT, ids=[p for _, p, _ in DEEP_PERSISTENT]
)
def test_deep_validation_derives_no_defect_from_chunks_it_could_not_read(
    fault_server: FaultServer,
    served: dict[str, str],
    policy: RemotePolicy,
    command: str,
    path: str,
    node: str,
    fault: FaultKind,
) -> None:
    fault_server.inject(path, fault, times=None)
    report = VALIDATORS[command](served[_store_of(path)], deep=True)
    assert fault_server.met()
    assert (report.verdict, report.exit_code) == ("incomplete", EXIT_INCOMPLETE)
    assert unreadable(report) == {node}
    assert [i.rule for i in report.errors] == [UNREADABLE_NODE_RULE], report.issues
    if fault == "403":  # said as a refusal, neither a missing nor an undecodable chunk
        message = report.errors[0].message
        assert "refused" in message
        assert "HTTP 403" in message
        assert "after the retries" not in message


@pytest.mark.parametrize(
    ("command", "path", "node"),
    [
        ("ngff", "cells.ome.zarr/labels/", "labels"),
        ("ngff", "cells.ome.zarr/1/zarr.json", "1"),
        ("geozarr", "elevation.zarr/", ""),
        ("geozarr", "elevation.zarr/x/zarr.json", "x"),
    ],
)
def test_info_names_the_nodes_it_could_not_read(
    fault_server: FaultServer, served: dict[str, str], command: str, path: str, node: str
) -> None:
    """A listing given up is a node not read: ``info`` says so (exit 3), as ``validate``
    does, instead of showing a tree with the listed children missing."""
    fault_server.inject(path, "500", times=None)
    url = served[_store_of(path)]
    code, out, _ = cli(command, "info", url, "--format", "json", "--timeout", str(TIMEOUT))
    assert code == EXIT_INCOMPLETE, out
    issues = json.loads(out)["issues"]
    assert {i["path"] for i in issues if i["rule"] == UNREADABLE_NODE_RULE} == {node}
    validated = cli(command, "validate", url, "--format", "json", "--timeout", str(TIMEOUT))
    assert validated[0] == EXIT_INCOMPLETE
    assert json.loads(validated[1])["verdict"] == "incomplete"


def test_a_persistent_fault_at_the_root_is_an_unreadable_target(
    fault_server: FaultServer, served: dict[str, str]
) -> None:
    """The root's probe for ``.zattrs`` fails: the target is unreadable (exit 2), not read as
    a store without that document."""
    fault_server.inject("cells.ome.zarr/.zattrs", "500", times=None)
    code, out, err = cli("ngff", "validate", served["cells"], "--format", "json", "--retries", "1")
    assert code == 2
    assert json.loads(out)["issues"][0]["rule"] == "target.unreadable"
    assert err.count("\n") == 1, err
    assert err.startswith("ngff: error: "), err
    assert "500" in err
    assert fault_server.hits("cells.ome.zarr/.zattrs") == 2


# -- refused reads: access refused, never "missing" ------------------------------------------

REFUSED = [
    # A level's document: no ngff.multiscales.dataset-missing derived from it.
    ("ngff", "cells.ome.zarr/1/zarr.json", "1"),
    ("ngff", "cells.ome.zarr/labels/cells/0/zarr.json", "labels/cells/0"),
    ("ngff", "cells.ome.zarr/labels/zarr.json", "labels"),
    # A label image the labels group lists: no ngff.labels.label-missing.
    ("ngff", "cells.ome.zarr/labels/cells/zarr.json", "labels/cells"),
    # A level group, and a level's array: no geozarr.multiscales.asset-missing.
    ("geozarr", "pyramid.zarr/1/zarr.json", "1"),
    ("geozarr", "pyramid.zarr/1/elevation/zarr.json", "1/elevation"),
]


@pytest.mark.parametrize(("command", "path", "node"), REFUSED, ids=[p for _, p, _ in REFUSED])
def test_a_refused_read_is_reported_as_refused_not_as_missing(
    fault_server: FaultServer, served: dict[str, str], command: str, path: str, node: str
) -> None:
    """A 403 answer for a node's metadata says that access was refused, not that the node
    does not exist: the node is reported not read (with the key and the status), nothing is
    derived from its absence, and the verdict is incomplete (exit 3), as for a request given
    up after the retries."""
    fault_server.inject(path, "403", times=None)
    report = VALIDATORS[command](served[_store_of(path)])
    assert fault_server.met("403") == [path]
    assert (report.verdict, report.exit_code) == ("incomplete", EXIT_INCOMPLETE)
    assert [(i.rule, i.path) for i in report.errors] == [(UNREADABLE_NODE_RULE, node)]
    message = report.errors[0].message
    key = path.split("/", 1)[1]
    assert f"{key!r}" in message
    assert "refused" in message
    assert "HTTP 403" in message
    assert "after the retries" not in message  # a refusal is final: it was not retried
    code, out, _ = cli(command, "validate", served[_store_of(path)], "--format", "json")
    assert code == EXIT_INCOMPLETE
    issues = json.loads(out)["issues"]
    assert [(i["rule"], i["path"]) for i in issues if i["severity"] == "error"] == [
        (UNREADABLE_NODE_RULE, node)
    ]


def test_an_object_s3_refuses_is_reported_as_refused_not_as_missing(
    samples: tuple[Path, Path],
    s3_upload: Callable[..., str],
    s3_options: dict[str, Any],
    s3_endpoint: str,
    tmp_path: Path,
) -> None:
    """S3 answers 403 (AccessDenied) for a private object of a public bucket: the level is
    not read, and not missing either."""
    import shutil

    import s3fs
    from tests.conftest import S3_CREDENTIALS

    store = tmp_path / "cells.ome.zarr"
    shutil.copytree(samples[0], store)
    _unconsolidate(store)
    url = s3_upload(store, "refused-level")
    fs = s3fs.S3FileSystem(
        client_kwargs={"endpoint_url": s3_endpoint}, skip_instance_cache=True, **S3_CREDENTIALS
    )
    fs.chmod(f"{url.removeprefix('s3://')}/1/zarr.json", acl="private")
    report = ome_validate(url, storage_options=s3_options)
    assert [(i.rule, i.path) for i in report.errors] == [(UNREADABLE_NODE_RULE, "1")]
    assert "'1/zarr.json'" in report.errors[0].message
    assert "HTTP 403" in report.errors[0].message
    assert report.verdict == "incomplete"


def test_a_level_given_up_after_the_retries_is_not_a_missing_asset(
    fault_server: FaultServer, served: dict[str, str], policy: RemotePolicy
) -> None:
    """The GeoZarr multiscales check derived ``asset-missing`` from a level it could not
    read (a 500 after the retries) as it did from one refused."""
    fault_server.inject("pyramid.zarr/1/zarr.json", "500", times=None)
    report = geo_validate(served["pyramid"])
    assert [(i.rule, i.path) for i in report.errors] == [(UNREADABLE_NODE_RULE, "1")]
    assert report.verdict == "incomplete"


# -- retries: bounded, counted, never for "not found" or "forbidden" -----------------------


@pytest.mark.parametrize("retries", [0, 2])
def test_retries_are_bounded_by_the_option(
    fault_server: FaultServer, served: dict[str, str], retries: int
) -> None:
    path = "cells.ome.zarr/1/zarr.json"
    fault_server.inject(path, "500", times=None)
    code, out, _ = cli(
        "ngff", "validate", served["cells"], "--format", "json", "--retries", str(retries)
    )
    assert code == EXIT_INCOMPLETE
    assert fault_server.hits(path) == retries + 1
    assert json.loads(out).get("retries", 0) == retries


def test_no_retry_leaves_even_a_transient_fault_incomplete(
    fault_server: FaultServer, served: dict[str, str]
) -> None:
    fault_server.inject("cells.ome.zarr/1/zarr.json", "429", times=1)
    code, out, _ = cli("ngff", "validate", served["cells"], "--format", "json", "--retries", "0")
    assert code == EXIT_INCOMPLETE
    assert json.loads(out)["verdict"] == "incomplete"


def test_retries_come_from_the_environment(
    fault_server: FaultServer, served: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = "elevation.zarr/x/c/0"
    monkeypatch.setenv(RETRIES_VARIABLE, "1")
    fault_server.inject(path, "500", times=None)
    report = geo_validate(served["elevation"])
    assert report.verdict == "incomplete"
    assert fault_server.hits(path) == 2
    assert report.retries == 1


def test_not_found_and_forbidden_are_never_retried(
    fault_server: FaultServer, served: dict[str, str], policy: RemotePolicy
) -> None:
    report = ome_validate(served["cells"])
    assert report.exit_code == 0
    missing = [p for m, p, status in fault_server.log.entries if status == 404]
    assert missing  # the root probe looks for .zgroup, .zarray, .zattrs, .zmetadata
    assert len(missing) == len(set(missing))
    path = "cells.ome.zarr/1/zarr.json"
    fault_server.clear()
    fault_server.inject(path, "403", times=None)
    forbidden = ome_validate(served["cells"])
    assert fault_server.hits(path) == 1
    assert forbidden.retries == 0


def test_a_429_is_retried_no_sooner_than_its_retry_after(
    fault_server: FaultServer, served: dict[str, str], policy: RemotePolicy
) -> None:
    """The policy's own backoff is 0.02 s; the server asks for 2 s (RFC 9110, 10.2.3)."""
    path = "cells.ome.zarr/1/zarr.json"
    fault_server.inject(path, "429", times=1, retry_after=2)
    start = time.monotonic()
    report = ome_validate(served["cells"])
    assert report.exit_code == 0
    assert report.retries == 1
    assert fault_server.hits(path) == 2
    assert time.monotonic() - start >= 2.0


class Answer(Exception):
    """An error carrying an HTTP answer's headers, as aiohttp's do."""

    def __init__(self, retry_after: str) -> None:
        super().__init__("HTTP 429")
        self.headers = {"Retry-After": retry_after}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7.0), (" 0 ", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), ("", None)],
)
def test_retry_after_reads_seconds_and_dates(value: str, expected: float | None) -> None:
    assert retry_after(RuntimeError("no answer")) is None
    wrapped = RuntimeError("request failed")
    wrapped.__cause__ = Answer(value)
    assert retry_after(wrapped) == expected  # found through the chain of causes


def test_a_retry_after_in_the_future_is_the_time_until_then() -> None:
    waited = retry_after(Answer(email.utils.formatdate(time.time() + 30, usegmt=True)))
    assert waited is not None
    assert 28.0 <= waited <= 30.0


# -- hangs end within the timeout ----------------------------------------------------------


@pytest.mark.parametrize("command", ["ngff", "geozarr"])
@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_hang_ends_within_the_timeout(
    fault_server: FaultServer, served: dict[str, str], command: str, how: str
) -> None:
    """A server that accepts every request for a node and never answers: the run ends after
    its attempts' timeouts, incomplete (exit 3), naming the node, nothing on stderr."""
    store, path, node = (
        ("cells", "cells.ome.zarr/1/zarr.json", "1")
        if command == "ngff"
        else ("elevation", "elevation.zarr/x/c/0", "x")
    )
    fault_server.inject(path, "hang", times=None)
    timeout, retries = 1.0, 1
    args = [command, "validate", served[store], "--format", "json", "--retries", str(retries)]
    env = {}
    if how == "option":
        args += ["--timeout", str(timeout)]
    else:
        env[TIMEOUT_VARIABLE] = str(timeout)
    result, wall = run(*args, env=env)
    assert result.returncode == EXIT_INCOMPLETE, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data["verdict"] == "incomplete"
    assert {i["path"] for i in data["issues"] if i["rule"] == UNREADABLE_NODE_RULE} == {node}
    attempts = retries + 1
    assert fault_server.hits(path) == attempts
    # Each attempt waits out the timeout; the whole run ends well before a hang's end.
    assert attempts * timeout <= wall < attempts * timeout + 30


def test_a_hang_at_the_root_ends_within_the_timeout_in_one_line(
    fault_server: FaultServer, served: dict[str, str]
) -> None:
    fault_server.inject("elevation.zarr/zarr.json", "hang", times=None)
    result, wall = run(
        "geozarr", "validate", served["elevation"], "--timeout", "1", "--retries", "0"
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("geozarr: error: "), result.stderr
    assert served["elevation"] in lines[0]
    assert 1.0 <= wall < 1.0 + 30


@pytest.mark.parametrize("times", [2, None], ids=["transient", "persistent"])
def test_deep_validation_of_a_sharded_level_under_faults(
    fault_server: FaultServer, policy: RemotePolicy, tmp_path: Path, times: int | None
) -> None:
    """A shard read whole (its index checked) and in ranges (sampled chunks) that fails:
    healed, the clean report; given up, the level named unreadable and nothing else."""
    data = np.add.outer(np.arange(128), np.arange(128)).astype(np.uint16)
    store = tmp_path / "sharded.ome.zarr"
    ngff.write_image(data, store, axes="yx", chunks=(32, 32), shards=(64, 64), levels=2)
    _unconsolidate(store)
    url = fault_server.put(store)
    clean = ome_validate(url, deep=True, sample=8)
    assert clean.exit_code == 0, clean.issues
    shard = "sharded.ome.zarr/0/c/0/0"
    assert fault_server.hits(shard) >= 2  # the index check, then the sampled chunks
    fault_server.inject(shard, "500", times=times)
    report = ome_validate(url, deep=True, sample=8)
    assert fault_server.met()
    if times is None:
        assert (report.verdict, unreadable(report)) == ("incomplete", {"0"})
        assert [i.rule for i in report.errors] == [UNREADABLE_NODE_RULE], report.issues
    else:
        assert contract(report) == contract(clean)
