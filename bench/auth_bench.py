"""What authentication costs at the edge: the same GET through two Envoys in front of the same services, one with
the edge's jwt_authn, ext_authz and rate limit filters (the `make run` config) and one without them. The services
still verify a signed caller identity on every public call, so the unauthenticated side sends one signed ahead of
time (the identity the auth service would issue for the admin key) through an Envoy that does not strip it: the
difference between the sides is then the edge's own work (the filters and the hop to the auth service).

`python -m bench.auth_bench [--requests N]` (make bench-auth). It starts the stack (cveval_devstack.Stack) in a
temporary directory, then a second Envoy rendered from the same config with the three filters removed, and sends
N sequential keep-alive requests to each, interleaved so that drift in the services hits both sides alike. Loopback
only; bounded in count and time; everything it started is stopped, Ctrl-C included.

`--json-post` measures the strict-JSON body check instead (decision 0009): the same authenticated POST /v1/vacancies
(the same content each time, so no new vacancy) through the stack's Envoy and through one without `cveval.json_fields`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from cveval_devstack.envoy import render_config
from cveval_devstack.procs import free_port, http_ok, port_open, spawn_logged, stop_process, venv_binary, wait_until
from cveval_devstack.stack import Stack
from cveval_kit import identity

EDGE_FILTERS = {
    "envoy.filters.http.jwt_authn",
    "envoy.filters.http.ext_authz",
    "envoy.filters.http.local_ratelimit",
    "cveval.json_fields",
}
BODY_CHECK = {"cveval.json_fields"}
PATH = "/v1/vacancies?page_size=1"  # a small resource: one indexed query, a few hundred bytes
# A vacancy of realistic size (~2 KB of JSON): CreateVacancy answers the existing one for the same content.
VACANCY = {
    "title": "Bench Backend Engineer",
    "job_description": "Build and run Python gRPC services on PostgreSQL and NATS. " * 20,
    "study_case_brief": "Design a CV evaluation pipeline with retries and observability. " * 10,
}
TIME_BOUND_S = 300.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def start_plain_envoy(
    stack: Stack, run_dir: Path, removed: set[str] = EDGE_FILTERS
) -> tuple[subprocess.Popen[bytes], int]:
    """An Envoy like the stack's, minus `removed` (by default the edge's auth and quota filters)."""
    assert stack.envoy is not None
    port, admin = free_port(), free_port()
    config: dict[str, Any] = render_config(
        stack.envoy.upstreams, http_port=port, admin_port=admin, health_port=free_port()
    )
    manager = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    manager["http_filters"] = [f for f in manager["http_filters"] if f["name"] not in removed]
    if removed == EDGE_FILTERS:
        manager.pop("early_header_mutation_extensions", None)  # keep the pre-signed identity the client sends
    manager.pop("tracing", None)
    path = run_dir / "envoy-plain.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    proc = spawn_logged(
        [venv_binary("envoy"), "-c", str(path), "--use-dynamic-base-id", "--log-level", "warn"],
        run_dir / "envoy-plain.log",
    )
    wait_until(lambda: port_open(port) and http_ok(f"http://127.0.0.1:{admin}/ready"), 30, "plain envoy", proc)
    return proc, port


def presigned_identity(stack: Stack) -> dict[str, str]:
    """The identity header the auth service would send upstream for the admin key, signed once for the whole run."""
    assert stack.credentials is not None
    who = identity.Identity("default", "key:bench", frozenset({identity.ADMIN}))
    token = identity.sign(who, stack.credentials.identity_secret.encode("utf-8"), ttl_s=3600)
    return {identity.IDENTITY_METADATA_KEY: token}


def measure(
    authed: httpx.Client, plain: httpx.Client, requests: int, json_post: bool = False
) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"authenticated": [], "unauthenticated": []}
    deadline = time.monotonic() + TIME_BOUND_S
    for _ in range(requests):
        for name, client in (("authenticated", authed), ("unauthenticated", plain)):
            began = time.perf_counter()
            response = client.post("/v1/vacancies", json=VACANCY) if json_post else client.get(PATH)
            timings[name].append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{name}: {response.status_code} {response.text[:200]}")
        if time.monotonic() > deadline:
            print(f"time bound reached after {len(timings['authenticated'])} pairs", file=sys.stderr)
            break
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.auth_bench")
    parser.add_argument("--requests", type=int, default=3000, help="requests per side (default 3000)")
    parser.add_argument("--json-post", action="store_true", help="measure the strict-JSON body check on a POST")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="cveval-auth-bench-"))
    env = {"CVEVAL_LLM_BASE_URL": "", "CVEVAL_AUTH_DEFAULT_REQUESTS_PER_SECOND": "10000"}
    stack = Stack(data_dir=data_dir, http_port=free_port(), workers=1, extra_env=env)
    plain_proc: subprocess.Popen[bytes] | None = None
    try:
        print(f"starting the stack in {data_dir} ...", file=sys.stderr)
        stack.start()
        removed = BODY_CHECK if args.json_post else EDGE_FILTERS
        plain_proc, plain_port = start_plain_envoy(stack, data_dir / "run", removed)
        headers = {"authorization": f"Bearer {stack.admin_api_key}"}
        plain_headers = headers if args.json_post else presigned_identity(stack)
        with (
            httpx.Client(base_url=stack.rest_url, headers=headers, timeout=10) as authed,
            httpx.Client(base_url=f"http://127.0.0.1:{plain_port}", headers=plain_headers, timeout=10) as plain,
        ):
            measure(authed, plain, 200, args.json_post)  # warm-up: connections, caches, the key cache
            timings = measure(authed, plain, args.requests, args.json_post)
        report(timings, args.json_post)
    finally:
        if plain_proc is not None:
            stop_process(plain_proc)
        stack.discard()
    return 0


def report(timings: dict[str, list[float]], json_post: bool = False) -> None:
    if json_post:
        timings = {"body checked": timings["authenticated"], "body unchecked": timings["unauthenticated"]}
    what = "POST /v1/vacancies (authenticated)" if json_post else f"GET {PATH}"
    first, second = timings
    print(f"{what} through Envoy, sequential keep-alive requests, {len(timings[first])} per side")
    print(f"{'':18}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for name, values in timings.items():
        row = [percentile(values, 0.5), percentile(values, 0.9), percentile(values, 0.99), statistics.fmean(values)]
        print(f"{name:18}" + "".join(f"{v:10.3f}" for v in row))
    added = [percentile(timings[first], q) - percentile(timings[second], q) for q in (0.5, 0.9, 0.99)]
    print(f"{'added by the check' if json_post else 'added by auth':18}" + "".join(f"{v:10.3f}" for v in added))


if __name__ == "__main__":
    sys.exit(main())
