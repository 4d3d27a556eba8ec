from __future__ import annotations

import json
import random

import httpx
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from cveval_gateway.providers import config, registry
from cveval_gateway.providers.base import ChatCall, ProviderUnavailable
from cveval_gateway.resilience.clock import ManualClock
from cveval_kit.settings import Settings
from cveval_kit.telemetry import configure_tracing


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _handler(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    if body["model"] == "broken":
        return httpx.Response(503)
    if request.url.path.endswith("/embeddings"):
        return httpx.Response(200, json={
            "data": [{"index": i, "embedding": [1.0, 0.0]} for i in range(len(body["input"]))],
            "usage": {"prompt_tokens": 500},
        })
    return httpx.Response(200, json={
        "model": body["model"] + "-2024-08-06",  # providers echo dated aliases; metrics keep the configured name
        "choices": [{"message": {"content": "ok"}}],
        "usage": {"prompt_tokens": 2000, "completion_tokens": 1000},
    })


def _providers(clock: ManualClock) -> registry.ProviderSet:
    cfg = {
        "providers": [{
            "name": "acct", "base_url": "https://acct.example/v1",
            "models": {
                "chat": [{"name": "priced", "price": {"input_per_1k": 0.25, "output_per_1k": 2.0}}, "free", "broken"],
                "embed": [{"name": "vec", "price": {"input_per_1k": 0.02}}],
            },
        }],
        "fallbacks": {"chat": ["acct:broken"]},  # no fallback away from the broken model: its breaker is watched
        "breaker": {"failure_threshold": 2, "cooldown_s": 5},
        "retry": {"max_retries": 0},
    }
    return registry.build_providers(
        Settings(llm_base_url=""), {config.ENV_VAR: json.dumps(cfg)},
        clock=clock, rng=random.Random(0), transport=httpx.MockTransport(_handler),
    )


def _chat(model: str) -> ChatCall:
    return ChatCall(model, (("user", "hello"),), 0.0, 0, None, None, 10.0)


async def test_tokens_and_cost_follow_the_configured_prices() -> None:
    built = _providers(ManualClock())
    before = {
        "cost": _sample("cveval_ai_cost_usd_total", provider="acct", model="priced"),
        "in": _sample("cveval_ai_tokens_total", provider="acct", model="priced", direction="prompt"),
        "out": _sample("cveval_ai_tokens_total", provider="acct", model="priced", direction="completion"),
        "vec": _sample("cveval_ai_cost_usd_total", provider="acct", model="vec"),
    }
    await built.chat.chat(_chat("priced"))
    await built.chat.chat(_chat("free"))
    await built.embed.embed("vec", ["a", "b"], timeout=5)
    # 2000 in x 0.25/1k + 1000 out x 2.0/1k = 0.5 + 2.0
    assert _sample("cveval_ai_cost_usd_total", provider="acct", model="priced") - before["cost"] == pytest.approx(2.5)
    assert _sample("cveval_ai_cost_usd_total", provider="acct", model="vec") - before["vec"] == pytest.approx(0.01)
    assert _sample("cveval_ai_cost_usd_total", provider="acct", model="free") == 0.0  # no price, no cost
    tokens_in = _sample("cveval_ai_tokens_total", provider="acct", model="priced", direction="prompt")
    assert tokens_in - before["in"] == 2000
    tokens_out = _sample("cveval_ai_tokens_total", provider="acct", model="priced", direction="completion")
    assert tokens_out - before["out"] == 1000
    assert _sample("cveval_ai_tokens_total", provider="acct", model="free", direction="prompt") >= 2000
    await built.aclose()


async def test_breaker_state_gauge_and_upstream_spans() -> None:
    exporter = InMemorySpanExporter()
    configure_tracing("test-gateway", SimpleSpanProcessor(exporter))
    clock = ManualClock()
    built = _providers(clock)
    state = {"provider": "acct", "model": "broken"}
    assert _sample("cveval_ai_breaker_state", **state) == 0
    for _ in range(2):
        with pytest.raises(ProviderUnavailable, match="HTTP 503"):
            await built.chat.chat(_chat("broken"))
    assert _sample("cveval_ai_breaker_state", **state) == 2
    with pytest.raises(ProviderUnavailable, match="circuit open"):
        await built.chat.chat(_chat("broken"))
    clock.advance(5)
    with pytest.raises(ProviderUnavailable):
        await built.chat.chat(_chat("broken"))  # the half-open probe fails: open again
    assert _sample("cveval_ai_breaker_state", **state) == 2
    spans = [s for s in exporter.get_finished_spans() if s.name == "chat acct:broken"]
    assert len(spans) == 3  # one per upstream attempt; the call refused by the open breaker sent nothing
    assert spans[-1].attributes is not None
    assert spans[-1].attributes["cveval.breaker_state"] == "half_open"
    assert spans[-1].attributes["gen_ai.provider.name"] == "acct"
    assert spans[0].attributes is not None and spans[0].attributes["cveval.attempt"] == 1
    assert _sample("cveval_ai_upstream_requests_total", op="chat", provider="acct", model="broken",
                   outcome="unavailable") >= 3
    await built.aclose()
