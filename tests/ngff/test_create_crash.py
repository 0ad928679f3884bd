"""Interrupted creation: a SIGKILLed ``write_image`` never leaves a store that validates as a
complete image, and ``ngff create --resume`` finishes it byte for byte like a clean run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ngff.cli import cli

HELPER = Path(__file__).with_name("create_crash.py")
CLI_OPTIONS = ["--chunks", "4,16,16", "--scale", "2,0.5,0.5", "--units", "micrometer"]


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=180)


def ngff(*args: str) -> tuple[int, str]:
    """Run the ``ngff`` command in this process (only the writer that is killed needs one)."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def validate_json(target: Path) -> tuple[int, dict[str, object]]:
    code, output = ngff("validate", str(target), "--format", "json")
    return code, json.loads(output) if output.strip().startswith("{") else {}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The source volume (.npy) and an uninterrupted ``ngff create`` of it."""
    root = tmp_path_factory.mktemp("clean")
    rng = np.random.default_rng(11)
    source = root / "vol.npy"
    np.save(source, rng.integers(0, 40000, size=(10, 80, 72), dtype=np.uint16))
    target = root / "clean.ome.zarr"
    code, output = ngff("create", str(source), str(target), *CLI_OPTIONS, "--quiet")
    assert code == 0, output
    return source, target


@pytest.mark.parametrize("kill_at", ["1", "7", "last", "twice"])
def test_killed_creation_is_incomplete_until_resumed(
    tmp_path: Path, clean: tuple[Path, Path], kill_at: str
) -> None:
    source, reference = clean
    target = tmp_path / "crashed.ome.zarr"
    killed = run(
        sys.executable,
        str(HELPER),
        str(source),
        str(target),
        kill_at.replace("twice", "3"),
        "fresh",
    )
    assert killed.returncode == -9, killed.stderr
    if kill_at == "twice":  # a second crash, during the resumed run
        again = run(sys.executable, str(HELPER), str(source), str(target), "2", "resume")
        assert again.returncode == -9, again.stderr
    code, report = validate_json(target)
    assert code != 0
    assert report.get("valid") is not True
    assert not (target / "zarr.json").exists() or "ome" not in json.loads(
        (target / "zarr.json").read_text()
    ).get("attributes", {})
    code, output = ngff("create", str(source), str(target), *CLI_OPTIONS, "--resume", "--quiet")
    assert code == 0, output
    code, report = validate_json(target)
    assert (code, report["valid"]) == (0, True)
    got, want = files(target), files(reference)
    assert not [k for k in got if k.endswith(".partial")]
    assert got.keys() == want.keys()
    assert [k for k in want if got[k] != want[k]] == []
