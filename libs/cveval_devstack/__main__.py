"""`make run`: start everything on its embedded defaults and keep it up until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from cveval_devstack.credentials import admin_key_notice
from cveval_devstack.stack import REPO_ROOT, Stack


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m cveval_devstack")
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / ".data")
    parser.add_argument("--http-port", type=int, default=int(os.environ.get("CVEVAL_HTTP_PORT", "8080")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("CVEVAL_WORKERS", "1")))
    args = parser.parse_args()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    stack = Stack(data_dir=args.data_dir.resolve(), http_port=args.http_port, workers=args.workers)
    print("cveval: starting PostgreSQL, NATS JetStream, services, workers and Envoy ...", flush=True)
    try:
        stack.start()
    except Exception as exc:
        print(f"cveval: start failed: {exc}\n  logs: {stack.log_dir}", file=sys.stderr)
        return 1
    metrics = "  ".join(f"{name} :{port}/metrics" for name, port in stack.metrics_ports.items())
    print(
        f"cveval: up in {stack.timings['start_s']}s\n"
        f"  REST API   {stack.rest_url}   (POST /v1/upload, POST /v1/evaluate, GET /v1/result/{{id}}, GET /v1/jobs)\n"
        f"  gRPC       upload 127.0.0.1:{stack.ports['upload']}  job 127.0.0.1:{stack.ports['job']}  "
        f"result 127.0.0.1:{stack.ports['result']}  ai-gateway 127.0.0.1:{stack.ports['gateway']}\n"
        f"  metrics    {metrics}\n"
        f"  logs       {stack.log_dir}\n"
        "  Ctrl-C stops everything.",
        flush=True,
    )
    print(admin_key_notice(stack), flush=True)
    try:
        while not stop.wait(1.0):
            dead = stack.dead_processes()
            if dead:
                print(f"cveval: {', '.join(dead)} exited; see {stack.log_dir}. Stopping.", file=sys.stderr)
                return 1
    finally:
        print("cveval: stopping ...", flush=True)
        stack.stop()
        print("cveval: stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
