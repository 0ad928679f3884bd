"""OME-Zarr 0.5 metadata: every section under the ``ome`` namespace, one version for all."""

from __future__ import annotations

from ngff.common.ome import VersionRules

__all__ = ["RULES"]

RULES = VersionRules(version="0.5")
"""The models and rules of OME-Zarr 0.5: those of ``ngff.common``."""
