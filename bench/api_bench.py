"""The API benchmark: each common path through Envoy with wrk, GetResult over gRPC straight to the result service,
and 1,000 watch streams held open, with the targets of the read and accept paths beside the figures.

One command, no external services: `python -m bench.api_bench [--seconds N]` (make bench-api). It starts the stack
(cveval_devstack.Stack, one worker) in a temporary directory, prepares a completed job and queued jobs, runs each
path for a bounded time, prints a table, writes JSON under bench/results/, and stops everything. Details in
bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import platform
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench import _api_report, _grpc_load, _profile, _results
from bench._report import say
from bench._rest_metrics import CpuMeter
from bench._wrk import SCRIPTS, WRK_SETUP_HINT, expected_statuses, lua_list, run_wrk, wrk_available
from cveval_devstack import nats_users
from cveval_devstack.procs import free_port
from cveval_devstack.stack import Stack

JOB_TIMEOUT_S = 120.0
BENCH_KEYS = 4  # API keys the load takes in turn: each is limited to its rate class, at most 1,000 requests/s
PROFILE = False  # --profile: py-spy (when on PATH) samples the busiest service of the paths in PROFILED
CV = b"Jane Doe. Backend engineer, 6 years of Python, PostgreSQL, Kubernetes, gRPC and message queues."
REPORT = b"Project report: an evaluation pipeline with retries, idempotency keys, and a dead-letter stream."


async def _evaluate(client: httpx.AsyncClient, ids: dict[str, str]) -> str:
    response = await client.post("/v1/evaluate", json={"cv_id": ids["cv_id"], "project_id": ids["project_id"]},
                                 headers={"idempotency-key": str(uuid.uuid4())})
    response.raise_for_status()
    return str(response.json()["id"])


async def _until_terminal(client: httpx.AsyncClient, job_id: str) -> str:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        status = str((await client.get(f"/v1/result/{job_id}")).json().get("status", ""))
        if status in ("completed", "failed"):
            return status
        await asyncio.sleep(0.2)
    raise RuntimeError(f"job {job_id} did not end within {JOB_TIMEOUT_S:.0f} s")


async def prepare(stack: Stack, watched_jobs: int) -> dict[str, Any]:
    """A completed job (worker running), then with the worker stopped: one queued job and the watched jobs."""
    headers = {"authorization": f"Bearer {stack.admin_api_key}"}
    async with httpx.AsyncClient(base_url=stack.rest_url, headers=headers, timeout=30) as client:
        files = {"cv": ("cv.txt", CV, "text/plain"), "project": ("report.txt", REPORT, "text/plain")}
        uploaded = await client.post("/v1/upload", files=files)
        uploaded.raise_for_status()
        ids = uploaded.json()
        completed = await _evaluate(client, ids)
        if await _until_terminal(client, completed) != "completed":
            raise RuntimeError(f"the completed job failed; logs in {stack.log_dir}")
        stop_workers(stack)
        queued = await _evaluate(client, ids)
        watched = [await _evaluate(client, ids) for _ in range(watched_jobs)]
        caching = await probe_caching(client, completed)
        keys = [stack.admin_api_key] + [await _admin_key(client, n) for n in range(1, BENCH_KEYS)]
    return {"ids": ids, "completed": completed, "queued": queued, "watched": watched, "caching": caching,
            "keys": keys}


async def _admin_key(client: httpx.AsyncClient, n: int) -> str:
    """One more admin key of the tenant, with quotas in the largest classes."""
    response = await client.post("/v1/api-keys", json={"name": f"bench-{n}", "roles": ["admin"],
                                                        "requests_per_second": 10_000,
                                                        "evaluations_per_hour": 1_000_000})
    response.raise_for_status()
    return str(response.json()["secret"])


async def probe_caching(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    """What a client sees of the completed result's validators: ETag, Cache-Control, and a revalidation."""
    first = await client.get(f"/v1/result/{job_id}")
    etag = first.headers.get("etag")
    again = await client.get(f"/v1/result/{job_id}", headers={"if-none-match": etag} if etag else {})
    return {"etag": etag, "cache_control": first.headers.get("cache-control"),
            "revalidation_status": again.status_code, "revalidation_body_bytes": len(again.content)}


def stop_workers(stack: Stack) -> None:
    for name, proc in list(stack.processes.items()):
        if name.startswith("worker") and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def start_workers(stack: Stack) -> None:
    for name in [n for n in stack.specs if n.startswith("worker")]:
        stack.restart(name)


WATCH_PROFILE_S = 20  # --profile: the result service sampled from the worker's start (the watchers' deliveries)
PROFILED = {"result completed": "result", "result unknown": "result", "evaluate (workers stopped)": "job"}


def wrk_path(stack: Stack, name: str, url_path: str, script: str, connections: int, seconds: float,
             expected: tuple[int, ...] = (200,), keys: list[str] | None = None, **values: str) -> dict[str, Any]:
    """One wrk run with the CPU each process used per request over it (and, with --profile, a py-spy profile)."""
    meter = CpuMeter(stack)
    profiled = PROFILED.get(name) if PROFILE else None
    spy = _profile.start(stack.processes[profiled].pid, seconds, name) if profiled else None
    meter.start()
    lua = SCRIPTS[script] % {"keys": lua_list(keys or [stack.admin_api_key]), "expected": expected_statuses(*expected),
                             **values}
    figures = run_wrk(stack.rest_url + url_path, lua,
                      path=name, connections=connections, seconds=seconds)
    cpu = meter.stop()
    profile = _profile.finish(spy)
    row = dict(figures.__dict__)
    row["cpu_ms_per_request"] = _api_report.cpu_per_request(cpu, figures.requests)
    row["machine_busy"] = cpu["machine_busy"]
    row["other_cores"] = cpu["other_cores"]
    if profile is not None:
        row["profile"] = {"process": profiled, **profile}
    return row


async def watchers_phase(stack: Stack, jobs: list[str], count: int) -> dict[str, Any]:
    addr, secret = f"127.0.0.1:{stack.ports['result']}", stack.env["CVEVAL_IDENTITY_SECRET"]
    pid = stack.processes["result"].pid
    events: dict[tuple[str, str], float] = {}
    user = nats_users.user_for_process("result") or "result"
    nats_url = stack.env["CVEVAL_NATS_URL"]
    password = stack.nats_passwords.get(user, "")
    prefix = os.environ.get("CVEVAL_EVENTS_SUBJECT_PREFIX", "cveval.events.jobs")
    nc = await _grpc_load.event_times(nats_url, user, password, f"{prefix}.>", events)
    before = _grpc_load.rss_mib(pid)
    watchers = _grpc_load.Watchers(addr, secret, jobs, count)
    began = time.monotonic()
    await watchers.open()
    opened_s = time.monotonic() - began
    await asyncio.sleep(2.0)  # let the service settle its buffers before reading RSS
    held = _grpc_load.rss_mib(pid)
    spy = _profile.start(pid, WATCH_PROFILE_S, "watchers") if PROFILE else None
    cpu_before = _grpc_load.cpu_s(pid)
    start_workers(stack)
    await watchers.wait_all(JOB_TIMEOUT_S)
    cpu_after = _grpc_load.cpu_s(pid)
    profile = await asyncio.to_thread(_profile.finish, spy)
    delays = _grpc_load.delivery_ms(events, watchers.received)
    await watchers.close()
    await nc.drain()
    return {"watchers": count, "opened": watchers.opened, "open_s": opened_s, "errors": watchers.errors,
            "rss_before_mib": before, "rss_held_mib": held,
            "rss_added_mib": None if before is None or held is None else held - before,
            "result_cpu_s": None if cpu_before is None or cpu_after is None else round(cpu_after - cpu_before, 3),
            "delivery": _grpc_load.summary(delays), "per_event": _grpc_load.fan_out(events, watchers.received),
            **({"profile": profile} if profile else {})}


PHASES = ("rest", "grpc", "watch")  # --only: wrk through Envoy, GetResult over gRPC, the 1,000 watchers


def rest_rows(stack: Stack, args: argparse.Namespace, prepared: dict[str, Any]) -> list[dict[str, Any]]:
    s, c = args.seconds, args.connections
    run_path = functools.partial(wrk_path, stack, keys=prepared["keys"])
    return [
        run_path("result completed", f"/v1/result/{prepared['completed']}", "get", c, s),
        run_path("result completed c=8", f"/v1/result/{prepared['completed']}", "get", 8, s),
        run_path("result queued", f"/v1/result/{prepared['queued']}", "get", c, s),
        run_path("result unknown", f"/v1/result/{uuid.uuid4()}", "get", c, s, expected=(404,)),
        run_path("jobs list page", "/v1/jobs?page_size=20", "get", c, s),
        run_path("upload small text", "/v1/upload", "upload", 4, s, run=uuid.uuid4().hex[:8]),
        run_path("evaluate (workers stopped)", "/v1/evaluate", "evaluate", 16, s,
                 run=uuid.uuid4().hex[:8], **prepared["ids"]),
    ]


def measure(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    phases = set(args.only or PHASES)
    prepared = asyncio.run(prepare(stack, args.watched_jobs))
    say(f"completed job {prepared['completed']}, queued job {prepared['queued']}; workers stopped; "
        f"caching: {prepared['caching']}")
    rows = rest_rows(stack, args, prepared) if "rest" in phases else []
    grpc_row: dict[str, Any] | None = None
    if "grpc" in phases:
        secret = stack.env["CVEVAL_IDENTITY_SECRET"]
        addr = f"127.0.0.1:{stack.ports['result']}"
        grpc_row = asyncio.run(_grpc_load.get_result_load(addr, prepared["completed"], secret,
                                                          callers=args.connections, seconds=args.seconds))
        say(f"  grpc GetResult completed  c={args.connections} {grpc_row['req_per_s']:.1f} req/s "
            f"p99 {grpc_row['p99_ms']} ms")
    watch: dict[str, Any] = {}
    if "watch" in phases:
        watch = asyncio.run(watchers_phase(stack, prepared["watched"], args.watchers))
        say(f"  watchers: {watch['opened']} open, +{watch['rss_added_mib']} MiB, delivery {watch['delivery']}")
    if "rest" in phases:
        rows.append(wrk_path(stack, "evaluate (worker running)", "/v1/evaluate", "evaluate", 16, args.seconds,
                             keys=prepared["keys"], run=uuid.uuid4().hex[:8], **prepared["ids"]))
    return {"rest": rows, "grpc": {"get_result_completed": grpc_row} if grpc_row else {}, "watch": watch,
            "caching": prepared["caching"], "phases": sorted(phases)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix="cveval-api-bench-")
    env = {
        "CVEVAL_LLM_BASE_URL": "",
        # The bench key's quotas must not cap the load (the limiter still runs on every request).
        "CVEVAL_AUTH_DEFAULT_REQUESTS_PER_SECOND": "1000000",
        "CVEVAL_AUTH_DEFAULT_EVALUATIONS_PER_HOUR": "100000000",
    }
    stack = Stack(data_dir=Path(data_dir), http_port=free_port(), workers=1, extra_env=env)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        say(f"starting the stack in {data_dir} ...")
        stack.start()
        result = measure(stack, args)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        say("stopping the stack ...")
        stack.discard()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, previous)
    result["environment"] = {"seconds_per_path": args.seconds, "connections": args.connections,
                             "cpus": os.cpu_count(), "python": platform.python_version(),
                             "loadavg_before": args.loadavg_before, "loadavg_after": os.getloadavg(),
                             "note": "wrk, Envoy, the mesh and PostgreSQL/NATS share the same cores"}
    result["targets"] = _api_report.targets(result)
    return result


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per path (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections on the read paths (32)")
    parser.add_argument("--watchers", type=int, default=1000, help="watch streams held open (1000)")
    parser.add_argument("--watched-jobs", type=int, default=10, help="jobs the watchers follow (10)")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy the result service (completed, unknown, watchers) and the job service (evaluate)")
    parser.add_argument("--only", action="append", choices=PHASES,
                        help="run only this phase (repeatable): rest (wrk through Envoy), grpc (GetResult straight "
                             "to the result service), watch (the watchers); default all")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if wrk_available() is None:
        say(f"wrk is not installed: {WRK_SETUP_HINT} (make bench-api tries that first)")
        return 2
    args.loadavg_before = os.getloadavg()
    global PROFILE
    PROFILE = args.profile
    try:
        result = run(args)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    _api_report.print_table(result)
    return _results.save(result, "api", None, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
