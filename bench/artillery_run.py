"""The shortened Artillery scenario (bench/artillery/short.yml) against a fresh stack: `make bench-artillery`.

It installs Artillery into bench/artillery/node_modules with npm when it is missing (the only download; npm's
registry), starts the stack (cveval_devstack.Stack, two workers) in a temporary directory, runs Artillery with the
stack's address and the admin key passed as variables (never written to a file), prints the p95/p99 Artillery
reports for all requests beside the target (p99 <= 50 ms), writes the report under bench/results/ and stops
everything.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench import _profile, _results
from bench._report import say
from bench._rest_metrics import CpuMeter
from cveval_devstack.procs import free_port
from cveval_devstack.stack import Stack

HERE = Path(__file__).resolve().parent / "artillery"
ARTILLERY = HERE / "node_modules" / ".bin" / "artillery"
TARGET_P99_MS = 50.0
RUN_BOUND_S = 600
PROFILE_S = 70  # --profile: the scenario's arrivals (20 s) and its polls (60 s), less the start
EDGE_TIMES = ("http.rest.downstream_rq_time", "cluster.upload.upstream_rq_time", "cluster.job.upstream_rq_time",
              "cluster.result.upstream_rq_time", "cluster.auth.upstream_rq_time")


def ensure_artillery() -> None:
    if ARTILLERY.exists():
        return
    if shutil.which("npm") is None:
        raise SystemExit("npm is not installed: apt-get install -y npm, then make bench-artillery again")
    say("installing Artillery with npm into bench/artillery/node_modules (once) ...")
    # --ignore-scripts: the HTTP engine needs no install step, and Playwright's would download a browser.
    subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=900)


def summary(report: dict[str, Any]) -> dict[str, Any]:
    aggregate = report["aggregate"]
    counters = aggregate.get("counters", {})
    times = aggregate.get("summaries", {}).get("http.response_time", {})
    return {
        "requests": counters.get("http.requests", 0),
        "responses": counters.get("http.responses", 0),
        "codes": {k.rsplit(".", 1)[1]: v for k, v in counters.items() if k.startswith("http.codes.")},
        "errors": {k: v for k, v in counters.items() if k.startswith("errors.")},
        "vusers_completed": counters.get("vusers.completed", 0),
        "vusers_failed": counters.get("vusers.failed", 0),
        "p50_ms": times.get("median"), "p95_ms": times.get("p95"), "p99_ms": times.get("p99"),
        "max_ms": times.get("max"),
    }


def edge_times(admin_port: int) -> dict[str, dict[str, float | None]]:
    """Envoy's own histograms over the run: the whole answer at the edge and each upstream's (p50/p95/p99 ms).

    Artillery reports all requests together; these say which path the slow ones took."""
    stats = httpx.get(f"http://127.0.0.1:{admin_port}/stats", params={"format": "json", "usedonly": ""},
                      timeout=10).json()
    out: dict[str, dict[str, float | None]] = {}
    for entry in stats.get("stats", []):
        histograms = entry.get("histograms")
        if not isinstance(histograms, dict):
            continue
        quantiles = histograms.get("supported_quantiles", [])
        for item in histograms.get("computed_quantiles", []):
            if item.get("name") in EDGE_TIMES:
                values = {q: v.get("cumulative") for q, v in zip(quantiles, item["values"], strict=False)}
                out[item["name"]] = {"p50_ms": values.get(50), "p95_ms": values.get(95), "p99_ms": values.get(99)}
    return out


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_scenario(stack: Stack, scenario: str, report_path: Path, profiled: list[str]) -> dict[str, Any]:
    """Artillery against the stack, with the CPU each process used over the run (Artillery's own included)."""
    variables = json.dumps({"apiKey": stack.admin_api_key})
    meter = CpuMeter(stack)
    spies = {name: _profile.start(stack.processes[name].pid, PROFILE_S, f"artillery-{name}") for name in profiled}
    meter.start()
    artillery_before = _children_cpu_s()
    say(f"artillery run {scenario} against {stack.rest_url} ...")
    subprocess.run([str(ARTILLERY), "run", "--target", stack.rest_url, "--variables", variables,
                    "--output", str(report_path), scenario],
                   cwd=HERE, check=True, timeout=RUN_BOUND_S, stdout=sys.stderr)
    cpu = meter.stop()
    cpu["cores_used"]["artillery"] = round((_children_cpu_s() - artillery_before) / cpu["wall_s"], 3)
    profiles = {name: _profile.finish(spy) for name, spy in spies.items()}
    edge = edge_times(stack.envoy.admin_port) if stack.envoy is not None else {}
    return {"report": json.loads(report_path.read_text()), "cpu": cpu, "edge": edge,
            "profiles": {k: v for k, v in profiles.items() if v is not None}}


def print_conditions(measured: dict[str, Any]) -> None:
    for name, times in measured["edge"].items():
        print(f"{name:36} p50 {times['p50_ms']} p95 {times['p95_ms']} p99 {times['p99_ms']} ms")
    cores = sorted(measured["cpu"]["cores_used"].items(), key=lambda kv: -kv[1])
    print("cores used over the run: " + ", ".join(f"{k} {v:.2f}" for k, v in cores if v >= 0.01)
          + f"; other work {measured['cpu']['other_cores']}")
    for name, profile in measured["profiles"].items():
        print(f"py-spy {name}: {profile['samples']} samples, self {profile['self']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.artillery_run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="short.yml", help="a scenario in bench/artillery (default short.yml)")
    parser.add_argument("--workers", type=int, default=2, help="evaluation worker processes (default 2)")
    parser.add_argument("--profile", action="append", default=[], metavar="PROCESS",
                        help="py-spy this stack process over the run (repeatable: result, upload, job, worker-1 ...)")
    args = parser.parse_args(argv)
    ensure_artillery()
    loadavg_before = os.getloadavg()
    data_dir = Path(tempfile.mkdtemp(prefix="cveval-artillery-"))
    env = {"CVEVAL_LLM_BASE_URL": "", "CVEVAL_AUTH_DEFAULT_REQUESTS_PER_SECOND": "10000",
           "CVEVAL_AUTH_DEFAULT_EVALUATIONS_PER_HOUR": "1000000"}
    stack = Stack(data_dir=data_dir, http_port=free_port(), workers=args.workers, extra_env=env)
    report_path = data_dir / "artillery-report.json"
    try:
        say(f"starting the stack in {data_dir} ...")
        stack.start()
        measured = run_scenario(stack, args.scenario, report_path, args.profile)
    finally:
        say("stopping the stack ...")
        stack.discard()
    figures = summary(measured["report"])
    p99 = figures["p99_ms"]
    status = "n/a" if p99 is None else ("ok" if p99 <= TARGET_P99_MS else "FAIL")
    print(json.dumps(figures, indent=2))
    print_conditions(measured)
    print(f"\nArtillery {args.scenario}: p95 {figures['p95_ms']} ms, p99 {p99} ms (target <= {TARGET_P99_MS:g} ms): "
          f"{status}")
    result = {"scenario": args.scenario, "figures": figures, "edge_ms": measured["edge"], "cpu": measured["cpu"],
              "profiles": measured["profiles"], "loadavg_before": loadavg_before, "loadavg_after": os.getloadavg(),
              "targets": [{"target": "Artillery short scenario p99 <= 50 ms", "figure": p99, "status": status}]}
    return _results.save(result, "artillery", None, strict=False)


if __name__ == "__main__":
    sys.exit(main())
