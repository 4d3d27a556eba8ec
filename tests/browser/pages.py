"""A thin helper over Selenium for the web app: start Chromium, wait on conditions (never fixed sleeps), save
screenshots, and check a page's accessibility in the browser itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from cveval_devstack.stack import REPO_ROOT, Stack

SCREENSHOTS = REPO_ROOT / "build" / "test-artifacts" / "screenshots"
WAIT_S = 60.0  # a busy 2-core machine: generous bounds, and each wait ends as soon as its condition holds
A11Y_SCRIPT = (Path(__file__).parent / "a11y.js").read_text()


@dataclass
class Browser:
    driver: webdriver.Chrome
    stack: Stack
    downloads: Path

    @classmethod
    def start(cls, chromium: str, chromedriver: str, stack: Stack, downloads: Path) -> Browser:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,800", "--disable-extensions", "--no-first-run"):
            options.add_argument(flag)
        options.add_experimental_option("prefs", {
            "download.default_directory": str(downloads), "download.prompt_for_download": False,
        })
        driver = webdriver.Chrome(options=options, service=Service(chromedriver))
        driver.set_page_load_timeout(WAIT_S)
        return cls(driver, stack, downloads)

    def quit(self) -> None:
        self.driver.quit()

    def open(self, fragment: str = "") -> None:
        self.driver.get(self.stack.web_url + fragment)

    def wait(self, timeout: float = WAIT_S) -> WebDriverWait[webdriver.Chrome]:
        # The app re-renders tables in place: an element read mid-render is stale, and the next poll reads it again.
        stale = [StaleElementReferenceException]
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1, ignored_exceptions=stale)

    def find(self, css: str, timeout: float = WAIT_S) -> WebElement:
        return self.wait(timeout).until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def heading(self, text: str, timeout: float = WAIT_S) -> None:
        self.wait(timeout).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), text))

    def error_line(self) -> str:
        box = self.find("#error")
        return box.text

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def screenshot(self, name: str, show: str = "") -> Path:
        """The viewport (a 1280 by 800 window), scrolled to the top or to the element `show` names."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        if show:
            self.js("document.querySelector(arguments[0]).scrollIntoView({block: 'start'})", show)
        else:
            self.js("window.scrollTo(0, 0)")
        path = SCREENSHOTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def accessibility_problems(self) -> list[str]:
        """Unlabelled controls, nameless buttons, missing landmarks, and text under the WCAG AA contrast ratio
        (4.5:1, 3:1 for large text), computed from the rendered colours (a11y.js)."""
        problems: list[str] = self.js(A11Y_SCRIPT)
        return problems
