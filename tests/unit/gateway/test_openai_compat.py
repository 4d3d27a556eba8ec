from __future__ import annotations

import json
import random

import httpx
import pytest

from cveval_gateway.providers.base import (
    ChatCall,
    ProviderAuthFailed,
    ProviderBadResponse,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from cveval_gateway.providers.openai_compat import OpenAICompatProvider
from cveval_gateway.providers.retry import RetryPolicy, parse_retry_after

SECRET = "sk-very-secret-key"
FAST = RetryPolicy(max_retries=2, base_delay_s=0.001, max_delay_s=0.002)


def _provider(handler: httpx.MockTransport) -> OpenAICompatProvider:
    return OpenAICompatProvider(
        "https://llm.example/v1", SECRET, transport=handler, policy=FAST, rng=random.Random(0)
    )


def _call(**overrides: object) -> ChatCall:
    base: dict[str, object] = {
        "model": "m", "messages": (("user", "hi"),), "temperature": 0.2, "max_tokens": 0,
        "json_schema": None, "seed": None, "timeout": 5.0,
    }
    base.update(overrides)
    return ChatCall(**base)  # type: ignore[arg-type]


async def test_chat_payload_and_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={
            "model": "m-2024", "choices": [{"message": {"content": "{}"}}],
            "usage": {"prompt_tokens": 4, "completion_tokens": 1},
        })

    provider = _provider(httpx.MockTransport(handler))
    result = await provider.chat(_call(max_tokens=50, seed=3, json_schema="{}"))
    await provider.aclose()
    assert str(seen[0].url) == "https://llm.example/v1/chat/completions"
    assert seen[0].headers["authorization"] == f"Bearer {SECRET}"
    body = json.loads(seen[0].content)
    assert body["max_tokens"] == 50 and body["seed"] == 3
    assert body["response_format"] == {"type": "json_object"}
    assert (result.model, result.provider) == ("m-2024", "llm.example")
    assert (result.prompt_tokens, result.completion_tokens) == (4, 1)


async def test_embeddings_sorted_by_index_and_counted() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        texts = json.loads(request.content)["input"]
        data = [{"index": i, "embedding": [float(i), 1.0]} for i in range(len(texts))]
        if texts == ["short"]:
            data.append({"index": 1, "embedding": [0.0, 0.0]})
        return httpx.Response(200, json={"data": list(reversed(data))})

    provider = _provider(httpx.MockTransport(handler))
    result = await provider.embed("e", ["a", "b", "c"], timeout=5)
    assert result.vectors == [[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]]
    with pytest.raises(ProviderBadResponse, match="expected 1 embeddings"):
        await provider.embed("e", ["short"], timeout=5)
    await provider.aclose()


async def test_rejections_are_not_retried_and_never_echo_the_key() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(400, json={"error": {"message": f"bad key {SECRET} for model m"}})

    provider = _provider(httpx.MockTransport(handler))
    with pytest.raises(ProviderRejected) as info:
        await provider.chat(_call())
    await provider.aclose()
    assert calls == 1
    assert SECRET not in info.value.message
    assert "***" in info.value.message


async def test_auth_failures_are_not_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(401, json={"error": {"message": "no"}})

    provider = _provider(httpx.MockTransport(handler))
    with pytest.raises(ProviderAuthFailed):
        await provider.chat(_call())
    await provider.aclose()
    assert calls == 1


async def test_rate_limit_retried_then_surfaced() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(429, headers={"retry-after": "0"})

    provider = _provider(httpx.MockTransport(handler))
    with pytest.raises(ProviderRateLimited):
        await provider.chat(_call())
    await provider.aclose()
    assert calls == 3


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:05 GMT"}, now=1445412480.0) == 5.0
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None


async def test_connect_failures_are_retried_then_unavailable() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise httpx.ConnectTimeout("connect timed out", request=request)
        return httpx.Response(200, json={"choices": [{"message": {"content": "third time"}}]})

    provider = _provider(httpx.MockTransport(handler))
    result = await provider.chat(_call())
    assert result.content == "third time"
    assert calls == 3

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    failing = _provider(httpx.MockTransport(refuse))
    with pytest.raises(ProviderUnavailable, match="cannot reach"):
        await failing.chat(_call())
    await provider.aclose()
    await failing.aclose()
