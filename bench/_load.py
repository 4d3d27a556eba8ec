"""Closed-loop load: N callers, each sending its next call when the previous one answered, bounded in count and time.

Latency is timed around each awaited call in the client, so it is end to end: serialisation, transport, the server,
and the client's own event loop. Only successful calls count in the percentiles; failures are tallied by code.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import grpc
import httpx
import numpy as np

from cveval.aigateway.v1 import aigateway_pb2, aigateway_pb2_grpc

Call = Callable[[int], Awaitable[Any]]
CALL_TIMEOUT_S = 30.0
CHAT_MODEL = "openrouter/auto"  # the gateway's default chat model, likewise
EMBED_MODEL = "text-embedding-3-small"  # the gateway's default embedding model, so direct calls ask for the same
SEED = 7


@dataclass
class Stats:
    calls: int = 0
    wall_s: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    cached: int = 0  # answers the gateway itself marked as served from its cache
    stopped_by_deadline: bool = False

    def percentile_ms(self, q: float) -> float | None:
        if not self.latencies_ns:
            return None
        return float(np.percentile(np.asarray(self.latencies_ns, dtype=np.float64), q)) / 1e6

    def summary(self) -> dict[str, Any]:
        ok = len(self.latencies_ns)
        return {
            "calls": self.calls,
            "ok": ok,
            "errors": dict(self.errors),
            "p50_ms": self.percentile_ms(50),
            "p90_ms": self.percentile_ms(90),
            "p99_ms": self.percentile_ms(99),
            "max_ms": self.percentile_ms(100),
            "calls_per_s": ok / self.wall_s if self.wall_s > 0 else None,
            "wall_s": self.wall_s,
            "cached_flag": self.cached,
            "stopped_by_deadline": self.stopped_by_deadline,
        }


async def run_load(call: Call, *, total: int, concurrency: int, deadline_s: float) -> Stats:
    stats = Stats()
    indices = itertools.count()  # shared by the callers; safe, they all run on this one event loop
    started = time.perf_counter()
    end = time.monotonic() + deadline_s

    async def caller() -> None:
        for i in indices:
            if i >= total:
                return
            if time.monotonic() > end:
                stats.stopped_by_deadline = True
                return
            stats.calls += 1
            t0 = time.perf_counter_ns()
            try:
                reply = await call(i)
            except grpc.aio.AioRpcError as exc:
                stats.errors[exc.code().name] += 1
                continue
            except (httpx.HTTPError, OSError, ValueError, asyncio.IncompleteReadError) as exc:
                stats.errors[type(exc).__name__] += 1
                continue
            stats.latencies_ns.append(time.perf_counter_ns() - t0)
            if getattr(reply, "cached", False):
                stats.cached += 1

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    stats.wall_s = time.perf_counter() - started
    return stats


# -- what a call is -------------------------------------------------------------------------------------------


def gateway_call(stub: aigateway_pb2_grpc.AiGatewayServiceStub, rpc: str, text: Callable[[int], str]) -> Call:
    if rpc == "embed":
        async def embed(i: int) -> Any:
            return await stub.Embed(aigateway_pb2.EmbedRequest(texts=[text(i)]), timeout=CALL_TIMEOUT_S)
        return embed

    async def chat(i: int) -> Any:
        request = aigateway_pb2.ChatRequest(
            messages=[aigateway_pb2.ChatMessage(role="user", content=text(i))], temperature=0.0, seed=SEED
        )
        return await stub.Chat(request, timeout=CALL_TIMEOUT_S)

    return chat


class DirectClient(Protocol):
    async def post_json(self, path: str, payload: dict[str, Any]) -> Any: ...

    async def aclose(self) -> None: ...


class HttpxClient:
    def __init__(self, base_url: str, max_connections: int) -> None:
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", limits=limits, timeout=CALL_TIMEOUT_S)

    async def post_json(self, path: str, payload: dict[str, Any]) -> Any:
        response = await self._client.post(path, json=payload)
        response.raise_for_status()
        return response.json()

    async def aclose(self) -> None:
        await self._client.aclose()


class RawHttpClient:
    """The least a client can do: keep-alive HTTP/1.1 over a FIFO pool of asyncio streams, Content-Length bodies.

    The default baseline, because httpx's own pool costs more than the gateway does once tens of requests share it
    (encode/httpx#3215): with it as the baseline the gateway looked faster than no gateway at all.
    """

    def __init__(self, base_url: str, max_connections: int) -> None:
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._prefix = parts.path.rstrip("/") + "/"
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        self._slots = asyncio.Semaphore(max_connections)
        self._all: list[asyncio.StreamWriter] = []

    async def post_json(self, path: str, payload: dict[str, Any]) -> Any:
        body = json.dumps(payload).encode()
        head = (f"POST {self._prefix}{path} HTTP/1.1\r\nhost: {self._host}:{self._port}\r\n"
                f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n").encode()
        async with self._slots:
            if self._idle.empty():
                reader, writer = await asyncio.open_connection(self._host, self._port)
                self._all.append(writer)
            else:
                reader, writer = self._idle.get_nowait()
            writer.write(head + body)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            data = await reader.readexactly(length)
            self._idle.put_nowait((reader, writer))
        if status != 200:
            raise httpx.HTTPStatusError(f"status {status}", request=httpx.Request("POST", path),
                                        response=httpx.Response(status))
        return json.loads(data)

    async def aclose(self) -> None:
        for writer in self._all:
            writer.close()


def direct_call(client: DirectClient, rpc: str, text: Callable[[int], str]) -> Call:
    """The same request straight to the mock, parsed as the gateway parses it: the baseline for added latency."""
    async def call(i: int) -> Any:
        if rpc == "embed":
            payload: dict[str, Any] = {"model": EMBED_MODEL, "input": [text(i)]}
            return await client.post_json("embeddings", payload)
        payload = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": text(i)}],
                   "temperature": 0.0, "seed": SEED}
        return await client.post_json("chat/completions", payload)

    return call


@contextlib.asynccontextmanager
async def direct_client(kind: str, base_url: str, max_connections: int) -> AsyncIterator[DirectClient]:
    # The gateway's pool size, so both paths have the same number of upstream connections.
    client: DirectClient = (HttpxClient if kind == "httpx" else RawHttpClient)(base_url, max_connections)
    try:
        yield client
    finally:
        await client.aclose()


def gateway_channel(address: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(address, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])
