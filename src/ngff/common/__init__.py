"""What the OME-Zarr versions share: section models, rules and the facts the array checks use.

Each version subpackage (``ngff.v04``, ``ngff.v05``, ``ngff.v06``) builds on these modules
rather than copying them; a version only defines what it changes.
"""

from __future__ import annotations

__all__: list[str] = []
