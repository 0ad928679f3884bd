"""Writers under faults (issue 16): a killed pyramid never looks complete and ``--resume``
completes it as an uninterrupted run; a second writer is refused; ``--resume`` refuses another
source; a full disk stops with one line and the write completes once space is freed.

Writers run in real subprocesses (``interrupted_writer.py``) stopped by real signals; the
commands that complete or refuse run in this process through the command lines.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from geozarr.cli import cli as geozarr_cli
from ngff.cli import cli as ngff_cli
from ngff_geozarr.core.errors import WriteLockError
from ngff_geozarr.core.store.writelock import INTERRUPTED_WRITE_RULE, LOCK_KEY

HELPER = Path(__file__).with_name("interrupted_writer.py")
sys.path.insert(0, str(HELPER.parent))
from interrupted_writer import GEO_CLI, GEO_OPTIONS, NGFF_CLI  # noqa: E402

CLIS = {"ngff": ngff_cli, "geozarr": geozarr_cli}


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def command(tool: str, *args: str) -> tuple[int, str, str]:
    """Run ``ngff`` or ``geozarr`` in this process: exit code, stdout, stderr."""
    result = CliRunner().invoke(CLIS[tool], list(args))
    return result.exit_code, result.stdout, result.stderr


def validate(tool: str, target: Path) -> tuple[int, dict[str, object]]:
    code, out, _ = command(tool, "validate", str(target), "--format", "json")
    return code, json.loads(out)


def writer(kind: str, target: Path, at: str, how: str, source: Path | None = None) -> list[str]:
    args = [sys.executable, str(HELPER), kind, str(target), at, how]
    return args + ([str(source)] if source is not None else [])


def killed(kind: str, target: Path, at: str, source: Path | None = None) -> None:
    done = subprocess.run(
        writer(kind, target, at, "kill", source), capture_output=True, text=True, timeout=180
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


def refused(code: int, err: str, *words: str) -> None:
    """Assert the one-line refusal of the command line (exit 2, no traceback)."""
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err, err
    assert "unexpected" not in err, err
    for word in words:
        assert word in err, err


def interrupted_issue(report: dict[str, object]) -> str:
    issues = report["issues"]
    assert isinstance(issues, list)
    (found,) = [i for i in issues if i["rule"] == INTERRUPTED_WRITE_RULE]
    assert found["severity"] == "error"
    return str(found["message"])


@pytest.fixture(scope="module")
def volume(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("volume")
    source = root / "vol.npy"
    rng = np.random.default_rng(16)
    np.save(source, rng.integers(0, 40000, size=(10, 80, 72), dtype=np.uint16))
    return source


@pytest.fixture(scope="module")
def raster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("raster")
    source = root / "raster.npy"
    rng = np.random.default_rng(61)
    np.save(source, rng.normal(500, 100, (150, 130)).astype(np.float32))
    return source


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory, volume: Path, raster: Path) -> dict[str, Path]:
    """Stores holding level 0 only, and each one's pyramid written without interruption."""
    root = tmp_path_factory.mktemp("bases")
    found = {"ngff": root / "base.ome.zarr", "geozarr": root / "base.zarr"}
    code, _, err = command(
        "ngff", "create", str(volume), str(found["ngff"]), *NGFF_CLI, "--levels", "1", "--quiet"
    )
    assert code == 0, err
    code, _, err = command(
        "geozarr", "create", str(raster), str(found["geozarr"]), *GEO_CLI, "--quiet"
    )
    assert code == 0, err
    for tool in ("ngff", "geozarr"):
        clean = root / f"clean-{found[tool].name}"
        shutil.copytree(found[tool], clean)
        code, _out, err = command(tool, "pyramid", str(clean), "--quiet")
        assert code == 0, err
        found[f"{tool}-clean"] = clean
    return found


def copy_of(base: Path, tmp_path: Path) -> Path:
    target = tmp_path / base.name
    shutil.copytree(base, target)
    return target


# -- kill tests: a killed pyramid is never VALID, names its partial levels, and resumes -------


@pytest.mark.parametrize("tool", ["ngff", "geozarr"])
@pytest.mark.parametrize("at", ["2", "last", "finish"])
def test_killed_pyramid_is_reported_and_resumes(
    tmp_path: Path, bases: dict[str, Path], tool: str, at: str
) -> None:
    target = copy_of(bases[tool], tmp_path)
    killed(f"{tool}-pyramid", target, at)
    code, report = validate(tool, target)
    assert code == 1
    assert report["valid"] is False
    message = interrupted_issue(report)
    assert f"pyramid {target} --resume" in message
    assert "Partial: '1" in message  # the first new level
    # the killed writer's record is stale: a new run is refused, naming --resume
    code, _, err = command(tool, "pyramid", str(target), "--quiet")
    refused(code, err, "interrupted", "--resume")
    code, _, err = command(tool, "pyramid", str(target), "--resume", "--quiet")
    assert code == 0, err
    code, report = validate(tool, target)
    assert (code, report["valid"]) == (0, True), report
    got, want = files(target), files(bases[f"{tool}-clean"])
    assert got.keys() == want.keys()
    assert [k for k in want if got[k] != want[k]] == []


def test_killed_creation_names_its_partial_levels(tmp_path: Path, volume: Path) -> None:
    target = tmp_path / "crashed.ome.zarr"
    killed("ngff-create", target, "5", volume)
    message = interrupted_issue(validate("ngff", target)[1])
    assert "'0', '1'" in message
    assert "--resume" in message


def test_a_write_refused_before_any_change_leaves_no_record(
    tmp_path: Path, bases: dict[str, Path]
) -> None:
    target = copy_of(bases["ngff-clean"], tmp_path)  # it has its levels already
    before = files(target)
    code, _, err = command("ngff", "pyramid", str(target), "--quiet")
    refused(code, err, "only level 0")
    assert files(target) == before
    assert validate("ngff", target)[1]["valid"] is True


def test_a_record_cut_while_written_is_no_interrupted_write(
    tmp_path: Path, bases: dict[str, Path]
) -> None:
    """The record is written before the first change: a cut one means nothing was changed."""
    target = copy_of(bases["ngff"], tmp_path)
    (target / LOCK_KEY).write_text('{"ngff-geozarr-write": 1, "operation": "ngff pyr')
    issues = validate("ngff", target)[1]["issues"]
    assert isinstance(issues, list)
    assert INTERRUPTED_WRITE_RULE not in {i["rule"] for i in issues}
    code, _, err = command("ngff", "pyramid", str(target), "--quiet")
    assert code == 0, err
    got, want = files(target), files(bases["ngff-clean"])
    assert [k for k in want if got.get(k) != want[k]] == []


# -- two writers at once ------------------------------------------------------------------


@pytest.fixture
def paused() -> Iterator[list[subprocess.Popen[str]]]:
    """Writers started paused; each is continued (or killed) at the end."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.kill()
        process.communicate(timeout=30)  # closes its pipes


def pause(
    started: list[subprocess.Popen[str]],
    kind: str,
    target: Path,
    at: str,
    source: Path | None = None,
) -> subprocess.Popen[str]:
    """Start a writer that stops itself part way; return once it is stopped."""
    process = subprocess.Popen(
        writer(kind, target, at, "stop", source),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started.append(process)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = Path(f"/proc/{process.pid}/stat").read_text().rpartition(")")[2].split()[0]
        if state == "T":
            return process
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the writer did not reach its stop")


@pytest.mark.parametrize("tool", ["ngff", "geozarr"])
def test_a_second_writer_is_refused_and_the_first_undisturbed(
    tmp_path: Path, bases: dict[str, Path], paused: list[subprocess.Popen[str]], tool: str
) -> None:
    target = copy_of(bases[tool], tmp_path)
    first = pause(paused, f"{tool}-pyramid", target, "2")
    during = files(target)
    attempts = [
        ("pyramid", str(target), "--quiet"),
        ("pyramid", str(target), "--resume", "--quiet"),
        ("convert", str(target), "--in-place", *(["--to", "0.4"] if tool == "ngff" else [])),
    ]
    if tool == "geozarr":
        attempts[2] = ("convert", str(target), "--in-place", "--zarr-format", "2")
    for attempt in attempts:
        code, _, err = command(tool, *attempt)
        refused(code, err, "another writer", f"process {first.pid}")
    assert files(target) == during
    code, report = validate(tool, target)
    assert code == 1
    assert "in progress" in interrupted_issue(report)
    first.send_signal(signal.SIGCONT)
    _, err = first.communicate(timeout=180)
    assert first.returncode == 0, err
    got, want = files(target), files(bases[f"{tool}-clean"])
    assert got.keys() == want.keys()
    assert [k for k in want if got[k] != want[k]] == []


def test_the_lock_refuses_a_writer_its_record_cannot_vouch_for(
    tmp_path: Path, bases: dict[str, Path], paused: list[subprocess.Popen[str]]
) -> None:
    """A record naming another host (a shared disk) says nothing of liveness: the lock does."""
    target = copy_of(bases["ngff"], tmp_path)
    first = pause(paused, "ngff-pyramid", target, "2")
    record = json.loads((target / LOCK_KEY).read_text())
    (target / LOCK_KEY).write_text(json.dumps({**record, "host": "elsewhere"}))
    code, _, err = command("ngff", "pyramid", str(target), "--resume", "--quiet")
    refused(code, err, "another writer", "on elsewhere")
    first.send_signal(signal.SIGCONT)
    _, err = first.communicate(timeout=180)
    assert first.returncode == 0, err
    assert not (target / LOCK_KEY).exists()


@pytest.mark.parametrize("tool", ["ngff", "geozarr"])
def test_a_second_creation_is_refused(
    tmp_path: Path, volume: Path, raster: Path, paused: list[subprocess.Popen[str]], tool: str
) -> None:
    target = tmp_path / "out.zarr"
    source = volume if tool == "ngff" else raster
    first = pause(paused, f"{tool}-create", target, "3", source)
    during = files(target)
    options = NGFF_CLI if tool == "ngff" else [*GEO_CLI, "--levels", "auto"]
    code, _, err = command(tool, "create", str(source), str(target), *options, "--resume")
    refused(code, err, "another writer", f"process {first.pid}")
    assert files(target) == during
    first.send_signal(signal.SIGCONT)
    _, err = first.communicate(timeout=180)
    assert first.returncode == 0, err
    code, report = validate(tool, target)
    assert (code, report["valid"]) == (0, True), report


def test_a_record_of_a_live_writer_without_its_lock_is_respected(
    tmp_path: Path, bases: dict[str, Path], paused: list[subprocess.Popen[str]]
) -> None:
    """Where the lock cannot tell (another host's share), the record's pid and host do."""
    target = copy_of(bases["ngff"], tmp_path)
    other = tmp_path / "other.ome.zarr"
    live = pause(paused, "ngff-pyramid", copy_of(bases["ngff"], other), "1")
    record = json.loads((other / bases["ngff"].name / LOCK_KEY).read_text())
    (target / LOCK_KEY).write_text(json.dumps(record))  # copied: nobody holds its lock
    code, _, err = command("ngff", "pyramid", str(target), "--resume", "--quiet")
    refused(code, err, "another writer", f"process {live.pid}")
    live.kill()
    live.communicate(timeout=30)  # now the record's writer is dead: a stale record, taken over
    code, _, err = command("ngff", "pyramid", str(target), "--resume", "--quiet")
    assert code == 0, err
    assert not (target / LOCK_KEY).exists()


# -- --resume with another source --------------------------------------------------------


def test_resume_with_another_source_is_refused(tmp_path: Path, volume: Path) -> None:
    target = tmp_path / "out.ome.zarr"
    killed("ngff-create", target, "4", volume)
    other = tmp_path / "other.npy"
    np.save(other, np.zeros((10, 80, 72), np.uint16))  # same shape: only the file differs
    before = files(target)
    code, _, err = command("ngff", "create", str(other), str(target), *NGFF_CLI, "--resume")
    refused(code, err, "--resume expects the source", str(volume))
    assert files(target) == before  # the interrupted run's record kept as it was
    code, _, err = command("ngff", "create", str(volume), str(target), *NGFF_CLI, "--resume")
    assert code == 0, err
    assert validate("ngff", target)[1]["valid"] is True


def test_resume_of_a_geozarr_write_with_another_source_is_refused(
    tmp_path: Path, raster: Path
) -> None:
    import geozarr

    target = tmp_path / "out.zarr"
    killed("geozarr-create", target, "3", raster)
    other = tmp_path / "other.npy"
    np.save(other, np.load(raster) + 1)
    with pytest.raises(WriteLockError, match="expects the source"):
        geozarr.write(
            np.load(other, mmap_mode="r"), target, levels="auto", resume=True, **GEO_OPTIONS
        )
    geozarr.write(np.load(raster, mmap_mode="r"), target, levels="auto", resume=True, **GEO_OPTIONS)
    assert geozarr.validate(target).valid


def test_resume_of_a_pyramid_whose_base_changed_is_refused(
    tmp_path: Path, bases: dict[str, Path], volume: Path
) -> None:
    target = copy_of(bases["ngff"], tmp_path)
    killed("ngff-pyramid", target, "2")
    rechunked = tmp_path / "rechunked.ome.zarr"
    chunks = ["--chunks", "2,16,16", "--scale", "2,0.5,0.5", "--name", "vol", "--levels", "1"]
    code, _, err = command("ngff", "create", str(volume), str(rechunked), *chunks, "--quiet")
    assert code == 0, err
    shutil.rmtree(target / "0")
    shutil.copytree(rechunked / "0", target / "0")
    code, _, err = command("ngff", "pyramid", str(target), "--resume", "--quiet")
    refused(code, err, "--resume expects the source", "0: uint16 [10, 80, 72]")


# -- a full disk ---------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs mounted for the test (skipped where mounting is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root (mount -t tmpfs); not root here")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not allowed here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("tool", ["ngff", "geozarr"])
def test_a_full_disk_stops_with_one_line_and_resumes_once_space_is_freed(
    small_disk: Path, volume: Path, raster: Path, tool: str
) -> None:
    ballast = small_disk / "ballast"
    ballast.write_bytes(b"\0" * (4 * 2**20 - 64 * 2**10))  # 64 KiB left: too little
    target = small_disk / "out.zarr"
    options = NGFF_CLI if tool == "ngff" else [*GEO_CLI, "--levels", "auto"]
    source = volume if tool == "ngff" else raster
    create = [str(source), str(target), *options, "--quiet"]
    code, _, err = command(tool, "create", *create)
    refused(code, err, "No space left on device", "--resume")
    code, report = validate(tool, target)
    assert code != 0
    assert report["valid"] is False
    assert "--resume" in interrupted_issue(report)
    ballast.unlink()
    code, _, err = command(tool, "create", *create, "--resume")
    assert code == 0, err
    code, report = validate(tool, target)
    assert (code, report["valid"]) == (0, True), report
    assert not (target / LOCK_KEY).exists()


def test_a_failed_labels_write_is_reported_and_resumes(
    tmp_path: Path, bases: dict[str, Path]
) -> None:
    import ngff

    target = copy_of(bases["ngff-clean"], tmp_path)
    labels = (np.arange(10 * 80 * 72).reshape(10, 80, 72) % 7).astype(np.uint8)

    def fail(progress: object) -> None:
        raise RuntimeError("the writer failed")

    with pytest.raises(RuntimeError, match="the writer failed"):
        ngff.write_labels(labels, target, "cells", progress=fail)
    message = interrupted_issue(validate("ngff", target)[1])
    assert "labels/cells/0" in message
    with pytest.raises(WriteLockError, match="interrupted"):
        ngff.write_labels(labels, target, "cells")
    ngff.write_labels(labels, target, "cells", resume=True)
    code, report = validate("ngff", target)
    assert (code, report["valid"]) == (0, True), report
