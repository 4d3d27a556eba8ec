"""The HTTP client under the OpenAI-compatible provider: one POST of a JSON body, answered as status, headers, bytes.

Two implementations behind one small interface, so the provider's error mapping is written once:
  AiohttpTransport  production: aiohttp's connector keeps its idle connections in a deque per host, so a call costs
                    the same with 64 warm connections as with one (httpx's pool scans every connection on each
                    request and release, encode/httpx#3215, which doubled the CPU of a call under load);
  HttpxTransport    when a caller hands in an httpx transport (tests use httpx.MockTransport to script answers).
Library exceptions become ProviderTimedOut / ProviderUnavailable here; statuses and bodies are the provider's job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import httpx
from yarl import URL

from cveval_gateway.providers.base import ProviderTimedOut, ProviderUnavailable

_JSON_HEADERS = {"Content-Type": "application/json"}
_KEEPALIVE_S = 60.0


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: Mapping[str, str]  # case-insensitive in both implementations
    body: bytes


class HttpTransport(Protocol):
    async def post(self, path: str, body: bytes, budget_s: float) -> Reply:
        """POST a JSON body to base_url/path; raises ProviderTimedOut or ProviderUnavailable when no answer came."""
        ...

    async def aclose(self) -> None: ...


class AiohttpTransport:
    def __init__(
        self, name: str, base_url: str, headers: Mapping[str, str], *, max_connections: int, connect_timeout_s: float
    ) -> None:
        self._name = name
        self._base = base_url.rstrip("/") + "/"
        self._headers = {**_JSON_HEADERS, **headers}
        self._max_connections = max_connections
        self._connect_timeout_s = connect_timeout_s
        self._urls: dict[str, URL] = {}  # parsed once per path: yarl parsing is a visible share of a call's CPU
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        # Created on first use, not in __init__: a session binds to the running loop, and providers are built
        # before the server's loop runs in some callers. One session for the life of the provider after that.
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, limit_per_host=0, keepalive_timeout=_KEEPALIVE_S, ttl_dns_cache=300
        )
        self._session = aiohttp.ClientSession(
            connector=connector, headers=self._headers, raise_for_status=False, skip_auto_headers=("User-Agent",)
        )
        return self._session

    async def post(self, path: str, body: bytes, budget_s: float) -> Reply:
        session = self._session or self._open()
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = URL(self._base + path)
        # `total` bounds the whole exchange (slow trickles too); a short connect timeout leaves budget for a retry
        # when a host is unreachable, while a model that is still generating may take all the budget there is.
        timeout = aiohttp.ClientTimeout(total=budget_s, sock_connect=min(budget_s, self._connect_timeout_s))
        try:
            async with session.post(url, data=body, timeout=timeout) as response:
                return Reply(response.status, response.headers, await response.read())
        except TimeoutError:  # aiohttp's own timeouts subclass it too, so this comes before ClientError
            raise ProviderTimedOut(f"{self._name}: no answer within {budget_s:.2f}s") from None
        except aiohttp.ClientError as exc:
            raise ProviderUnavailable(f"{self._name}: cannot reach the provider ({type(exc).__name__})") from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class HttpxTransport:
    def __init__(
        self,
        name: str,
        base_url: str,
        headers: Mapping[str, str],
        *,
        max_connections: int,
        connect_timeout_s: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._name = name
        self._connect_timeout_s = connect_timeout_s
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={**_JSON_HEADERS, **headers},
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=_KEEPALIVE_S,
            ),
            transport=transport,
        )

    async def post(self, path: str, body: bytes, budget_s: float) -> Reply:
        # httpx timeouts bound each phase; the outer timeout bounds the whole exchange (slow trickles too).
        phases = httpx.Timeout(budget_s, connect=min(budget_s, self._connect_timeout_s))
        try:
            async with asyncio.timeout(budget_s):
                response = await self._client.post(path, content=body, timeout=phases)
        except (TimeoutError, httpx.TimeoutException):
            raise ProviderTimedOut(f"{self._name}: no answer within {budget_s:.2f}s") from None
        except httpx.TransportError as exc:
            raise ProviderUnavailable(f"{self._name}: cannot reach the provider ({type(exc).__name__})") from None
        return Reply(response.status_code, response.headers, response.content)

    async def aclose(self) -> None:
        await self._client.aclose()
