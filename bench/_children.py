"""Child processes of the benchmark: the mock provider and the ai-gateway, each in its own interpreter.

Separate processes so the client, the mock and the gateway do not share one GIL (the latencies would then measure
the GIL), and so the gateway's RSS is its own. A child prints one JSON line (its address), then serves until its
stdin closes, so a benchmark that dies takes its children with it. Run as `python -m bench._children mock|gateway`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from typing import Any


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def run_mock(dims: int) -> None:
    """The mock on its own thread; this thread answers control commands, one JSON object per stdin line."""
    from cveval_testing.mock_openai import MockOpenAI

    mock = MockOpenAI()
    mock.set_mode(dims=dims)
    _emit({"base_url": mock.start(), "pid": os.getpid()})
    for line in sys.stdin:
        command = json.loads(line)
        op = command.pop("op")
        if op == "counts":
            _emit({"embeddings": mock.count("/embeddings"), "chat": mock.count("/chat/completions"),
                   "total": mock.request_count})
        elif op == "reset":
            # reset() also restores the default mode; the caller's mode comes back with the command.
            mock.reset()
            mock.set_mode(**command)
            _emit({"ok": True})
        elif op == "mode":
            mock.set_mode(**command)
            _emit({"ok": True})
        else:
            _emit({"error": f"unknown op {op!r}"})
    mock.stop()


async def run_gateway(base_url: str, max_connections: int) -> int:
    """The gateway as `serve` builds it (tracing on, no exporter), on an ephemeral port, memory-only."""
    from cveval_gateway import app
    from cveval_kit.settings import Settings
    from cveval_kit.telemetry import configure_tracing

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    configure_tracing("cveval-gateway")
    # An empty database_url asks for a memory-only gateway; a cache that insists on PostgreSQL shows up as a
    # start failure here rather than as an embedded server the benchmark did not ask for.
    settings = Settings(llm_base_url=base_url, llm_api_key="bench", database_url="", metrics_port=0,
                        grpc_host="127.0.0.1", log_level="WARNING", llm_max_connections=max_connections)
    try:
        running = await app.start(settings, port=0)
    except Exception as exc:
        _emit({"error": f"the gateway did not start: {type(exc).__name__}: {exc}"})
        return 1
    _emit({"port": running.port, "pid": os.getpid()})
    await asyncio.to_thread(sys.stdin.read)
    await running.stop(grace=1.0)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._children")
    parser.add_argument("role", choices=["mock", "gateway"])
    parser.add_argument("--dims", type=int, default=384)
    parser.add_argument("--base-url", default="")
    parser.add_argument("--max-connections", type=int, default=32)
    args = parser.parse_args()
    if args.role == "mock":
        run_mock(args.dims)
    else:
        sys.exit(asyncio.run(run_gateway(args.base_url, args.max_connections)))


if __name__ == "__main__":
    main()
