"""Headless Chromium for the browser tests, started the one way this machine allows.

Chromium and chromedriver come from Debian's packages (``chromium``, ``chromium-driver``);
``.ci/run`` installs them when missing. Without them the tests are skipped, saying why.
The flags keep Chromium off the network (this machine refuses its background connections).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="headless Chromium tests need Debian's chromium and chromium-driver packages",
)


@contextlib.contextmanager
def headless_chromium(profile: Path, width: int, height: int) -> Iterator[Any]:
    """Run a headless Chromium with a new profile in ``profile``; quit it at the end."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={width},{height}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
