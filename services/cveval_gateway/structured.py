"""Structured output: a Provider wrapper that makes a JSON-schema chat answer valid or fails clearly.

When a call carries a JSON schema, the inner provider is asked for JSON (json_object, or json_schema where the
provider is configured for it). The answer is validated with the `jsonschema` library; a broken answer is sent
back to the model with the validation problems as a new user message, at most `max_reasks` times. If no answer
validates, ProviderInvalidOutput names the problem: nothing is filled in, defaulted or invented.

An answer cut off at max_tokens (finish_reason "length") is not a schema problem: it is asked again once, from the
original conversation with a firmer brevity instruction; cut off again, ProviderOutputTruncated ends the call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from jsonschema import exceptions as schema_errors
from jsonschema import validators
from jsonschema.protocols import Validator

from cveval_gateway import accounting
from cveval_gateway.providers.base import (
    ChatCall,
    ChatResult,
    EmbedResult,
    Provider,
    ProviderInvalidOutput,
    ProviderOutputTruncated,
    ProviderRejected,
)
from cveval_gateway.resilience.clock import Clock, SystemClock

DEFAULT_MAX_REASKS = 2
_PROBLEM_LIMIT = 300  # a message quotes parts of the model's answer; keep it readable and bounded
_PROBLEMS_PER_REASK = 5
REASK = (
    "Your previous answer was rejected: {problems}. Reply again with only a JSON document that satisfies the JSON "
    "schema you were given: no prose, no Markdown, no fields the schema does not allow. Use only facts from this "
    "conversation; do not invent values."
)
BRIEFER = (
    "Your previous answer was cut off at {limit} token limit before the JSON document was complete. Answer again "
    "with only the JSON document, much shorter: every string a short phrase, never repeat a sentence, no more "
    "array items than needed."
)
SCHEMA_INSTRUCTION = "Answer with only a JSON document valid against this JSON schema:\n{schema}"


class StructuredOutput:
    def __init__(self, inner: Provider, *, max_reasks: int = DEFAULT_MAX_REASKS, clock: Clock | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.max_reasks = max_reasks
        self._clock = clock or SystemClock()

    async def chat(self, req: ChatCall) -> ChatResult:
        if req.json_schema is None:
            return await self.inner.chat(req)
        validator = _validator(req.json_schema)
        deadline = self._clock.now() + req.timeout
        first = _with_schema_instruction(req.messages, req.json_schema)
        messages = list(first)
        prompt_tokens = completion_tokens = 0
        problem = ""
        attempts = truncations = 0
        while attempts <= self.max_reasks:
            remaining = deadline - self._clock.now()
            if attempts and remaining <= 0:
                problem += " (no time was left to ask again)"
                break
            attempts += 1
            result = await self.inner.chat(replace(req, messages=tuple(messages), timeout=remaining))
            prompt_tokens += result.prompt_tokens
            completion_tokens += result.completion_tokens
            if result.finish_reason == "length":
                # Cut off at max_tokens: not a schema problem, and quoting the runaway answer back would only
                # feed the loop. One retry from the original conversation with a firmer brevity instruction.
                truncations += 1
                problem = f"the answer was cut off at the {req.max_tokens or 'provider'} token limit"
                if truncations > 1:
                    break
                messages = [*first, ("user", BRIEFER.format(limit=req.max_tokens or "the"))]
                continue
            document, problems = check(result.content, validator)
            if not problems:
                accounting.structured_attempts("ok", attempts)
                return replace(
                    result,
                    content=document,
                    prompt_tokens=prompt_tokens,
                    completion_tokens=completion_tokens,
                    attempts=attempts,
                    reasks=attempts - 1,
                )
            problem = problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
            messages += [("assistant", result.content), ("user", REASK.format(problems="; ".join(problems)))]
        if truncations > 1:
            accounting.structured_attempts("truncated", attempts)
            raise ProviderOutputTruncated(
                f"the model's answer was cut off at the token limit twice ({attempts} attempts): it loops or "
                "max_tokens is too small for the schema",
                attempts=attempts,
                problem=problem,
            )
        accounting.structured_attempts("invalid", attempts)
        raise ProviderInvalidOutput(
            f"the model's answer did not match the JSON schema after {attempts} attempt{'s' * (attempts != 1)}: "
            f"{problem}",
            attempts=attempts,
            problem=problem,
        )

    async def embed(self, model: str, texts: Sequence[str], *, timeout: float) -> EmbedResult:  # noqa: ASYNC109
        return await self.inner.embed(model, texts, timeout=timeout)

    async def aclose(self) -> None:
        await self.inner.aclose()


def check(content: str, validator: Validator) -> tuple[str, list[str]]:
    """The JSON text (unwrapped from a Markdown fence some models add) and its problems, most relevant first."""
    text = _unfenced(content)
    try:
        document = json.loads(text)
    except ValueError as exc:
        return text, [_bounded(f"the answer is not valid JSON ({exc})")]
    found = sorted(validator.iter_errors(document), key=schema_errors.relevance)
    return text, [_describe(error) for error in found[:_PROBLEMS_PER_REASK]]


@lru_cache(maxsize=128)
def _validator(json_schema: str) -> Validator:
    """One validator per distinct schema: callers send the same few schemas over and over."""
    try:
        schema: Any = json.loads(json_schema)
    except ValueError:
        raise ProviderRejected("json_schema is not valid JSON") from None
    cls = validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except schema_errors.SchemaError as exc:
        raise ProviderRejected(_bounded(f"json_schema is not a valid JSON Schema: {exc.message}")) from None
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _with_schema_instruction(messages: Sequence[tuple[str, str]], json_schema: str) -> list[tuple[str, str]]:
    """json_object mode only promises some JSON; the model must see the schema it has to satisfy (and OpenAI
    refuses json_object requests whose messages never say "JSON")."""
    if any(json_schema in content for _, content in messages):
        return list(messages)
    return [("system", SCHEMA_INSTRUCTION.format(schema=json_schema)), *messages]


def _describe(error: schema_errors.ValidationError) -> str:
    return _bounded(f"at {error.json_path}: {error.message}")


def _unfenced(content: str) -> str:
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0].strip()
    return text


def _bounded(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _PROBLEM_LIMIT else text[: _PROBLEM_LIMIT - 1] + "…"
