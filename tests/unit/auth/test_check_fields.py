"""The /fields check Envoy calls before transcoding: 400 naming an unknown field, 200 otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from cveval_auth.adapters.check_http import CheckConfig, CheckServer
from cveval_auth.adapters.contract import public_method_descriptors
from cveval_auth.domain.checks import JwtRules, Quotas
from cveval_auth.domain.json_bodies import json_bindings
from cveval_auth.domain.keys import ApiKeyRecord

CREDENTIAL = {"authorization": "Bearer cvk_anything", "content-type": "application/json"}


class NoKeys:
    async def find(self, secret: str) -> ApiKeyRecord | None:
        return None


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    config = CheckConfig(NoKeys(), b"secret", JwtRules(), Quotas(1, 1), json_bindings(public_method_descriptors()))
    server = CheckServer(config)
    port = await server.start("127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as opened:
            yield opened
    finally:
        await server.stop()


async def test_an_unknown_field_is_400_with_the_error_code(client: httpx.AsyncClient) -> None:
    response = await client.post("/fields/v1/evaluate", content=b'{"cv_id": "a", "bogus": 1}', headers=CREDENTIAL)
    assert response.status_code == 400
    assert '"bogus"' in response.text
    assert response.headers["x-cveval-error-code"] == "INVALID_ARGUMENT"


async def test_a_valid_body_and_an_unbound_path_pass(client: httpx.AsyncClient) -> None:
    valid = await client.post("/fields/v1/evaluate", content=b'{"cv_id": "a"}', headers=CREDENTIAL)
    unbound = await client.post("/fields/v1/nowhere", content=b'{"bogus": 1}', headers=CREDENTIAL)
    assert (valid.status_code, unbound.status_code) == (200, 200)


async def test_without_a_credential_nothing_is_parsed(client: httpx.AsyncClient) -> None:
    # The credential check after the transcoder answers 401 first; an anonymous body costs no parsing.
    response = await client.post("/fields/v1/evaluate", content=b'{"bogus": 1}')
    assert response.status_code == 200
