"""A local Zarr store that logs, per process, every chunk read from it.

Imported by name (``counting_store``) in the test process and on the workers of a
``LocalCluster``: the tests put this directory on ``sys.path`` of both, so that a pickled
store is rebuilt as this class wherever it is read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from zarr.storage import LocalStore


def read_log(root: Path) -> list[tuple[int, str]]:
    """Return the (process id, key) of every chunk read from the store at ``root``."""
    log = Path(root).parent / f"{Path(root).name}.reads"
    if not log.exists():
        return []
    lines = log.read_text().splitlines()
    return [(int(pid), key) for pid, key in (line.split(" ", 1) for line in lines)]


class CountingStore(LocalStore):
    """A read-only local store appending ``<pid> <key>`` to ``<root>.reads`` per chunk read."""

    async def get(self, key: str, *args: Any, **kwargs: Any) -> Any:
        if not key.rsplit("/", 1)[-1].startswith(("zarr.json", ".z")):
            root = Path(str(self.root))
            with open(root.parent / f"{root.name}.reads", "a") as log:
                log.write(f"{os.getpid()} {key}\n")
        return await super().get(key, *args, **kwargs)
