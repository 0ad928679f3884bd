"""Package discovery for setuptools; every other setting lives in pyproject.toml.

src/core is installed as ``ngff_geozarr.core`` (see the comment in pyproject.toml), which
``packages.find`` in pyproject.toml cannot express: the package list is computed here so
that a new subpackage needs no edit anywhere.
"""

from setuptools import find_namespace_packages, find_packages, setup

CORE = "ngff_geozarr.core"
packages = [
    *find_packages("src", include=["ngff", "ngff.*", "geozarr", "geozarr.*"]),
    # data folders (no __init__.py) are packages too, so their files are package data
    *find_namespace_packages(
        "src", include=["ngff.data", "ngff.*.data", "geozarr.data", "geozarr.*.data"]
    ),
    *find_packages("src", include=["ngff_geozarr", "ngff_geozarr.*"]),
    CORE,
    *(f"{CORE}.{p}" for p in find_packages("src/core")),
]
setup(packages=packages)
