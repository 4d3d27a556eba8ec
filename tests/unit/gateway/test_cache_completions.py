"""The completion cache: deterministic requests only, TTL on an injected clock, failures never cached."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from cveval_gateway.cache.completions import CompletionCache, completion_key, is_deterministic
from cveval_gateway.providers.base import ChatCall
from cveval_gateway.providers.openai_compat import OpenAICompatProvider
from cveval_gateway.service import GatewayService
from cveval_kit import errors
from cveval_testing.mock_openai import MockOpenAI

TTL = 3600.0


class Clock:
    def __init__(self) -> None:
        self.now = 50_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def fresh_mock(mock: MockOpenAI) -> None:
    mock.reset()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture
async def service(mock: MockOpenAI, clock: Clock) -> AsyncIterator[GatewayService]:
    provider = OpenAICompatProvider(mock.base_url, "test-key")
    started = GatewayService(
        provider, provider, chat_model="mock-chat", timeout_s=10.0,
        completions=CompletionCache(1 << 20, ttl_s=TTL, clock=clock),
    )
    yield started
    await started.aclose()


def _call(**overrides: object) -> ChatCall:
    fields: dict[str, object] = {
        "model": "m", "messages": (("user", "hi"),), "temperature": 0.0, "max_tokens": 0,
        "json_schema": None, "seed": None, "timeout": 5.0,
    }
    fields.update(overrides)
    return ChatCall(**fields)  # type: ignore[arg-type]


def test_deterministic_means_temperature_zero_or_a_seed() -> None:
    assert is_deterministic(0.0, None)
    assert is_deterministic(0.7, 42)
    assert not is_deterministic(0.7, None)


def test_the_key_covers_what_shapes_the_answer_and_nothing_else() -> None:
    base = completion_key(_call())
    assert completion_key(_call(timeout=1.0)) == base  # the time budget does not change the answer
    for change in (
        {"model": "other"},
        {"messages": (("system", "hi"),)},
        {"messages": (("user", "hi"), ("user", "again"))},
        {"temperature": 0.5, "seed": 1},
        {"max_tokens": 10},
        {"json_schema": "{}"},
        {"seed": 3},
    ):
        assert completion_key(_call(**change)) != base, change
    spaced = completion_key(_call(json_schema='{"type": "object", "required": ["a"]}'))
    assert completion_key(_call(json_schema='{"required":["a"],"type":"object"}')) == spaced


async def test_a_deterministic_request_is_served_from_the_cache(service: GatewayService, mock: MockOpenAI) -> None:
    mock.set_mode(reply="first answer")
    first = await service.chat(model="", messages=[("user", "score this CV")])
    mock.set_mode(reply="a different answer")
    second = await service.chat(model="", messages=[("user", "score this CV")])
    assert (first.content, first.cached) == ("first answer", False)
    assert (second.content, second.cached) == ("first answer", True)
    assert (second.prompt_tokens, second.completion_tokens) == (first.prompt_tokens, first.completion_tokens)
    seeded = [await service.chat(model="", messages=[("user", "x")], temperature=0.9, seed=7) for _ in range(2)]
    assert [s.cached for s in seeded] == [False, True]
    assert mock.count("/chat/completions") == 2


async def test_a_sampled_request_is_never_cached(service: GatewayService, mock: MockOpenAI) -> None:
    for _ in range(3):
        result = await service.chat(model="", messages=[("user", "be creative")], temperature=0.8)
        assert not result.cached
    assert mock.count("/chat/completions") == 3


async def test_the_ttl_expires_on_the_injected_clock(
    service: GatewayService, mock: MockOpenAI, clock: Clock
) -> None:
    await service.chat(model="", messages=[("user", "ttl")])
    clock.now += TTL - 1
    assert (await service.chat(model="", messages=[("user", "ttl")])).cached
    clock.now += 2
    assert not (await service.chat(model="", messages=[("user", "ttl")])).cached
    assert mock.count("/chat/completions") == 2


async def test_a_failure_is_not_cached(service: GatewayService, mock: MockOpenAI) -> None:
    mock.set_mode(fail_next=1, fail_status=400)
    with pytest.raises(errors.InvalidArgument):
        await service.chat(model="", messages=[("user", "fails once")])
    mock.set_mode(reply="recovered")
    result = await service.chat(model="", messages=[("user", "fails once")])
    assert (result.content, result.cached) == ("recovered", False)
    assert mock.count("/chat/completions") == 2


async def test_an_invalid_json_answer_is_not_cached(service: GatewayService, mock: MockOpenAI) -> None:
    mock.set_mode(reply="no JSON here")
    with pytest.raises(errors.Unavailable, match="invalid response"):
        await service.chat(model="", messages=[("user", "json please")], json_schema='{"type": "object"}')
    mock.set_mode(reply='{"score": 3}')
    result = await service.chat(model="", messages=[("user", "json please")], json_schema='{"type": "object"}')
    assert (result.content, result.cached) == ('{"score": 3}', False)
