"""Helpers the core tests share."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


class CountingArray:
    """A RegionReader over numpy that records the regions read."""

    def __init__(self, data: npt.NDArray[Any]) -> None:
        self.data = data
        self.regions: list[tuple[slice, ...]] = []

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.data.dtype

    def read(self, region: tuple[slice, ...]) -> npt.NDArray[Any]:
        self.regions.append(region)
        return self.data[region]
