"""Broken stores through the command line: exit 0-3, one error line, JSON that parses.

A few cases of :mod:`tests.fuzz.cases` run the real console scripts in subprocesses with an
address-space limit (:data:`ADDRESS_SPACE`): allocating a declared shape fails there, it
cannot slip by as untouched pages. Whatever the store, the command ends within its time,
exits 0, 1, 2 or 3, prints no traceback, prints exactly one error line when it exits 2, and
its ``--format json`` output parses as strict JSON (the contract, even for an unreadable
target). A FIFO in place of a metadata document is never opened (it would block forever).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.fuzz.cases import make_case
from tests.fuzz.conftest import FUZZ, examples

ADDRESS_SPACE = 3 * 2**30
"""The virtual memory a command may map: the interpreter, numpy, zarr and their threads fit
with room to spare; a declared shape of 2**62 elements does not."""

TIMEOUT = 60.0
BIN = Path(sys.executable).parent


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a console script under the address-space limit and the timeout."""
    env = {k: v for k, v in os.environ.items() if k != "NGFF_GEOZARR_DEBUG"}
    env["COLUMNS"] = "100"
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=TIMEOUT,
        preexec_fn=_limit,
        env=env,
        check=False,
    )


def assert_contract(result: subprocess.CompletedProcess[str], json_output: bool) -> None:
    """The command-line contract, whatever the input."""
    where = f"{result.args}: exit {result.returncode}\n{result.stderr[-2000:]}"
    assert result.returncode in (0, 1, 2, 3), where
    assert "Traceback" not in result.stderr, where
    assert "please report it" not in result.stderr + result.stdout, where
    lines = result.stderr.splitlines()
    if result.returncode == 2:
        assert len(lines) == 1, where
        assert ": error: " in lines[0], where
    if json_output:

        def refuse(name: str) -> None:
            raise ValueError(f"not JSON: {name}")

        json.loads(result.stdout, parse_constant=refuse)


@settings(FUZZ, max_examples=examples(4))
@given(data=st.data())
def test_broken_stores_cli(bases: dict[str, Path], data: st.DataObject) -> None:
    """``validate`` (``--deep`` or not) and ``info`` of both CLIs, text or JSON."""
    with tempfile.TemporaryDirectory(prefix="fuzz-cli-") as where:
        case = make_case(data, bases, Path(where))
        command = data.draw(st.sampled_from(["ngff", "geozarr"]), label="command")
        args = data.draw(
            st.sampled_from([["validate"], ["validate", "--deep"], ["info"]]), label="args"
        )
        fmt = data.draw(st.sampled_from(["json", "text"]), label="format")
        result = run_cli(command, *args, str(case.store), "--format", fmt)
        assert_contract(result, json_output=fmt == "json")


@pytest.mark.parametrize("keys", [("zarr.json", "0/zarr.json")])
def test_fifo_never_opened(bases: dict[str, Path], keys: tuple[str, ...]) -> None:
    """A FIFO in place of a metadata document is refused unopened: an answer, no hang."""
    with tempfile.TemporaryDirectory(prefix="fuzz-fifo-") as where:
        store = Path(shutil.copytree(bases["ngff-image-0.5"], Path(where) / "store"))
        for key in keys:
            (store / key).unlink()
            os.mkfifo(store / key)
        for args in (("ngff", "validate"), ("geozarr", "info")):
            result = run_cli(*args, str(store), "--format", "json")
            assert_contract(result, json_output=True)
            assert "is a FIFO, not a regular file" in result.stdout
            assert result.returncode == (2 if "zarr.json" in keys else 1)
