"""Write an OME-Zarr image with ``ngff.write_image``; SIGKILL this process at a chosen tile.

Run as a script by test_create_crash.py (never imported):
``python create_crash.py SOURCE.npy TARGET KILL_AT MODE [STORAGE_OPTIONS_JSON]``. ``KILL_AT``
is the number of finished tiles after which the process kills itself (``last``: after the last
tile, just before the metadata would be written; ``never``: run to the end); ``MODE`` is
``fresh`` or ``resume``; a remote TARGET (``s3://...``) is opened with the storage options.
The options equal those the test passes to ``ngff create``, so a run finished by the command
line is comparable byte for byte.
"""

from __future__ import annotations

import json
import os
import signal
import sys

import numpy as np

import ngff
from ngff_geozarr.core.pyramid import Progress

OPTIONS = {"chunks": (4, 16, 16), "scale": (2.0, 0.5, 0.5), "units": "micrometer", "name": "vol"}
CLI_OPTIONS = ["--chunks", "4,16,16", "--scale", "2,0.5,0.5", "--units", "micrometer"]


def main() -> None:
    source, target, kill_at, mode = sys.argv[1:5]
    storage_options = json.loads(sys.argv[5]) if len(sys.argv) > 5 else None

    def progress(p: Progress) -> None:
        if (kill_at == "last" and p.done == p.total) or kill_at == str(p.done):
            os.kill(os.getpid(), signal.SIGKILL)

    ngff.write_image(
        np.load(source, mmap_mode="r"),
        target,
        workers=2,
        resume=mode == "resume",
        progress=progress,
        storage_options=storage_options,
        **OPTIONS,  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    main()
