"""WatchResult's fan-out: one feed per watched job, what it asks the job service, the message built once per change
and shared, the periodic re-check that covers a lost event, and the access rule and audit per watcher."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, cast

import pytest

from cveval.result.v1 import result_pb2
from cveval_kit import errors
from cveval_kit.identity import REVIEWER, SUBMITTER, Identity
from cveval_result.adapters.events import NatsStatusEvents, StatusChange, Wakeups
from cveval_result.adapters.job_client import JobState
from cveval_result.service import CacheLimits, ResultApplication, ResultView
from cveval_result.servicer import watch_message
from tests.unit.result.test_read_path import Jobs, Results, Trail, _valid_payload

ALICE = Identity("t1", "key:alice", frozenset({SUBMITTER}))
BOB = Identity("t1", "key:bob", frozenset({SUBMITTER}))
REVIEW = Identity("t1", "key:rev", frozenset({REVIEWER}))
BOUND_S = 10.0  # a generous bound on every wait, never a figure asserted


class Rendered:
    """Counts the messages built, per status."""

    def __init__(self) -> None:
        self.built: list[str] = []

    def __call__(self, view: ResultView) -> result_pb2.WatchResultResponse:
        self.built.append(view.status)
        return watch_message(view)


def _app(limits: CacheLimits | None = None) -> tuple[ResultApplication, NatsStatusEvents, Jobs, Trail]:
    results, jobs, trail = Results(), Jobs(), Trail()
    events = NatsStatusEvents(cast(Any, None), "cveval.events.jobs")  # only fan-out: messages are handed in
    app = ResultApplication(cast(Any, results), cast(Any, jobs), events, trail, limits)
    events.listener = app.job_status_changed
    return app, events, jobs, trail


async def _event(events: NatsStatusEvents, job_id: str, status: str, code: str = "") -> None:
    body = {"id": job_id, "status": status, "error": {"code": code, "message": ""}}
    await events._on_message(cast(Any, SimpleNamespace(subject=f"cveval.events.jobs.{job_id}",
                                                       data=json.dumps(body).encode())))


class Watcher:
    """One WatchResult stream's updates, collected as they come."""

    def __init__(self, app: ResultApplication, who: Identity, job_id: str, render: Any) -> None:
        self.updates: list[Any] = []
        self.task = asyncio.create_task(self._follow(app.watch(who, job_id, render)))

    async def _follow(self, stream: AsyncIterator[Any]) -> None:
        async for update in stream:
            self.updates.append(update)

    def statuses(self) -> list[str]:
        return [u.status for u in self.updates]


async def _until(condition: Any) -> None:
    async with asyncio.timeout(BOUND_S):
        while not condition():  # noqa: ASYNC110 - state of the watcher tasks, no event to wait on
            await asyncio.sleep(0.005)


async def test_one_message_per_change_is_built_and_shared_by_the_jobs_watchers() -> None:
    app, events, jobs, _ = _app()
    job = str(uuid.uuid4())
    jobs.states[("t1", job)] = JobState("queued", submitted_by="key:alice")
    render = Rendered()
    watchers = [Watcher(app, who, job, render) for who in (ALICE, REVIEW, ALICE, REVIEW, ALICE)]
    await _until(lambda: all(w.updates for w in watchers))
    assert len(app.feeds) == 1
    await _event(events, job, "processing")
    await _until(lambda: all(len(w.updates) == 2 for w in watchers))
    await _event(events, job, "failed", code="SCORING_FAILED")
    await asyncio.wait([w.task for w in watchers], timeout=BOUND_S)
    assert all(w.statuses() == ["queued", "processing", "failed"] for w in watchers)
    assert render.built.count("processing") == 1 and render.built.count("failed") == 1
    assert all(w.updates[1] is watchers[0].updates[1] for w in watchers)  # the same message, serialised per stream
    assert watchers[0].updates[2].error.code == "SCORING_FAILED"
    assert jobs.calls == 1  # the events carried the statuses: no read per event
    assert len(app.feeds) == 0  # the feed ended with its last watcher


async def test_a_completed_result_is_audited_for_each_watcher_and_read_once() -> None:
    app, events, jobs, trail = _app()
    job = str(uuid.uuid4())
    jobs.states[("t1", job)] = JobState("processing", submitted_by="key:alice")
    render = Rendered()
    watchers = [Watcher(app, who, job, render) for who in (ALICE, REVIEW, ALICE)]
    await _until(lambda: all(w.updates for w in watchers))
    stored = result_pb2.EvaluationResult.FromString(_valid_payload())
    await app.store(job, stored, tenant="t1", submitted_by="key:alice", cv_id="cv-1")
    await _event(events, job, "completed")
    await asyncio.wait([w.task for w in watchers], timeout=BOUND_S)
    assert all(w.statuses() == ["processing", "completed"] for w in watchers)
    assert watchers[0].updates[1].result == stored and render.built.count("completed") == 1
    assert sorted(e.principal for e in trail.events) == ["key:alice", "key:alice", "key:rev"]


async def test_a_lost_event_is_covered_by_the_periodic_re_check() -> None:
    app, _, jobs, _ = _app(CacheLimits(in_flight_ttl_s=0.01))
    app.feeds.recheck_s = 0.02
    job = str(uuid.uuid4())
    jobs.states[("t1", job)] = JobState("queued", submitted_by="key:alice")
    watcher = Watcher(app, ALICE, job, watch_message)
    await _until(lambda: watcher.updates)
    jobs.states[("t1", job)] = JobState("processing", submitted_by="key:alice")  # and no event is published
    await _until(lambda: watcher.statuses() == ["queued", "processing"])
    jobs.states[("t1", job)] = JobState("failed", submitted_by="key:alice", error_code="E")
    await asyncio.wait([watcher.task], timeout=BOUND_S)
    assert watcher.statuses() == ["queued", "processing", "failed"]


async def test_an_event_restarts_the_re_check_interval() -> None:
    app, events, jobs, _ = _app()
    app.feeds.recheck_s = BOUND_S * 10  # no re-check within the test: only events move the watcher
    job = str(uuid.uuid4())
    jobs.states[("t1", job)] = JobState("queued", submitted_by="key:alice")
    watcher = Watcher(app, ALICE, job, watch_message)
    await _until(lambda: watcher.updates)
    app.in_flight.drop(job)  # the cached state expired: the event alone carries the new status
    await _event(events, job, "processing")
    await _until(lambda: watcher.statuses() == ["queued", "processing"])
    assert jobs.calls == 1
    watcher.task.cancel()


async def test_watchers_outside_the_access_rule_are_refused_and_an_erased_job_ends_every_stream() -> None:
    app, _, jobs, _ = _app(CacheLimits(in_flight_ttl_s=0.01))
    app.feeds.recheck_s = 0.02
    job = str(uuid.uuid4())
    jobs.states[("t1", job)] = JobState("processing", submitted_by="key:alice")
    with pytest.raises(errors.NotFound):
        await anext(app.watch(BOB, job, watch_message))
    watchers = [Watcher(app, who, job, watch_message) for who in (ALICE, REVIEW)]
    await _until(lambda: all(w.updates for w in watchers))
    jobs.states.clear()  # erased: the next re-check finds nothing
    done, _ = await asyncio.wait([w.task for w in watchers], timeout=BOUND_S)
    assert len(done) == 2 and all(isinstance(w.task.exception(), errors.NotFound) for w in watchers)
    assert len(app.feeds) == 0


async def test_a_watcher_that_leaves_does_not_end_the_others() -> None:
    app, events, jobs, _ = _app()
    job = str(uuid.uuid4())
    jobs.states[("t1", job)] = JobState("queued", submitted_by="key:alice")
    leaving, staying = Watcher(app, ALICE, job, watch_message), Watcher(app, REVIEW, job, watch_message)
    await _until(lambda: leaving.updates and staying.updates)
    leaving.task.cancel()
    await asyncio.wait([leaving.task], timeout=BOUND_S)
    await _event(events, job, "failed")
    await asyncio.wait([staying.task], timeout=BOUND_S)
    assert staying.statuses() == ["queued", "failed"] and len(app.feeds) == 0


async def test_wakeups_keep_the_latest_changes_and_fall_back_to_a_re_read_when_far_behind() -> None:
    wakeups = Wakeups()
    assert await wakeups.next(0.001) is None
    for _ in range(20):
        wakeups.notify(StatusChange("processing"))
    changes = [await wakeups.next(BOUND_S) for _ in range(4)]
    assert changes[0] == StatusChange("")  # changes were dropped: one re-read rather than trusting the rest
    assert changes[1:] == [StatusChange("processing")] * 3
    assert await wakeups.next(0.001) is None


class StuckJobs(Jobs):
    """A job service that, once stuck, hangs until released (a slow answer under load)."""

    def __init__(self) -> None:
        super().__init__()
        self.stuck = False
        self.release = asyncio.Event()

    async def state(self, tenant: str, job_id: str) -> JobState | None:
        if self.stuck:
            self.calls += 1
            await self.release.wait()
            return self.states.get((tenant, job_id))
        return await super().state(tenant, job_id)


async def test_an_event_is_delivered_while_a_re_check_waits_on_the_job_service() -> None:
    results, jobs, trail = Results(), StuckJobs(), Trail()
    events = NatsStatusEvents(cast(Any, None), "cveval.events.jobs")
    app = ResultApplication(cast(Any, results), cast(Any, jobs), events, trail, CacheLimits(in_flight_ttl_s=0.01))
    events.listener = app.job_status_changed
    app.feeds.recheck_s = 0.02
    job = str(uuid.uuid4())
    jobs.states[("t1", job)] = JobState("queued", submitted_by="key:alice")
    watcher = Watcher(app, ALICE, job, watch_message)
    await _until(lambda: watcher.updates)
    jobs.stuck, asked = True, jobs.calls
    await _until(lambda: jobs.calls > asked)  # a re-check is now stuck on the job service
    await _event(events, job, "processing")
    await _until(lambda: watcher.statuses() == ["queued", "processing"])
    await _event(events, job, "failed")
    await asyncio.wait([watcher.task], timeout=BOUND_S)
    assert watcher.statuses() == ["queued", "processing", "failed"]
    jobs.release.set()
