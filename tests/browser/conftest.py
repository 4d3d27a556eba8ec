"""Headless Chromium (Debian's `chromium` + `chromium-driver`, installed by `make browser`) driven by Selenium
against the same whole stack the end-to-end tests use (tests/conftest.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cveval_devstack.stack import Stack
from tests.browser.pages import Browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DEBIAN_DRIVER = Path("/usr/bin/chromedriver")
CHROMEDRIVER = shutil.which("chromedriver") or (str(DEBIAN_DRIVER) if DEBIAN_DRIVER.exists() else None)


@pytest.fixture(scope="session")
def browser(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("chromium and chromium-driver are not installed (make browser installs them as root)")
    opened = Browser.start(CHROMIUM, CHROMEDRIVER, stack, tmp_path_factory.mktemp("downloads"))
    try:
        yield opened
    finally:
        opened.quit()
