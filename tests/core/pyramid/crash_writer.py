"""Write a small pyramid; optionally SIGKILL this process after N finished tiles.

Run as a script by test_engine.py (never imported):
``python crash_writer.py TARGET KILL_AFTER RESUME [STORAGE_OPTIONS_JSON]`` prints the result as
JSON when it finishes; TARGET may be a URL (``s3://...``) opened with the storage options.
The metadata callback writes ``complete.json`` at the store root: the marker that must not
exist until a run has finished.
"""

from __future__ import annotations

import json
import os
import signal
import sys

import numpy as np

from ngff_geozarr.core.pyramid import Progress, PyramidResult, plan, write_pyramid
from ngff_geozarr.core.store import open_store

SHAPE = (19, 70, 90)
CHUNKS = (4, 16, 16)


def source() -> np.ndarray:
    rng = np.random.default_rng(1234)
    return rng.integers(0, 60000, size=SHAPE, dtype=np.uint16)


def main() -> None:
    target, kill_after, resume = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "resume"
    options = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
    store = open_store(target, "a", storage_options=options)

    def progress(p: Progress) -> None:
        if p.done == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    def write_metadata(result: PyramidResult) -> None:
        store.write_bytes("complete.json", json.dumps({"paths": result.paths}).encode())

    result = write_pyramid(
        source(),
        store,
        plan(SHAPE, CHUNKS),
        method="mean",
        workers=2,
        resume=resume,
        progress=progress,
        write_metadata=write_metadata,
    )
    print(json.dumps({"written": result.tiles_written, "skipped": result.tiles_skipped}))


if __name__ == "__main__":
    main()
