"""A pyramid written to S3 (the moto server): killed mid-run, then resumed, it is byte for
byte the pyramid of an uninterrupted run, and carries its completion marker only at the end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import S3_CREDENTIALS

CRASH_WRITER = Path(__file__).with_name("crash_writer.py")


def objects(fs: Any, prefix: str) -> dict[str, bytes]:
    keys = sorted(fs.find(prefix))
    return {key[len(prefix) :]: fs.cat_file(key) for key in keys}


def test_s3_output_killed_then_resumed_equals_an_uninterrupted_run(s3_endpoint: str) -> None:
    s3fs = pytest.importorskip("s3fs")
    fs = s3fs.S3FileSystem(
        client_kwargs={"endpoint_url": s3_endpoint}, skip_instance_cache=True, **S3_CREDENTIALS
    )
    fs.mkdir("pyramids")
    options = json.dumps({"endpoint_url": s3_endpoint, **S3_CREDENTIALS})

    def run(target: str, kill_after: int, mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(CRASH_WRITER), target, str(kill_after), mode, options],
            capture_output=True,
            text=True,
            timeout=300,
            env=os.environ.copy(),
            check=False,
        )

    clean = run("s3://pyramids/clean", -1, "fresh")
    assert clean.returncode == 0, clean.stderr
    killed = run("s3://pyramids/resumed", 6, "fresh")
    assert killed.returncode == -9, killed.stderr
    fs.invalidate_cache()
    assert not fs.exists("pyramids/resumed/complete.json")
    assert fs.find("pyramids/resumed/0/c/")  # some tiles were written before the kill
    resumed = run("s3://pyramids/resumed", -1, "resume")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["skipped"] > 0
    fs.invalidate_cache()
    assert objects(fs, "pyramids/resumed/") == objects(fs, "pyramids/clean/")
