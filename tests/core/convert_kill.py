"""Convert a store in place and die (``os._exit``) before its N-th change to the store.

Run as a script by the conversion journal tests (never imported):
``python convert_kill.py ngff STORE VERSION N`` or ``python convert_kill.py geozarr STORE
FORMAT N``. The changes are counted as in ``convert_faults.interrupted_at``; the process
exits with status 75 right before change N, as a killed process stops: no handler runs.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from ngff_geozarr.core.store import StoreHandle

CHANGES = ("write_bytes", "delete", "consolidate")


def main() -> None:
    kind, store, to, kill_at = sys.argv[1:5]
    count = [0]
    for name in CHANGES:
        original = getattr(StoreHandle, name)

        def changed(self: StoreHandle, *args: Any, _original: Any = original, **kw: Any) -> Any:
            if count[0] == int(kill_at):
                os._exit(75)
            count[0] += 1
            return _original(self, *args, **kw)

        setattr(StoreHandle, name, changed)
    if kind == "ngff":
        import ngff

        ngff.convert(store, to)  # type: ignore[arg-type]
    else:
        import geozarr

        geozarr.convert(store, None, zarr_format=int(to))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
