"""The web app's page weight and time to first render, in headless Chromium on a fresh `make run`-like stack.

Per page (sign-in, vacancy list, a vacancy with its ranking of 20 candidates, one result), each loaded from a blank
tab: bytes transferred (Resource Timing `transferSize`: the document, the static files and, separately, the API
calls), cold (browser cache cleared) and warm (a second load: conditional requests answered 304); Navigation
Timing (response end, DOMContentLoaded, load), `first-contentful-paint`, and when the page's content was drawn
(the app's `cveval:loaded` mark, set once the page's API calls have returned). Loopback network, so the times
are the machine's, not a network's.

    python -m bench.web_bench [--runs 3]      # or: make bench-web
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import uuid
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

from cveval_client import Candidate, Client
from cveval_devstack.procs import free_port
from cveval_devstack.stack import Stack
from tests.fixtures.documents import SAMPLE_CV, make_pdf

CANDIDATES = 20
MEASURE = """
const nav = performance.getEntriesByType('navigation')[0];
const resources = performance.getEntriesByType('resource');
const fcp = performance.getEntriesByName('first-contentful-paint')[0];
const loaded = performance.getEntriesByName('cveval:loaded')[0];
const api = resources.filter((r) => new URL(r.name).pathname.startsWith('/v1/'));
const files = resources.filter((r) => !new URL(r.name).pathname.startsWith('/v1/'));
const sum = (list, key) => list.reduce((n, r) => n + (r[key] || 0), 0);
return {
  static_bytes: nav.transferSize + sum(files, 'transferSize'),
  static_decoded_bytes: nav.decodedBodySize + sum(files, 'decodedBodySize'),
  static_requests: 1 + files.length,
  api_bytes: sum(api, 'transferSize'), api_requests: api.length,
  response_end_ms: nav.responseEnd, dom_content_loaded_ms: nav.domContentLoadedEventEnd, load_ms: nav.loadEventEnd,
  first_contentful_paint_ms: fcp ? fcp.startTime : null,
  content_rendered_ms: loaded ? loaded.startTime : null,
};
"""


def _driver() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,800", "--disable-extensions", "--no-first-run"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"))


def _seed(stack: Stack, work: Path) -> tuple[str, str]:
    """A vacancy with CANDIDATES evaluated candidates; its id and one result's job id."""
    with Client(stack.rest_url, stack.admin_api_key) as client:
        vacancy = client.create_vacancy(f"Bench vacancy {uuid.uuid4().hex[:6]}", "Backend: Python, PostgreSQL, gRPC.",
                                        "Build an evaluation service.")
        body = SAMPLE_CV.split("\n", 1)[1]
        candidates = []
        for i in range(CANDIDATES):
            pdf = make_pdf(f"Candidate {i:02d}\n{body}\n{uuid.uuid4()}")
            uploaded = client.upload((f"cv_{i:02d}.pdf", pdf, "application/pdf"))
            candidates.append(Candidate(uploaded.cv_id, ""))
        created = client.create_batch(vacancy.id, candidates).batch
        for _update in client.watch_batch(created.id):  # until every candidate is evaluated
            pass
        ranking, _ = client.ranking(vacancy.id, page_size=1)
    return vacancy.id, ranking[0].job_id


def _load(driver: webdriver.Chrome, url: str) -> dict[str, Any]:
    driver.get("about:blank")
    driver.get(url)
    WebDriverWait(driver, 60, poll_frequency=0.05).until(lambda d: d.execute_script(
        "return performance.getEntriesByName('cveval:loaded').length > 0"), f"{url}: not loaded")
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
    measured: dict[str, Any] = driver.execute_script(MEASURE)
    return measured


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {k: round(statistics.median(r[k] for r in runs), 1) if runs[0][k] is not None else None for k in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cveval-web-bench-"))
    stack = Stack(data_dir=work / "stack", http_port=free_port(), workers=1,
                  extra_env={"CVEVAL_LLM_BASE_URL": "", "CVEVAL_AUTH_DEFAULT_EVALUATIONS_PER_HOUR": "1000000"})
    driver = None
    try:
        stack.start()
        vacancy_id, job_id = _seed(stack, work)
        driver = _driver()
        driver.get(stack.web_url)
        driver.execute_script("sessionStorage.setItem('cveval.apiKey', arguments[0])", stack.admin_api_key)
        pages = {
            "sign-in": f"{stack.web_url}#/signin",
            "vacancies": f"{stack.web_url}#/vacancies",
            "vacancy + ranking": f"{stack.web_url}#/vacancies/{vacancy_id}",
            "result": f"{stack.web_url}#/results/{job_id}",
        }
        report: dict[str, Any] = {"candidates_ranked": CANDIDATES, "runs": args.runs, "pages": {}}
        for name, url in pages.items():
            if name == "sign-in":
                driver.execute_script("sessionStorage.removeItem('cveval.apiKey')")
            cold, warm = [], []
            for _ in range(args.runs):
                driver.execute_cdp_cmd("Network.clearBrowserCache", {})
                cold.append(_load(driver, url))
                warm.append(_load(driver, url))
            report["pages"][name] = {"cold": _median(cold), "warm": _median(warm)}
            if name == "sign-in":
                driver.execute_script("sessionStorage.setItem('cveval.apiKey', arguments[0])", stack.admin_api_key)
        print(json.dumps(report, indent=1))
    finally:
        if driver is not None:
            driver.quit()
        stack.discard()


if __name__ == "__main__":
    main()
