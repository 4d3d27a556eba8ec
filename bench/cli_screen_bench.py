"""Time `cveval screen` on 40 corpus-sized CVs against one vacancy, on a fresh `make run`-like stack.

The CVs are variants of the shared corpus's resumes (their text under 40 different names, so no two are the same
bytes); the vacancy is the corpus's backend posting. The figure is the wall time of the one CLI command: uploads,
the batch, its progress to the end and the ranking.

    CVEVAL_CORPUS_DIR=../shared/corpus python -m bench.cli_screen_bench [--cvs 40] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

from cveval_devstack.procs import free_port
from cveval_devstack.stack import Stack
from tests.fixtures.documents import SAMPLE_PROJECT_REPORT, corpus_dir, make_pdf

FIRST = ("Ada", "Bo", "Cleo", "Dara", "Emil", "Fay", "Gus", "Hana", "Ivo", "Jun")
LAST = ("Quist", "Rennard", "Marsh", "Okafor")


def variants(resumes: list[Path], count: int, into: Path) -> list[Path]:
    texts = ["\n".join(page.extract_text() or "" for page in PdfReader(str(p)).pages) for p in resumes]
    out = []
    for index in range(count):
        name = f"{FIRST[index % len(FIRST)]} {LAST[index // len(FIRST) % len(LAST)]}"
        body = texts[index % len(texts)].split("\n", 1)[-1]  # the resume's own name line replaced
        path = into / f"cv_{index:02d}.pdf"
        path.write_bytes(make_pdf(f"{name}\n{body}"))
        out.append(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cvs", type=int, default=40)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    corpus = corpus_dir()
    if corpus is None:
        sys.exit("no corpus: set CVEVAL_CORPUS_DIR")
    work = Path(tempfile.mkdtemp(prefix="cveval-cli-bench-"))
    cvs = variants(sorted((corpus / "resumes").glob("*.pdf")), args.cvs, work)
    jd = work / "jd.txt"
    jd.write_text("\n".join(p.extract_text() or "" for p in
                            PdfReader(str(corpus / "job_descriptions" / "rm_jd_full_stack_engineer.pdf")).pages))
    (work / "brief.txt").write_text("Build a backend service that evaluates a CV and a project report with an LLM.")
    (work / "report.txt").write_text(SAMPLE_PROJECT_REPORT)
    env_extra = {"CVEVAL_LLM_BASE_URL": "", "CVEVAL_AUTH_DEFAULT_EVALUATIONS_PER_HOUR": "1000000"}
    stack = Stack(data_dir=work / "stack", http_port=free_port(), workers=args.workers, extra_env=env_extra)
    cveval = str(Path(sys.executable).with_name("cveval"))
    try:
        stack.start()
        env = {**os.environ, "CVEVAL_URL": stack.rest_url, "CVEVAL_API_KEY": stack.admin_api_key,
               "CVEVAL_CONFIG": str(work / "config.json")}
        made = subprocess.run([cveval, "vacancy", "create", "--title", "Full Stack Engineer", "--job-description",
                               str(jd), "--brief", str(work / "brief.txt"), "--json"], env=env, check=True,
                              capture_output=True, text=True)
        vacancy = json.loads(made.stdout)["id"]
        began = time.monotonic()
        screened = subprocess.run([cveval, "screen", "--vacancy", vacancy, "--reports", str(work / "report.txt"),
                                   *map(str, cvs), "--json"], env=env, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - began
        report = json.loads(screened.stdout) if screened.stdout else {}
        print(json.dumps({"cvs": len(cvs), "workers": args.workers, "exit_code": screened.returncode,
                          "seconds": round(elapsed, 1), "per_cv_s": round(elapsed / len(cvs), 2),
                          "completed": report.get("batch", {}).get("progress", {}).get("completed"),
                          "failed": len(report.get("failed", [])),
                          "top3": [r["display_name"] for r in report.get("ranking", [])[:3]],
                          "stderr": screened.stderr.strip()[-300:]}, indent=1))
    finally:
        stack.discard()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
