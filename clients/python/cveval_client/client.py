"""Sync and async clients of the cveval REST API (through its Envoy edge), with retries that honour Retry-After."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar

import httpx

from cveval_client import calls
from cveval_client.errors import ConnectionFailed, CvevalError, error_for
from cveval_client.models import (
    Batch,
    Candidate,
    CreatedBatch,
    Job,
    RankedCandidate,
    Result,
    Uploaded,
    Vacancy,
    VacancyDocuments,
)
from cveval_client.retry import RETRYABLE_STATUSES, RetryPolicy, may_retry
from cveval_client.stream import JsonArrayStream

T = TypeVar("T")
DEFAULT_TIMEOUT_S = 60.0
WATCH_TIMEOUT = httpx.Timeout(30.0, read=None)  # a watch is quiet while nothing changes


def _headers(api_key: str) -> dict[str, str]:
    headers = {"user-agent": "cveval-client/0.1"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    return headers


def _request_args(call: calls.Call[Any]) -> dict[str, Any]:
    args: dict[str, Any] = {"params": call.params}
    if call.json is not None:
        args["json"] = call.json
    if call.files is not None:
        args["files"] = call.files
    if call.idempotency_key:
        args["headers"] = {"idempotency-key": call.idempotency_key}
    return args


def _outcome(call: calls.Call[T], response: httpx.Response) -> T:
    if response.status_code >= 400:
        raise _error(response)
    return call.parse(response.content if call.raw else response.json())


def _error(response: httpx.Response) -> CvevalError:
    message, code = response.reason_phrase or "request failed", response.headers.get("x-cveval-error-code", "")
    try:
        body = response.json()
        message = str(body.get("message") or message)
    except ValueError:
        if response.text.strip():
            message = response.text.strip()[:200]
    return error_for(response.status_code, message, code)


def _retryable(call: calls.Call[Any], response: httpx.Response | None) -> bool:
    if not may_retry(call.method, bool(call.idempotency_key)):
        return False
    return response is None or response.status_code in RETRYABLE_STATUSES


class Client:
    """Blocking client. `Client(url, api_key)`; use as a context manager or call close()."""

    def __init__(self, base_url: str, api_key: str = "", *, timeout: float = DEFAULT_TIMEOUT_S,
                 retry: RetryPolicy | None = None, transport: httpx.BaseTransport | None = None) -> None:
        self.retry = retry or RetryPolicy()
        self.http = httpx.Client(base_url=base_url, headers=_headers(api_key), timeout=timeout, transport=transport)
        self.sleep: Callable[[float], None] = time.sleep

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def send(self, call: calls.Call[T]) -> T:
        for attempt in range(1, self.retry.attempts + 1):
            try:
                response = self.http.request(call.method, call.path, **_request_args(call))
            except httpx.TransportError as exc:
                if attempt == self.retry.attempts or not _retryable(call, None):
                    raise ConnectionFailed(f"cannot reach {self.http.base_url}: {exc}") from exc
                self.sleep(self.retry.delay(attempt, None))
                continue
            if attempt < self.retry.attempts and _retryable(call, response):
                self.sleep(self.retry.delay(attempt, response.headers.get("retry-after")))
                continue
            return _outcome(call, response)
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    def upload(self, cv: calls.FileArg, project: calls.FileArg | None = None) -> Uploaded:
        return self.send(calls.upload(cv, project))

    def upload_vacancy_documents(self, job_description: calls.FileArg | None,
                                 study_case_brief: calls.FileArg | None) -> VacancyDocuments:
        return self.send(calls.upload_vacancy_documents(job_description, study_case_brief))

    def create_vacancy(self, title: str, job_description: str = "", study_case_brief: str = "", *,
                       documents: VacancyDocuments | None = None) -> Vacancy:
        return self.send(calls.create_vacancy(title, job_description, study_case_brief, documents=documents))

    def get_vacancy(self, vacancy_id: str) -> Vacancy:
        return self.send(calls.get_vacancy(vacancy_id))

    def list_vacancies(self, title: str = "", page_size: int = 0, page_token: str = "") -> tuple[list[Vacancy], str]:
        return self.send(calls.list_vacancies(title, page_size, page_token))

    def evaluate(self, cv_id: str, project_id: str, vacancy_id: str = "", idempotency_key: str = "") -> Job:
        return self.send(calls.evaluate(cv_id, project_id, vacancy_id, idempotency_key))

    def create_batch(self, vacancy_id: str, candidates: Sequence[Candidate], idempotency_key: str = "") -> CreatedBatch:
        return self.send(calls.create_batch(vacancy_id, candidates, idempotency_key))

    def get_batch(self, batch_id: str) -> Batch:
        return self.send(calls.get_batch(batch_id))

    def watch_batch(self, batch_id: str) -> Iterator[Batch]:
        """The batch's progress as it changes, until it is done (a server stream, no polling)."""
        parser = JsonArrayStream()
        try:
            with self.http.stream("GET", calls.watch_batch_path(batch_id), timeout=WATCH_TIMEOUT) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error(response)
                for chunk in response.iter_text():
                    for update in parser.feed(chunk):
                        yield Batch.from_json(update["batch"])
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"the watch of batch {batch_id} broke: {exc}") from exc

    def list_jobs(self, **filters: Any) -> tuple[list[Job], str]:
        return self.send(calls.list_jobs(**filters))

    def get_result(self, job_id: str) -> Result:
        return self.send(calls.get_result(job_id))

    def ranking(self, vacancy_id: str, **options: Any) -> tuple[list[RankedCandidate], str]:
        return self.send(calls.ranking(vacancy_id, **options))

    def full_ranking(self, vacancy_id: str, **options: Any) -> list[RankedCandidate]:
        """Every page of the ranking, best first."""
        out, token = self.ranking(vacancy_id, page_size=200, **options)
        while token:
            page, token = self.ranking(vacancy_id, page_size=200, page_token=token, **options)
            out.extend(page)
        return out

    def export_ranking(self, vacancy_id: str, fmt: str = "csv", **options: Any) -> bytes:
        return self.send(calls.export_ranking(vacancy_id, fmt, **options))


class AsyncClient:
    """The same calls for asyncio. `async with AsyncClient(url, api_key) as client: ...`."""

    def __init__(self, base_url: str, api_key: str = "", *, timeout: float = DEFAULT_TIMEOUT_S,
                 retry: RetryPolicy | None = None, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.retry = retry or RetryPolicy()
        self.http = httpx.AsyncClient(base_url=base_url, headers=_headers(api_key), timeout=timeout,
                                      transport=transport)
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.aclose()

    async def send(self, call: calls.Call[T]) -> T:
        for attempt in range(1, self.retry.attempts + 1):
            try:
                response = await self.http.request(call.method, call.path, **_request_args(call))
            except httpx.TransportError as exc:
                if attempt == self.retry.attempts or not _retryable(call, None):
                    raise ConnectionFailed(f"cannot reach {self.http.base_url}: {exc}") from exc
                await self.sleep(self.retry.delay(attempt, None))
                continue
            if attempt < self.retry.attempts and _retryable(call, response):
                await self.sleep(self.retry.delay(attempt, response.headers.get("retry-after")))
                continue
            return _outcome(call, response)
        raise AssertionError("unreachable")

    async def upload(self, cv: calls.FileArg, project: calls.FileArg | None = None) -> Uploaded:
        return await self.send(calls.upload(cv, project))

    async def upload_vacancy_documents(self, job_description: calls.FileArg | None,
                                 study_case_brief: calls.FileArg | None) -> VacancyDocuments:
        return await self.send(calls.upload_vacancy_documents(job_description, study_case_brief))

    async def create_vacancy(self, title: str, job_description: str = "", study_case_brief: str = "", *,
                       documents: VacancyDocuments | None = None) -> Vacancy:
        return await self.send(calls.create_vacancy(title, job_description, study_case_brief, documents=documents))

    async def get_vacancy(self, vacancy_id: str) -> Vacancy:
        return await self.send(calls.get_vacancy(vacancy_id))

    async def evaluate(self, cv_id: str, project_id: str, vacancy_id: str = "", idempotency_key: str = "") -> Job:
        return await self.send(calls.evaluate(cv_id, project_id, vacancy_id, idempotency_key))

    async def create_batch(self, vacancy_id: str, candidates: Sequence[Candidate],
                           idempotency_key: str = "") -> CreatedBatch:
        return await self.send(calls.create_batch(vacancy_id, candidates, idempotency_key))

    async def get_batch(self, batch_id: str) -> Batch:
        return await self.send(calls.get_batch(batch_id))

    async def watch_batch(self, batch_id: str) -> AsyncIterator[Batch]:
        parser = JsonArrayStream()
        try:
            async with self.http.stream("GET", calls.watch_batch_path(batch_id), timeout=WATCH_TIMEOUT) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _error(response)
                async for chunk in response.aiter_text():
                    for update in parser.feed(chunk):
                        yield Batch.from_json(update["batch"])
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"the watch of batch {batch_id} broke: {exc}") from exc

    async def list_jobs(self, **filters: Any) -> tuple[list[Job], str]:
        return await self.send(calls.list_jobs(**filters))

    async def get_result(self, job_id: str) -> Result:
        return await self.send(calls.get_result(job_id))

    async def ranking(self, vacancy_id: str, **options: Any) -> tuple[list[RankedCandidate], str]:
        return await self.send(calls.ranking(vacancy_id, **options))

    async def export_ranking(self, vacancy_id: str, fmt: str = "csv", **options: Any) -> bytes:
        return await self.send(calls.export_ranking(vacancy_id, fmt, **options))
