"""Fallback chains, client-side rate limits, structured output and secrecy, over real HTTP against loopback mocks."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from cveval_gateway.providers.base import (
    ProviderInvalidOutput,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from cveval_gateway.resilience.breaker import BreakerState
from cveval_gateway.resilience.clock import ManualClock
from cveval_testing.mock_openai import MockOpenAI
from tests.integration.gateway.test_gateway_resilience import KEY_A, KEY_B, build, chat, provider

SCHEMA = json.dumps({
    "type": "object",
    "properties": {"score": {"type": "number", "minimum": 1, "maximum": 5}},
    "required": ["score"],
    "additionalProperties": False,
})


@pytest.fixture(scope="module")
def mocks() -> Iterator[tuple[MockOpenAI, MockOpenAI]]:
    first, second = MockOpenAI(), MockOpenAI()
    first.start()
    second.start()
    yield first, second
    first.stop()
    second.stop()


@pytest.fixture
def primary(mocks: tuple[MockOpenAI, MockOpenAI]) -> MockOpenAI:
    mocks[0].reset()
    return mocks[0]


@pytest.fixture
def secondary(mocks: tuple[MockOpenAI, MockOpenAI]) -> MockOpenAI:
    mocks[1].reset()
    return mocks[1]


def _two(primary: MockOpenAI, secondary: MockOpenAI, **extra: object) -> dict[str, object]:
    return {
        "providers": [
            provider("primary", primary, ["a", "b"], ["vec"]),
            provider("secondary", secondary, ["c"], ["vec"]),
        ],
        "fallbacks": {"chat": ["primary:a", "primary:b", "secondary:c"], "embed": ["primary:vec", "secondary:vec"]},
        **extra,
    }


async def test_a_503_moves_on_to_the_next_model_then_the_next_provider(
    primary: MockOpenAI, secondary: MockOpenAI
) -> None:
    built = build(_two(primary, secondary, retry={"max_retries": 1}))
    primary.set_model_mode("a", error_rate=1.0)
    primary.set_model_mode("b", fail_next=10, fail_status=503)
    secondary.set_mode(reply="from the second provider")
    result = await built.chat.chat(chat("a"))
    assert (result.provider, result.model, result.content) == ("secondary", "c", "from the second provider")
    assert primary.count_model("a") == 2 and primary.count_model("b") == 2  # one retry each, then onwards
    assert secondary.count_model("c") == 1
    await built.aclose()


async def test_an_open_breaker_sends_calls_straight_to_the_fallback(primary: MockOpenAI, secondary: MockOpenAI) -> None:
    built = build(_two(primary, secondary, retry={"max_retries": 0}, breaker={"failure_threshold": 2}))
    assert built.router is not None
    primary.set_mode(error_rate=1.0)
    # "provider:model" pins the first target; a bare "vec" would split between both providers by weight.
    for _ in range(2):
        assert (await built.embed.embed("primary:vec", ["x"], timeout=10)).provider == "secondary"
    assert built.router.states()["primary:vec"] is BreakerState.OPEN
    for _ in range(3):
        assert (await built.embed.embed("primary:vec", ["x"], timeout=10)).provider == "secondary"
    assert primary.count("/embeddings") == 2 and secondary.count("/embeddings") == 5
    await built.aclose()


async def test_no_fallback_on_a_4xx_rejection(primary: MockOpenAI, secondary: MockOpenAI) -> None:
    built = build(_two(primary, secondary))
    primary.set_mode(fail_next=1, fail_status=422)
    with pytest.raises(ProviderRejected, match="HTTP 422"):
        await built.chat.chat(chat("a"))
    assert primary.request_count == 1 and secondary.request_count == 0
    await built.aclose()


async def test_every_target_failing_names_them_all(primary: MockOpenAI, secondary: MockOpenAI) -> None:
    built = build(_two(primary, secondary, retry={"max_retries": 0}))
    primary.set_mode(error_rate=1.0)
    secondary.set_mode(fail_next=1, fail_status=503)
    with pytest.raises(ProviderUnavailable) as info:
        await built.chat.chat(chat("a"))
    message = info.value.message
    assert "HTTP 503" in message
    assert "tried primary:a (unavailable), primary:b (unavailable), secondary:c (unavailable)" in message
    await built.aclose()


async def test_the_rate_limit_makes_callers_wait_then_fails_past_the_deadline(primary: MockOpenAI) -> None:
    clock = ManualClock()
    built = build({"providers": [provider("primary", primary, ["a"], limits={"rpm": 2})]}, clock)
    for _ in range(2):
        await built.chat.chat(chat("a", timeout=60))
    assert clock.sleeps == []
    await built.chat.chat(chat("a", timeout=60))  # 2 a minute: the third waits its 30 s turn
    assert clock.sleeps == [pytest.approx(30.0)]
    with pytest.raises(ProviderRateLimited, match=r"2 requests/min would need a 30\.00s wait"):
        await built.chat.chat(chat("a", timeout=10))
    assert primary.request_count == 3
    await built.aclose()


async def test_a_rate_limited_target_hands_over_to_the_fallback(primary: MockOpenAI, secondary: MockOpenAI) -> None:
    clock = ManualClock()
    cfg = _two(primary, secondary)
    cfg["providers"][0]["models"]["chat"] = [{"name": "a", "limits": {"tpm": 600}}, "b"]  # type: ignore[index]
    built = build(cfg, clock)
    long_prompt = "word " * 600  # ~750 tokens estimated: more than a minute of this model's budget
    await built.chat.chat(chat("a", text=long_prompt))
    result = await built.chat.chat(chat("a", text=long_prompt, timeout=5))
    assert (result.provider, result.model) == ("primary", "b")  # the per-model limit, not the provider's
    assert primary.count_model("a") == 1 and clock.sleeps == []
    await built.aclose()


async def test_large_embedding_batches_are_split_to_the_provider_limit(primary: MockOpenAI) -> None:
    cfg = {"providers": [provider("primary", primary, ["a"], [{"name": "vec", "limits": {"max_batch": 4}}])]}
    built = build(cfg)
    texts = [f"text {i}" for i in range(10)]
    result = await built.embed.embed("vec", texts, timeout=10)
    assert primary.count("/embeddings") == 3
    assert len(result.vectors) == 10 and result.prompt_tokens == 20
    direct = await built.embed.embed("vec", texts[7:8], timeout=10)
    assert direct.vectors[0] == result.vectors[7]  # order kept across batches
    await built.aclose()


async def test_structured_output_reasks_after_a_schema_violation(primary: MockOpenAI) -> None:
    built = build({"providers": [provider("primary", primary, ["a"], structured_output="json_schema")]})
    primary.set_mode(replies=('{"score": 7}', '{"score": 4.5}'))
    result = await built.chat.chat(chat("a", schema=SCHEMA))
    assert (result.content, result.attempts) == ('{"score": 4.5}', 2)
    first, second = primary.requests
    assert first.body["response_format"]["type"] == "json_schema"
    assert first.body["response_format"]["json_schema"]["schema"] == json.loads(SCHEMA)
    assert "7 is greater than the maximum of 5" in second.body["messages"][-1]["content"]
    await built.aclose()


async def test_structured_output_that_never_validates_fails_clearly(primary: MockOpenAI) -> None:
    built = build({"providers": [provider("primary", primary, ["a"])]})
    primary.set_mode(reply='{"grade": "A"}')
    with pytest.raises(ProviderInvalidOutput) as info:
        await built.chat.chat(chat("a", schema=SCHEMA))
    assert info.value.attempts == 3 and primary.request_count == 3
    assert "'score' is a required property" in info.value.message
    assert primary.requests[0].body["response_format"] == {"type": "json_object"}
    await built.aclose()


async def test_keys_never_reach_logs_or_errors(
    primary: MockOpenAI, secondary: MockOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    built = build(_two(primary, secondary, retry={"max_retries": 1}))
    primary.set_mode(error_rate=1.0)
    secondary.set_mode(fail_next=1, fail_status=400, error_message=f"invalid api key {KEY_B} for this model")
    with pytest.raises(ProviderRejected) as info:
        await built.chat.chat(chat("a"))
    assert "***" in info.value.message
    assert primary.requests[0].headers["authorization"] == f"Bearer {KEY_A}"  # the key is used, only never shown
    for secret in (KEY_A, KEY_B):
        assert secret not in info.value.message
        assert secret not in caplog.text
    await built.aclose()
