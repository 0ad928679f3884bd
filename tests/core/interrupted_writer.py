"""Run one writer and stop it part way: SIGKILL it, or SIGSTOP it (for a second writer to meet).

Run as a script by test_writers_faults.py (never imported):
``python interrupted_writer.py KIND TARGET AT SIGNAL [SOURCE]``.

- ``KIND``: ``ngff-create`` (``SOURCE`` .npy into ``TARGET``), ``ngff-pyramid`` (levels added to
  the image at ``TARGET``), ``geozarr-create`` (``SOURCE`` .npy), ``geozarr-pyramid``.
- ``AT``: the number of finished tiles at which the process stops; ``last``: after the last
  tile, before any metadata; ``finish``: the last window, once the root metadata is written,
  before the consolidated metadata and the end of the write; ``never``: run to the end.
- ``SIGNAL``: ``kill`` (SIGKILL: no handler runs) or ``stop`` (SIGSTOP: paused until SIGCONT).

The options are those the tests give the command line, so a run completed by the command
line is comparable byte for byte with an uninterrupted one.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import numpy as np

import ngff_geozarr.core.groups as groups
from ngff_geozarr.core.pyramid import Progress

NGFF_OPTIONS: dict[str, Any] = {"chunks": (4, 16, 16), "scale": (2.0, 0.5, 0.5), "name": "vol"}
NGFF_CLI = ["--chunks", "4,16,16", "--scale", "2,0.5,0.5", "--name", "vol"]
GEO_OPTIONS: dict[str, Any] = {
    "crs": "EPSG:32633",
    "transform": (10.0, 0.0, 300_000.0, 0.0, -10.0, 6_000_000.0),
    "chunks": (16, 16),
}
GEO_CLI = ["--crs", "EPSG:32633", "--transform", "10,0,300000,0,-10,6000000", "--chunks", "16,16"]


def main() -> None:
    kind, target, at, how = sys.argv[1:5]
    source = sys.argv[5] if len(sys.argv) > 5 else None
    stop = signal.SIGKILL if how == "kill" else signal.SIGSTOP

    def progress(p: Progress) -> None:
        if (at == "last" and p.done == p.total) or at == str(p.done):
            os.kill(os.getpid(), stop)

    if at == "finish":
        original = groups.finish

        def finish(*args: Any, **kwargs: Any) -> bool:
            os.kill(os.getpid(), stop)
            return original(*args, **kwargs)

        groups.finish = finish  # type: ignore[assignment]
    if kind == "ngff-create":
        import ngff

        data = np.load(source or "", mmap_mode="r")
        ngff.write_image(data, target, workers=2, progress=progress, **NGFF_OPTIONS)
    elif kind == "ngff-pyramid":
        import ngff

        ngff.add_levels(target, workers=2, progress=progress)
    elif kind == "geozarr-create":
        import geozarr

        data = np.load(source or "", mmap_mode="r")
        geozarr.write(data, target, levels="auto", workers=2, progress=progress, **GEO_OPTIONS)
    else:
        import geozarr

        geozarr.pyramid(target, workers=2, progress=progress)


if __name__ == "__main__":
    main()
