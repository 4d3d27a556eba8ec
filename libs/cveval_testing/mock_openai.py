"""A real OpenAI-compatible HTTP server on loopback, for tests and benchmarks.

An asyncio HTTP/1.1 server (keep-alive, Content-Length bodies) on its own thread and event loop, so it serves
while the code under test blocks or runs its own loop. Its behaviour is switchable at run time: latency, a share
of 500s, the next N answers failing with a given status (429 carries Retry-After), malformed JSON, a queue of chat
replies (e.g. one that breaks a JSON schema, then a valid one), answers generated from the JSON schema a chat request
carries (`schema_reply="valid"` or `"invalid"`, see schema_instances.py), the misbehaviours of small real models
(slow prompt reading, loops to the token cap, runaway strings, non-determinism at temperature 0: mock_behaviours.py),
and any of these per model (`set_model_mode`).
It counts and records every request, per model too. Run standalone with `python -m cveval_testing.mock_openai --port N`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import random
import signal
import threading
from dataclasses import dataclass
from typing import Any

from cveval_testing.mock_behaviours import (
    MockMode,
    chat_reply,
    embeddings_reply,
    failure_reply,
    hash_vector,
    json_reply,
    prompt_delay_s,
)

__all__ = ["MockMode", "MockOpenAI", "Recorded", "hash_vector"]

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            408: "Request Timeout", 411: "Length Required", 422: "Unprocessable Entity", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
_MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def keep_alive(self) -> bool:
        return self.headers.get("connection", "").lower() != "close"


class MockOpenAI:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, seed: int = 1234) -> None:
        self.host = host
        self.port = port
        self._seed = seed
        self._lock = threading.Lock()
        self._mode = MockMode()
        self._model_modes: dict[str, MockMode] = {}
        self._rng = random.Random(seed)
        self._recorded: list[Recorded] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    # -- control (any thread) --------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> str:
        if self._thread is not None:
            return self.base_url
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="mock-openai", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), loop).result(timeout=10)
        return self.base_url

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        # A stuck shutdown must not hang the test session; the loop is stopped regardless.
        with contextlib.suppress(TimeoutError):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None

    def set_mode(self, **changes: Any) -> None:
        """Change behaviour, e.g. set_mode(fail_next=1, fail_status=429, retry_after_s=0.2)."""
        with self._lock:
            self._mode = dataclasses.replace(self._mode, **changes)

    def set_model_mode(self, model: str, **changes: Any) -> None:
        """Behaviour for requests naming `model` only, starting from the defaults, e.g. ("gpt-a", fail_status=503)."""
        with self._lock:
            self._model_modes[model] = dataclasses.replace(self._model_modes.get(model, MockMode()), **changes)

    def reset(self) -> None:
        """Default behaviour, empty counters, and the same random sequence as a fresh server."""
        with self._lock:
            self._mode = MockMode()
            self._model_modes.clear()
            self._rng = random.Random(self._seed)
            self._recorded.clear()

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._recorded)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._recorded)

    def count(self, path_suffix: str) -> int:
        with self._lock:
            return sum(1 for r in self._recorded if r.path.endswith(path_suffix))

    def count_model(self, model: str, path_suffix: str = "") -> int:
        """Requests whose JSON body named `model` (and whose path ends with `path_suffix`)."""
        with self._lock:
            return sum(
                1 for r in self._recorded
                if r.path.endswith(path_suffix) and isinstance(r.body, dict) and r.body.get("model") == model
            )

    # -- server (the mock's own loop) ------------------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._connection, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        # Keep-alive connections outlive server.close() on Python 3.11; end them so no task is left pending.
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(self._connections, timeout=5)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                status, headers, body = await self._answer(request)
                _write_response(writer, status, headers, body, request.keep_alive)
                await writer.drain()
                if not request.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            # Only _shutdown cancels these tasks; ending quietly avoids Python 3.11's streams callback
            # logging a cancelled connection task as an error.
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()

    async def _answer(self, request: _Request) -> tuple[int, dict[str, str], bytes]:
        try:
            payload = json.loads(request.body) if request.body else {}
        except ValueError:
            payload = None
        with self._lock:
            model = payload.get("model") if isinstance(payload, dict) else None
            key = model if isinstance(model, str) and model in self._model_modes else None
            mode = self._model_modes[key] if key is not None else self._mode
            failure = 0
            changed = mode
            if mode.fail_next > 0:
                changed = dataclasses.replace(mode, fail_next=mode.fail_next - 1)
                failure = mode.fail_status
            elif mode.error_rate > 0 and self._rng.random() < mode.error_rate:
                failure = 500
            if not failure and mode.replies and request.path.endswith("/chat/completions"):
                # Take this request's reply now, under the lock, so concurrent requests get distinct replies.
                changed = dataclasses.replace(changed, replies=mode.replies[1:])
                mode = dataclasses.replace(mode, reply=mode.replies[0])
            if key is not None:
                self._model_modes[key] = changed
            else:
                self._mode = changed
            self._recorded.append(Recorded(request.method, request.path, dict(request.headers), payload))
        delay = mode.latency_s + (prompt_delay_s(payload, mode) if isinstance(payload, dict) else 0.0)
        if delay > 0:
            await asyncio.sleep(delay)
        if failure:
            return failure_reply(failure, mode)
        if payload is None or (request.method == "POST" and not isinstance(payload, dict)):
            problem = {"message": "the body is not a JSON object", "type": "invalid_request_error"}
            return json_reply(400, {"error": problem})
        if mode.malformed:
            return 200, {"content-type": "application/json"}, b'{"choices": [{"message": '
        if request.method == "POST" and request.path.endswith("/chat/completions"):
            with self._lock:
                return json_reply(200, chat_reply(payload, mode, self._rng))
        if request.method == "POST" and request.path.endswith("/embeddings"):
            return json_reply(200, embeddings_reply(payload, mode))
        if request.method == "GET" and request.path.endswith("/models"):
            return json_reply(200, {"object": "list", "data": [{"id": "mock-chat", "object": "model"}]})
        return json_reply(404, {"error": {"message": f"no route for {request.method} {request.path}"}})


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    line = await reader.readline()
    if not line.strip():
        return None
    method, target, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise ValueError("chunked request bodies are not supported by the mock")
    length = int(headers.get("content-length", "0"))
    if length > _MAX_BODY:
        raise ValueError("request body too large")
    body = await reader.readexactly(length) if length else b""
    return _Request(method.upper(), target.split("?", 1)[0], headers, body)


def _write_response(
    writer: asyncio.StreamWriter, status: int, headers: dict[str, str], body: bytes, keep_alive: bool
) -> None:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    all_headers = {**headers, "content-length": str(len(body)), "connection": "keep-alive" if keep_alive else "close"}
    lines += [f"{name}: {value}" for name, value in all_headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m cveval_testing.mock_openai")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 500")
    parser.add_argument("--reply", default=None, help="chat content (default: echo the last user message)")
    parser.add_argument("--schema-reply", choices=["valid", "invalid"], default="",
                        help="answer chat requests that carry a JSON schema with a valid (or an invalid) document")
    parser.add_argument("--prompt-s-per-1k", type=float, default=0.0, help="seconds to read 1k prompt tokens")
    parser.add_argument("--loop", action="store_true", help="repeat a sentence until the token cap")
    parser.add_argument("--runaway", action="store_true", help="a JSON string that never ends, cut at the cap")
    parser.add_argument("--nondeterministic", action="store_true", help="scores vary at temperature 0")
    args = parser.parse_args()
    mock = MockOpenAI(args.host, args.port)
    mock.set_mode(latency_s=args.latency, error_rate=args.error_rate, reply=args.reply,
                  schema_reply=args.schema_reply, prompt_s_per_1k_tokens=args.prompt_s_per_1k, loop=args.loop,
                  runaway=args.runaway, nondeterministic=args.nondeterministic)
    print(mock.start(), flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    mock.stop()


if __name__ == "__main__":
    main()
