"""A writer of an S3 store in a process of its own, for test_s3_lock.py (run, never imported).

``python s3_writer.py cli START_AT ARGS...`` waits until START_AT (seconds since the epoch),
then runs ``ngff ARGS...`` (the command line: a failure is one line and exit code 2), so that
two such processes start their writes together; it exits with 3, without writing, when it
was not ready by then.

``python s3_writer.py write SOURCE.npy TARGET STORAGE_OPTIONS_JSON LEASE HOST PAUSE_AT GO``
writes an OME-Zarr image with ``ngff.write_image`` (the options of ``ngff create`` with
``test_s3_lock.CREATE_OPTIONS``), renewing its write record every LEASE / 4 seconds and
recording HOST as its host name (a writer on another machine). After PAUSE_AT tiles it prints
``paused`` and waits until the file GO exists (the test kills it, stops it, or lets it go
on). A failure prints one line and exits with code 2.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

import numpy as np

import ngff
import ngff.cli
from ngff_geozarr.core.errors import NgffGeozarrError
from ngff_geozarr.core.pyramid import Progress
from ngff_geozarr.core.store import lease

OPTIONS = {"chunks": (4, 16, 16), "scale": (2.0, 0.5, 0.5), "units": "micrometer"}


def cli(start_at: float, args: list[str]) -> None:
    if time.time() > start_at:
        sys.exit(3)
    time.sleep(start_at - time.time())
    sys.argv = ["ngff", *args]
    ngff.cli.main()


def write(args: list[str]) -> None:
    source, target, storage, seconds, host, pause_at, go = args
    lease.LEASE_SECONDS = float(seconds)
    socket.gethostname = lambda: host  # the name this writer records: another machine's

    def progress(p: Progress) -> None:
        if p.done == int(pause_at):
            print("paused", flush=True)
            while not Path(go).exists():
                time.sleep(0.05)

    try:
        ngff.write_image(
            np.load(source, mmap_mode="r"),
            target,
            progress=progress,
            storage_options=json.loads(storage),
            **OPTIONS,  # type: ignore[arg-type]
        )
    except NgffGeozarrError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    if sys.argv[1] == "cli":
        cli(float(sys.argv[2]), sys.argv[3:])
    else:
        write(sys.argv[2:])
