"""GeoTIFF pixels read window by window through rasterio, never the whole file at once.

:class:`GeoTiffReader` is a region reader (``shape``, ``dtype``, ``read(region)``) over the
bands of a GeoTIFF; :func:`~ngff_geozarr.core.inputs.open_input` wraps it in a
:class:`~ngff_geozarr.core.inputs.LazyArray`, so a writer or ``pyramid --to-crs`` reads only
the window each output tile needs (bounded memory, whatever the file's size).
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["GeoTiffReader"]


class GeoTiffReader:
    """Read regions ``(band, row, column)`` of a GeoTIFF, one rasterio window per read.

    Each read opens the file (rasterio datasets are not shared between threads), so readers
    on several threads are safe.

    Parameters
    ----------
    path
        The file.
    shape
        ``(bands, height, width)``.
    dtype
        The pixels' data type.

    Attributes
    ----------
    pixels_read
        How many pixels the reads so far returned (bands included).
    largest_read
        The most pixels one read returned.
    """

    def __init__(self, path: str, shape: tuple[int, int, int], dtype: np.dtype[Any]) -> None:
        self.path = path
        self.shape = shape
        self.dtype = np.dtype(dtype)
        self.pixels_read = 0
        self.largest_read = 0
        self._lock = threading.Lock()

    def read(self, region: tuple[slice, ...]) -> npt.NDArray[Any]:
        """Read a region.

        Parameters
        ----------
        region
            One slice (explicit start and stop, step 1) per dimension: bands, rows, columns.

        Returns
        -------
        numpy.ndarray
            The pixels, ``(bands, rows, columns)``.
        """
        import rasterio  # type: ignore[import-untyped]
        from rasterio.windows import Window  # type: ignore[import-untyped]

        bands, rows, cols = (range(*s.indices(n)) for s, n in zip(region, self.shape, strict=True))
        window = Window(cols.start, rows.start, len(cols), len(rows))
        from rasterio.errors import NotGeoreferencedWarning  # type: ignore[import-untyped]

        with warnings.catch_warnings():  # said once, when the file was opened for its metadata
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(self.path) as ds:
                data = ds.read([b + 1 for b in bands], window=window) if len(bands) else None
        out = (
            np.asarray(data)
            if data is not None
            else np.empty((0, len(rows), len(cols)), dtype=self.dtype)
        )
        with self._lock:
            self.pixels_read += out.size
            self.largest_read = max(self.largest_read, out.size)
        return out
