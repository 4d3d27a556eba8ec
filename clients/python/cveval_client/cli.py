"""`cveval`: screen a pile of CVs against a vacancy from a shell. Every command takes --json for scripts.

Exit codes: 0 done; 1 other error; 2 usage; 3 wrong or missing key, or not allowed; 4 not found; 5 server
unreachable or unavailable; 6 a file or input the API does not accept; 7 screening done but some candidates failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from cveval_client import config, errors, files
from cveval_client.client import Client
from cveval_client.models import Batch, Candidate, RankedCandidate

OK, OTHER, USAGE, AUTH, NOT_FOUND, UNREACHABLE, BAD_INPUT, SOME_FAILED = range(8)
UPLOAD_CONCURRENCY = 4


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.live = not as_json and sys.stderr.isatty()

    def data(self, value: Any) -> None:
        print(json.dumps(value, indent=1, ensure_ascii=False))

    def line(self, text: str) -> None:
        if not self.as_json:
            print(text)

    def progress(self, label: str, done: int, total: int, detail: str = "") -> None:
        """A one-line bar on stderr (redrawn in place on a terminal), so stdout stays the result."""
        if self.as_json:
            return
        width = 30
        filled = width * done // total if total else width
        text = f"{label:<10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {detail}"
        end = "\r" if self.live and done < total else "\n"
        if self.live or done >= total:
            print(text.ljust(78), end=end, file=sys.stderr, flush=True)


def _client(args: argparse.Namespace) -> Client:
    settings = config.load(args.url or "", args.key or "")
    return Client(settings.url, settings.api_key)


def cmd_config_set(args: argparse.Namespace, out: Output) -> int:
    path = config.save(args.set_url, args.set_key)
    if out.as_json:
        out.data({"config": str(path)})
    else:
        out.line(f"saved to {path}")
    return OK


def cmd_vacancy_create(args: argparse.Namespace, out: Output) -> int:
    if not args.brief:
        raise files.UnsupportedFile("the API needs the case-study brief the project reports answer: --brief FILE")
    # Text files are sent as text; a PDF or DOCX is uploaded and the vacancy takes its extracted text.
    paths = {"job_description": Path(args.job_description), "brief": Path(args.brief)}
    texts = {k: files.text_of(p) for k, p in paths.items() if files.is_text(p)}
    uploads = {k: files.document(p) for k, p in paths.items() if not files.is_text(p)}
    with _client(args) as client:
        documents = None
        if uploads:
            documents = client.upload_vacancy_documents(uploads.get("job_description"), uploads.get("brief"))
        vacancy = client.create_vacancy(args.title, texts.get("job_description", ""), texts.get("brief", ""),
                                        documents=documents)
    if out.as_json:
        out.data(vacancy.raw)
    else:
        out.line(f"{vacancy.id}\t{vacancy.title}\t{vacancy.version}")
    return OK


def cmd_vacancy_list(args: argparse.Namespace, out: Output) -> int:
    with _client(args) as client:
        vacancies, _ = client.list_vacancies(args.title or "", page_size=args.limit)
    if out.as_json:
        out.data({"vacancies": [v.raw for v in vacancies]})
    for v in vacancies:
        out.line(f"{v.id}\t{v.title}\t{v.created_at}")
    return OK


def cmd_vacancy_show(args: argparse.Namespace, out: Output) -> int:
    with _client(args) as client:
        vacancy = client.get_vacancy(args.id)
    if out.as_json:
        out.data(vacancy.raw)
    else:
        out.line(f"{vacancy.title} ({vacancy.id}, version {vacancy.version})\n")
        out.line(str(vacancy.raw.get("job_description", "")))
    return OK


def cmd_screen(args: argparse.Namespace, out: Output) -> int:
    cvs = [Path(p) for p in args.cvs]
    documents = [files.document(p) for p in cvs]  # every file checked before anything is sent
    reports = [files.document(p) if p else None
               for p in files.reports_for(cvs, Path(args.reports) if args.reports else None)]
    with _client(args) as client:
        client.get_vacancy(args.vacancy)  # fail fast: wrong key, unknown vacancy, unreachable server
        candidates = _upload_all(client, documents, reports, out)
        # The same files against the same vacancy are the same batch: re-running after an interruption resumes it.
        key = hashlib.sha256(json.dumps([args.vacancy, [c.to_json() for c in candidates]]).encode()).hexdigest()
        created = client.create_batch(args.vacancy, candidates, idempotency_key=f"cli-screen-{key}")
        batch = created.batch
        for update in client.watch_batch(batch.id):
            _show_progress(out, update)
            batch = update
        ranking = client.full_ranking(args.vacancy, batch_id=batch.id)
        failed, _ = client.list_jobs(batch_id=batch.id, status="failed", page_size=100)
    names = {c.cv_id: cv.name for c, cv in zip(candidates, cvs, strict=True)}
    failures = [{"job_id": j.id, "cv_file": names.get(j.cv_id, j.cv_id), "code": j.error_code,
                 "message": j.error_message} for j in failed]
    if out.as_json:
        out.data({"batch": {"id": batch.id, "vacancy_id": batch.vacancy_id, "progress": vars(batch.progress)},
                  "ranking": [r.to_json() for r in ranking], "failed": failures})
    else:
        _print_ranking(out, ranking)
        for f in failures:
            out.line(f"failed: {f['cv_file']}: {f['code']} {f['message']}")
    return SOME_FAILED if failures else OK


def _upload_all(client: Client, documents: Sequence[files.FileArg], reports: Sequence[files.FileArg | None],
                out: Output) -> list[Candidate]:
    done = 0

    def one(pair: tuple[files.FileArg, files.FileArg | None]) -> Candidate:
        nonlocal done
        uploaded = client.upload(*pair)
        done += 1
        out.progress("uploading", done, len(documents))
        return Candidate(uploaded.cv_id, uploaded.project_id)

    with ThreadPoolExecutor(UPLOAD_CONCURRENCY) as pool:
        return list(pool.map(one, zip(documents, reports, strict=True)))


def _show_progress(out: Output, batch: Batch) -> None:
    p = batch.progress
    out.progress("evaluating", p.completed + p.failed, p.total,
                 f"{p.completed} done, {p.failed} failed, {p.processing} running, {p.queued} queued")


def _print_ranking(out: Output, ranking: Sequence[RankedCandidate]) -> None:
    out.line(f"{'#':>3}  {'candidate':<28} {'overall':>7} {'cv':>5} {'project':>7}  file")
    for r in ranking:
        project = "    n/a" if r.cv_only else f"{r.project_score:>7.1f}"  # no report: not evaluated
        out.line(f"{r.rank:>3}  {r.display_name[:28]:<28} {r.overall_score:>7.2f} {r.cv_match_rate:>5.2f} "
                 f"{project}  {r.cv_filename}")


def cmd_result(args: argparse.Namespace, out: Output) -> int:
    with _client(args) as client:
        result = client.get_result(args.id)
    if out.as_json:
        out.data({"id": result.id, "status": result.status, "result": result.result, "error": result.error})
        return OK
    out.line(f"{result.id}: {result.status}")
    if result.result:
        r = result.result
        who = r.get("candidate") or {}
        out.line(f"{who.get('display_name', '')} ({who.get('cv_filename', '')})")
        project = "not evaluated (no project report)" if r.get("cv_only") else r.get("project_score")
        out.line(f"cv_match_rate {r.get('cv_match_rate')}  project_score {project}")
        for item in r.get("breakdown", []):
            out.line(f"  {item.get('stage')}/{item.get('parameter')}: {item.get('score')}")
        out.line(str(r.get("overall_summary", "")))
    if result.error:
        out.line(f"{result.error.get('code')}: {result.error.get('message')}")
    return OK


def cmd_export(args: argparse.Namespace, out: Output) -> int:
    targets = [(fmt, path) for fmt, path in (("csv", args.csv), ("json", args.json_file)) if path]
    if not targets:
        raise files.UnsupportedFile("name a file: --csv out.csv and/or --json-file out.json")
    with _client(args) as client:
        for fmt, path in targets:
            Path(path).write_bytes(client.export_ranking(args.vacancy, fmt, order_by=args.order_by or ""))
    if out.as_json:
        out.data({"written": {fmt: path for fmt, path in targets}})
    for _fmt, path in targets:
        out.line(f"wrote {path}")
    return OK


def build_parser() -> argparse.ArgumentParser:
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print JSON for scripts")
    common = argparse.ArgumentParser(add_help=False, parents=[json_flag])
    common.add_argument("--url", help="the API's URL (default: CVEVAL_URL, the config file, or http://127.0.0.1:8080)")
    common.add_argument("--key", help="the API key (default: CVEVAL_API_KEY or the config file)")
    parser = argparse.ArgumentParser(prog="cveval", description="Screen CVs against a vacancy.")
    sub = parser.add_subparsers(dest="command", required=True)

    conf = sub.add_parser("config", help="store the URL and key").add_subparsers(dest="action", required=True)
    setter = conf.add_parser("set", parents=[json_flag], help="save --url and/or --key to the config file")
    setter.add_argument("--url", dest="set_url")
    setter.add_argument("--key", dest="set_key")
    setter.set_defaults(run=cmd_config_set)

    vac = sub.add_parser("vacancy", help="create, list and show vacancies").add_subparsers(dest="action",
                                                                                          required=True)
    create = vac.add_parser("create", parents=[common])
    create.add_argument("--title", required=True)
    create.add_argument("--job-description", required=True, metavar="FILE", help="PDF, DOCX or text file")
    create.add_argument("--brief", metavar="FILE",
                        help="the case-study brief the project reports answer (PDF, DOCX or text)")
    create.set_defaults(run=cmd_vacancy_create)
    listing = vac.add_parser("list", parents=[common])
    listing.add_argument("--title")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(run=cmd_vacancy_list)
    show = vac.add_parser("show", parents=[common])
    show.add_argument("id")
    show.set_defaults(run=cmd_vacancy_show)

    screen = sub.add_parser("screen", parents=[common], help="upload CVs, evaluate them as one batch, rank them")
    screen.add_argument("--vacancy", required=True)
    screen.add_argument("--reports", metavar="FILE_OR_DIR", help="project reports: one file for all, or a directory "
                                                                "with a report named like each CV; without it the "
                                                                "CVs alone are evaluated")
    screen.add_argument("cvs", nargs="+", metavar="CV")
    screen.set_defaults(run=cmd_screen)

    result = sub.add_parser("result", parents=[common], help="one evaluation's result")
    result.add_argument("id")
    result.set_defaults(run=cmd_result)

    export = sub.add_parser("export", parents=[common], help="write a vacancy's ranking to CSV and/or JSON")
    export.add_argument("vacancy")
    export.add_argument("--csv", metavar="FILE")
    export.add_argument("--json-file", metavar="FILE")
    export.add_argument("--order-by", choices=("overall", "cv_match_rate", "project_score"))
    export.set_defaults(run=cmd_export)
    return parser


def _exit_code(exc: errors.CvevalError) -> int:
    if isinstance(exc, (errors.AuthenticationFailed, errors.PermissionDenied)):
        return AUTH
    if isinstance(exc, errors.NotFound):
        return NOT_FOUND
    if isinstance(exc, (errors.ConnectionFailed, errors.Unavailable, errors.RateLimited)):
        return UNREACHABLE
    if isinstance(exc, errors.InvalidRequest):
        return BAD_INPUT
    return OTHER


def _explain(exc: errors.CvevalError) -> str:
    if isinstance(exc, errors.AuthenticationFailed):
        return "the API key was refused: set a valid one with `cveval config set --key …` or CVEVAL_API_KEY"
    if isinstance(exc, errors.PermissionDenied):
        return f"this API key may not do that ({exc.message})"
    if isinstance(exc, errors.ConnectionFailed):
        return f"{exc.message} (is the server running? set its URL with `cveval config set --url …`)"
    return str(exc.message)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Output(bool(getattr(args, "json", False)))
    try:
        code: int = args.run(args, out)
    except files.UnsupportedFile as exc:
        print(f"cveval: {exc}", file=sys.stderr)
        return BAD_INPUT
    except errors.CvevalError as exc:
        print(f"cveval: {_explain(exc)}", file=sys.stderr)
        return _exit_code(exc)
    except KeyboardInterrupt:
        print("cveval: interrupted (run the same command again to resume)", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
