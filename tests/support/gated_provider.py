"""A provider wrapper for tests that must hold upstream calls in flight: "at the same time" becomes a fact of the
test, not a matter of timing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from cveval_gateway.providers.base import ChatCall, ChatResult, EmbedResult, Provider


class Gated:
    """Forwards to the real provider once `gate` is open; `entered` tells that an upstream call has started."""

    def __init__(self, inner: Provider) -> None:
        self.inner = inner
        self.name = inner.name
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()

    async def chat(self, req: ChatCall) -> ChatResult:
        self.entered.set()
        await self.gate.wait()
        return await self.inner.chat(req)

    async def embed(self, model: str, texts: Sequence[str], *, timeout: float) -> EmbedResult:  # noqa: ASYNC109
        self.entered.set()
        await self.gate.wait()
        return await self.inner.embed(model, texts, timeout=timeout)

    async def aclose(self) -> None:
        await self.inner.aclose()
