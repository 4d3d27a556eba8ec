"""A slow but healthy model is waited for: neither the reconciler nor JetStream hands its job to another worker.

Budgets scaled down: the mock reads prompts at 2.5 s per 1k tokens, so the chain takes ~4 s, twice a fixed stuck
threshold of 2 s (what 600 s was to a 20-minute local-model evaluation). With that fixed threshold the reconciler,
passing every 0.2 s, would publish the job again mid-chain and a second worker would evaluate it too; the mesh now
refuses such settings at start-up, and with the threshold derived from the step budgets the job is evaluated once.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from cveval.job.v1 import job_pb2
from cveval_job.metrics import RECONCILED
from cveval_job.time_budgets import BudgetConflict, job_time_budget
from cveval_testing.mock_openai import MockOpenAI
from tests.integration.test_pipeline import uploaded_pair, wait_result
from tests.support.infra import Infra
from tests.support.mesh import Mesh, mesh_settings, start_mesh

pytestmark = pytest.mark.integration

OLD_FIXED_THRESHOLD_S = 2.0
CHAT = "/chat/completions"


def _settings(mock: MockOpenAI, **overrides: object) -> dict[str, object]:
    return {
        "llm_base_url": mock.base_url, "llm_chat_model": "mock-chat", "llm_embed_model": "mock-embed",
        "scorer": "llm", "llm_timeout_s": 20.0, "worker_max_deliver": 2, "worker_retry_delay_s": 0.05,
        # A silent worker's message comes back after 1 s; the reconciler looks every 0.2 s.
        "worker_ack_wait_s": 1.0, "worker_max_retry_delay_s": 0.5, "reconcile_interval_s": 0.2,
        **overrides,
    }


@pytest.fixture(scope="module")
async def mesh(infra: Infra, database_url: str, mock: MockOpenAI) -> AsyncIterator[Mesh]:
    settings = mesh_settings(database_url, infra.nats_url, **_settings(mock))
    started = await start_mesh(settings)
    try:
        yield started
    finally:
        await started.stop()


async def test_a_fixed_threshold_shorter_than_the_step_budgets_is_refused_at_start_up(
    infra: Infra, database_url: str, mock: MockOpenAI
) -> None:
    values = _settings(mock, reconcile_stuck_after_s=OLD_FIXED_THRESHOLD_S)
    settings = mesh_settings(database_url, infra.nats_url, **values)
    with pytest.raises(BudgetConflict, match="CVEVAL_RECONCILE_STUCK_AFTER_S"):
        await start_mesh(settings)


async def test_a_slow_job_past_the_old_threshold_is_neither_republished_nor_redelivered(
    mesh: Mesh, mock: MockOpenAI
) -> None:
    mock.reset()
    mock.set_mode(schema_reply="valid", prompt_s_per_1k_tokens=2.5)
    republished = RECONCILED.labels("republished")._value.get()
    derived = job_time_budget(mesh.settings, {}).stuck_after_s
    assert derived > OLD_FIXED_THRESHOLD_S
    cv_id, project_id = await uploaded_pair(mesh, " slow model, time budgets")
    started = time.monotonic()
    queued = await mesh.jobs().Evaluate(job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id))
    final = (await wait_result(mesh, queued.id, limit_s=120))[-1]
    took = time.monotonic() - started
    assert final.status == "completed", final
    assert took > OLD_FIXED_THRESHOLD_S  # the old threshold would have republished it mid-chain
    job = (await mesh.jobs().GetJob(job_pb2.GetJobRequest(id=queued.id))).job
    assert job.attempts == 1  # started once: no redelivery and no second message from the reconciler
    assert RECONCILED.labels("republished")._value.get() == republished
    assert sum(r.path.endswith(CHAT) for r in mock.requests) == 4  # each step asked once
