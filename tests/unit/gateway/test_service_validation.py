from __future__ import annotations

from collections.abc import Sequence

import grpc
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from cveval_gateway.providers.base import (
    ChatCall,
    ChatResult,
    EmbedResult,
    ProviderAuthFailed,
    ProviderBadResponse,
    ProviderError,
    ProviderInvalidOutput,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimedOut,
    ProviderUnavailable,
    ProviderUnsupported,
)
from cveval_gateway.service import MAX_TEXTS, MODEL_OUTPUT_INVALID, GatewayService
from cveval_kit import errors
from cveval_kit.telemetry import configure_tracing


class FakeProvider:
    name = "fake"

    def __init__(self, error: ProviderError | None = None, content: str = "answer") -> None:
        self.error = error
        self.content = content
        self.chat_calls: list[ChatCall] = []
        self.embed_calls: list[tuple[str, list[str], float]] = []

    async def chat(self, req: ChatCall) -> ChatResult:
        self.chat_calls.append(req)
        if self.error:
            raise self.error
        return ChatResult(self.content, req.model, self.name, 3, 1)

    async def embed(self, model: str, texts: Sequence[str], *, timeout: float) -> EmbedResult:  # noqa: ASYNC109
        self.embed_calls.append((model, list(texts), timeout))
        if self.error:
            raise self.error
        return EmbedResult([[1.0, 0.0] for _ in texts], model, self.name, len(texts))

    async def aclose(self) -> None:
        return None


def _service(provider: FakeProvider | None = None) -> tuple[GatewayService, FakeProvider]:
    p = provider or FakeProvider()
    return GatewayService(p, p, chat_model="chat-default", embed_model="embed-default", timeout_s=30.0), p


async def _chat(service: GatewayService, **overrides: object) -> ChatResult:
    args: dict[str, object] = {"model": "", "messages": [("user", "hi")]}
    args.update(overrides)
    return await service.chat(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"messages": []}, "messages must not be empty"),
        ({"messages": [("user", "a"), ("tool", "b")]}, "messages[1].role"),
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": 2.01}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"max_tokens": -1}, "max_tokens"),
        ({"json_schema": "{not json"}, "json_schema"),
        ({"json_schema": "[1, 2]"}, "json_schema"),
    ],
)
async def test_chat_rejects_bad_requests_before_calling_the_provider(
    overrides: dict[str, object], fragment: str
) -> None:
    service, provider = _service()
    with pytest.raises(errors.InvalidArgument) as info:
        await _chat(service, **overrides)
    assert fragment in info.value.message
    assert provider.chat_calls == []


@pytest.mark.parametrize(
    ("texts", "fragment"),
    [
        ([], "texts must not be empty"),
        (["ok", "fine", ""], "texts[2] is empty"),
        (["ok", "   "], "texts[1] is empty"),
        (["x"] * (MAX_TEXTS + 1), f"at most {MAX_TEXTS}"),
    ],
)
async def test_embed_rejects_bad_requests(texts: list[str], fragment: str) -> None:
    service, provider = _service()
    with pytest.raises(errors.InvalidArgument) as info:
        await service.embed(model="", texts=texts)
    assert fragment in info.value.message
    assert provider.embed_calls == []


async def test_boundaries_are_accepted() -> None:
    service, provider = _service()
    await _chat(service, temperature=0.0)
    await _chat(service, temperature=2.0, messages=[("system", "s"), ("assistant", "a"), ("user", "u")])
    await service.embed(model="", texts=["x"] * MAX_TEXTS)
    assert len(provider.chat_calls) == 2


async def test_default_models_and_explicit_models() -> None:
    service, provider = _service(FakeProvider(content="{}"))
    await _chat(service)
    await _chat(service, model="my-model", seed=7, json_schema='{"type": "object"}')
    await service.embed(model="", texts=["a"])
    assert [c.model for c in provider.chat_calls] == ["chat-default", "my-model"]
    assert provider.chat_calls[1].seed == 7
    assert provider.chat_calls[1].json_schema == '{"type": "object"}'
    assert provider.chat_calls[0].json_schema is None
    assert provider.embed_calls[0][0] == "embed-default"


async def test_budget_is_the_smaller_of_the_limit_and_the_caller_deadline() -> None:
    service, provider = _service()
    await _chat(service, time_remaining=None)
    await _chat(service, time_remaining=1.5)
    await _chat(service, time_remaining=100.0)
    assert [c.timeout for c in provider.chat_calls] == [30.0, 1.5, 30.0]
    with pytest.raises(errors.DeadlineExceeded):
        await _chat(service, time_remaining=0.0)


@pytest.mark.parametrize(
    ("error", "time_remaining", "expected", "fragment"),
    [
        (ProviderUnavailable("down"), None, grpc.StatusCode.UNAVAILABLE, "down"),
        (ProviderAuthFailed("bad creds"), None, grpc.StatusCode.UNAVAILABLE, "bad creds"),
        (ProviderTimedOut("slow"), None, grpc.StatusCode.UNAVAILABLE, "did not answer within 30s"),
        (ProviderTimedOut("slow"), 2.0, grpc.StatusCode.DEADLINE_EXCEEDED, "deadline"),
        (ProviderRateLimited("busy", 3.0), None, grpc.StatusCode.RESOURCE_EXHAUSTED, "retry after 3s"),
        (ProviderBadResponse("junk"), None, grpc.StatusCode.UNAVAILABLE, "provider returned an invalid response"),
        (ProviderRejected("bad model"), None, grpc.StatusCode.INVALID_ARGUMENT, "bad model"),
        (ProviderUnsupported("no JSON"), None, grpc.StatusCode.FAILED_PRECONDITION, "no JSON"),
    ],
)
async def test_provider_errors_are_mapped(
    error: ProviderError, time_remaining: float | None, expected: grpc.StatusCode, fragment: str
) -> None:
    service, _ = _service(FakeProvider(error))
    with pytest.raises(errors.ServiceError) as info:
        await _chat(service, time_remaining=time_remaining)
    assert info.value.status == expected
    assert fragment in info.value.message


async def test_json_answers_are_checked_and_unfenced() -> None:
    service, _ = _service(FakeProvider(content='```json\n{"score": 4}\n```'))
    result = await _chat(service, json_schema='{"type": "object"}')
    assert result.content == '{"score": 4}'
    service, _ = _service(FakeProvider(content="Sure! The score is 4."))
    with pytest.raises(errors.Unavailable, match="invalid response"):
        await _chat(service, json_schema='{"type": "object"}')


async def test_metrics_and_span_per_upstream_call() -> None:
    exporter = InMemorySpanExporter()
    configure_tracing("test-gateway", SimpleSpanProcessor(exporter))

    def sample(name: str, labels: dict[str, str]) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    labels = {"op": "chat", "provider": "fake", "model": "metric-model"}
    ok = {**labels, "outcome": "ok"}
    before = sample("cveval_ai_requests_total", ok)
    service, _ = _service()
    await _chat(service, model="metric-model")
    assert sample("cveval_ai_requests_total", ok) == before + 1
    # Token counters belong to accounting.py (per upstream attempt, behind the router): see test_accounting.py.
    assert sample("cveval_ai_request_duration_seconds_count", labels)

    failing, _ = _service(FakeProvider(ProviderUnavailable("down")))
    with pytest.raises(errors.Unavailable):
        await _chat(failing, model="metric-model")
    assert sample("cveval_ai_requests_total", {**ok, "outcome": "unavailable"}) >= 1

    spans = [s for s in exporter.get_finished_spans() if s.name == "chat metric-model"]
    assert len(spans) >= 2
    attributes = spans[0].attributes or {}
    assert attributes["gen_ai.provider.name"] == "fake"
    assert attributes["gen_ai.request.model"] == "metric-model"
    assert attributes["gen_ai.usage.input_tokens"] == 3
    assert attributes["gen_ai.usage.output_tokens"] == 1


async def test_schema_invalid_answers_carry_their_own_error_code() -> None:
    invalid = ProviderInvalidOutput("did not match the JSON schema: 'scores' is required", attempts=3, problem="x")
    service, _ = _service(FakeProvider(invalid))
    with pytest.raises(errors.Unavailable) as info:
        await _chat(service)
    # Same status as any bad answer, but a caller can tell "answered unusably" from "down" by the code.
    assert info.value.code == MODEL_OUTPUT_INVALID and "'scores' is required" in info.value.message
    service, _ = _service(FakeProvider(ProviderUnavailable("down")))
    with pytest.raises(errors.Unavailable) as down:
        await _chat(service)
    assert down.value.code != MODEL_OUTPUT_INVALID
