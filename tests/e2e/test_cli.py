"""The `cveval` command (the installed console script) against the whole stack through Envoy."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cveval_devstack.stack import Stack
from tests.fixtures.documents import SAMPLE_CV, SAMPLE_PROJECT_REPORT, make_docx, make_pdf

pytestmark = pytest.mark.e2e

CVEVAL = Path(sys.executable).with_name("cveval")


def run(stack: Stack, *args: str, key: str | None = None, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CVEVAL_URL": stack.rest_url, "CVEVAL_API_KEY": key or stack.admin_api_key,
           "CVEVAL_CONFIG": str(home / "config.json")}
    return subprocess.run([str(CVEVAL), *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def test_screen_a_folder_of_cvs(stack: Stack, tmp_path: Path) -> None:
    assert CVEVAL.exists(), "make setup installs the cveval command"
    (tmp_path / "jd.txt").write_text("Backend engineer: Python, PostgreSQL, gRPC, queues, LLMs and RAG.")
    (tmp_path / "brief.txt").write_text("Build a CV evaluation service with an LLM and RAG.")
    title = f"CLI vacancy {uuid.uuid4().hex[:8]}"
    made = run(stack, "vacancy", "create", "--title", title, "--job-description", str(tmp_path / "jd.txt"),
               "--brief", str(tmp_path / "brief.txt"), "--json", home=tmp_path)
    assert made.returncode == 0, made.stderr
    vacancy_id = json.loads(made.stdout)["id"]
    listed = run(stack, "vacancy", "list", "--title", title, home=tmp_path)
    assert vacancy_id in listed.stdout

    cvs = tmp_path / "cvs"
    cvs.mkdir()
    body = SAMPLE_CV.split("\n", 1)[1].splitlines()
    for index, name in enumerate(("Ines Holm", "Jon Brek")):
        text = f"{name}\n" + "\n".join(body[: 60 - 30 * index]) + f"\n{uuid.uuid4()}"
        (cvs / f"{name.split()[0].lower()}.pdf").write_bytes(make_pdf(text))
    (tmp_path / "report.txt").write_text(SAMPLE_PROJECT_REPORT)
    screened = run(stack, "screen", "--vacancy", vacancy_id, "--reports", str(tmp_path / "report.txt"),
                   *sorted(str(p) for p in cvs.iterdir()), "--json", home=tmp_path)
    assert screened.returncode == 0, screened.stderr
    report = json.loads(screened.stdout)
    ranking = report["ranking"]
    assert {r["display_name"] for r in ranking} == {"Ines Holm", "Jon Brek"} and report["failed"] == []
    assert [r["rank"] for r in ranking] == [1, 2] and ranking[0]["overall_score"] >= ranking[1]["overall_score"]
    assert report["batch"]["progress"]["completed"] == 2

    table = run(stack, "result", ranking[0]["job_id"], home=tmp_path)
    assert table.returncode == 0 and ranking[0]["display_name"] in table.stdout
    out_csv = tmp_path / "out.csv"
    exported = run(stack, "export", vacancy_id, "--csv", str(out_csv), home=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert [r["display_name"] for r in csv.DictReader(out_csv.open())] == [r["display_name"] for r in ranking]


def test_a_wrong_key_is_one_line_and_exit_3(stack: Stack, tmp_path: Path) -> None:
    refused = run(stack, "vacancy", "list", key="cvk_wrong", home=tmp_path)
    assert refused.returncode == 3
    assert refused.stderr.strip().count("\n") == 0 and "API key was refused" in refused.stderr
    missing = run(stack, "vacancy", "show", "vac-nope", home=tmp_path)
    assert missing.returncode == 4, missing.stderr


def test_a_vacancy_from_documents_and_cvs_without_reports(stack: Stack, tmp_path: Path) -> None:
    """`vacancy create` with a DOCX and a PDF; `screen` with no --reports evaluates the CVs alone."""
    (tmp_path / "jd.docx").write_bytes(make_docx("Data engineer: Python, SQL, Airflow, Kafka and PostgreSQL."))
    (tmp_path / "brief.pdf").write_bytes(make_pdf("Build a streaming pipeline with Kafka and PostgreSQL."))
    made = run(stack, "vacancy", "create", "--title", f"Docs {uuid.uuid4().hex[:6]}", "--job-description",
               str(tmp_path / "jd.docx"), "--brief", str(tmp_path / "brief.pdf"), "--json", home=tmp_path)
    assert made.returncode == 0, made.stderr
    vacancy = json.loads(made.stdout)
    assert "Airflow, Kafka" in vacancy["job_description"]
    cv = tmp_path / "kim.pdf"
    cv.write_bytes(make_pdf("Kim Lund\n" + SAMPLE_CV.split("\n", 1)[1] + f"\n{uuid.uuid4()}"))
    screened = run(stack, "screen", "--vacancy", vacancy["id"], str(cv), "--json", home=tmp_path)
    assert screened.returncode == 0, screened.stderr
    (only,) = json.loads(screened.stdout)["ranking"]
    assert only["cv_only"] is True and only["overall_score"] == only["cv_match_rate"]
