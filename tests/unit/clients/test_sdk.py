"""The SDK's retry and idempotency logic against a scripted transport, and its stream reader."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from cveval_client import AsyncClient, Candidate, Client, RetryPolicy, errors
from cveval_client.calls import Call
from cveval_client.retry import parse_retry_after
from cveval_client.stream import JsonArrayStream

BATCH = {"batch": {"id": "b1", "vacancy_id": "v1", "progress": {"total": 1, "queued": 1}, "done": False},
         "jobs": [{"id": "j1", "status": "queued", "cv_id": "c1", "project_id": "p1", "batch_id": "b1"}]}


def scripted(*answers: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return httpx.MockTransport(handle), seen


def unavailable(retry_after: str | None = None) -> httpx.Response:
    headers = {"retry-after": retry_after} if retry_after else {}
    return httpx.Response(503, json={"code": 14, "message": "database unavailable"}, headers=headers)


def test_a_batch_is_retried_after_retry_after_with_the_same_key() -> None:
    transport, seen = scripted(unavailable("2"), httpx.Response(200, json=BATCH))
    client = Client("http://api", "k", transport=transport)
    slept: list[float] = []
    client.sleep = slept.append
    created = client.create_batch("v1", [Candidate("c1", "p1")])
    assert created.batch.id == "b1" and created.jobs[0].batch_id == "b1"
    assert slept == [2.0]
    keys = {r.headers["idempotency-key"] for r in seen}
    assert len(seen) == 2 and len(keys) == 1 and keys != {""}
    assert seen[0].headers["authorization"] == "Bearer k"
    assert json.loads(seen[0].content) == {"vacancy_id": "v1", "candidates": [{"cv_id": "c1", "project_id": "p1"}]}


def test_a_write_without_a_key_is_not_retried() -> None:
    transport, seen = scripted(unavailable("1"), httpx.Response(200, json={}))
    client = Client("http://api", transport=transport)
    with pytest.raises(errors.Unavailable, match="database unavailable"):
        client.send(Call("POST", "/v1/anything", dict))
    assert len(seen) == 1


def test_errors_are_typed_and_not_retried() -> None:
    transport, seen = scripted(httpx.Response(401, json={"code": 16, "message": "invalid API key"}))
    client = Client("http://api", "bad", transport=transport)
    with pytest.raises(errors.AuthenticationFailed) as raised:
        client.get_batch("b1")
    assert raised.value.status == 401 and len(seen) == 1


def test_retries_give_up_after_the_policy_attempts() -> None:
    transport, seen = scripted(*(unavailable() for _ in range(3)))
    client = Client("http://api", transport=transport, retry=RetryPolicy(attempts=3, base_delay_s=0.01))
    client.sleep = lambda s: None
    with pytest.raises(errors.Unavailable):
        client.get_batch("b1")
    assert len(seen) == 3


def test_an_unreachable_server_is_a_connection_failure() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = Client("http://api", transport=httpx.MockTransport(refuse), retry=RetryPolicy(attempts=2))
    client.sleep = lambda s: None
    with pytest.raises(errors.ConnectionFailed, match="cannot reach"):
        client.get_batch("b1")


async def test_the_async_client_retries_the_same_way() -> None:
    transport, seen = scripted(httpx.Response(429, headers={"retry-after": "1"}), httpx.Response(200, json=BATCH))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async with AsyncClient("http://api", "k", transport=transport) as client:
        client.sleep = sleep
        created = await client.create_batch("v1", [Candidate("c1", "p1")], idempotency_key="mine")
    assert created.batch.progress.queued == 1 and slept == [1.0]
    assert [r.headers["idempotency-key"] for r in seen] == ["mine", "mine"]


def test_retry_after_as_seconds_or_date() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (parse_retry_after(later) or 0) <= 31


def test_a_streamed_array_is_read_element_by_element() -> None:
    stream = JsonArrayStream()
    body = '[{"batch":{"id":"b","progress":{"total":2}}}\n,{"batch":{"id":"b","done":true}}]'
    seen = [item for i in range(0, len(body), 7) for item in stream.feed(body[i:i + 7])]
    assert [s["batch"].get("done", False) for s in seen] == [False, True]
