"""What every model provider offers, and the errors it may raise.

The service depends only on this module, so caching, batching or fallback providers can later wrap a provider
without the service or the servicer changing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

Message = tuple[str, str]  # (role, content)


@dataclass(frozen=True)
class ChatCall:
    model: str
    messages: tuple[Message, ...]
    temperature: float
    max_tokens: int  # 0 lets the provider choose
    json_schema: str | None
    seed: int | None
    timeout: float  # total budget in seconds for the call, retries included


@dataclass(frozen=True)
class ChatResult:
    content: str
    model: str
    provider: str
    prompt_tokens: int
    completion_tokens: int
    attempts: int = 1  # model calls it took (structured output re-asks a model whose JSON broke the schema)
    # Why the model stopped: "stop", or "length" when max_tokens cut the answer off ("" when the provider says nothing).
    finish_reason: str = "stop"
    reasks: int = 0  # of the attempts, those that asked again after an unusable or cut-off answer


@dataclass(frozen=True)
class EmbedResult:
    vectors: list[list[float]]
    model: str
    provider: str
    prompt_tokens: int


@runtime_checkable
class Provider(Protocol):
    name: str

    async def chat(self, req: ChatCall) -> ChatResult: ...

    # `timeout` is a budget the provider spreads over its retries, not a single wait: asyncio.timeout cannot say that.
    async def embed(self, model: str, texts: Sequence[str], *, timeout: float) -> EmbedResult: ...  # noqa: ASYNC109

    async def aclose(self) -> None: ...


class ProviderError(Exception):
    """A provider failed; `retryable` tells the retry loop whether another attempt may succeed."""

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProviderUnavailable(ProviderError):
    """5xx, connection failures and timeouts."""

    retryable = True


class ProviderTimedOut(ProviderUnavailable):
    """The call ran out of its time budget (told apart so a spent caller deadline maps to DEADLINE_EXCEEDED)."""


class ProviderAuthFailed(ProviderUnavailable):
    """401/403: the gateway's own credentials are wrong, which is no fault of the caller and not retryable."""

    retryable = False


class ProviderRateLimited(ProviderError):
    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderBadResponse(ProviderError):
    """Malformed JSON, missing fields, wrong vector count."""


class ProviderInvalidOutput(ProviderBadResponse):
    """The model's answers never matched the requested JSON schema, re-asks included; nothing was filled in."""

    def __init__(self, message: str, *, attempts: int, problem: str) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.problem = problem


class ProviderOutputTruncated(ProviderInvalidOutput):
    """The answer was cut off at max_tokens (finish_reason=length), again after one retry with a firmer brevity
    instruction: the model loops or the budget is too small. Re-asking it as "invalid JSON" would only repeat that."""


class ProviderRejected(ProviderError):
    """Other 4xx: the request itself was refused."""


class ProviderUnsupported(ProviderRejected):
    """The provider cannot do what was asked in its current configuration (a failed precondition)."""
