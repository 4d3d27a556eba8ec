"""The ai-gateway benchmark: what the gateway adds over calling the provider directly, its cache, its memory.

One command, no external services: `python -m bench.gateway_bench [--quick]`. It starts the mock OpenAI-compatible
provider and the gateway as child processes (bench/_children.py), drives them over one grpc.aio channel and one
httpx client from this process, prints a table with the targets beside the figures, and writes a JSON file under
bench/results/. What each figure means is in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import secrets
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import _report, _results
from bench._load import Call, direct_call, direct_client, gateway_call, gateway_channel, run_load
from bench._procs import ChildFailed, Gateway, Mock
from cveval.aigateway.v1 import aigateway_pb2_grpc
from cveval_kit.settings import Settings

CONCURRENCY = (1, 50, 500)
RPCS = ("embed", "chat")
WARMUP_CALLS = 20
FLIGHT_LATENCY_S = 0.05  # the upstream answer takes this long, so identical calls arrive while the first is out
MIB = 1024 * 1024
# Above the 50 callers of the target scenario, so that row measures processing rather than a wait for a connection
# that a direct client with the same pool would also have (the gateway's own default is 32).
DEFAULT_POOL = 64


@dataclass(frozen=True)
class Plan:
    name: str
    calls: dict[int, int]  # concurrency -> calls per scenario
    rss_marks: tuple[int, int]  # gateway calls served at the two RSS readings
    rss_samples: int  # readings between the two marks, to show a trend and not just two points
    flight: int  # identical concurrent calls
    deadline_s: float  # per scenario: load loops stop here whatever their count
    rss_deadline_s: float
    total_s: float  # the whole run; a scenario that would go past it is cut short and says so


@dataclass(frozen=True)
class Options:
    upstream_ms: float  # the mock's answer time for the 50- and 500-caller scenarios
    max_connections: int  # the gateway's upstream pool, and the direct client's
    rss_cache_mib: int  # the gateway's cache budgets in the memory phase
    dims: int
    direct_client: str  # "raw" or "httpx": what the baseline calls the mock with


QUICK = Plan("quick", {1: 200, 50: 500, 500: 600}, (2_000, 5_000), 2, 1_000, 8.0, 15.0, 55.0)
FULL = Plan("full", {1: 1_000, 50: 3_000, 500: 5_000}, (10_000, 100_000), 9, 1_000, 40.0, 330.0, 570.0)


class Clock:
    """The run's time bound, so the whole benchmark ends in time even on a slower machine."""

    def __init__(self, total_s: float) -> None:
        self.end = asyncio.get_running_loop().time() + total_s

    def limit(self, cap_s: float) -> float:
        return max(0.0, min(cap_s, self.end - asyncio.get_running_loop().time()))


def _texts(tag: str, label: str) -> Callable[[int], str]:
    # A run tag keeps texts unique across runs too, so only this run's own calls can make a hit.
    def text(i: int) -> str:
        return f"{tag} {label} #{i}: senior Python developer, seven years with Django, gRPC and PostgreSQL"

    return text


def _same(text: str) -> Callable[[int], str]:
    return lambda _i: text


def _shifted(call: Call, start: int) -> Call:
    """The call with its index moved, so one load run goes on with texts the previous runs did not use."""
    return lambda i: call(start + i)


async def memory_phase(mock: Mock, plan: Plan, opts: Options, tag: str, clock: Clock) -> dict[str, Any]:
    """A fresh gateway fed unique texts (three embeds to a chat, as the worker asks) with small cache budgets: the
    caches are full before the first mark, so whatever RSS still grows after it is not the cache doing its job."""
    budget = str(opts.rss_cache_mib * MIB)
    env = {"CVEVAL_GATEWAY_EMBED_CACHE_BYTES": budget, "CVEVAL_GATEWAY_COMPLETION_CACHE_BYTES": budget}
    gateway = await Gateway.start(mock.base_url, opts.max_connections, env)
    samples: list[dict[str, Any]] = []
    served = 0
    try:
        async with gateway_channel(gateway.address) as channel:
            stub = aigateway_pb2_grpc.AiGatewayServiceStub(channel)
            embed = gateway_call(stub, "embed", _texts(tag, "rss-embed"))
            chat = gateway_call(stub, "chat", _texts(tag, "rss-chat"))
            first, last = plan.rss_marks
            marks = [first + (last - first) * k // (plan.rss_samples + 1) for k in range(plan.rss_samples + 2)]
            loop = asyncio.get_running_loop()
            end = loop.time() + clock.limit(plan.rss_deadline_s)
            for mark in marks:
                remaining = end - loop.time()
                if remaining <= 0:
                    break
                await mock.reset()  # the mock's request log grows too; it is not what is measured
                stats = await run_load(_shifted(lambda i: chat(i) if i % 4 == 0 else embed(i), served),
                                       total=mark - served, concurrency=50, deadline_s=remaining)
                served += stats.calls
                samples.append({"calls": served, "rss_kib": gateway.rss_kib(), "errors": dict(stats.errors)})
    finally:
        await gateway.stop()
    by_calls = {s["calls"]: s["rss_kib"] for s in samples}
    first_rss, last_rss = by_calls.get(plan.rss_marks[0]), by_calls.get(plan.rss_marks[1])
    growth = (last_rss - first_rss) / first_rss if first_rss and last_rss else None
    return {"marks": list(plan.rss_marks), "rss_kib_at_marks": [first_rss, last_rss], "growth": growth,
            "cache_budget_mib": opts.rss_cache_mib, "samples": samples}


async def _scenario(
    mock: Mock, gateway: Gateway | None, call: Call, rpc: str, concurrency: int, plan: Plan, latency_s: float,
    clock: Clock,
) -> dict[str, Any]:
    await mock.reset(latency_s=latency_s)
    cpu_before = gateway.cpu_s() if gateway else None
    stats = await run_load(call, total=plan.calls[concurrency], concurrency=concurrency,
                           deadline_s=clock.limit(plan.deadline_s))
    cpu_after = gateway.cpu_s() if gateway else None
    upstream = (await mock.counts())["embeddings" if rpc == "embed" else "chat"]
    summary = stats.summary()
    ok = summary["ok"]
    # CPU per call says what a call costs the gateway whatever the machine's other load does to the latencies.
    cpu_ms = (cpu_after - cpu_before) * 1000 / ok if ok and cpu_before is not None and cpu_after is not None else None
    summary.update(upstream_calls=upstream, upstream_per_call=upstream / ok if ok else None,
                   gateway_cpu_ms_per_call=cpu_ms)
    return summary


async def latency_phase(mock: Mock, plan: Plan, opts: Options, tag: str, clock: Clock) -> dict[str, Any]:
    gateway = await Gateway.start(mock.base_url, opts.max_connections)
    rows: list[dict[str, Any]] = []
    flights: list[dict[str, Any]] = []
    try:
        async with gateway_channel(gateway.address) as channel, \
                direct_client(opts.direct_client, mock.base_url, opts.max_connections) as http:
            stub = aigateway_pb2_grpc.AiGatewayServiceStub(channel)
            for rpc in RPCS:
                for concurrency in CONCURRENCY:
                    # One caller never queues, so an upstream delay would add the same to both paths: none keeps
                    # the run short. Many callers meet a provider that takes time, as a real one does.
                    latency_s = 0.0 if concurrency == 1 else opts.upstream_ms / 1000.0
                    for path, mode in (("direct", "miss"), ("gateway", "miss"), ("gateway", "hit")):
                        texts = _texts(tag, f"{rpc}-c{concurrency}-{path}-{mode}")
                        if mode == "hit":
                            texts = _same(texts(0))  # every call asks the same thing
                        call = direct_call(http, rpc, texts) if path == "direct" else gateway_call(stub, rpc, texts)
                        # Warm-up texts are outside the measured range (a hit's warm-up fills the cache).
                        await mock.reset(latency_s=latency_s)
                        await run_load(_shifted(call, 10**9), total=WARMUP_CALLS,
                                       concurrency=min(concurrency, WARMUP_CALLS), deadline_s=clock.limit(10.0))
                        row = await _scenario(mock, gateway if path == "gateway" else None, call, rpc,
                                              concurrency, plan, latency_s, clock)
                        rows.append({"rpc": rpc, "path": path, "mode": mode, "concurrency": concurrency,
                                     "upstream_ms": latency_s * 1000, **row})
                        _report.progress(rows[-1])
            for rpc in RPCS:
                await mock.reset(latency_s=FLIGHT_LATENCY_S)
                call = gateway_call(stub, rpc, _same(_texts(tag, f"flight-{rpc}")(0)))
                # Never cut short by the run's clock: a partial burst would not answer the question.
                stats = await run_load(call, total=plan.flight, concurrency=plan.flight, deadline_s=plan.deadline_s)
                upstream = (await mock.counts())["embeddings" if rpc == "embed" else "chat"]
                flights.append({"rpc": rpc, "identical_calls": plan.flight, "upstream_calls": upstream,
                                **stats.summary()})
            await mock.reset()
        rss_after = gateway.rss_kib()
    finally:
        await gateway.stop()
    return {"rows": rows, "single_flight": flights, "rss_kib_after_latency_phase": rss_after}


def environment(plan: Plan, opts: Options) -> dict[str, Any]:
    return {
        "plan": asdict(plan),
        "options": asdict(opts),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processes": "bench client, mock provider and gateway each in its own process, sharing the machine's cores",
    }


async def run(plan: Plan, opts: Options) -> dict[str, Any]:
    tag = secrets.token_hex(4)
    started = dt.datetime.now(dt.UTC)
    # The single-flight bursts come last and are not cut, so the clock keeps them a little time.
    clock = Clock(plan.total_s - 5.0)
    mock = await Mock.start(opts.dims)
    try:
        _report.say(f"mock provider at {mock.base_url}; memory phase ({plan.rss_marks[1]:,} calls)...")
        memory = await memory_phase(mock, plan, opts, tag, clock)
        _report.say("latency phase...")
        latency = await latency_phase(mock, plan, opts, tag, clock)
    finally:
        await mock.stop()
    result = {
        "started": started.isoformat(timespec="seconds"),
        "duration_s": (dt.datetime.now(dt.UTC) - started).total_seconds(),
        "environment": environment(plan, opts),
        "memory": memory,
        **latency,
    }
    result["targets"] = _report.targets(result)
    return result


def main(argv: list[str] | None = None) -> int:
    production_pool = Settings(database_url="").llm_max_connections
    parser = argparse.ArgumentParser(prog="python -m bench.gateway_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts: under a minute")
    parser.add_argument("--upstream-ms", type=float, default=200.0,
                        help="the mock's answer time with 50 and 500 callers (default 200)")
    parser.add_argument("--max-connections", type=int, default=DEFAULT_POOL,
                        help=f"upstream pool of the gateway and of the direct client (default {DEFAULT_POOL}, more "
                             f"than 50 callers need; {production_pool} is the gateway's own default)")
    parser.add_argument("--rss-cache-mib", type=int, default=2, help="cache budgets in the memory phase (default 2)")
    parser.add_argument("--mock-dims", type=int, default=384, help="embedding size the mock answers with")
    parser.add_argument("--direct-client", choices=["raw", "httpx"], default="raw",
                        help="baseline client: minimal HTTP/1.1 (default), or httpx (its pool is slow under load)")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default bench/results/gateway-<date>.json)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    opts = Options(args.upstream_ms, args.max_connections, args.rss_cache_mib, args.mock_dims, args.direct_client)
    try:
        result = asyncio.run(run(plan, opts))
    except ChildFailed as exc:
        print(f"benchmark aborted: {exc}", file=sys.stderr)
        return 2
    print(_report.table(result))
    return _results.save(result, "gateway", args.out, strict=args.strict, suffix="-quick" if args.quick else "")


if __name__ == "__main__":
    sys.exit(main())
