"""The REST benchmark: the original system's load scenario against the whole mesh, through Envoy.

One command, no external services: `python -m bench.rest_bench [--full]`. It starts PostgreSQL, NATS, every service,
the workers and Envoy (cveval_devstack.Stack) in a temporary directory, runs the original's Artillery flow (upload a
CV and a project report, evaluate, follow the result) at an arrival rate from one pooled httpx client, reads the
workers' Prometheus histograms and the processes' CPU, prints a table with the original's KPIs beside the figures,
writes a JSON file under bench/results/, and stops everything, Ctrl-C included. Details in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import platform
import signal
import sys
import tempfile
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from bench import _rest_report, _results
from bench._report import say
from bench._rest_flow import REQUEST_TIMEOUT_S, FlowOptions, Load, Phase, build_documents, loop_lag, warm_up
from bench._rest_metrics import CpuMeter, scrape_workers, worker_delta
from cveval_devstack.procs import free_port
from cveval_devstack.stack import Stack

# Rates this 2-core machine sustains (about 7 flows/s); pass --rate 10 or more to watch the system overload.
QUICK = (5.0, 30.0)
FULL = (7.0, 60.0)
DOCS_TIMEOUT_S = 300.0
SCRAPE_SETTLE_S = 1.0  # a worker observes its histograms just after the status the client saw


def parse_phases(text: str) -> list[Phase]:
    """"RATE:SECONDS,RATE:SECONDS,...", as Artillery's phases (e.g. 2:15,5:30,10:15)."""
    phases = []
    for part in text.split(","):
        rate, _, seconds = part.partition(":")
        phase = Phase(float(rate), float(seconds))
        if phase.rate <= 0 or phase.seconds <= 0:
            raise argparse.ArgumentTypeError(f"bad phase {part!r}: rate and seconds must be positive")
        phases.append(phase)
    return phases


def _quiet_child() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


async def measure(stack: Stack, phases: list[Phase], opts: FlowOptions, docs: list[tuple[bytes, bytes]],
                  connections: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"authorization": f"Bearer {stack.admin_api_key}"}
    async with httpx.AsyncClient(
        base_url=stack.rest_url, limits=limits, timeout=REQUEST_TIMEOUT_S, headers=headers
    ) as client:
        warm = await warm_up(client, opts, docs[0])
        if warm.outcome != "completed":
            raise RuntimeError(f"the warm-up flow did not complete: {warm.outcome} {warm.error_code}; "
                               f"logs in {stack.log_dir}")
        say(f"warm-up flow completed in {warm.completion_s:.2f} s; load: "
            + ", ".join(f"{p.rate:g}/s for {p.seconds:g} s" for p in phases))
        before = await scrape_workers(client, stack)
        cpu = CpuMeter(stack)
        cpu.start()
        stop = asyncio.Event()
        lag: list[float] = []
        ticker = asyncio.create_task(loop_lag(stop, lag))
        load = Load(client, opts)
        try:
            records, window = await load.run(phases, docs)
        finally:
            stop.set()
            await ticker
        used = cpu.stop()
        await asyncio.sleep(SCRAPE_SETTLE_S)
        after = await scrape_workers(client, stack)
    endpoints = {name: _rest_report.endpoint_summary(e, window) for name, e in load.endpoints.items()}
    requests = sum(e.requests for e in load.endpoints.values())
    errors = sum(sum(e.errors.values()) for e in load.endpoints.values())
    return {
        "load": {"window_s": window, "loop_lag_ms": {"p95": _rest_report.pct(lag, 95),
                                                      "max": _rest_report.pct(lag, 100)}},
        "endpoints": endpoints,
        "overall": {"requests": requests, "errors": errors, "error_rate": errors / requests if requests else 0.0,
                    "req_per_s": requests / window if window > 0 else None},
        "jobs": _rest_report.jobs_summary(records),
        "worker_metrics": worker_delta(before, after),
        "workers_scraped": sorted(after),
        "cpu": used,
        "dead_processes": stack.dead_processes(),
        "flows": [asdict(r) for r in records],
    }


def _documents(futures: list[Future[tuple[bytes, bytes]]]) -> list[tuple[bytes, bytes]]:
    _done, pending = wait_futures(set(futures), timeout=DOCS_TIMEOUT_S)
    if pending:
        raise RuntimeError(f"{len(pending)} test documents not built within {DOCS_TIMEOUT_S:.0f} s")
    return [f.result() for f in futures]


def run(args: argparse.Namespace, phases: list[Phase], opts: FlowOptions) -> dict[str, Any] | None:
    """Start the stack, measure, stop the stack whatever happens. None when interrupted."""
    total = sum(round(p.rate * p.seconds) for p in phases)
    started = dt.datetime.now(dt.UTC)
    began = time.monotonic()
    pool = ProcessPoolExecutor(max_workers=2, initializer=_quiet_child)
    keep = args.data_dir is not None
    data_dir = args.data_dir.resolve() if keep else Path(tempfile.mkdtemp(prefix="cveval-rest-bench-"))
    # The offline engine: nothing leaves this machine. The admin key's quotas must not cap the load.
    env = {
        "CVEVAL_LLM_BASE_URL": "",
        "CVEVAL_AUTH_DEFAULT_REQUESTS_PER_SECOND": "10000",
        "CVEVAL_AUTH_DEFAULT_EVALUATIONS_PER_HOUR": "1000000",
    }
    if args.worker_concurrency:
        env["CVEVAL_WORKER_CONCURRENCY"] = str(args.worker_concurrency)
    stack = Stack(data_dir=data_dir, http_port=free_port(), workers=args.workers, extra_env=env)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        futures = build_documents(total, args.same_docs, pool)  # built while the stack starts
        say(f"starting the stack ({args.workers} workers) in {data_dir} ...")
        stack.start()
        say(f"stack up in {stack.timings['start_s']} s at {stack.rest_url}; building {total + 1} document pairs ...")
        docs = _documents(futures)
        pool.shutdown()
        bound = sum(p.seconds for p in phases) + opts.drain_s
        say(f"{total} flows, follow by {'watch' if opts.watch else f'polling every {opts.poll_interval_s:g} s'}; "
            f"at most {bound:.0f} s ...")
        result = asyncio.run(measure(stack, phases, opts, docs, args.connections))
    except KeyboardInterrupt:
        say("interrupted")
        return None
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        pool.shutdown(wait=False, cancel_futures=True)
        say("stopping the stack ...")
        if keep:
            stack.stop()
        else:
            stack.discard()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, previous)
    result.update(
        started=started.isoformat(timespec="seconds"),
        duration_s=time.monotonic() - began,
        environment={
            "phases": [asdict(p) for p in phases], "workers": args.workers,
            "worker_concurrency": args.worker_concurrency or "default",
            "follow": "watch" if opts.watch else f"polling every {opts.poll_interval_s:g} s",
            "same_docs": args.same_docs, "options": asdict(opts), "connections": args.connections,
            "stack_start_s": stack.timings.get("start_s"), "python": platform.python_version(),
            "platform": platform.platform(), "cpus": result["cpu"]["cpus"],
            "processes": "the mesh (postgres, nats, envoy, 4 services, workers) and this load generator share the CPUs",
        },
    )
    result["targets"] = _rest_report.targets(result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rest_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true",
                        help=f"{FULL[0]:g} flows/s for {FULL[1]:g} s (default {QUICK[0]:g}/s for {QUICK[1]:g} s)")
    parser.add_argument("--rate", type=float, default=None, help="new flows per second")
    parser.add_argument("--duration", type=float, default=None, help="seconds of arrivals")
    parser.add_argument("--phases", type=parse_phases, default=None,
                        help="RATE:SECONDS,... instead of --rate/--duration, like Artillery's phases")
    parser.add_argument("--workers", type=int, default=2, help="evaluation worker processes (default 2)")
    parser.add_argument("--worker-concurrency", type=int, default=0,
                        help="evaluations in flight per worker (default: the worker's own, 4)")
    parser.add_argument("--watch", action="store_true", help="follow each job with GET /v1/result/{id}/watch")
    parser.add_argument("--poll-interval", type=float, default=0.2,
                        help="seconds between result polls (default 0.2; the original's Artillery thinks 2 s)")
    parser.add_argument("--same-docs", action="store_true",
                        help="every user uploads the same two documents (measures the dedup path)")
    parser.add_argument("--job-timeout", type=float, default=120.0,
                        help="evaluate -> completed bound per flow, then it counts as timed out (default 120)")
    parser.add_argument("--connections", type=int, default=512, help="the client's connection pool (default 512)")
    parser.add_argument("--data-dir", type=Path, default=None, help="keep the stack's data and logs here")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default bench/results/rest-<date>.json)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a KPI is missed")
    args = parser.parse_args(argv)
    default_rate, default_duration = FULL if args.full else QUICK
    phases = args.phases or [Phase(args.rate or default_rate, args.duration or default_duration)]
    if args.phases is None and (phases[0].rate <= 0 or phases[0].seconds <= 0):
        parser.error("--rate and --duration must be positive")
    opts = FlowOptions(watch=args.watch, poll_interval_s=args.poll_interval, job_timeout_s=args.job_timeout,
                       drain_s=args.job_timeout + 2 * REQUEST_TIMEOUT_S)
    try:
        result = run(args, phases, opts)
    except Exception as exc:
        print(f"benchmark aborted: {exc} (--data-dir DIR keeps the stack's logs)", file=sys.stderr)
        return 2
    if result is None:
        return 130
    print(_rest_report.table(result))
    return _results.save(result, "rest", args.out, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
