"""What ``validate --deep`` may spend: blocks sampled per level, requests and bytes.

A :class:`Budget` is what the user allows; a :class:`Spending` is what one deep check has
used so far. Every read is paid for before it is made (its cost is known from the array's
chunk grid), so a check never goes over its budget; what it could not afford is counted and
reported (``zarr.data.budget-reached``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

__all__ = ["DEFAULT_BUDGET", "Budget", "Spending", "budget_of"]


@dataclass(frozen=True, slots=True)
class Budget:
    """How much chunk data a deep check may read.

    Parameters
    ----------
    sample
        Blocks (chunks) sampled per pyramid level.
    max_requests
        Most store requests (listings and chunk reads) of the whole check.
    max_bytes
        Most bytes of chunk data read, counted decoded (an upper bound of what crosses the
        network: chunks are usually compressed).

    Examples
    --------
    >>> Budget(sample=1).max_requests == DEFAULT_BUDGET.max_requests
    True
    """

    sample: int = 2
    max_requests: int = 20_000
    max_bytes: int = 512 * 2**20

    def __post_init__(self) -> None:
        for name in ("sample", "max_requests", "max_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Expected a positive integer for {name}. Got {value!r}.")


DEFAULT_BUDGET = Budget()
"""The budget of ``--deep`` without ``--sample``, ``--max-requests`` or ``--max-bytes``:
enough to check a plate of a few hundred images behind a slow link in seconds."""


def budget_of(
    deep: bool | Budget,
    sample: int | None = None,
    max_requests: int | None = None,
    max_bytes: int | None = None,
) -> Budget | None:
    """Return the budget a validator's ``deep`` arguments ask for, or ``None`` for none.

    Parameters
    ----------
    deep
        ``False`` (no deep check), ``True`` (the default budget, changed by the other
        arguments) or a budget.
    sample, max_requests, max_bytes
        What changes in the default budget (see :class:`Budget`).

    Returns
    -------
    Budget or None
        The budget, or ``None`` when no deep check is asked for.

    Raises
    ------
    ValueError
        When a budget argument is given without ``deep``, or is not a positive integer.

    Examples
    --------
    >>> budget_of(True, sample=4).sample
    4
    >>> budget_of(False) is None
    True
    """
    changes = {
        k: v
        for k, v in (("sample", sample), ("max_requests", max_requests), ("max_bytes", max_bytes))
        if v is not None
    }
    if isinstance(deep, Budget):
        return Budget(**{**_fields(deep), **changes})
    if not deep:
        if changes:
            raise ValueError(f"Expected deep=True with {', '.join(sorted(changes))}.")
        return None
    return Budget(**{**_fields(DEFAULT_BUDGET), **changes})


def _fields(budget: Budget) -> dict[str, int]:
    return {
        "sample": budget.sample,
        "max_requests": budget.max_requests,
        "max_bytes": budget.max_bytes,
    }


@dataclass(slots=True)
class Spending:
    """What one deep check has spent of its budget; safe to share between threads.

    Parameters
    ----------
    budget
        The budget.

    Examples
    --------
    >>> spent = Spending(Budget(max_requests=3))
    >>> spent.pay(2, 10), spent.pay(2, 10), spent.requests, spent.refused
    (True, False, 2, 1)
    """

    budget: Budget
    requests: int = 0
    bytes: int = 0
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def pay(self, requests: int, nbytes: int = 0) -> bool:
        """Pay for a read before making it.

        Parameters
        ----------
        requests
            The requests it makes.
        nbytes
            The bytes it reads.

        Returns
        -------
        bool
            Whether the budget allows it (then it is counted); a refusal is counted in
            :attr:`refused`.
        """
        with self._lock:
            if (
                self.requests + requests > self.budget.max_requests
                or self.bytes + nbytes > self.budget.max_bytes
            ):
                self.refused += 1
                return False
            self.requests += requests
            self.bytes += nbytes
            return True
