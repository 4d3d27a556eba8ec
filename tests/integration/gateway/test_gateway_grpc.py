"""The gateway over a real gRPC channel, against a real OpenAI-compatible HTTP server on loopback."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio

from cveval.aigateway.v1 import aigateway_pb2, aigateway_pb2_grpc
from cveval_gateway import app
from cveval_gateway.cache.settings import GatewaySettings
from cveval_gateway.providers import minilm, offline, use_multilingual
from cveval_kit.settings import Settings
from cveval_testing.mock_openai import MockOpenAI, hash_vector

API_KEY = "test-key-123"

Stub = aigateway_pb2_grpc.AiGatewayServiceStub


@pytest.fixture(autouse=True)
def fresh_mock(mock: MockOpenAI) -> None:
    mock.reset()


async def _stub_for(settings: Settings) -> AsyncIterator[Stub]:
    # These tests are about provider failures: identical requests must reach the mock, not the completion cache.
    running = await app.start(settings, port=0, tuning=GatewaySettings(completion_cache_bytes=0))
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    try:
        yield aigateway_pb2_grpc.AiGatewayServiceStub(channel)
    finally:
        await channel.close()
        await running.stop(0)


@pytest_asyncio.fixture(scope="module")
async def gateway(mock: MockOpenAI) -> AsyncIterator[Stub]:
    settings = Settings(llm_base_url=mock.base_url, llm_api_key=API_KEY, grpc_host="127.0.0.1", llm_timeout_s=5.0)
    async for stub in _stub_for(settings):
        yield stub


@pytest_asyncio.fixture(scope="module")
async def offline_gateway() -> AsyncIterator[Stub]:
    async for stub in _stub_for(Settings(llm_base_url="", grpc_host="127.0.0.1")):
        yield stub


def _chat_request(**fields: object) -> aigateway_pb2.ChatRequest:
    request = aigateway_pb2.ChatRequest(messages=[aigateway_pb2.ChatMessage(role="user", content="Hello there")])
    for name, value in fields.items():
        setattr(request, name, value)
    return request


async def _status_of(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call  # type: ignore[misc]
    return info.value


async def test_chat_ok(gateway: Stub, mock: MockOpenAI) -> None:
    mock.set_mode(reply="A strong backend candidate.")
    response = await gateway.Chat(_chat_request(temperature=0.3, max_tokens=64, seed=42), timeout=5)
    assert response.content == "A strong backend candidate."
    assert response.provider == "127.0.0.1"
    assert response.model == Settings().llm_chat_model
    assert response.usage.prompt_tokens == 2
    assert response.usage.completion_tokens == 4
    (sent,) = mock.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.body["seed"] == 42 and sent.body["max_tokens"] == 64
    assert sent.body["temperature"] == pytest.approx(0.3)
    assert "response_format" not in sent.body


async def test_chat_with_json_schema_asks_for_json(gateway: Stub, mock: MockOpenAI) -> None:
    mock.set_mode(reply='{"score": 4}')
    response = await gateway.Chat(_chat_request(json_schema='{"type": "object"}', model="judge"), timeout=5)
    assert response.content == '{"score": 4}'
    assert response.model == "judge"
    assert mock.requests[0].body["response_format"] == {"type": "json_object"}


async def test_embed_keeps_the_order_of_the_texts(gateway: Stub, mock: MockOpenAI) -> None:
    texts = [f"text number {i}" for i in range(7)]
    response = await gateway.Embed(aigateway_pb2.EmbedRequest(texts=texts), timeout=5)
    assert response.dimensions == 64
    assert response.model == Settings().llm_embed_model
    assert len(response.vectors) == len(texts)
    for text, vector in zip(texts, response.vectors, strict=True):
        assert list(vector.values) == pytest.approx(hash_vector(text, 64), abs=1e-6)
    assert response.usage.prompt_tokens == 3 * len(texts)
    assert mock.count("/embeddings") == 1


async def test_a_500_is_retried(gateway: Stub, mock: MockOpenAI) -> None:
    mock.set_mode(fail_next=1, fail_status=500, reply="ok")
    response = await gateway.Chat(_chat_request(), timeout=5)
    assert response.content == "ok"
    assert mock.count("/chat/completions") == 2


async def test_persistent_500_is_unavailable(gateway: Stub, mock: MockOpenAI) -> None:
    mock.set_mode(error_rate=1.0)
    error = await _status_of(gateway.Embed(aigateway_pb2.EmbedRequest(texts=["a"]), timeout=5))
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert "HTTP 500" in (error.details() or "")
    assert mock.count("/embeddings") == 3  # one try and two retries


async def test_429_honours_retry_after(gateway: Stub, mock: MockOpenAI) -> None:
    mock.set_mode(fail_next=1, fail_status=429, retry_after_s=0.3, reply="after the wait")
    started = time.monotonic()
    response = await gateway.Chat(_chat_request(), timeout=5)
    assert time.monotonic() - started >= 0.3
    assert response.content == "after the wait"
    assert mock.count("/chat/completions") == 2


async def test_429_longer_than_the_budget_fails_fast(gateway: Stub, mock: MockOpenAI) -> None:
    mock.set_mode(fail_next=1, fail_status=429, retry_after_s=30)
    started = time.monotonic()
    error = await _status_of(gateway.Chat(_chat_request(), timeout=5))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert time.monotonic() - started < 2
    assert mock.count("/chat/completions") == 1


async def test_malformed_json_is_unavailable_with_a_clear_message(gateway: Stub, mock: MockOpenAI) -> None:
    mock.set_mode(malformed=True)
    error = await _status_of(gateway.Chat(_chat_request(), timeout=5))
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert "provider returned an invalid response" in (error.details() or "")
    assert mock.count("/chat/completions") == 1


async def test_a_400_is_invalid_argument_without_retry(gateway: Stub, mock: MockOpenAI) -> None:
    mock.set_mode(fail_next=5, fail_status=400)
    error = await _status_of(gateway.Chat(_chat_request(), timeout=5))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "mock failure 400" in (error.details() or "")
    assert API_KEY not in (error.details() or "")
    assert mock.request_count == 1


async def test_deadline_shorter_than_the_provider_latency(gateway: Stub, mock: MockOpenAI) -> None:
    mock.set_mode(latency_s=3.0)
    started = time.monotonic()
    error = await _status_of(gateway.Chat(_chat_request(), timeout=0.3))
    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 2


async def test_invalid_requests_never_reach_the_provider(gateway: Stub, mock: MockOpenAI) -> None:
    error = await _status_of(gateway.Embed(aigateway_pb2.EmbedRequest(texts=["a", ""]), timeout=5))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "texts[1]" in (error.details() or "")
    error = await _status_of(gateway.Chat(aigateway_pb2.ChatRequest(), timeout=5))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert mock.request_count == 0


async def test_offline_engine_over_grpc(offline_gateway: Stub) -> None:
    text = "Python developer with Django experience. Loves cooking pasta at home. Built Django REST APIs in Python."
    chat = await offline_gateway.Chat(
        aigateway_pb2.ChatRequest(messages=[aigateway_pb2.ChatMessage(role="user", content=text)], max_tokens=20),
        timeout=30,
    )
    assert (chat.provider, chat.model) == ("offline", offline.CHAT_MODEL)
    picked = [s for s in offline.split_sentences(text) if s in chat.content]
    assert picked and " ".join(picked) == chat.content
    assert "pasta" not in chat.content
    # The first embedding may wait for the offline model to finish loading (seconds on a busy machine).
    embedded = await offline_gateway.Embed(aigateway_pb2.EmbedRequest(texts=["python django", "pasta"]), timeout=120)
    expected_model = (
        use_multilingual.MODEL if use_multilingual.available() else minilm.MODEL if minilm.available()
        else offline.EMBED_MODEL
    )
    assert embedded.model == expected_model
    assert embedded.dimensions == (512 if expected_model == use_multilingual.MODEL else 384)
    refused = await _status_of(offline_gateway.Chat(_chat_request(json_schema='{"type": "object"}'), timeout=5))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "CVEVAL_LLM_BASE_URL" in (refused.details() or "")
