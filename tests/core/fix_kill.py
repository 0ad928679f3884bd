"""Run ``fix --apply`` on a store and SIGKILL the process before its N-th change to the store.

Run as a script by the fix tests (never imported): ``python fix_kill.py ngff|geozarr STORE N``.
The changes are the store handle's ``write_bytes``, ``delete`` and ``consolidate`` calls (the
journal, each document, the consolidated metadata, the journal removed); right before change
N the process sends itself SIGKILL, so nothing runs after it. With N = -1 nothing is killed
and the number of changes is printed.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from ngff_geozarr.core.fix import apply_fixes
from ngff_geozarr.core.store import StoreHandle

CHANGES = ("write_bytes", "delete", "consolidate")


def main() -> None:
    kind, store, kill_at = sys.argv[1:4]
    count = [0]
    for name in CHANGES:
        original = getattr(StoreHandle, name)

        def changed(self: StoreHandle, *args: Any, _original: Any = original, **kw: Any) -> Any:
            if count[0] == int(kill_at):
                os.kill(os.getpid(), signal.SIGKILL)
            count[0] += 1
            return _original(self, *args, **kw)

        setattr(StoreHandle, name, changed)
    if kind == "ngff":
        from ngff.cli import CONVENTION
        from ngff.fix import FIXERS
    else:
        from geozarr.cli import CONVENTION
        from geozarr.fix import FIXERS
    apply_fixes(
        store,
        validate=CONVENTION.validate,
        fixers=FIXERS,
        command=f"{CONVENTION.command} fix {store} --apply",
        discover=CONVENTION.discover,
    )
    print(count[0])


if __name__ == "__main__":
    main()
