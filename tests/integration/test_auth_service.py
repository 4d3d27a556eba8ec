"""The auth service against the real PostgreSQL: the bootstrap key, ApiKeyService over gRPC, and the ext_authz
check over HTTP seeing creations and revocations."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest

from cveval.auth.v1 import auth_pb2, auth_pb2_grpc
from cveval_auth.adapters.check_http import CheckServer
from cveval_auth.app import start
from cveval_auth.settings import AuthSettings
from cveval_kit import identity
from cveval_kit.identity import ADMIN, SUBMITTER
from cveval_kit.runtime import Running
from tests.support.identity import TEST_IDENTITY_SECRET, caller

pytestmark = pytest.mark.integration

BOOTSTRAP = "cvk_" + "integration-bootstrap-key-0123456789"
TTL_S = 0.3
LIST_JOBS = "/check/cveval.job.v1.JobService/ListJobs"


@pytest.fixture(scope="module")
async def auth(database_url: str) -> AsyncIterator[tuple[Running, CheckServer]]:
    settings = AuthSettings(
        database_url=database_url,
        identity_secret=TEST_IDENTITY_SECRET,
        bootstrap_api_key=BOOTSTRAP,
        auth_cache_ttl_s=TTL_S,
    )
    running, check = await start(settings, port=0, check_port=0)
    try:
        yield running, check
    finally:
        await running.stop()


async def check(server: CheckServer, secret: str, path: str = LIST_JOBS) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=5) as client:
        return await client.get(path, headers={"authorization": f"Bearer {secret}"})


async def test_bootstrap_key_passes_with_a_signed_identity(auth: tuple[Running, CheckServer]) -> None:
    response = await check(auth[1], BOOTSTRAP)
    assert response.status_code == 200
    who = identity.verify(response.headers["x-cveval-identity"], TEST_IDENTITY_SECRET.encode())
    assert who.tenant == "default" and who.roles == frozenset({ADMIN}) and who.principal.startswith("key:")
    assert response.headers["x-cveval-rate-key"] == who.principal.removeprefix("key:")


async def test_keys_are_created_listed_and_revoked(auth: tuple[Running, CheckServer]) -> None:
    running, server = auth
    admin = caller(tenant="team-it", roles=(ADMIN,))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        stub = auth_pb2_grpc.ApiKeyServiceStub(channel)
        created = [
            await stub.CreateApiKey(auth_pb2.CreateApiKeyRequest(name=f"k{i}", roles=[SUBMITTER]), metadata=admin)
            for i in range(3)
        ]
        first = await stub.ListApiKeys(auth_pb2.ListApiKeysRequest(page_size=2), metadata=admin)
        second = await stub.ListApiKeys(
            auth_pb2.ListApiKeysRequest(page_size=2, page_token=first.next_page_token), metadata=admin
        )
        listed = [k.id for k in (*first.api_keys, *second.api_keys)]
        assert listed == [c.api_key.id for c in reversed(created)] and not second.next_page_token

        secret = created[0].secret
        assert (await check(server, secret)).status_code == 200
        await stub.RevokeApiKey(auth_pb2.RevokeApiKeyRequest(id=created[0].api_key.id), metadata=admin)
        began = time.monotonic()
        while (await check(server, secret)).status_code != 401:
            assert time.monotonic() - began < TTL_S + 2
            await asyncio.sleep(0.05)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ListApiKeys(auth_pb2.ListApiKeysRequest(), metadata=caller(roles=(SUBMITTER,)))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_check_refuses_unknown_methods_and_credentials(auth: tuple[Running, CheckServer]) -> None:
    server = auth[1]
    assert (await check(server, BOOTSTRAP, "/check/cveval.result.v1.ResultService/StoreResult")).status_code == 404
    refused = await check(server, "cvk_" + "n" * 43)
    assert refused.status_code == 401 and refused.headers["x-cveval-error-code"] == "UNAUTHENTICATED"
