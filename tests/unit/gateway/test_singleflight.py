"""Single-flight: identical concurrent requests reach the provider once; failures and departures stay contained.

The provider is the real HTTP client against the mock server, behind a gate the test opens, so "in flight at the
same time" is a fact of the test rather than a matter of timing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from prometheus_client import REGISTRY

from cveval_gateway.coalesce import SingleFlight
from cveval_gateway.providers.base import ChatResult
from cveval_gateway.providers.openai_compat import OpenAICompatProvider
from cveval_gateway.service import GatewayService
from cveval_kit import errors
from cveval_testing.mock_openai import MockOpenAI
from tests.support.gated_provider import Gated


@pytest.fixture(autouse=True)
def fresh_mock(mock: MockOpenAI) -> None:
    mock.reset()


@pytest_asyncio.fixture
async def gated(mock: MockOpenAI) -> AsyncIterator[tuple[GatewayService, Gated]]:
    provider = Gated(OpenAICompatProvider(mock.base_url, "test-key"))
    # No completion cache: what is proven here is coalescing, not caching.
    service = GatewayService(provider, provider, chat_model="mock-chat", embed_model="mock-embed", timeout_s=10.0)
    yield service, provider
    await service.aclose()


def _coalesced(op: str) -> float:
    return REGISTRY.get_sample_value("cveval_ai_coalesced_requests_total", {"op": op}) or 0.0


async def _chat(service: GatewayService, text: str = "same prompt", **kw: object) -> ChatResult:
    return await service.chat(model="", messages=[("user", text)], **kw)  # type: ignore[arg-type]


async def test_a_thousand_identical_requests_make_one_upstream_call(
    gated: tuple[GatewayService, Gated], mock: MockOpenAI
) -> None:
    service, provider = gated
    before = _coalesced("chat")
    callers = [asyncio.create_task(_chat(service)) for _ in range(1000)]
    await provider.entered.wait()
    assert _coalesced("chat") == before + 999  # everyone is waiting on the one flight before it may answer
    provider.gate.set()
    results = await asyncio.gather(*callers)
    assert {r.content for r in results} == {"same prompt"}
    assert mock.count("/chat/completions") == 1


async def test_a_thousand_identical_embeddings_make_one_upstream_call(
    gated: tuple[GatewayService, Gated], mock: MockOpenAI
) -> None:
    service, provider = gated
    callers = [asyncio.create_task(service.embed(model="", texts=["same text"])) for _ in range(1000)]
    await provider.entered.wait()
    provider.gate.set()
    results = await asyncio.gather(*callers)
    assert all(r.vectors == results[0].vectors for r in results)
    assert [r.body["input"] for r in mock.requests] == [["same text"]]


async def test_a_failure_reaches_every_waiter_and_is_not_kept(
    gated: tuple[GatewayService, Gated], mock: MockOpenAI
) -> None:
    service, provider = gated
    mock.set_mode(fail_next=1, fail_status=400)
    callers = [asyncio.create_task(_chat(service, "fails")) for _ in range(50)]
    await provider.entered.wait()
    provider.gate.set()
    outcomes = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(o, errors.InvalidArgument) for o in outcomes)
    assert mock.count("/chat/completions") == 1
    # The next identical request is not handed the old failure: it reaches the provider.
    assert (await _chat(service, "fails")).content == "fails"
    assert mock.count("/chat/completions") == 2


async def test_a_waiter_whose_deadline_passes_leaves_alone(
    gated: tuple[GatewayService, Gated], mock: MockOpenAI
) -> None:
    service, provider = gated
    leader = asyncio.create_task(_chat(service, "slow"))
    await provider.entered.wait()
    patient = asyncio.create_task(_chat(service, "slow"))
    with pytest.raises(errors.DeadlineExceeded):
        await _chat(service, "slow", time_remaining=0.05)
    assert not leader.done() and not patient.done()
    provider.gate.set()
    assert (await leader).content == (await patient).content == "slow"
    assert mock.count("/chat/completions") == 1


async def test_the_first_caller_going_away_does_not_cancel_the_shared_call(
    gated: tuple[GatewayService, Gated], mock: MockOpenAI
) -> None:
    service, provider = gated
    first = asyncio.create_task(_chat(service, "orphaned"))
    await provider.entered.wait()
    before = _coalesced("chat")
    others = [asyncio.create_task(_chat(service, "orphaned")) for _ in range(3)]
    await asyncio.sleep(0)  # one turn of the loop: the others start and join
    assert _coalesced("chat") == before + 3
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    provider.gate.set()
    assert [r.content for r in await asyncio.gather(*others)] == ["orphaned"] * 3
    assert mock.count("/chat/completions") == 1


async def test_sampled_requests_are_not_coalesced(gated: tuple[GatewayService, Gated], mock: MockOpenAI) -> None:
    service, provider = gated
    provider.gate.set()
    await asyncio.gather(*(_chat(service, "creative", temperature=0.9) for _ in range(3)))
    assert mock.count("/chat/completions") == 3


async def test_concurrent_batches_sharing_a_text_embed_it_once(
    gated: tuple[GatewayService, Gated], mock: MockOpenAI
) -> None:
    service, provider = gated
    before = _coalesced("embed")
    first = asyncio.create_task(service.embed(model="", texts=["shared", "only in the first"]))
    await provider.entered.wait()  # the first batch is upstream now
    second = asyncio.create_task(service.embed(model="", texts=["only in the second", "shared"]))
    await asyncio.sleep(0)  # one turn of the loop: the second batch is submitted
    assert _coalesced("embed") == before + 1
    provider.gate.set()
    a, b = await asyncio.gather(first, second)
    assert a.vectors[0] == b.vectors[1]
    sent = sorted(sorted(r.body["input"]) for r in mock.requests)
    assert sent == [["only in the first", "shared"], ["only in the second"]]


async def test_single_flight_runs_the_work_in_its_own_task() -> None:
    flights: SingleFlight[str, int] = SingleFlight("test")
    release = asyncio.Event()
    runs = 0

    async def work() -> int:
        nonlocal runs
        runs += 1
        await release.wait()
        return 42

    first = asyncio.create_task(flights.do("k", work))
    second = asyncio.create_task(flights.do("k", work))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == 42
    assert first.cancelled() and runs == 1
    assert len(flights) == 0  # the finished flight leaves the table
