"""The whole web app in a real browser: sign in, a vacancy from uploaded files, many CVs dropped on it and watched
live to the end, the ranking, one result, the CSV export, deleting a candidate, signing out; each page checked for
labels, landmarks and contrast, and photographed (build/test-artifacts/screenshots/)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.pages import Browser
from tests.fixtures.documents import SAMPLE_CV, SAMPLE_PROJECT_REPORT, make_docx, make_pdf, make_txt

pytestmark = pytest.mark.e2e

NAMES = ("Maren Falk", "Otto Reyes", "Sana Idris")
BATCH_WAIT_S = 300.0


def _files(folder: Path) -> tuple[Path, Path, list[Path], Path]:
    """A job description (DOCX), a brief (PDF), three CVs (PDF) and one project report named after the first CV."""
    salt = uuid.uuid4().hex
    jd = folder / "job-description.docx"
    jd.write_bytes(make_docx(f"Backend engineer: Python, PostgreSQL, gRPC, message queues, LLMs and RAG.\n{salt}"))
    brief = folder / "brief.pdf"
    brief.write_bytes(make_pdf("Build a service that evaluates a CV and a project report with an LLM and RAG."))
    body = SAMPLE_CV.split("\n", 1)[1].splitlines()
    cvs = []
    for index, name in enumerate(NAMES):
        cv = folder / f"{name.split()[0].lower()}.pdf"
        cv.write_bytes(make_pdf(f"{name}\n" + "\n".join(body[: 60 - 20 * index]) + f"\n{salt}"))
        cvs.append(cv)
    report = folder / f"{cvs[0].stem}-report.txt"
    report.write_bytes(make_txt(SAMPLE_PROJECT_REPORT + salt))
    return jd, brief, cvs, report


def _accessible(browser: Browser, page: str) -> None:
    problems = browser.accessibility_problems()
    assert problems == [], f"{page}: {problems}"


def _sign_in(browser: Browser, key: str) -> None:
    browser.open("#/signin")
    browser.heading("Sign in")
    field = browser.find("#api-key")
    field.clear()
    field.send_keys(key)
    browser.find("form button[type=submit]").click()


def test_the_whole_flow(browser: Browser, tmp_path: Path) -> None:
    jd, brief, cvs, report = _files(tmp_path)
    browser.js("sessionStorage.clear()") if browser.driver.current_url.startswith("http") else None

    _sign_in(browser, "cvk_not-a-real-key")
    assert browser.error_line().startswith("401"), browser.error_line()
    _accessible(browser, "sign in")
    browser.screenshot("01-sign-in")

    _sign_in(browser, browser.stack.admin_api_key)
    browser.heading("Vacancies")
    title = f"Browser vacancy {uuid.uuid4().hex[:6]}"
    browser.find("#vacancy-title").send_keys(title)
    browser.find("#vacancy-jd-file").send_keys(str(jd))
    browser.find("#vacancy-brief-file").send_keys(str(brief))
    _accessible(browser, "vacancies")
    browser.screenshot("02-vacancies")
    browser.find("#vacancy-create").click()

    browser.heading(title)
    texts = browser.driver.find_element(By.CSS_SELECTOR, "details .pre").get_attribute("textContent") or ""
    assert "gRPC, message queues" in texts  # the uploaded DOCX's text became the job description
    browser.find("#cv-files").send_keys("\n".join(str(p) for p in cvs))
    browser.driver.find_element(By.ID, "report-files").send_keys(str(report))
    matched = Select(browser.find("#report-for-0")).first_selected_option.text
    assert matched == report.name  # matched to its CV by the file name
    assert Select(browser.find("#report-for-1")).first_selected_option.text.startswith("none")
    browser.find("#start-batch").click()
    browser.wait(BATCH_WAIT_S).until(lambda d: d.find_element(By.ID, "batch-counts").get_attribute("data-done"))
    counts = browser.find("#batch-counts").text
    assert counts.startswith("3 of 3 evaluated") and "completed 3" in counts, counts
    browser.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ranking tbody tr td a")) == 3)
    _accessible(browser, "vacancy")
    browser.screenshot("03-vacancy-progress", show="#screen-title")
    browser.screenshot("04-ranking", show="#ranking-title")

    _check_ranking(browser)
    _open_result(browser, title)
    _export_and_delete(browser)

    browser.find("#sign-out").click()
    browser.heading("Sign in")
    assert browser.js("return sessionStorage.length") == 0


def _check_ranking(browser: Browser) -> None:
    Select(browser.find("#rank-order")).select_by_value("project_score")
    # The candidate with a project report leads by project score; the two screened on the CV alone say so.
    browser.wait().until(lambda d: NAMES[0] in d.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")[0].text)
    rows = browser.all("#ranking tbody tr")
    assert "not evaluated" not in rows[0].text
    assert all("not evaluated" in r.text for r in rows[1:]), [r.text for r in rows]
    Select(browser.find("#rank-status")).select_by_value("failed")
    browser.wait().until(lambda d: "Nothing here yet" in d.find_element(By.ID, "ranking").text)
    Select(browser.find("#rank-status")).select_by_value("completed")
    browser.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ranking tbody tr td a")) == 3)


def _open_result(browser: Browser, title: str) -> None:
    browser.driver.find_element(By.LINK_TEXT, NAMES[0]).click()
    browser.heading(NAMES[0])
    scored = browser.all(".scores tbody tr")
    assert len(scored) == 9, [r.text for r in scored]  # four CV and five project parameters
    assert all("/ 5" in r.text for r in scored)
    assert "Provenance" in browser.find("#prov-title").text
    _accessible(browser, "result")
    browser.screenshot("05-result")
    browser.driver.back()
    browser.heading(title)
    browser.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ranking tbody tr td a")) == 3)


def _export_and_delete(browser: Browser) -> None:
    browser.find("#export-csv").click()
    browser.wait().until(lambda d: "Exported" in d.find_element(By.ID, "export-status").text)
    exported = browser.wait().until(lambda d: [p for p in browser.downloads.glob("*.csv")])
    header = exported[0].read_text().splitlines()[0]
    assert header.startswith("rank,display_name,overall_score")
    victim = NAMES[2]
    row = next(r for r in browser.all("#ranking tbody tr") if victim in r.text)
    row.find_element(By.CSS_SELECTOR, "button.danger").click()
    browser.find("dialog #delete-cancel")
    assert browser.js("return document.activeElement.id") == "delete-cancel"  # the safe choice has focus
    browser.find("dialog #delete-confirm").click()
    browser.wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#ranking tbody tr td a")) == 2)
    assert victim not in browser.find("#ranking").text
