"""The LLM scorer end to end: worker → real ai-gateway (structured output, retries) → mock OpenAI server over HTTP.

The mock answers every structured chat request with a document generated from the schema the request carries
(cveval_testing.schema_instances), so the expected scores are known without scripting any prompt. Each test uses its
own document salt: the gateway caches deterministic completions, and a cached valid answer must not hide a failure.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import ROUND_HALF_UP, Decimal

import pytest

from cveval.job.v1 import job_pb2, vacancy_pb2
from cveval.result.v1 import result_pb2
from cveval_devstack.procs import free_port
from cveval_job.scoring.model import Rubric
from cveval_job.scoring.prompts import PROMPT_VERSION, stage_schema
from cveval_job.scoring.rubrics import DEFAULT_VACANCY_ID, default_cv_rubric, default_project_rubric
from cveval_job.worker.evaluate import DEGRADED_FLAG, DEGRADED_REASON_PREFIX
from cveval_testing.mock_openai import MockOpenAI
from cveval_testing.schema_instances import FILLER, valid_instance
from tests.integration.test_pipeline import uploaded_pair, wait_result
from tests.support.infra import Infra
from tests.support.mesh import Mesh, mesh_settings, start_mesh

pytestmark = pytest.mark.integration

CHAT_MODEL = "mock-chat"
EMBED_MODEL = "mock-embed"
# Two deliveries, 50 ms apart: the degraded path is taken on the second, so these tests stay at a few seconds.
FAST_RETRIES: dict[str, object] = {"worker_max_deliver": 2, "worker_retry_delay_s": 0.05}


@pytest.fixture(scope="module")
async def llm_mesh(infra: Infra, database_url: str, mock: MockOpenAI) -> AsyncIterator[Mesh]:
    settings = mesh_settings(
        database_url, infra.nats_url, llm_base_url=mock.base_url, llm_chat_model=CHAT_MODEL,
        llm_embed_model=EMBED_MODEL, scorer="llm", **FAST_RETRIES,
    )
    started = await start_mesh(settings)
    try:
        yield started
    finally:
        await started.stop()


@pytest.fixture(scope="module")
async def provider_down_mesh(infra: Infra, database_url: str) -> AsyncIterator[Mesh]:
    """The LLM scorer behind a gateway whose only provider is a port nothing listens on."""
    settings = mesh_settings(
        database_url, infra.nats_url, llm_base_url=f"http://127.0.0.1:{free_port()}/v1", scorer="llm", **FAST_RETRIES
    )
    started = await start_mesh(settings)
    try:
        yield started
    finally:
        await started.stop()


def _mock_scores(rubric: Rubric) -> dict[str, int]:
    document = valid_instance(json.loads(stage_schema(rubric)))
    return {key: entry["score"] for key, entry in document["scores"].items()}


def _weighted(scores: dict[str, int], rubric: Rubric) -> Decimal:
    return sum((Decimal(str(p.weight)) * scores[p.key] for p in rubric.parameters), Decimal(0))


def _two_places(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


async def _final(mesh: Mesh, request: job_pb2.EvaluateRequest) -> result_pb2.WatchResultResponse:
    queued = await mesh.jobs().Evaluate(request)
    return (await wait_result(mesh, queued.id, limit_s=60))[-1]


async def test_llm_scoring_through_the_gateway(llm_mesh: Mesh, mock: MockOpenAI) -> None:
    mock.reset()
    mock.set_mode(schema_reply="valid")
    cv_id, project_id = await uploaded_pair(llm_mesh, " llm valid")
    final = await _final(llm_mesh, job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id))
    assert final.status == "completed", final
    r, p = final.result, final.result.provenance
    assert p.scorer == "llm" and p.prompt_version == PROMPT_VERSION
    assert CHAT_MODEL in p.models and EMBED_MODEL in p.models
    assert p.prompt_tokens > 0 and p.completion_tokens > 0
    assert DEGRADED_FLAG not in p.flags
    assert mock.count_model(CHAT_MODEL, "/chat/completions") >= 4  # profile, CV scores, project scores, summary

    cv_rubric, project_rubric = default_cv_rubric(), default_project_rubric()
    expected = {("cv", k): s for k, s in _mock_scores(cv_rubric).items()}
    expected |= {("project", k): s for k, s in _mock_scores(project_rubric).items()}
    assert len(r.breakdown) == 9
    assert {(b.stage, b.parameter): b.score for b in r.breakdown} == expected
    assert all(list(b.evidence) == [FILLER] for b in r.breakdown)
    # Unequal sub-scores, or the weighted average below would not test the weights.
    assert len(set(expected.values())) > 1
    cv_scores = {k: s for (stage, k), s in expected.items() if stage == "cv"}
    project_scores = {k: s for (stage, k), s in expected.items() if stage == "project"}
    assert r.cv_match_rate == pytest.approx(_two_places(_weighted(cv_scores, cv_rubric) * Decimal("0.2")))
    assert r.project_score == pytest.approx(_two_places(_weighted(project_scores, project_rubric)))
    assert r.cv_feedback == FILLER and r.project_feedback == FILLER and r.overall_summary == FILLER


async def test_schema_invalid_answers_fail_the_job_without_a_result(llm_mesh: Mesh, mock: MockOpenAI) -> None:
    mock.reset()
    mock.set_mode(schema_reply="invalid")
    cv_id, project_id = await uploaded_pair(llm_mesh, " llm invalid")
    queued = await llm_mesh.jobs().Evaluate(job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id))
    final = (await wait_result(llm_mesh, queued.id, limit_s=60))[-1]
    assert final.status == "failed", final
    assert final.error.code == "SCORING_FAILED"
    assert "did not match the JSON schema" in final.error.message
    assert "is a required property" in final.error.message
    stored = await llm_mesh.results().GetResult(result_pb2.GetResultRequest(id=queued.id))
    assert stored.status == "failed" and not stored.HasField("result")
    # An unusable answer is not an outage: no redelivery, no fallback to the offline scorer.
    job = (await llm_mesh.jobs().GetJob(job_pb2.GetJobRequest(id=queued.id))).job
    assert job.attempts == 1


async def test_provider_down_degrades_to_the_offline_scorer_when_allowed(provider_down_mesh: Mesh) -> None:
    mesh = provider_down_mesh
    default = (await mesh.vacancies().GetVacancy(vacancy_pb2.GetVacancyRequest(id=DEFAULT_VACANCY_ID))).vacancy
    assert default.allow_degraded_scoring
    cv_id, project_id = await uploaded_pair(mesh, " llm degraded")
    final = await _final(mesh, job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id))
    assert final.status == "completed", final
    p = final.result.provenance
    assert p.scorer == "offline"
    assert DEGRADED_FLAG in p.flags
    reasons = [f for f in p.flags if f.startswith(DEGRADED_REASON_PREFIX)]
    assert len(reasons) == 1 and "AI_UNAVAILABLE" in reasons[0]
    assert p.attempts == FAST_RETRIES["worker_max_deliver"]  # degraded only on the last delivery
    assert len(final.result.breakdown) == 9 and p.retrieved_chunk_ids  # BM25 found reference chunks without vectors


async def test_provider_down_fails_the_job_when_the_vacancy_forbids_degrading(provider_down_mesh: Mesh) -> None:
    mesh = provider_down_mesh
    created = await mesh.vacancies().CreateVacancy(
        vacancy_pb2.CreateVacancyRequest(
            title="Strict Backend Engineer",
            job_description="Backend engineer: Python, PostgreSQL, gRPC and LLM integrations.",
            study_case_brief="Build an evaluation pipeline with prompt chaining, retrieval and error handling.",
            allow_degraded_scoring=False,
        )
    )
    vacancy = created.vacancy
    assert not vacancy.allow_degraded_scoring
    cv_id, project_id = await uploaded_pair(mesh, " llm strict")
    final = await _final(mesh, job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id, vacancy_id=vacancy.id))
    assert final.status == "failed", final
    assert final.error.code == "UPSTREAM_UNAVAILABLE"
    assert "2 attempts" in final.error.message


def _sent_to_chat(mock: MockOpenAI) -> str:
    return "\n".join(
        str(message.get("content", ""))
        for r in mock.requests
        if r.path.endswith("/chat/completions") and isinstance(r.body, dict)
        for message in r.body.get("messages", [])
    )


async def test_redaction_is_switched_per_vacancy_through_the_api(llm_mesh: Mesh, mock: MockOpenAI) -> None:
    """The same documents against a vacancy that redacts (the default) and one that does not: only the second sends
    the candidate's e-mail address to the provider, and only the first says in provenance what it redacted."""
    def create(title: str, redact: bool | None) -> vacancy_pb2.CreateVacancyRequest:
        return vacancy_pb2.CreateVacancyRequest(
            title=title,
            job_description="Backend engineer: Python, PostgreSQL, gRPC and LLM integrations.",
            study_case_brief="Build an evaluation pipeline with prompt chaining, retrieval and error handling.",
            redact_personal_data=redact,  # None: omitted, the default
        )

    redacting = (await llm_mesh.vacancies().CreateVacancy(create("Redacting Backend Engineer", None))).vacancy
    open_text = (await llm_mesh.vacancies().CreateVacancy(create("Unredacted Backend Engineer", False))).vacancy
    assert redacting.redact_personal_data and not open_text.redact_personal_data
    assert (await llm_mesh.vacancies().GetVacancy(vacancy_pb2.GetVacancyRequest(id=open_text.id))).vacancy \
        .redact_personal_data is False
    cv_id, project_id = await uploaded_pair(llm_mesh, " llm redaction")
    email = "maya.lindqvist@example.com"  # in the sample CV

    sent: dict[str, str] = {}
    flags: dict[str, list[str]] = {}
    for name, vacancy in (("on", redacting), ("off", open_text)):
        mock.reset()
        mock.set_mode(schema_reply="valid")
        request = job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id, vacancy_id=vacancy.id)
        final = await _final(llm_mesh, request)
        assert final.status == "completed", final
        sent[name], flags[name] = _sent_to_chat(mock), list(final.result.provenance.flags)
    assert sent["on"] and email not in sent["on"] and "Lindqvist" not in sent["on"]
    assert email in sent["off"]
    redacted = [f for f in flags["on"] if f.startswith("redacted:")]
    assert "redacted:email=1" in redacted and any(f.startswith("redacted:name=") for f in redacted)
    assert not any(email in f or "Lindqvist" in f for f in flags["on"])  # kinds and counts, never values
    assert not any(f.startswith("redacted:") for f in flags["off"])
