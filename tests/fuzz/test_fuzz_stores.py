"""Broken stores and documents never break the readers (issue 16, point 8).

Every case is a valid store broken by drawn mutations (:mod:`tests.fuzz.cases`), read by
``ngff validate``, ``geozarr validate`` and ``info`` through the Python API: no exception,
nothing opened outside the store, no declared shape allocated, no hang; the answer is a
Report whose JSON parses. The stores the cases start from, and stores written from drawn
requests, validate clean: the suite would see false positives too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.fuzz.cases import Outcome, check_report, guarded, make_case, run_case
from tests.fuzz.conftest import FUZZ, examples

import geozarr
import ngff
from ngff_geozarr.core.report import Report, Severity


def _problems(report: Report) -> list[tuple[str, str]]:
    return [
        (i.rule, i.path) for i in report.issues if i.severity in (Severity.ERROR, Severity.WARNING)
    ]


@pytest.mark.parametrize("strict", [False, True])
def test_bases_validate_clean(bases: dict[str, Path], strict: bool) -> None:
    """The stores every case starts from are valid in their convention: 0 errors, 0 warnings."""
    for name, store in bases.items():
        if name == "outside":
            continue
        validate = ngff.validate if name.startswith("ngff") else geozarr.validate
        report = validate(store, strict=strict)
        assert _problems(report) == [], name
        assert report.valid, name


@settings(FUZZ, max_examples=examples(30))
@given(data=st.data(), deep=st.booleans(), strict=st.booleans())
def test_broken_stores(
    bases: dict[str, Path], data: st.DataObject, deep: bool, strict: bool
) -> None:
    """A broken store: both validators and info answer, within every guard."""
    with tempfile.TemporaryDirectory(prefix="fuzz-") as where:
        case = make_case(data, bases, Path(where))
        outcome = run_case(case, Path(where), deep=deep, strict=strict)
        assert outcome.failures == [], (case.steps, outcome.failures, outcome.tracebacks[-1:])


@settings(FUZZ, max_examples=examples(20))
@given(data=st.data())
def test_broken_documents(bases: dict[str, Path], data: st.DataObject) -> None:
    """A metadata document given as the target (a JSON file), broken: a report, never a raise."""
    with tempfile.TemporaryDirectory(prefix="fuzz-doc-") as where:
        case = make_case(data, bases, Path(where))
        docs = sorted(
            p
            for p in case.store.rglob("*")
            if p.is_file() and p.name in ("zarr.json", ".zattrs", ".zarray", ".zgroup")
        )
        if not docs:
            return
        source = data.draw(st.sampled_from(docs), label="document")
        target = Path(where) / "document.json"
        target.write_bytes(source.read_bytes())
        outcome = Outcome()
        for validate in (ngff.validate, geozarr.validate):
            what = f"{validate.__module__.split('.')[0]} validate-json"
            with guarded(Path(where), target, outcome, what):
                check_report(validate(str(target)), what, outcome)
        assert outcome.failures == [], (case.steps, source.name, outcome.failures)
