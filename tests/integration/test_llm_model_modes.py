"""The LLM chain through the real ai-gateway against a mock that misbehaves like small real models did.

Slow prompt reading (in-progress pings keep the job with its worker: no redelivery mid-call), a repetition loop to
the token cap, a runaway string inside the JSON, and non-determinism at temperature 0. Every test uses its own
document salt, since the gateway caches deterministic completions (and, briefly, unusable answers).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cveval.job.v1 import job_pb2, vacancy_pb2
from cveval.result.v1 import result_pb2
from cveval_job.scoring.budgets import max_tokens_for
from cveval_job.scoring.llm_usage import SUMMARY_FALLBACK_FLAG
from cveval_job.scoring.prompts import PROFILE_SCHEMA
from cveval_testing.mock_openai import MockOpenAI
from tests.integration.test_pipeline import uploaded_pair, wait_result
from tests.support.infra import Infra
from tests.support.mesh import Mesh, mesh_settings, start_mesh

pytestmark = pytest.mark.integration

CHAT = "/chat/completions"
CV_SCORES_STEP = "structured CV profile"  # text only the CV-scores step's prompt carries
SUMMARY_STEP = "Write the overall summary of an application"  # only the summary step's prompt


@pytest.fixture(scope="module")
async def mesh(infra: Infra, database_url: str, mock: MockOpenAI) -> AsyncIterator[Mesh]:
    settings = mesh_settings(
        database_url, infra.nats_url, llm_base_url=mock.base_url, llm_chat_model="mock-chat",
        llm_embed_model="mock-embed", scorer="llm", worker_max_deliver=2, worker_retry_delay_s=0.05,
        # A message unacknowledged for 1 s would be redelivered: only the worker's in-progress pings keep a slow
        # evaluation with it.
        worker_ack_wait_s=1.0, llm_timeout_s=30.0,
    )
    started = await start_mesh(settings)
    try:
        yield started
    finally:
        await started.stop()


async def _evaluate(
    mesh: Mesh, cv_id: str, project_id: str, vacancy_id: str = ""
) -> tuple[str, result_pb2.WatchResultResponse]:
    request = job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id, vacancy_id=vacancy_id)
    queued = await mesh.jobs().Evaluate(request)
    return queued.id, (await wait_result(mesh, queued.id, limit_s=90))[-1]


async def _own_vacancy(mesh: Mesh, name: str) -> str:
    """A vacancy of the test's own: the summary and CV-scores prompts carry no candidate text the mock reads (its
    profile answer is the same for every CV), so with the shared default vacancy another test's cached answer
    would be served."""
    created = await mesh.vacancies().CreateVacancy(
        vacancy_pb2.CreateVacancyRequest(
            title=f"Backend Engineer ({name})",
            job_description="Backend engineer: Python, PostgreSQL, gRPC and LLM integrations.",
            study_case_brief="Build an evaluation pipeline with prompt chaining, retrieval and error handling.",
        )
    )
    return created.vacancy.id


def _flag(flags: list[str], name: str) -> str:
    return next((f.split(":", 1)[1] for f in flags if f.startswith(name + ":")), "")


def _chats(mock: MockOpenAI) -> list[dict[str, object]]:
    return [r.body for r in mock.requests if r.path.endswith(CHAT) and isinstance(r.body, dict)]


async def test_slow_prompt_reading_is_waited_for_not_redelivered(mesh: Mesh, mock: MockOpenAI) -> None:
    mock.reset()
    mock.set_mode(schema_reply="valid", prompt_s_per_1k_tokens=1.5)  # calls of ~1-2 s, ack_wait 1 s
    cv_id, project_id = await uploaded_pair(mesh, " slow prompt")
    job_id, final = await _evaluate(mesh, cv_id, project_id)
    assert final.status == "completed", final
    job = (await mesh.jobs().GetJob(job_pb2.GetJobRequest(id=job_id))).job
    assert job.attempts == 1
    assert len(_chats(mock)) == 4  # each step once: nothing was asked twice
    assert _flag(list(final.result.provenance.flags), "llm_calls") == "4"


async def test_a_model_that_loops_costs_two_capped_calls_per_step_and_fails_clearly(
    mesh: Mesh, mock: MockOpenAI
) -> None:
    mock.reset()
    mock.set_mode(schema_reply="valid", loop=True)
    cv_id, project_id = await uploaded_pair(mesh, " loops")
    job_id, final = await _evaluate(mesh, cv_id, project_id)
    assert final.status == "failed", final
    assert final.error.code == "SCORING_FAILED"
    assert "cut off at the token limit twice" in final.error.message
    chats = _chats(mock)
    assert len(chats) == 4  # profile and project scores: the loop and one firmer retry each, no re-asks
    profile_calls = [c for c in chats if c["max_tokens"] == max_tokens_for(PROFILE_SCHEMA)]
    assert len(profile_calls) == 2
    assert all(isinstance(c["max_tokens"], int) and c["max_tokens"] > 0 for c in chats)
    job = (await mesh.jobs().GetJob(job_pb2.GetJobRequest(id=job_id))).job
    assert job.attempts == 1  # an unusable answer is not an outage: no redelivery


async def test_a_summary_that_loops_falls_back_and_keeps_the_sub_scores(mesh: Mesh, mock: MockOpenAI) -> None:
    mock.reset()
    mock.set_mode(schema_reply="valid", loop=True, misbehave_when=SUMMARY_STEP)
    cv_id, project_id = await uploaded_pair(mesh, " summary loops")
    _, final = await _evaluate(mesh, cv_id, project_id, await _own_vacancy(mesh, "looping summary"))
    assert final.status == "completed", final
    flags = list(final.result.provenance.flags)
    assert SUMMARY_FALLBACK_FLAG in flags and "llm_truncated:summary" in flags
    assert len(final.result.breakdown) == 9 and all(b.evidence for b in final.result.breakdown)
    assert "Recommendation from the fixed thresholds" in final.result.overall_summary
    chats = _chats(mock)
    assert sum(SUMMARY_STEP in str(c["messages"]) for c in chats) == 2  # the loop and one firmer retry
    assert _flag(flags, "llm_calls") == str(len(chats))  # provenance counts every call the model got


async def test_a_runaway_string_fails_its_step_and_a_repeat_pays_nothing_again(mesh: Mesh, mock: MockOpenAI) -> None:
    mock.reset()
    mock.set_mode(schema_reply="valid", runaway=True, misbehave_when=CV_SCORES_STEP)
    cv_id, project_id = await uploaded_pair(mesh, " runaway")
    vacancy_id = await _own_vacancy(mesh, "runaway")
    _, final = await _evaluate(mesh, cv_id, project_id, vacancy_id)
    assert final.status == "failed", final
    assert final.error.code == "SCORING_FAILED" and "cv_scores" in final.error.message
    first = len(_chats(mock))
    assert first == 4  # profile, project scores, and the runaway CV-scores step twice
    # The same evaluation again (a retry by the client, or a redelivery): the valid steps come from the cache and
    # the failed step's failure is remembered, so no model call is paid for.
    _, again = await _evaluate(mesh, cv_id, project_id, vacancy_id)
    assert again.status == "failed" and "cv_scores" in again.error.message
    assert len(_chats(mock)) == first


async def test_non_determinism_at_temperature_zero_is_absorbed_by_the_cache(mesh: Mesh, mock: MockOpenAI) -> None:
    mock.reset()
    mock.set_mode(schema_reply="valid", nondeterministic=True)
    cv_id, project_id = await uploaded_pair(mesh, " nondeterministic")
    vacancy_id = await _own_vacancy(mesh, "non-deterministic")
    _, first = await _evaluate(mesh, cv_id, project_id, vacancy_id)
    _, second = await _evaluate(mesh, cv_id, project_id, vacancy_id)
    assert first.status == second.status == "completed", (first, second)
    scores = [{(b.stage, b.parameter): b.score for b in r.result.breakdown} for r in (first, second)]
    assert scores[0] == scores[1]
    p1, p2 = first.result.provenance, second.result.provenance
    assert p1.prompt_tokens > 0 and _flag(list(p1.flags), "llm_cached_steps") == "0"
    # Served from the cache: nothing spent by the second evaluation, and provenance says so.
    assert (p2.prompt_tokens, p2.completion_tokens) == (0, 0)
    assert _flag(list(p2.flags), "llm_cached_steps") == "4" and _flag(list(p2.flags), "llm_calls") == "0"
    assert len(_chats(mock)) == 4
