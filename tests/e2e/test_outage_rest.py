"""Through Envoy: a service whose database is out answers 503 with `Retry-After` and the JSON error body, not 500.

A stand-in job service (the real interceptor and error mapping, a handler whose database connection is refused)
behind the real Envoy configuration, so no shared server has to be stopped. The credential check is a stand-in
too (it allows every call): what is tested is how Envoy carries the service's outage to the client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import pytest
from aiohttp import web

from cveval_devstack.envoy import EmbeddedEnvoy
from cveval_devstack.procs import free_port
from cveval_kit.grpc_server import GrpcServer
from cveval_kit.settings import Settings

pytestmark = pytest.mark.e2e


def _database_out() -> grpc.GenericRpcHandler:
    async def refused(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    handler = grpc.unary_unary_rpc_method_handler(refused)
    return grpc.method_handlers_generic_handler("cveval.job.v1.JobService", {"GetJob": handler, "ListJobs": handler})


async def _allow_every_call(request: web.BaseRequest) -> web.StreamResponse:
    return web.Response(status=200)


@pytest.fixture
async def rest_url(tmp_path: Path) -> AsyncIterator[str]:
    server = GrpcServer("job", Settings(retry_after_s=4), ["cveval.job.v1.JobService"])
    port = await server.start(lambda s: s.add_generic_rpc_handlers((_database_out(),)), host="127.0.0.1", port=0)
    check = web.Server(_allow_every_call)
    runner = web.ServerRunner(check)
    await runner.setup()
    check_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", check_port).start()
    upstreams = {"job": port, "auth": check_port, **{n: free_port() for n in ("upload", "result", "auth_grpc")}}
    envoy = EmbeddedEnvoy(tmp_path / "envoy", upstreams, free_port())
    await asyncio.to_thread(envoy.start)
    try:
        yield envoy.url
    finally:
        await asyncio.to_thread(envoy.stop)
        await runner.cleanup()
        await server.stop(0)


async def test_an_outage_is_a_503_with_retry_after_and_a_json_body(rest_url: str) -> None:
    async with httpx.AsyncClient(base_url=rest_url, timeout=10) as client:
        for path in ("/v1/jobs/6d0f0e4e-8a0e-4f43-9d55-2b1c6f0f1a11", "/v1/jobs"):
            response = await client.get(path)
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "4"
            assert response.headers["x-cveval-error-code"] == "UNAVAILABLE"
            body = response.json()
            assert body["code"] == grpc.StatusCode.UNAVAILABLE.value[0]
            assert "5432" not in body["message"] and "retry" in body["message"]
