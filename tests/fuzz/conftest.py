"""The fuzz suite's settings and base stores (issue 16, point 8).

The hypothesis profile ``fuzz`` keeps the suite within its time in ``make test`` (about a
minute on two cores): a fixed number of examples per test, ``derandomize=True`` (the same
cases on every run and machine: a failure reproduces), no example database written into the
repository, no deadline (a case's time is bounded by :data:`tests.fuzz.cases.CASE_SECONDS`
instead), no shrinking (a failure is reported as drawn, with its steps). ``FUZZ_EXAMPLES``
in the environment scales the number of examples (``benchmarks/fuzz.py`` runs thousands).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from tests.fuzz.cases import build_bases

_SCALE = float(os.environ.get("FUZZ_EXAMPLES", "1"))

settings.register_profile(
    "fuzz",
    max_examples=max(1, round(60 * _SCALE)),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
    phases=(Phase.explicit, Phase.generate),
)
FUZZ = settings.get_profile("fuzz")
"""The suite's settings: ``@settings(FUZZ, max_examples=examples(n))``."""


def examples(n: int) -> int:
    """Return ``n`` examples, scaled by ``FUZZ_EXAMPLES``."""
    return max(1, round(n * _SCALE))


@pytest.fixture(scope="session")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The valid stores every case starts from, and their ``outside`` neighbour."""
    return build_bases(tmp_path_factory.mktemp("fuzz-bases"))
