"""An OpenAI-compatible HTTP provider (OpenRouter, OpenAI, vLLM, Ollama ...): one pooled keep-alive client each."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import orjson

from cveval_gateway.providers.base import (
    ChatCall,
    ChatResult,
    EmbedResult,
    ProviderAuthFailed,
    ProviderBadResponse,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from cveval_gateway.providers.http import AiohttpTransport, HttpTransport, HttpxTransport, Reply
from cveval_gateway.providers.retry import Budget, RetryPolicy, parse_retry_after, with_retries

_DETAIL_LIMIT = 300


class OpenAICompatProvider:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        max_connections: int = 32,
        timeout_s: float = 60.0,
        connect_timeout_s: float = 5.0,
        name: str | None = None,
        policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        rng: random.Random | None = None,
        structured_output: Literal["json_object", "json_schema"] = "json_object",
    ) -> None:
        self.name = name or urlsplit(base_url).hostname or "openai-compatible"
        self._api_key = api_key
        self._policy = policy or RetryPolicy()
        self._rng = rng or random.Random()
        # json_schema lets providers that support it (OpenAI, vLLM, some OpenRouter models) constrain decoding;
        # json_object is what every OpenAI-compatible server understands. The answer is validated either way.
        self._structured_output = structured_output
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # One client for the life of the process: its pool keeps TCP/TLS connections warm between calls. An httpx
        # transport handed in (tests script answers with httpx.MockTransport) selects the httpx client.
        self._http: HttpTransport
        if transport is not None:
            self._http = HttpxTransport(
                self.name, base_url, headers, max_connections=max_connections, connect_timeout_s=connect_timeout_s,
                transport=transport,
            )
        else:
            self._http = AiohttpTransport(
                self.name, base_url, headers, max_connections=max_connections, connect_timeout_s=connect_timeout_s
            )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def chat(self, req: ChatCall) -> ChatResult:
        payload: dict[str, Any] = {
            "model": req.model,
            "messages": [{"role": role, "content": content} for role, content in req.messages],
            "temperature": req.temperature,
        }
        if req.max_tokens > 0:
            payload["max_tokens"] = req.max_tokens
        if req.seed is not None:
            payload["seed"] = req.seed
        if req.json_schema is not None:
            payload["response_format"] = self._response_format(req.json_schema)

        async def attempt(remaining: float) -> dict[str, Any]:
            return await self._post("chat/completions", payload, remaining)

        data = await with_retries(attempt, Budget(req.timeout), self._policy, self._rng)
        try:
            choice = data["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise ProviderBadResponse(f"{self.name}: the completion has no choices[0].message.content") from None
        if not isinstance(content, str):
            raise ProviderBadResponse(f"{self.name}: the completion content is not text")
        prompt_tokens, completion_tokens = _usage(data)
        return ChatResult(
            content=content,
            model=_text(data.get("model")) or req.model,
            provider=self.name,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason=_text(choice.get("finish_reason")),
        )

    async def embed(self, model: str, texts: Sequence[str], *, timeout: float) -> EmbedResult:  # noqa: ASYNC109
        payload = {"model": model, "input": list(texts)}

        async def attempt(remaining: float) -> dict[str, Any]:
            return await self._post("embeddings", payload, remaining)

        data = await with_retries(attempt, Budget(timeout), self._policy, self._rng)
        vectors = self._vectors(data, len(texts))
        prompt_tokens, _ = _usage(data)
        return EmbedResult(
            vectors=vectors, model=_text(data.get("model")) or model, provider=self.name, prompt_tokens=prompt_tokens
        )

    def _response_format(self, json_schema: str) -> dict[str, Any]:
        if self._structured_output == "json_schema":
            try:
                schema = json.loads(json_schema)
            except ValueError:
                raise ProviderRejected("json_schema is not valid JSON") from None
            # strict mode would reject schemas outside OpenAI's subset; the gateway validates the answer itself.
            return {"type": "json_schema", "json_schema": {"name": "response", "schema": schema, "strict": False}}
        return {"type": "json_object"}

    def _vectors(self, data: dict[str, Any], expected: int) -> list[list[float]]:
        items = data.get("data")
        if not isinstance(items, list):
            raise ProviderBadResponse(f"{self.name}: the embeddings response has no data list")
        try:
            # Providers may answer out of order; `index` is what ties a vector to its input.
            ordered = sorted(items, key=lambda item: int(item["index"]))
            indexes = [int(item["index"]) for item in ordered]
            vectors = [[float(x) for x in item["embedding"]] for item in ordered]
        except (KeyError, TypeError, ValueError):
            raise ProviderBadResponse(f"{self.name}: an embedding item lacks a numeric index or vector") from None
        if indexes != list(range(expected)):
            raise ProviderBadResponse(f"{self.name}: expected {expected} embeddings, got {len(vectors)}")
        if vectors and any(len(v) != len(vectors[0]) or not v for v in vectors):
            raise ProviderBadResponse(f"{self.name}: the embeddings have inconsistent dimensions")
        return vectors

    async def _post(self, path: str, payload: dict[str, Any], budget_s: float) -> dict[str, Any]:
        reply = await self._http.post(path, orjson.dumps(payload), budget_s)
        status = reply.status
        if status == 429:
            raise ProviderRateLimited(f"{self.name}: rate limited", parse_retry_after(reply.headers))
        if status in (401, 403):
            raise ProviderAuthFailed(f"{self.name}: the provider refused the gateway's credentials (HTTP {status})")
        if status == 408 or status >= 500:
            raise ProviderUnavailable(f"{self.name}: the provider answered HTTP {status}")
        if status >= 400:
            detail = self._detail(reply)
            suffix = f": {detail}" if detail else ""
            raise ProviderRejected(f"{self.name} rejected the request (HTTP {status}){suffix}")
        try:
            data = orjson.loads(reply.body)
        except orjson.JSONDecodeError:  # a ValueError, raised for invalid UTF-8 too
            raise ProviderBadResponse(f"{self.name}: the response is not valid JSON") from None
        if not isinstance(data, dict):
            raise ProviderBadResponse(f"{self.name}: the response is not a JSON object")
        return data

    def _detail(self, reply: Reply) -> str:
        """The provider's own error message, cut short and scrubbed of our key, so the caller learns what was wrong."""
        try:
            body = orjson.loads(reply.body)
            error = body.get("error") if isinstance(body, dict) else None
            message = error.get("message") if isinstance(error, dict) else error
            detail = message if isinstance(message, str) else json.dumps(body)
        except orjson.JSONDecodeError:
            detail = reply.body.decode("utf-8", errors="replace")
        detail = " ".join(detail.split())[:_DETAIL_LIMIT]
        if self._api_key:
            detail = detail.replace(self._api_key, "***")
        return detail


def _usage(data: dict[str, Any]) -> tuple[int, int]:
    usage = data.get("usage")
    if not isinstance(usage, dict):
        return 0, 0
    return _int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens"))


def _int(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
