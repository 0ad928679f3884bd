# The two commands a newcomer needs: `make demo` and `make test`.
# Each creates .venv when it is missing and installs what it needs before running.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# pip's editable "strict" mode lays the packages out as a real tree that mypy can follow
# (the default "lenient" mode uses an import hook that static tools cannot see).
EDITABLE := --config-settings editable_mode=strict

.PHONY: demo test lint typecheck docs pytest install install-test peers gdal clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools>=77" wheel

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e . $(EDITABLE)
	touch $@

# moto needs boto3, s3fs pins botocore through aiobotocore: left alone, pip walks back through
# hundreds of boto3 releases to find the pair. boto3 and botocore are released in lockstep
# (same version number), so install the remote stack first and ask for the matching boto3.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[remote]' $(EDITABLE)
	$(BIN)/python -m pip install --quiet -e '.[test]' $(EDITABLE) \
		"boto3==$$($(BIN)/python -c 'import botocore; print(botocore.__version__)')"
	touch $@ $(VENV)/.installed-base

# A strict editable install links the files that existed when it ran: refresh it so that
# modules added since are seen (fast: no dependency resolution, no isolated build).
install: $(VENV)/.installed-base
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . $(EDITABLE)

# Peer readers used by interoperability tests and benchmarks live in a venv of their own:
# ome-zarr-models pins pydantic below the versions this project must support, and must not
# decide the versions the project's own tests run with. Tests drive it in subprocesses.
PEERS := .venv-peers
$(PEERS)/.installed: Makefile
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet --upgrade pip
	$(PEERS)/bin/python -m pip install --quiet ome-zarr ome-zarr-models ngff-zarr psutil
	touch $@

peers: $(PEERS)/.installed

# A second GDAL generation for the GeoZarr interoperability tests. rasterio's wheels for
# Python 3.11 carry GDAL 3.10, which reads Zarr v2 but no Zarr v3 written to the final spec;
# the wheels with GDAL >= 3.12 need Python >= 3.12. This venv is built from the first Python
# >= 3.12 found (PATH, then pyenv's versions); without one the tests that need it are skipped,
# saying so.
GDAL_VENV := .venv-gdal
GDAL_PYTHONS := $(PYTHON) python3.14 python3.13 python3.12 \
	$(sort $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3))
$(GDAL_VENV)/.installed: Makefile
	@py=""; for c in $(GDAL_PYTHONS); do \
	  if "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    py="$$c"; break; fi; \
	done; \
	if [ -z "$$py" ]; then \
	  echo "no Python >= 3.12 here: the GDAL >= 3.12 interoperability tests will be skipped"; \
	else \
	  rm -rf $(GDAL_VENV) && "$$py" -m venv $(GDAL_VENV) && \
	  $(GDAL_VENV)/bin/python -m pip install --quiet --upgrade pip && \
	  $(GDAL_VENV)/bin/python -m pip install --quiet "rasterio>=1.5" numpy && touch $@; \
	fi

gdal: $(GDAL_VENV)/.installed

install-test: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . $(EDITABLE)

demo: install
	$(BIN)/python -m ngff_geozarr.demo

lint: install-test
	$(BIN)/ruff check src tests benchmarks docs/scripts
	$(BIN)/ruff format --check src tests benchmarks docs/scripts

# The site must build without a warning; it is written under build/ (ignored by git).
docs: install-test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir build/site

typecheck: install-test
	$(BIN)/mypy -p ngff -p geozarr -p ngff_geozarr

# Two workers (CI has two cores): most tests wait on subprocesses, servers and sleeps, so
# the suite takes about half as long; a file's tests stay on one worker (its fixtures once).
PYTEST_WORKERS ?= 2
pytest: install-test peers gdal
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

test: lint typecheck docs pytest

clean:
	rm -rf $(VENV) $(PEERS) $(GDAL_VENV) build *.egg-info src/*.egg-info .mypy_cache .pytest_cache .ruff_cache
