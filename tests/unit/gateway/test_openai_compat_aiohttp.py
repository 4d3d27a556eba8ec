"""The production HTTP client (aiohttp) against a real OpenAI-compatible server: the same error mapping as httpx."""

from __future__ import annotations

import socket

import pytest

from cveval_gateway.providers.base import (
    ChatCall,
    ProviderBadResponse,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimedOut,
    ProviderUnavailable,
)
from cveval_gateway.providers.openai_compat import OpenAICompatProvider
from cveval_gateway.providers.retry import RetryPolicy
from cveval_testing.mock_openai import MockOpenAI

NO_RETRY = RetryPolicy(max_retries=0)
CALL = ChatCall(
    model="m", messages=(("user", "hi"),), temperature=0.0, max_tokens=0, json_schema=None, seed=None, timeout=5.0
)


@pytest.fixture(autouse=True)
def fresh_mock(mock: MockOpenAI) -> None:
    mock.reset()


async def test_answers_and_reuses_one_session(mock: MockOpenAI) -> None:
    provider = OpenAICompatProvider(mock.base_url, "k", policy=NO_RETRY)
    try:
        assert (await provider.chat(CALL)).content == "hi"
        result = await provider.embed("e", ["a", "b"], timeout=5)
        assert len(result.vectors) == 2
        assert mock.requests[0].headers["authorization"] == "Bearer k"
        assert mock.requests[0].headers["content-type"] == "application/json"
    finally:
        await provider.aclose()


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ({"fail_next": 1, "fail_status": 429, "retry_after_s": 0.25}, ProviderRateLimited),
        ({"fail_next": 1, "fail_status": 503}, ProviderUnavailable),
        ({"fail_next": 1, "fail_status": 400}, ProviderRejected),
        ({"malformed": True}, ProviderBadResponse),
    ],
)
async def test_statuses_and_bodies_map_to_provider_errors(
    mock: MockOpenAI, mode: dict[str, object], error: type[Exception]
) -> None:
    mock.set_mode(**mode)
    provider = OpenAICompatProvider(mock.base_url, "k", policy=NO_RETRY)
    try:
        with pytest.raises(error) as info:
            await provider.chat(CALL)
    finally:
        await provider.aclose()
    if isinstance(info.value, ProviderRateLimited):
        assert info.value.retry_after == 0.25


async def test_a_slow_answer_times_out(mock: MockOpenAI) -> None:
    mock.set_mode(latency_s=1.0)
    provider = OpenAICompatProvider(mock.base_url, "k", policy=NO_RETRY)
    try:
        with pytest.raises(ProviderTimedOut):
            await provider.embed("e", ["a"], timeout=0.1)
    finally:
        await provider.aclose()


async def test_a_closed_port_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = OpenAICompatProvider(f"http://127.0.0.1:{port}/v1", "k", policy=NO_RETRY)
    try:
        with pytest.raises(ProviderUnavailable, match="cannot reach"):
            await provider.chat(CALL)
    finally:
        await provider.aclose()
