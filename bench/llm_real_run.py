"""The LLM scorer against a real model: the corpus resumes, each against its own posting and an unrelated one.

`python -m bench.llm_real_run --server-url http://127.0.0.1:8080/v1 [--model NAME] [--step-timeout 900]`
(`make bench-llm-real LLM_URL=...`). The model server is yours to start (docs/llm-local-models.md); nothing here
downloads or starts a model. The run starts the whole stack (cveval_devstack.Stack, as `make run`) with
CVEVAL_SCORER=llm, chat from that server and embeddings from the offline engine, creates a vacancy per posting,
then for each resume uploads it with a short project report and evaluates it through Envoy, one evaluation at a
time (a one-slot CPU server serves one call at a time anyway, and each wall time is then that evaluation's own).
It prints a table per evaluation (outcome, wall time, model calls, prompt/completion tokens, re-asks, truncated
steps, cv_match_rate, project_score) and per resume whether its own posting outranks the unrelated one, writes
the rows as JSON with --out, and stops every process it started, Ctrl-C included.

The resume → posting map is the quality harness's (tools/quality/data/roles.yaml); the corpus is ../shared/corpus or
$CVEVAL_CORPUS_DIR (see its SOURCES.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench._report import say
from cveval_client import Client
from cveval_devstack.procs import free_port
from cveval_devstack.stack import Stack
from cveval_upload.domain.document import prepare_document
from tests.fixtures.documents import corpus_dir, make_txt

ROLES = Path(__file__).resolve().parents[1] / "tools" / "quality" / "data" / "roles.yaml"
PROJECT_REPORT = (
    "Project report. I built a small evaluation service: an upload endpoint that stores PDF and DOCX files, a job "
    "queue with retries, and an LLM chain that scores a CV against a rubric with structured JSON output. Errors are "
    "retried with backoff, results are stored once, and a README explains how to run it and the trade-offs."
)
BRIEF = "Build a CV evaluation service: uploads, a job queue, an LLM scoring chain with retries, and a README."
TERMINAL = frozenset({"completed", "failed"})
POLL_S = 2.0


@dataclass
class Row:
    resume: str
    posting: str
    own: bool
    status: str = "not run"
    wall_s: float = 0.0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasks: int = 0
    cached: int = 0  # steps answered from the gateway's completion cache (no model call)
    truncated: str = ""
    cv_match_rate: float | None = None
    project_score: float | None = None
    flags: str = ""
    error: str = ""


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.llm_real_run", description=__doc__.split("\n\n")[0])
    p.add_argument("--server-url", default="", help="the model server's OpenAI-compatible base URL (…/v1)")
    p.add_argument("--model", default="local-model", help="the chat model name to send (llama-server ignores it)")
    p.add_argument("--step-timeout", type=float, default=900.0, help="CVEVAL_LLM_TIMEOUT_S: seconds per step")
    p.add_argument("--step-timeouts", default="", help='CVEVAL_LLM_STEP_TIMEOUTS, e.g. "summary=300"')
    p.add_argument("--structured-output", choices=("json_schema", "json_object"), default="json_schema",
                   help="json_schema: the server constrains decoding to each step's schema (llama.cpp, vLLM do)")
    p.add_argument("--resumes", type=int, default=0, help="only the first N resumes (0: all)")
    p.add_argument("--eval-timeout", type=float, default=3600.0, help="give up waiting for one evaluation after it")
    p.add_argument("--out", type=Path, help="write the rows as JSON here")
    p.add_argument("--keep", action="store_true", help="keep the stack's data and logs (a temporary folder)")
    return p.parse_args(argv)


def _refuse(message: str) -> int:
    print(f"bench-llm-real: {message}", file=sys.stderr)
    return 2


def _server_models(url: str) -> list[str]:
    """The models the server lists; raises when it does not answer like an OpenAI-compatible server."""
    reply = httpx.get(url.rstrip("/") + "/models", timeout=10.0)
    reply.raise_for_status()
    return [str(m.get("id", "")) for m in reply.json().get("data", [])]


def _stack_env(args: argparse.Namespace) -> dict[str, str]:
    providers = {
        "providers": [{
            "name": "local", "base_url": args.server_url, "timeout_s": args.step_timeout,
            "structured_output": args.structured_output, "models": {"chat": [args.model]},
        }],
        # Chat from the server only (a fallback to the offline engine would hide a failing model); embeddings offline.
        "fallbacks": {"chat": ["local"], "embed": ["offline"]},
        "retry": {"max_retries": 0},  # one upstream attempt per call: a retried 15-minute call is rarely worth it
    }
    return {
        "CVEVAL_SCORER": "llm",
        "CVEVAL_LLM_BASE_URL": "",
        "CVEVAL_LLM_CHAT_MODEL": args.model,
        "CVEVAL_GATEWAY_PROVIDERS": json.dumps(providers),
        "CVEVAL_LLM_TIMEOUT_S": f"{args.step_timeout:g}",
        "CVEVAL_LLM_STEP_TIMEOUTS": args.step_timeouts,
        "CVEVAL_WORKER_CONCURRENCY": "1",
        "CVEVAL_AUTH_DEFAULT_EVALUATIONS_PER_HOUR": "100000",
    }


def _text(path: Path) -> str:
    return prepare_document(path.read_bytes(), max_bytes=20 * 1024 * 1024).text


def _flag(flags: list[str], name: str) -> str:
    return ",".join(f.split(":", 1)[1] for f in flags if f.startswith(name + ":"))


def _evaluate(client: Client, row: Row, cv_id: str, project_id: str, vacancy_id: str, limit_s: float) -> None:
    started = time.monotonic()
    job = client.evaluate(cv_id, project_id, vacancy_id)
    while time.monotonic() - started < limit_s:
        outcome = client.get_result(job.id)
        if outcome.status in TERMINAL:
            break
        time.sleep(POLL_S)
    else:
        row.status, row.wall_s = "timed out", round(time.monotonic() - started, 1)
        return
    row.wall_s = round(time.monotonic() - started, 1)
    row.status = outcome.status
    if outcome.error:
        row.error = f"{outcome.error.get('code', '')}: {outcome.error.get('message', '')}"[:160]
    result: dict[str, Any] = outcome.result or {}
    prov = result.get("provenance") or {}
    flags = [str(f) for f in prov.get("flags", [])]
    row.prompt_tokens, row.completion_tokens = int(prov.get("prompt_tokens", 0)), int(prov.get("completion_tokens", 0))
    row.calls = int(_flag(flags, "llm_calls") or 0)
    row.reasks = int(_flag(flags, "llm_reasks") or 0)
    row.cached = int(_flag(flags, "llm_cached_steps") or 0)
    row.truncated = _flag(flags, "llm_truncated")
    counted = ("llm_calls", "llm_reasks", "llm_cached", "llm_truncated")
    row.flags = " ".join(f for f in flags if not f.startswith(counted))
    if outcome.status == "completed":
        row.cv_match_rate, row.project_score = result.get("cv_match_rate"), result.get("project_score")


def _run(stack: Stack, args: argparse.Namespace, corpus: Path, rows: list[Row]) -> None:
    """Appends each row as soon as its evaluation ends, so an interrupted run still reports what it measured."""
    roles = yaml.safe_load(ROLES.read_text())
    own_role: dict[str, str] = roles["own_role"]
    resumes = sorted(own_role)[: args.resumes or None]
    unrelated = roles["unrelated"]
    postings = {p.stem.removeprefix("rm_jd_"): p for p in (corpus / "job_descriptions").iterdir()}
    with Client(stack.rest_url, stack.admin_api_key, timeout=60.0) as client:
        vacancies: dict[str, str] = {}
        for name in sorted({*(own_role[r] for r in resumes), unrelated}):
            vacancies[name] = client.create_vacancy(name.replace("_", " "), _text(postings[name]), BRIEF).id
        project = ("report.txt", make_txt(PROJECT_REPORT), "text/plain")
        for resume in resumes:
            pdf = corpus / "resumes" / f"rm_{resume}.pdf"
            uploaded = client.upload((pdf.name, pdf.read_bytes(), "application/pdf"), project)
            for posting, own in ((own_role[resume], True), (unrelated, False)):
                row = Row(resume, posting, own)
                say(f"evaluating {resume} against {posting} ...")
                _evaluate(client, row, uploaded.cv_id, uploaded.project_id, vacancies[posting], args.eval_timeout)
                say(f"  {row.status} in {row.wall_s:g} s: {row.calls} calls, {row.prompt_tokens}/"
                    f"{row.completion_tokens} tokens, cv_match_rate {row.cv_match_rate}, project {row.project_score}"
                    + (f", {row.error}" if row.error else ""))
                rows.append(row)
                if args.out:
                    args.out.write_text(json.dumps([asdict(r) for r in rows], indent=2))


def render(rows: list[Row]) -> str:
    lines = [
        "| resume | posting | outcome | wall s | calls | cached steps | prompt / completion tokens | re-asks "
        "| truncated | cv_match_rate | project |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rate = "" if r.cv_match_rate is None else f"{r.cv_match_rate:.2f}"
        project = "" if r.project_score is None else f"{r.project_score:.2f}"
        outcome = r.status + (f" ({r.error.split(':')[0]})" if r.error else "")
        posting = r.posting + (" (own)" if r.own else "")
        lines.append(f"| {r.resume} | {posting} | {outcome} | {r.wall_s:g} | {r.calls} | {r.cached} "
                     f"| {r.prompt_tokens} / {r.completion_tokens} | {r.reasks} | {r.truncated or '-'} | {rate} "
                     f"| {project} |")
    completed = [r for r in rows if r.status == "completed"]
    lines.append("")
    lines.append(f"completed {len(completed)} of {len(rows)}; mean wall time "
                 f"{sum(r.wall_s for r in rows) / max(1, len(rows)):.0f} s per evaluation")
    for resume in dict.fromkeys(r.resume for r in rows):
        own = next((r for r in completed if r.resume == resume and r.own), None)
        other = next((r for r in completed if r.resume == resume and not r.own), None)
        if own is None or other is None or own.cv_match_rate is None or other.cv_match_rate is None:
            verdict = "not comparable (an evaluation did not complete)"
        else:
            verdict = {True: "yes", False: "no"}[own.cv_match_rate > other.cv_match_rate]
            verdict += f" ({own.cv_match_rate:.2f} vs {other.cv_match_rate:.2f})"
        lines.append(f"own role outranks the unrelated posting, {resume}: {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if not args.server_url:
        return _refuse("no model server given: pass --server-url http://HOST:PORT/v1 (make bench-llm-real "
                       "LLM_URL=...); docs/llm-local-models.md says how to start one")
    corpus = corpus_dir()
    if corpus is None:
        return _refuse("the corpus is not here (../shared/corpus or $CVEVAL_CORPUS_DIR)")
    try:
        say(f"model server at {args.server_url} lists {_server_models(args.server_url)}")
    except (httpx.HTTPError, ValueError) as exc:
        return _refuse(f"the model server at {args.server_url} did not answer GET /models: {exc}")
    data_dir = Path(tempfile.mkdtemp(prefix="cveval-llm-real-"))
    stack = Stack(data_dir=data_dir, http_port=free_port(), extra_env=_stack_env(args))
    began = time.monotonic()
    rows: list[Row] = []
    interrupted = False
    try:
        say(f"starting the stack in {data_dir} ...")
        stack.start()
        _run(stack, args, corpus, rows)
    except KeyboardInterrupt:
        say("interrupted: the table has the evaluations that ended")
        interrupted = True
    finally:
        if args.keep:
            say(f"stopping the stack; its data and logs stay in {data_dir}")
            stack.stop()
        else:
            say("stopping the stack ...")
            stack.discard()
    print(render(rows))
    print(f"\ntotal {time.monotonic() - began:.0f} s; step budget {args.step_timeout:g} s, "
          f"structured output {args.structured_output}" + ("; interrupted" if interrupted else ""))
    return 130 if interrupted else 0


if __name__ == "__main__":
    raise SystemExit(main())
