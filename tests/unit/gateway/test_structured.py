from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from cveval_gateway.providers.base import (
    ChatCall,
    ChatResult,
    EmbedResult,
    ProviderBadResponse,
    ProviderInvalidOutput,
    ProviderRejected,
)
from cveval_gateway.resilience.clock import ManualClock
from cveval_gateway.structured import StructuredOutput

SCHEMA = json.dumps({
    "type": "object",
    "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5}, "reason": {"type": "string"}},
    "required": ["score", "reason"],
    "additionalProperties": False,
})


class Scripted:
    """Answers with the given contents in turn and records what it was asked."""

    name = "scripted"

    def __init__(self, *contents: str) -> None:
        self.contents = list(contents)
        self.calls: list[ChatCall] = []

    async def chat(self, req: ChatCall) -> ChatResult:
        self.calls.append(req)
        return ChatResult(self.contents.pop(0), req.model, self.name, prompt_tokens=10, completion_tokens=5)

    async def embed(self, model: str, texts: Sequence[str], *, timeout: float) -> EmbedResult:  # noqa: ASYNC109
        return EmbedResult([[1.0]] * len(texts), model, self.name, 1)

    async def aclose(self) -> None:
        return None


def _call(schema: str | None = SCHEMA) -> ChatCall:
    return ChatCall("judge", (("user", "Score this CV."),), 0.0, 0, schema, None, 30.0)


async def test_a_valid_answer_passes_on_the_first_attempt() -> None:
    inner = Scripted('```json\n{"score": 4, "reason": "solid"}\n```')
    result = await StructuredOutput(inner).chat(_call())
    assert json.loads(result.content) == {"score": 4, "reason": "solid"}
    assert result.attempts == 1
    # The model is shown the schema it must satisfy.
    assert inner.calls[0].messages[0][0] == "system" and SCHEMA in inner.calls[0].messages[0][1]


async def test_a_schema_violation_is_sent_back_and_the_fixed_answer_wins() -> None:
    inner = Scripted('{"score": 9}', '{"score": 5, "reason": "fixed"}')
    result = await StructuredOutput(inner, clock=ManualClock()).chat(_call())
    assert result.attempts == 2
    assert json.loads(result.content) == {"score": 5, "reason": "fixed"}
    assert (result.prompt_tokens, result.completion_tokens) == (20, 10)  # both attempts are paid for
    reask = inner.calls[1].messages
    assert reask[-2] == ("assistant", '{"score": 9}')
    assert reask[-1][0] == "user"
    assert "'reason' is a required property" in reask[-1][1] and "9 is greater than the maximum of 5" in reask[-1][1]


async def test_always_invalid_fails_clearly_and_invents_nothing() -> None:
    inner = Scripted('{"score": 3}', "not json at all", '{"score": 3, "reason": "x", "extra": 1}')
    with pytest.raises(ProviderInvalidOutput) as info:
        await StructuredOutput(inner, max_reasks=2).chat(_call())
    error = info.value
    assert isinstance(error, ProviderBadResponse)  # the service maps it like any unusable answer
    assert error.attempts == 3 and len(inner.calls) == 3
    assert "after 3 attempts" in error.message
    assert "Additional properties are not allowed ('extra' was unexpected)" in error.message
    assert error.problem in error.message


async def test_not_json_is_named_as_such() -> None:
    with pytest.raises(ProviderInvalidOutput, match="not valid JSON"):
        await StructuredOutput(Scripted("Sure! Here it is."), max_reasks=0).chat(_call())


async def test_an_invalid_schema_is_the_callers_fault() -> None:
    with pytest.raises(ProviderRejected, match="not a valid JSON Schema"):
        await StructuredOutput(Scripted("{}")).chat(_call(json.dumps({"type": "objekt"})))


async def test_plain_chat_and_embeddings_pass_through() -> None:
    inner = Scripted("free text")
    wrapper = StructuredOutput(inner)
    assert (await wrapper.chat(_call(None))).content == "free text"
    assert inner.calls[0].messages == (("user", "Score this CV."),)
    assert (await wrapper.embed("e", ["a", "b"], timeout=1)).vectors == [[1.0], [1.0]]
    assert wrapper.name == "scripted"


async def test_no_reask_once_the_deadline_has_passed() -> None:
    clock = ManualClock()

    class Slow(Scripted):
        async def chat(self, req: ChatCall) -> ChatResult:
            clock.advance(req.timeout)
            return await super().chat(req)

    inner = Slow('{"score": 1}', '{"score": 1, "reason": "late"}')
    with pytest.raises(ProviderInvalidOutput, match="no time was left"):
        await StructuredOutput(inner, clock=clock).chat(_call())
    assert len(inner.calls) == 1
