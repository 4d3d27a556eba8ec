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
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import _results
from bench._report import say
from cveval_devstack.procs import free_port
from cveval_devstack.stack import Stack

HERE = Path(__file__).resolve().parent / "artillery"
ARTILLERY = HERE / "node_modules" / ".bin" / "artillery"
TARGET_P99_MS = 50.0
RUN_BOUND_S = 600


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.artillery_run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="short.yml", help="a scenario in bench/artillery (default short.yml)")
    parser.add_argument("--workers", type=int, default=2, help="evaluation worker processes (default 2)")
    args = parser.parse_args(argv)
    ensure_artillery()
    data_dir = Path(tempfile.mkdtemp(prefix="cveval-artillery-"))
    env = {"CVEVAL_LLM_BASE_URL": "", "CVEVAL_AUTH_DEFAULT_REQUESTS_PER_SECOND": "10000",
           "CVEVAL_AUTH_DEFAULT_EVALUATIONS_PER_HOUR": "1000000"}
    stack = Stack(data_dir=data_dir, http_port=free_port(), workers=args.workers, extra_env=env)
    report_path = data_dir / "artillery-report.json"
    try:
        say(f"starting the stack in {data_dir} ...")
        stack.start()
        variables = json.dumps({"apiKey": stack.admin_api_key})
        say(f"artillery run {args.scenario} against {stack.rest_url} ...")
        subprocess.run([str(ARTILLERY), "run", "--target", stack.rest_url, "--variables", variables,
                        "--output", str(report_path), args.scenario],
                       cwd=HERE, check=True, timeout=RUN_BOUND_S, stdout=sys.stderr)
        report = json.loads(report_path.read_text())
    finally:
        say("stopping the stack ...")
        stack.discard()
    figures = summary(report)
    p99 = figures["p99_ms"]
    status = "n/a" if p99 is None else ("ok" if p99 <= TARGET_P99_MS else "FAIL")
    print(json.dumps(figures, indent=2))
    print(f"\nArtillery {args.scenario}: p95 {figures['p95_ms']} ms, p99 {p99} ms (target <= {TARGET_P99_MS:g} ms): "
          f"{status}")
    result = {"scenario": args.scenario, "figures": figures,
              "targets": [{"target": "Artillery short scenario p99 <= 50 ms", "figure": p99, "status": status}]}
    return _results.save(result, "artillery", None, strict=False)


if __name__ == "__main__":
    sys.exit(main())
