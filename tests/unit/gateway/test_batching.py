"""Micro-batching: concurrent embedding calls share upstream calls; results, failures and departures stay per caller."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from cveval_gateway.cache.embeddings import Embedded, pack
from cveval_gateway.providers.openai_compat import OpenAICompatProvider
from cveval_gateway.service import GatewayService
from cveval_kit import errors
from cveval_testing.mock_openai import MockOpenAI, hash_vector
from tests.support.gated_provider import Gated

DIMS = 64


@pytest.fixture(autouse=True)
def fresh_mock(mock: MockOpenAI) -> None:
    mock.reset()


def make_service(mock: MockOpenAI, *, gated: bool = False, **options: object) -> tuple[GatewayService, Gated | None]:
    real = OpenAICompatProvider(mock.base_url, "test-key")
    provider = Gated(real) if gated else None
    chosen = provider or real
    service = GatewayService(chosen, chosen, embed_model="mock-embed", timeout_s=10.0, **options)  # type: ignore[arg-type]
    return service, provider


def expected(text: str) -> list[float]:
    return Embedded(pack(hash_vector(text, DIMS)), "", "").values()


def batches(mock: MockOpenAI) -> list[list[str]]:
    return [r.body["input"] for r in mock.requests if r.path.endswith("/embeddings")]


def _batch_count() -> float:
    return REGISTRY.get_sample_value("cveval_ai_embed_batch_size_count") or 0.0


async def test_concurrent_single_text_calls_share_upstream_calls(mock: MockOpenAI) -> None:
    service, _ = make_service(mock, batch_window_s=0.05, batch_max=32)
    observed_before = _batch_count()
    try:
        texts = [f"sentence number {i}" for i in range(100)]
        results = await asyncio.gather(*(service.embed(model="", texts=[t]) for t in texts))
        for text, result in zip(texts, results, strict=True):
            assert result.vectors == [expected(text)], text
        # Each upstream call's token count is split over its callers by text length, and nothing is lost.
        assert sum(r.prompt_tokens for r in results) == 3 * len(texts)
        sent = batches(mock)
        # The first text finds the batcher idle and leaves alone at once; the others queue behind that call:
        # full batches leave at once, the rest when the window ends.
        assert [len(b) for b in sent] == [1, 32, 32, 32, 3]
        assert sorted(t for b in sent for t in b) == sorted(texts)
        assert _batch_count() == observed_before + 5
    finally:
        await service.aclose()


async def test_a_large_request_is_split_at_the_batch_limit_and_reassembled_in_order(mock: MockOpenAI) -> None:
    service, _ = make_service(mock, batch_max=256)
    try:
        texts = [f"chunk {i}" for i in range(600)]
        result = await service.embed(model="", texts=texts)
        assert result.vectors == [expected(t) for t in texts]
        assert [len(b) for b in batches(mock)] == [256, 256, 88]
    finally:
        await service.aclose()


async def test_a_failed_upstream_batch_fails_only_its_callers(mock: MockOpenAI) -> None:
    service, provider = make_service(mock, gated=True, batch_window_s=0.05, batch_max=2)
    assert provider is not None
    try:
        # A call held in flight makes the next texts queue and merge, two by two; they pass a fresh, open gate.
        first = asyncio.create_task(service.embed(model="", texts=["first"]))
        await provider.entered.wait()
        held, provider.gate = provider.gate, asyncio.Event()
        provider.gate.set()
        mock.set_mode(fail_next=1, fail_status=400)  # whichever merged batch arrives first is refused
        texts = ["w", "x", "y", "z"]
        outcomes = await asyncio.gather(*(service.embed(model="", texts=[t]) for t in texts), return_exceptions=True)
        failed_batch = set(mock.requests[0].body["input"])
        held.set()
        assert (await first).vectors == [expected("first")]
        for text, outcome in zip(texts, outcomes, strict=True):
            if text in failed_batch:
                assert isinstance(outcome, errors.InvalidArgument), text
            else:
                assert not isinstance(outcome, BaseException) and outcome.vectors == [expected(text)], text
        assert len(failed_batch) == 2 and mock.count("/embeddings") == 3
    finally:
        await service.aclose()


async def test_a_caller_leaving_does_not_break_the_batch(mock: MockOpenAI) -> None:
    service, provider = make_service(mock, gated=True, batch_window_s=0.05)
    assert provider is not None
    try:
        # A call in flight first, so the four texts below queue and leave as one merged batch.
        blocker = asyncio.create_task(service.embed(model="", texts=["blocker"]))
        await provider.entered.wait()
        provider.entered.clear()
        leaving = asyncio.create_task(service.embed(model="", texts=["leaving"]))
        staying = [asyncio.create_task(service.embed(model="", texts=[t])) for t in ("stay a", "stay b")]
        impatient = asyncio.create_task(service.embed(model="", texts=["impatient"], time_remaining=0.2))
        await provider.entered.wait()  # one batch with all four texts is upstream
        leaving.cancel()
        with pytest.raises(errors.DeadlineExceeded):
            await impatient
        provider.gate.set()
        results = await asyncio.gather(*staying)
        assert [r.vectors for r in results] == [[expected("stay a")], [expected("stay b")]]
        assert leaving.cancelled()
        await blocker
        assert sorted(sorted(b) for b in batches(mock)) == [["blocker"], ["impatient", "leaving", "stay a", "stay b"]]
    finally:
        await service.aclose()


async def test_an_idle_batcher_sends_at_once_without_waiting_for_the_window(mock: MockOpenAI) -> None:
    service, _ = make_service(mock, batch_window_s=5.0)
    try:
        # With nothing in flight, a 5 s window would be the whole wait if the text had to sit it out.
        await asyncio.wait_for(service.embed(model="", texts=["alone"]), timeout=2.0)
        assert batches(mock) == [["alone"]]
    finally:
        await service.aclose()


async def test_calls_in_different_windows_are_not_held_back(mock: MockOpenAI) -> None:
    service, _ = make_service(mock, batch_window_s=0.0)
    try:
        await service.embed(model="", texts=["first"])
        await service.embed(model="", texts=["second"])
        assert batches(mock) == [["first"], ["second"]]
    finally:
        await service.aclose()


async def test_texts_of_different_models_are_not_merged(mock: MockOpenAI) -> None:
    service, _ = make_service(mock, batch_window_s=0.05)
    try:
        await asyncio.gather(service.embed(model="model-a", texts=["a"]), service.embed(model="model-b", texts=["b"]))
        assert sorted((r.body["model"], tuple(r.body["input"])) for r in mock.requests) == [
            ("model-a", ("a",)), ("model-b", ("b",))
        ]
    finally:
        await service.aclose()
