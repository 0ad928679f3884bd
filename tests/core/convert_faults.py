"""Fault injection for in-place conversions: stop one before its N-th change to the store.

A conversion changes a store through three methods of the store handle: ``write_bytes`` (a
document, the journal), ``delete`` (an old document, the journal) and ``consolidate``.
:func:`interrupted_at` makes the N-th of those calls raise :class:`Killed` before it runs,
a ``BaseException`` like the ``KeyboardInterrupt`` of Ctrl-C, so nothing in the converter
catches it: the store is left exactly as a process killed at that moment leaves it (local
writes are atomic). ``convert_kill.py`` does the same with ``os._exit`` in a subprocess.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ngff_geozarr.core.store import StoreHandle

CHANGES = ("write_bytes", "delete", "consolidate")


class Killed(BaseException):
    """The process 'died' here."""


@contextmanager
def interrupted_at(n: int | None) -> Iterator[list[str]]:
    """Raise :class:`Killed` before the ``n``-th change (0-based); ``None`` only counts.

    Yields the list of changes made so far, as ``"method key"`` strings.
    """
    originals = {name: getattr(StoreHandle, name) for name in CHANGES}
    done: list[str] = []

    def wrap(name: str) -> Callable[..., Any]:
        original = originals[name]

        def changed(self: StoreHandle, *args: Any, **kwargs: Any) -> Any:
            if n is not None and len(done) == n:
                raise Killed(f"before change {n}: {name} {args[:1]}")
            done.append(f"{name} {args[0] if args else ''}")
            return original(self, *args, **kwargs)

        return changed

    for name in CHANGES:
        setattr(StoreHandle, name, wrap(name))
    try:
        yield done
    finally:
        for name, original in originals.items():
            setattr(StoreHandle, name, original)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of a store, documents and chunks, by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def check_every_interruption(
    source: Path, work: Path, convert: Callable[[Path], object]
) -> list[str]:
    """Interrupt an in-place conversion before each of its changes; a rerun must complete it.

    ``convert(store)`` converts a store in place. For every change N the conversion makes,
    a fresh copy of ``source`` is converted with a stop before change N, then converted
    again; the result must equal, file for file and byte for byte, an uninterrupted
    conversion. Returns the changes of the uninterrupted run.
    """
    reference = work / "reference"
    shutil.copytree(source, reference)
    with interrupted_at(None) as changes:
        convert(reference)
    expected = snapshot(reference)
    assert changes[0].startswith("write_bytes .ngff-geozarr-journal.json"), changes[:2]
    assert changes[-1] == "delete .ngff-geozarr-journal.json", changes[-2:]
    for n in range(len(changes)):
        store = work / f"at-{n}"
        shutil.copytree(source, store)
        try:
            with interrupted_at(n):
                convert(store)
        except Killed:
            pass
        else:
            raise AssertionError(f"change {n} ({changes[n]}) was never reached")
        convert(store)  # the rerun completes it
        got = snapshot(store)
        assert got.keys() == expected.keys(), (n, changes[n], got.keys() ^ expected.keys())
        differing = [k for k in expected if got[k] != expected[k]]
        assert not differing, (n, changes[n], differing)
        shutil.rmtree(store)
    return changes
