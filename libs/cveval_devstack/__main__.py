"""`make run`: start everything on its embedded defaults, supervise it, stop it cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from cveval_devstack.credentials import admin_key_notice
from cveval_devstack.procs import StartCancelled, stop_when_parent_exits, tie_children_to_this_process
from cveval_devstack.signals import StopRequest
from cveval_devstack.stack import REPO_ROOT, SERVICES, Stack
from cveval_devstack.supervisor import Supervisor


def _banner(stack: Stack) -> str:
    metrics = "  ".join(f"{name} :{port}/metrics" for name, port in stack.metrics_ports.items())
    grpc = "  ".join(f"{name} 127.0.0.1:{stack.ports[name]}" for name in SERVICES)
    return (
        f"cveval: up in {stack.timings['start_s']}s\n"
        f"  REST API   {stack.rest_url}   (POST /v1/upload, POST /v1/evaluate, GET /v1/result/{{id}}, GET /v1/jobs)\n"
        f"  gRPC       {grpc}\n"
        f"  metrics    {metrics}\n"
        f"  logs       {stack.log_dir}   (restarts: supervisor.log)\n"
        f"  secrets    {stack.data_dir / 'secrets'}   (generated passwords, mode 0600)\n"
        "  Ctrl-C stops everything; a process that exits is restarted."
    )


def main() -> int:
    stop = StopRequest()
    try:
        return _run(stop)
    finally:
        stop.ignore_further()


def _run(stop: StopRequest) -> int:
    parser = argparse.ArgumentParser(prog="python -m cveval_devstack")
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / ".data")
    parser.add_argument("--http-port", type=int, default=int(os.environ.get("CVEVAL_HTTP_PORT", "8080")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("CVEVAL_WORKERS", "1")))
    args = parser.parse_args()

    # Installed before anything starts, so a signal during start-up is a clean stop too.
    stop.install()
    tie_children_to_this_process()  # even a SIGKILL of this process leaves no server behind
    stop_when_parent_exits()  # a terminated `make run` (make forwards no signal) stops the stack cleanly
    stack = Stack(
        data_dir=args.data_dir.resolve(), http_port=args.http_port, workers=args.workers, cancelled=stop.is_set
    )
    print("cveval: starting PostgreSQL, NATS JetStream, services, workers and Envoy ...", flush=True)
    try:
        stack.start()  # stops whatever it started when it fails or is cancelled
    except StartCancelled:
        print(f"cveval: {stop.signal_name or 'stop'} during start-up; stopped.", flush=True)
        return 0
    except Exception as exc:
        print(f"cveval: start failed: {exc}\n  logs: {stack.log_dir}", file=sys.stderr)
        return 1
    print(_banner(stack), flush=True)
    print(admin_key_notice(stack), flush=True)
    code = 1
    try:
        code = Supervisor(stack, stop).run()
    finally:
        began = time.perf_counter()
        print("cveval: stopping ...", flush=True)
        stack.stop()
        print(f"cveval: stopped in {time.perf_counter() - began:.1f}s.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
