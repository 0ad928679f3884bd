"""Helpers for the engine tests: the in-memory reference pyramid and a store's files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from ngff_geozarr.core.pyramid.kernels import Method, downsample
from ngff_geozarr.core.pyramid.plan import Level


def _reference(data: np.ndarray, levels: Sequence[Level], method: Method) -> list[np.ndarray]:
    out = [np.asarray(data)]
    for level in levels[1:]:
        out.append(downsample(out[-1], level.factors, method))
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def reference_pyramid() -> Callable[[np.ndarray, Sequence[Level], Method], list[np.ndarray]]:
    """The straightforward pyramid: each level reduced from the whole previous one in memory."""
    return _reference


@pytest.fixture
def store_files() -> Callable[[Path], dict[str, bytes]]:
    """Every file of a local store, by key, with its bytes."""
    return _files
