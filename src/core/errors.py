"""Exceptions raised by ngff-geozarr.

Every exception the toolkit raises on purpose derives from one root, so a caller can catch
them all with ``except NgffGeozarrError``. User mistakes that concern *content* (a malformed
document, a wrong shape, a hostile path inside a store) are not raised at all: they become
issues in a :class:`~ngff_geozarr.core.report.Report`. Exceptions are for targets that cannot
be used at all, and for programming errors in calls to the API.

The hierarchy::

    NgffGeozarrError
    ├── TargetError                 the target cannot be read or written at all (CLI exit 2)
    │   ├── TargetNotFoundError     no such file, directory, bucket or URL
    │   ├── NotZarrError            the target exists but holds no Zarr hierarchy
    │   ├── UnsupportedTargetError  a scheme or file kind this toolkit does not open
    │   ├── StoreAccessError        the store refused or failed a request (network, permission)
    │   └── WriteLockError          another writer holds the target, or an interrupted write
    │                               is in the way (finish it with ``--resume``)
    ├── UnsafePathError             a key or path would leave the store root
    ├── ReadOnlyError               a write was asked of a store opened read-only
    ├── PyramidError                a pyramid cannot be planned or written as asked
    │                               (also a ValueError: the arguments are inconsistent)
    └── ConversionError             a store cannot be converted, or its conversion failed
                                    (``ngff.convert`` and ``geozarr.convert`` alike)

Convention packages derive their own from the root where they need one.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = [
    "ConversionError",
    "NgffGeozarrError",
    "NotZarrError",
    "PyramidError",
    "ReadOnlyError",
    "StoreAccessError",
    "TargetError",
    "TargetNotFoundError",
    "UnsafePathError",
    "UnsupportedTargetError",
    "WriteLockError",
    "causes",
]


class NgffGeozarrError(Exception):
    """Root of every exception raised on purpose by ngff-geozarr."""


class TargetError(NgffGeozarrError):
    """The target cannot be used at all; command-line tools exit with code 2."""


class TargetNotFoundError(TargetError):
    """The file, directory, bucket or URL named as target does not exist."""


class NotZarrError(TargetError):
    """The target exists but its root holds no Zarr metadata document."""


class UnsupportedTargetError(TargetError):
    """The target's scheme or file kind is not one this toolkit opens."""


class StoreAccessError(TargetError):
    """The store refused or failed a request (network error, permission denied)."""


class WriteLockError(TargetError):
    """The target cannot be written now (nothing was written).

    Another writer is at work on it, an interrupted write must be completed first
    (``--resume``), or ``--resume`` names another source than the interrupted run's.
    """


class UnsafePathError(NgffGeozarrError):
    """A key or path would resolve outside the store root (``..``, absolute paths)."""


class ReadOnlyError(NgffGeozarrError):
    """A write was requested from a store opened read-only."""


class PyramidError(NgffGeozarrError, ValueError):
    """A pyramid cannot be planned or written as asked (inconsistent arguments or arrays)."""


class ConversionError(NgffGeozarrError, ValueError):
    """A store cannot be converted (nothing written), or its conversion failed.

    The message says why, and what was left. Both conventions raise it: ``ngff convert``
    between OME-Zarr versions, ``geozarr convert`` between Zarr formats.
    """


def causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield an error and the errors behind it, each once: its cause, else its context.

    An error may come wrapped (a worker thread's, a store's, a retry's); a question about
    what happened asks the whole chain. A chain that loops ends at the first repeat.

    Parameters
    ----------
    exc
        The error caught.

    Yields
    ------
    BaseException
        ``exc``, then ``exc.__cause__`` (or ``exc.__context__``), and so on.

    Examples
    --------
    >>> try:
    ...     try:
    ...         raise OSError("disk")
    ...     except OSError as inner:
    ...         raise RuntimeError("write failed") from inner
    ... except RuntimeError as outer:
    ...     [type(e).__name__ for e in causes(outer)]
    ['RuntimeError', 'OSError']
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
