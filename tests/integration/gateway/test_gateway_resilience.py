"""Retries, the retry budget and the circuit breaker, over real HTTP against the loopback mock provider."""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import pytest

from cveval_gateway.providers import config, registry
from cveval_gateway.providers.base import ChatCall, ProviderRateLimited, ProviderRejected, ProviderUnavailable
from cveval_gateway.resilience.breaker import BreakerState
from cveval_gateway.resilience.clock import ManualClock
from cveval_kit.settings import Settings
from cveval_testing.mock_openai import MockOpenAI

KEY_A = "sk-primary-0123456789abcdef"
KEY_B = "sk-secondary-fedcba9876543210"
ENV = {"PRIMARY_KEY": KEY_A, "SECONDARY_KEY": KEY_B}


def provider(
    name: str, mock: MockOpenAI, chat: list[Any], embed: list[Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "name": name, "base_url": mock.base_url, "api_key_env": f"{name.upper()}_KEY", "timeout_s": 5,
        "models": {"chat": chat, "embed": embed or []}, **extra,
    }


def build(cfg: dict[str, Any], clock: ManualClock | None = None) -> registry.ProviderSet:
    # Fast, deterministic retries; tests override what they exercise.
    cfg = {"retry": {"base_delay_s": 0.05, "max_delay_s": 0.2, **cfg.pop("retry", {})}, **cfg}
    environ = {**ENV, config.ENV_VAR: json.dumps(cfg)}
    return registry.build_providers(
        Settings(llm_base_url="", llm_timeout_s=30.0), environ, clock=clock or ManualClock(), rng=random.Random(3)
    )


def chat(model: str, *, timeout: float = 30.0, schema: str | None = None, text: str = "hello") -> ChatCall:
    return ChatCall(model, (("user", text),), 0.0, 0, schema, None, timeout)


@pytest.fixture(autouse=True)
def fresh(mock: MockOpenAI) -> None:
    mock.reset()


async def test_a_500_is_retried_then_succeeds(mock: MockOpenAI) -> None:
    clock = ManualClock()
    built = build({"providers": [provider("primary", mock, ["m"])]}, clock)
    mock.set_mode(fail_next=1, fail_status=500, reply="second time lucky")
    result = await built.chat.chat(chat("m"))
    assert result.content == "second time lucky"
    assert mock.count("/chat/completions") == 2
    assert len(clock.sleeps) == 1 and 0 <= clock.sleeps[0] <= 0.05  # full jitter under the first step
    await built.aclose()


async def test_a_400_is_neither_retried_nor_sent_elsewhere(mock: MockOpenAI) -> None:
    built = build({
        "providers": [provider("primary", mock, ["m", "n"])],
        "fallbacks": {"chat": ["primary:m", "primary:n"]},
    })
    mock.set_mode(fail_next=5, fail_status=400)
    with pytest.raises(ProviderRejected, match="mock failure 400"):
        await built.chat.chat(chat("m"))
    assert mock.request_count == 1
    await built.aclose()


async def test_retry_after_is_honoured_with_the_injected_clock(mock: MockOpenAI) -> None:
    clock = ManualClock()
    built = build({"providers": [provider("primary", mock, ["m"])]}, clock)
    mock.set_mode(fail_next=1, fail_status=429, retry_after_s=7.0, reply="after the wait")
    started = time.monotonic()
    result = await built.chat.chat(chat("m"))
    assert result.content == "after the wait"
    assert clock.sleeps == [7.0]
    assert time.monotonic() - started < 2  # the clock was told to wait; the test did not
    await built.aclose()


async def test_retry_after_beyond_the_deadline_fails_fast(mock: MockOpenAI) -> None:
    clock = ManualClock()
    built = build({"providers": [provider("primary", mock, ["m"])]}, clock)
    mock.set_mode(fail_next=1, fail_status=429, retry_after_s=60.0)
    with pytest.raises(ProviderRateLimited) as info:
        await built.chat.chat(chat("m", timeout=10))
    assert info.value.retry_after == 60.0
    assert clock.sleeps == [] and mock.request_count == 1
    await built.aclose()


async def test_the_retry_budget_stops_a_retry_storm(mock: MockOpenAI) -> None:
    calls, ratio, floor = 100, 0.2, 5
    built = build({
        "providers": [provider("primary", mock, ["m"])],
        "retry": {"max_retries": 3, "budget_ratio": ratio, "budget_floor": floor, "budget_window_s": 600},
        "breaker": {"failure_threshold": 10_000, "min_calls": 10_000},  # isolate the budget from the breaker
    })
    mock.set_mode(error_rate=1.0)
    outcomes = await asyncio.gather(*(built.chat.chat(chat("m")) for _ in range(calls)), return_exceptions=True)
    assert all(isinstance(o, ProviderUnavailable) for o in outcomes)
    upstream = mock.count("/chat/completions")
    assert calls < upstream <= calls * (1 + ratio) + floor  # per-call retries alone would allow 4 x 100
    await built.aclose()


async def test_breaker_opens_probes_once_under_concurrency_and_closes(mock: MockOpenAI) -> None:
    clock = ManualClock()
    built = build({
        "providers": [provider("primary", mock, ["m"])],
        "retry": {"max_retries": 0},
        "breaker": {"failure_threshold": 3, "cooldown_s": 30},
    }, clock)
    assert built.router is not None
    mock.set_mode(error_rate=1.0)
    for _ in range(3):
        with pytest.raises(ProviderUnavailable, match="HTTP 500"):
            await built.chat.chat(chat("m"))
    assert built.router.states()["primary:m"] is BreakerState.OPEN
    with pytest.raises(ProviderUnavailable, match=r"circuit open .*next probe in 30\.0s"):
        await built.chat.chat(chat("m"))
    assert mock.request_count == 3  # failing fast sent nothing

    mock.reset()
    mock.set_mode(latency_s=0.2, reply="healthy again")
    clock.advance(30)
    outcomes = await asyncio.gather(*(built.chat.chat(chat("m")) for _ in range(50)), return_exceptions=True)
    assert mock.request_count == 1  # exactly one probe went upstream
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert all("a probe is in flight" in str(o) for o in outcomes if isinstance(o, BaseException))
    assert built.router.states()["primary:m"] is BreakerState.CLOSED
    mock.set_mode(latency_s=0.0)
    await asyncio.gather(*(built.chat.chat(chat("m")) for _ in range(5)))
    assert mock.request_count == 6
    await built.aclose()


async def test_a_failed_probe_opens_the_breaker_again(mock: MockOpenAI) -> None:
    clock = ManualClock()
    built = build({
        "providers": [provider("primary", mock, ["m"])],
        "retry": {"max_retries": 2},
        "breaker": {"failure_threshold": 2, "cooldown_s": 10},
    }, clock)
    assert built.router is not None
    mock.set_mode(error_rate=1.0)
    with pytest.raises(ProviderUnavailable):
        await built.chat.chat(chat("m"))
    assert mock.request_count == 2  # the second failure opened the breaker, which stopped the retries
    clock.advance(10)
    with pytest.raises(ProviderUnavailable, match="HTTP 500"):
        await built.chat.chat(chat("m"))
    assert mock.request_count == 3  # the probe only: no retry once it failed
    assert built.router.states()["primary:m"] is BreakerState.OPEN
    with pytest.raises(ProviderUnavailable, match="circuit open"):
        await built.chat.chat(chat("m"))
    assert mock.request_count == 3
    await built.aclose()
