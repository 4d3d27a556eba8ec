"""The web app with the keyboard alone: every step reached by Tab, Enter, arrows and Escape, with a visible focus
indicator on each control reached."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from tests.browser.pages import Browser
from tests.fixtures.documents import SAMPLE_CV, make_pdf

pytestmark = pytest.mark.e2e

MAX_TABS = 60


def _ranked_vacancy(http: httpx.Client) -> str:
    """A vacancy, newest in the list, with one candidate evaluated (through the REST API)."""
    body = {"title": f"Keyboard vacancy {uuid.uuid4().hex[:6]}", "job_description": "Python and PostgreSQL backend.",
            "study_case_brief": "Build a small evaluation service."}
    vacancy_id = str(http.post("/v1/vacancies", json=body).json()["vacancy"]["id"])
    cv = http.post("/v1/upload", files={"cv": ("kai.pdf", make_pdf("Kai Berg\n" + SAMPLE_CV + uuid.uuid4().hex),
                                               "application/pdf")}).json()
    batch = http.post("/v1/batches", json={"vacancy_id": vacancy_id, "candidates": [{"cv_id": cv["cv_id"]}]})
    with http.stream("GET", f"/v1/batches/{batch.json()['batch']['id']}/watch", timeout=240) as watched:
        assert json.loads(watched.read().decode())[-1]["batch"]["done"] is True
    return vacancy_id


def _press(browser: Browser, *keys: str) -> None:
    ActionChains(browser.driver).send_keys(*keys).perform()


def _focused(browser: Browser) -> dict[str, str]:
    found: dict[str, str] = browser.js(
        "const e = document.activeElement, s = getComputedStyle(e);"
        "return {id: e.id, tag: e.tagName, text: e.textContent.trim().slice(0, 60), outline: s.outlineStyle,"
        " width: s.outlineWidth, href: e.getAttribute('href') || '', cls: e.className};"
    )
    return found


def _tab_to(browser: Browser, matches: Callable[[dict[str, str]], bool]) -> dict[str, str]:
    """Tab forward until the focused element satisfies `matches`; each stop must show a focus outline."""
    for _ in range(MAX_TABS):
        _press(browser, Keys.TAB)
        focused = _focused(browser)
        if focused["tag"] == "BODY":  # past the last control, before the first: nothing to show
            continue
        assert focused["outline"] != "none" and float(focused["width"].rstrip("px") or 0) >= 2, focused
        if matches(focused):
            return focused
    raise AssertionError("not reached with Tab")


def test_keyboard_only(browser: Browser, http: httpx.Client) -> None:
    vacancy_id = _ranked_vacancy(http)
    browser.open("#/signin")
    browser.js("sessionStorage.clear(); location.hash = '#/signin'")
    browser.heading("Sign in")

    # Round the page once: the skip link is the first control, and shows its focus.
    assert _tab_to(browser, lambda f: "skip" in f["cls"])["text"] == "Skip to content"
    _tab_to(browser, lambda f: f["id"] == "api-key")
    _press(browser, browser.stack.admin_api_key, Keys.ENTER)
    browser.heading("Vacancies")

    _tab_to(browser, lambda f: f["href"].endswith(vacancy_id))
    _press(browser, Keys.ENTER)
    browser.heading("Keyboard vacancy")
    browser.wait().until(lambda d: "Kai Berg" in d.find_element("id", "ranking").text)

    _tab_to(browser, lambda f: f["id"] == "rank-order")
    _press(browser, Keys.ARROW_DOWN)
    browser.wait().until(lambda d: d.execute_script("return document.getElementById('rank-order').value")
                         == "cv_match_rate")
    browser.wait().until(lambda d: "Kai Berg" in d.find_element("id", "ranking").text)

    _tab_to(browser, lambda f: f["tag"] == "BUTTON" and f["text"].startswith("Delete"))
    _press(browser, Keys.ENTER)
    browser.wait().until(lambda d: d.execute_script("return document.activeElement.id") == "delete-cancel")
    _press(browser, Keys.ESCAPE)
    browser.wait().until(lambda d: d.execute_script("return document.querySelector('dialog') === null"))
    assert "Kai Berg" in browser.find("#ranking").text  # Escape deleted nothing

    _tab_to(browser, lambda f: f["href"].startswith("#/results/"))
    _press(browser, Keys.ENTER)
    browser.heading("Kai Berg")
    assert "Not evaluated" in browser.find("main").text  # no project report: said, not scored
    assert browser.accessibility_problems() == []
