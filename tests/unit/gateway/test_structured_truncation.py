"""A reply cut off at max_tokens is not re-asked as invalid JSON: one firmer retry, then a clear failure; unusable
answers to deterministic requests are remembered briefly, so a redelivered job does not pay for them again."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence

import pytest
import pytest_asyncio

from cveval_gateway.cache.completions import CompletionCache
from cveval_gateway.providers.base import ChatCall, ChatResult, EmbedResult, ProviderOutputTruncated
from cveval_gateway.providers.openai_compat import OpenAICompatProvider
from cveval_gateway.service import MODEL_OUTPUT_INVALID, MODEL_OUTPUT_TRUNCATED, GatewayService
from cveval_gateway.structured import BRIEFER, StructuredOutput
from cveval_kit import errors
from cveval_testing.mock_openai import MockOpenAI

SCHEMA = json.dumps({
    "type": "object",
    "required": ["summary"],
    "additionalProperties": False,
    "properties": {"summary": {"type": "string", "maxLength": 40}},
})


class Scripted:
    """Answers (content, finish_reason) in turn and records what it was asked."""

    name = "scripted"

    def __init__(self, *answers: tuple[str, str]) -> None:
        self.answers = list(answers)
        self.calls: list[ChatCall] = []

    async def chat(self, req: ChatCall) -> ChatResult:
        self.calls.append(req)
        content, finish = self.answers.pop(0)
        return ChatResult(content, req.model, self.name, 10, 5, finish_reason=finish)

    async def embed(self, model: str, texts: Sequence[str], *, timeout: float) -> EmbedResult:  # noqa: ASYNC109
        return EmbedResult([[1.0]] * len(texts), model, self.name, 1)

    async def aclose(self) -> None:
        return None


def _call() -> ChatCall:
    return ChatCall("m", (("user", "Summarise."),), 0.0, 64, SCHEMA, 7, 30.0)


async def test_a_cut_off_answer_is_retried_once_from_the_original_conversation_with_a_firmer_instruction() -> None:
    inner = Scripted(('{"summary": "loop loop loop', "length"), ('{"summary": "short"}', "stop"))
    result = await StructuredOutput(inner).chat(_call())
    assert json.loads(result.content) == {"summary": "short"}
    assert (result.attempts, result.reasks, result.finish_reason) == (2, 1, "stop")
    assert (result.prompt_tokens, result.completion_tokens) == (20, 10)  # both calls were paid for
    retry = inner.calls[1].messages
    # The runaway answer is not quoted back (it would feed the loop); the brevity instruction names the limit.
    assert all("loop loop" not in content for _, content in retry)
    assert retry[-1] == ("user", BRIEFER.format(limit=64))


async def test_cut_off_twice_fails_with_its_own_error_after_two_calls() -> None:
    inner = Scripted(("{\"summary\": \"a a a", "length"), ("{\"summary\": \"b b b", "length"), ("unused", "stop"))
    with pytest.raises(ProviderOutputTruncated, match="cut off at the token limit twice") as info:
        await StructuredOutput(inner, max_reasks=2).chat(_call())
    assert info.value.attempts == 2 and len(inner.calls) == 2


@pytest_asyncio.fixture
async def gateway(mock: MockOpenAI) -> AsyncIterator[GatewayService]:
    mock.reset()
    provider = StructuredOutput(OpenAICompatProvider(mock.base_url, "k"))
    service = GatewayService(
        provider, provider, chat_model="mock-chat", timeout_s=10.0, completions=CompletionCache(1 << 20)
    )
    yield service
    await service.aclose()


async def test_the_gateway_reports_finish_reason_attempts_and_reasks_and_remembers_a_truncation(
    gateway: GatewayService, mock: MockOpenAI
) -> None:
    mock.set_mode(schema_reply="valid")
    ok = await gateway.chat(model="", messages=[("user", "fine")], json_schema=SCHEMA, max_tokens=64, seed=7)
    assert (ok.finish_reason, ok.attempts, ok.reasks, ok.cached) == ("stop", 1, 0, False)

    mock.set_mode(loop=True)
    with pytest.raises(errors.Unavailable) as info:
        await gateway.chat(model="", messages=[("user", "loops")], json_schema=SCHEMA, max_tokens=64, seed=7)
    assert info.value.code == MODEL_OUTPUT_TRUNCATED
    assert mock.count("/chat/completions") == 3  # the valid one, then the loop and its one firmer retry
    assert all(r.body["max_tokens"] == 64 for r in mock.requests)
    # Asked again (a redelivered job): the remembered failure answers, no model call is paid for.
    with pytest.raises(errors.Unavailable) as again:
        await gateway.chat(model="", messages=[("user", "loops")], json_schema=SCHEMA, max_tokens=64, seed=7)
    assert again.value.code == MODEL_OUTPUT_TRUNCATED
    assert mock.count("/chat/completions") == 3


async def test_a_schema_invalid_answer_is_remembered_too(gateway: GatewayService, mock: MockOpenAI) -> None:
    mock.set_mode(schema_reply="invalid")
    for _ in range(2):
        with pytest.raises(errors.Unavailable) as info:
            await gateway.chat(model="", messages=[("user", "bad")], json_schema=SCHEMA, max_tokens=64, seed=7)
        assert info.value.code == MODEL_OUTPUT_INVALID
    assert mock.count("/chat/completions") == 3  # the first call and its two re-asks; none for the repeat
