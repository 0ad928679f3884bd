"""One writer at a time on S3 (the moto server): the write record is created with a conditional
PUT, so of two writers started together one is refused; a writer on another host keeps its
record alive by renewing it (a lease), so ``--resume`` does not take its store over; a killed
writer's record goes stale once its lease runs out, and ``--resume`` then completes the
write; a writer whose store was taken over while it was held up fails instead of finishing
as if complete. Writers are real processes (``s3_writer.py``) and the command line."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from tests.conftest import S3_CREDENTIALS

import ngff.cli
from ngff_geozarr.core.errors import WriteLockError
from ngff_geozarr.core.store import lease, open_store
from ngff_geozarr.core.store.writelock import LOCK_KEY, write_lock
from ngff_geozarr.core.store.writerecord import STALE_LEASES, WriteRecord
from ngff_geozarr.core.testing import free_port

WRITER = Path(__file__).with_name("s3_writer.py")
CREATE_OPTIONS = ["--chunks", "4,16,16", "--scale", "2,0.5,0.5", "--units", "micrometer"]
LEASE = 1.0
"""The lease of the writers here: renewed every 0.25 s, stale after 3 s unrenewed."""
PAST_LEASE = STALE_LEASES * LEASE + 2.5  # LastModified and Date count whole seconds


@pytest.fixture(scope="module")
def s3(s3_endpoint: str) -> Any:
    s3fs = pytest.importorskip("s3fs")
    fs = s3fs.S3FileSystem(
        client_kwargs={"endpoint_url": s3_endpoint}, skip_instance_cache=True, **S3_CREDENTIALS
    )
    fs.mkdir("locks")
    return fs


@pytest.fixture(scope="module")
def storage(s3_endpoint: str) -> dict[str, str]:
    return {"endpoint_url": s3_endpoint, **S3_CREDENTIALS}


@pytest.fixture(scope="module")
def options(storage: dict[str, str]) -> list[str]:
    """The command-line form of the credentials and endpoint of the moto server."""
    return [arg for key, value in storage.items() for arg in ("--storage-option", f"{key}={value}")]


@pytest.fixture(scope="module")
def volume(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("s3-lock") / "vol.npy"
    rng = np.random.default_rng(11)
    np.save(path, rng.integers(0, 40000, size=(10, 80, 72), dtype=np.uint16))
    return path


@pytest.fixture
def short_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's writers renew as those of ``s3_writer.py`` do."""
    monkeypatch.setattr(lease, "LEASE_SECONDS", LEASE)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(ngff.cli.cli, list(args))
    return result.exit_code, result.output


def assert_valid(target: str, options: list[str]) -> None:
    code, output = run("validate", target, "--strict", "--format", "json", *options)
    assert code == 0, output
    assert json.loads(output)["valid"] is True


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def writers() -> Iterator[list[subprocess.Popen[str]]]:
    """Writer processes started by a test, killed (and reaped) if it left them running."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)
            proc.kill()
        proc.communicate(timeout=60)


def paused_writer(
    writers: list[subprocess.Popen[str]],
    volume: Path,
    target: str,
    storage: dict[str, str],
    go: Path,
) -> subprocess.Popen[str]:
    """Start a writer that records ``other-host`` as its host; return once it paused, holding
    the store, after 3 tiles."""
    proc = subprocess.Popen(
        [
            sys.executable,
            str(WRITER),
            "write",
            str(volume),
            target,
            json.dumps(storage),
            str(LEASE),
            "other-host",
            "3",
            str(go),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    writers.append(proc)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "" when it ended instead
    assert line == "paused\n", proc.communicate(timeout=60)
    return proc


def killed_writer(
    writers: list[subprocess.Popen[str]], volume: Path, target: str, storage: dict[str, str]
) -> None:
    """Leave ``target`` as a writer killed part way leaves it: its record still in place."""
    writer = paused_writer(writers, volume, target, storage, Path(os.devnull))
    writer.send_signal(signal.SIGKILL)
    writer.communicate(timeout=60)
    assert writer.returncode == -signal.SIGKILL


def resume(volume: Path, target: str, options: list[str], *extra: str) -> tuple[int, str]:
    """``ngff create VOLUME TARGET --resume``, in this process."""
    return run("create", str(volume), target, *CREATE_OPTIONS, "--resume", *extra, *options)


def interrupted_message(target: str, options: list[str]) -> str:
    """The message of the one ``target.write-interrupted`` issue ``validate`` reports."""
    _, output = run("validate", target, "--format", "json", *options)
    (issue,) = [i for i in json.loads(output)["issues"] if i["rule"] == "target.write-interrupted"]
    return str(issue["message"])


@contextlib.contextmanager
def slow_record(endpoint: str, delay: float) -> Iterator[str]:
    """Relay requests to the S3 server, as a distant endpoint answers the write record's.

    Each answer to a read (GET, HEAD) of a write record is held back ``delay`` seconds, so
    that two writers started together both read the record before either has written it;
    the removal of a record is sent on after twice as long, so that a writer still holds
    the store when the other judges the record it read. Yields the relay's endpoint.
    """
    upstream = http.client.HTTPConnection  # one connection per request: no shared state
    host = endpoint.removeprefix("http://")

    class Relay(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

        def relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            record = self.path.split("?")[0].endswith(LOCK_KEY)
            if record and self.command == "DELETE":
                time.sleep(2 * delay)
            connection = upstream(host, timeout=60)
            connection.request(self.command, self.path, body, dict(self.headers.items()))
            answer = connection.getresponse()
            content = answer.read()
            connection.close()
            if record and self.command in ("GET", "HEAD"):
                time.sleep(delay)
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = relay

    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Relay)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def together(
    writers: list[subprocess.Popen[str]],
    endpoint: str,
    options: list[str],
    command: list[str],
) -> tuple[str, str]:
    """Run ``ngff COMMAND`` in two processes started at once, through :func:`slow_record`;
    check that one completed and the other was refused with one line and exit code 2.

    Returns the refusal and the completed run's output."""
    start = time.time() + 15  # both have imported everything by then
    with slow_record(endpoint, 2.0) as relay:
        relayed = [o.replace(endpoint, relay) for o in options]
        pair = [
            subprocess.Popen(
                [sys.executable, str(WRITER), "cli", str(start), *command, *relayed],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        writers.extend(pair)
        ended = [proc.communicate(timeout=300) for proc in pair]
    codes = [proc.returncode for proc in pair]
    assert sorted(codes) == [0, 2], ended  # 3: a writer was not ready to start in time
    refused = one_line(ended[codes.index(2)][1])
    # Refused when it tried to take the record; moto (unlike S3) does not apply a condition
    # atomically, so a refusal can come at the loser's release instead.
    assert "another writer is at work" in refused or "lost its hold" in refused, refused
    return refused, ended[codes.index(0)][0]


def resume_together(
    s3: Any,
    writers: list[subprocess.Popen[str]],
    endpoint: str,
    options: list[str],
    volume: Path,
    target: str,
) -> None:
    """Start two ``--resume`` writers at once: one is refused, the other completes the store."""
    command = ["create", str(volume), target, *CREATE_OPTIONS, "--resume", "--quiet"]
    together(writers, endpoint, options, command)
    assert not s3.exists(f"{target.removeprefix('s3://')}/{LOCK_KEY}")
    assert_valid(target, options)


def test_of_two_writers_started_together_one_is_refused(
    s3: Any,
    s3_endpoint: str,
    options: list[str],
    volume: Path,
    writers: list[subprocess.Popen[str]],
) -> None:
    target = "s3://locks/together.ome.zarr"
    # --resume: the target may hold an interrupted write (a pipeline's retry), so it is not
    # refused for holding something already: only the lock tells the writers apart
    resume_together(s3, writers, s3_endpoint, options, volume, target)


def test_a_live_writer_on_another_host_keeps_its_store_from_resume(
    s3: Any,
    storage: dict[str, str],
    options: list[str],
    volume: Path,
    writers: list[subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    target = "s3://locks/live.ome.zarr"
    go = tmp_path / "go"
    writer = paused_writer(writers, volume, target, storage, go)
    time.sleep(PAST_LEASE)  # longer than its record would stay alive without renewals
    code, output = resume(volume, target, options)
    assert code == 2, output
    assert "another writer is at work" in output, output
    assert "other-host" in output, output
    assert interrupted_message(target, options).startswith("A write is in progress")
    go.touch()
    _, stderr = writer.communicate(timeout=300)
    assert writer.returncode == 0, stderr
    assert_valid(target, options)


def test_a_killed_writers_record_goes_stale_and_resume_completes_the_write(
    s3: Any,
    storage: dict[str, str],
    options: list[str],
    volume: Path,
    writers: list[subprocess.Popen[str]],
) -> None:
    target = "s3://locks/killed.ome.zarr"
    killed_writer(writers, volume, target, storage)
    # its lease has not run out yet: another host's writer may still be at work
    code, output = resume(volume, target, options)
    assert code == 2, output
    assert "another writer is at work" in output, output
    time.sleep(PAST_LEASE)
    code, output = run("create", str(volume), target, *CREATE_OPTIONS, *options)
    assert code == 2, output
    assert "--resume" in output, output
    assert interrupted_message(target, options).startswith("A write was interrupted part way")
    code, output = resume(volume, target, options, "--quiet")
    assert code == 0, output
    assert not s3.exists(f"locks/killed.ome.zarr/{LOCK_KEY}")
    assert_valid(target, options)


def test_of_two_resumes_of_a_stale_record_started_together_one_is_refused(
    s3: Any,
    s3_endpoint: str,
    storage: dict[str, str],
    options: list[str],
    volume: Path,
    writers: list[subprocess.Popen[str]],
) -> None:
    target = "s3://locks/resumed-twice.ome.zarr"
    killed_writer(writers, volume, target, storage)
    time.sleep(PAST_LEASE)  # its record is stale: either run may take it over, not both
    resume_together(s3, writers, s3_endpoint, options, volume, target)


def test_a_writer_whose_store_was_taken_over_fails_instead_of_finishing(
    s3: Any,
    storage: dict[str, str],
    options: list[str],
    volume: Path,
    writers: list[subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    target = "s3://locks/taken.ome.zarr"
    go = tmp_path / "go"
    writer = paused_writer(writers, volume, target, storage, go)
    os.kill(writer.pid, signal.SIGSTOP)  # held up (a paused machine): it renews nothing
    time.sleep(PAST_LEASE)
    code, output = resume(volume, target, options, "--quiet")
    assert code == 0, output  # its record was stale: taken over, the write completed
    go.touch()
    os.kill(writer.pid, signal.SIGCONT)
    _, stderr = writer.communicate(timeout=300)
    assert writer.returncode == 2, stderr
    line = one_line(stderr)
    assert line.startswith("WriteLockError: "), line
    assert "lost its hold on the store" in line, line
    assert_valid(target, options)


def test_nested_writes_on_one_s3_store_share_the_outer_record(
    s3: Any, storage: dict[str, str], short_lease: None
) -> None:
    with open_store("s3://locks/nested.zarr", "w", storage_options=storage) as store:
        with write_lock(store, "outer", "`outer --resume`", resume=False) as outer:
            with write_lock(store, "inner", "`inner --resume`", resume=False):
                store.write_bytes("zarr.json", b'{"zarr_format": 3, "node_type": "group"}')
            assert outer.record.lease == LEASE
            record = WriteRecord.read(store)
            assert record is not None
            assert record.operation == "outer"
        assert WriteRecord.read(store) is None


def lease_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("lease ")]


def test_the_lease_is_renewed_while_held_and_its_thread_ends_on_release(
    s3: Any, storage: dict[str, str], short_lease: None
) -> None:
    with open_store("s3://locks/renewed.zarr", "w", storage_options=storage) as store:
        with write_lock(store, "test", "`test --resume`", resume=False):
            assert len(lease_threads()) == 1
            first = s3.info(f"locks/renewed.zarr/{LOCK_KEY}", refresh=True)["LastModified"]
            time.sleep(2.5 * LEASE)
            later = s3.info(f"locks/renewed.zarr/{LOCK_KEY}", refresh=True)["LastModified"]
            assert later > first
        assert lease_threads() == []
        failing = write_lock(store, "test", "`t`", resume=False)
        with pytest.raises(RuntimeError), failing:  # noqa: PT012
            store.write_bytes("zarr.json", b'{"zarr_format": 3, "node_type": "group"}')
            raise RuntimeError("the write failed")
        assert lease_threads() == []
        kept = WriteRecord.read(store)  # a failed write's record stays (resumable)
        assert kept is not None
        assert kept.lease == LEASE


def test_a_record_taken_over_fails_the_holder_at_its_next_change(
    s3: Any, storage: dict[str, str], short_lease: None
) -> None:
    with open_store("s3://locks/replaced.zarr", "w", storage_options=storage) as store:
        holding = write_lock(store, "test", "`test --resume`", resume=False)
        with pytest.raises(WriteLockError, match="lost its hold"), holding as held:  # noqa: PT012
            s3.pipe_file(f"locks/replaced.zarr/{LOCK_KEY}", b"another writer's record")
            held.set_partial(["0"])
        assert s3.cat_file(f"locks/replaced.zarr/{LOCK_KEY}") == b"another writer's record"
