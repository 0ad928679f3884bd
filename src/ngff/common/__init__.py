"""What the OME-Zarr versions share: section models, rules and the facts the array checks use.

Each version subpackage (``ngff.v04``, ``ngff.v05``, ``ngff.v06``) builds on these modules
rather than copying them; a version only defines what it changes.
"""

from __future__ import annotations

# File the checks that rule-table rows declare, before any section runner runs.
from ngff.common import rule_shapes as _rule_shapes  # noqa: F401

__all__: list[str] = []
