"""VacancyService through gRPC against the in-process mesh: idempotent, content-versioned vacancies whose reference
chunks are embedded at creation, and Evaluate resolving vacancy_id, job_title (newest) and inline texts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest

from cveval.job.v1 import job_pb2, vacancy_pb2
from cveval_job.adapters.vacancy_repository import VacancyRepository
from cveval_job.scoring.rubrics import DEFAULT_VACANCY_ID
from cveval_kit.db import create_engine, session_factory
from tests.integration.test_pipeline import uploaded_pair, wait_result
from tests.support.mesh import Mesh

pytestmark = pytest.mark.integration

JD = "Data Engineer. We need Python, SQL, Spark and Kafka; five years of experience building pipelines."
BRIEF = "Build a small retrieval pipeline with prompt chaining, tests and documentation."


def guide() -> list[vacancy_pb2.GuideLevel]:
    return [vacancy_pb2.GuideLevel(score=s, description=f"meets level {s}") for s in range(1, 6)]


def cv_rubric(weights: tuple[float, float] = (0.7, 0.3)) -> vacancy_pb2.Rubric:
    # Keys the offline scorer can map (by their words) onto its built-in CV parameters.
    return vacancy_pb2.Rubric(
        parameters=[
            vacancy_pb2.RubricParameter(key="python_stack", label="Python stack", weight=weights[0], guide=guide()),
            vacancy_pb2.RubricParameter(
                key="years_of_experience", label="Years of experience", weight=weights[1], guide=guide()
            ),
        ]
    )


def create_request(title: str, brief: str = BRIEF, **fields: object) -> vacancy_pb2.CreateVacancyRequest:
    return vacancy_pb2.CreateVacancyRequest(
        title=title, job_description=JD, study_case_brief=brief, **fields  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
async def repository(mesh: Mesh) -> AsyncIterator[VacancyRepository]:
    engine = create_engine(mesh.settings, "cveval-tests")
    try:
        yield VacancyRepository(session_factory(engine))
    finally:
        await engine.dispose()


async def test_create_is_idempotent_and_embeds_at_creation(mesh: Mesh, repository: VacancyRepository) -> None:
    title = f"Data Engineer {uuid.uuid4().hex[:6]}"
    created = await mesh.vacancies().CreateVacancy(create_request(title, cv_rubric=cv_rubric()))
    v = created.vacancy
    assert created.created and v.id.startswith("vac-") and len(v.version) == 16
    assert [p.key for p in v.cv_rubric.parameters] == ["python_stack", "years_of_experience"]
    assert v.cv_rubric.stage == "cv" and v.cv_rubric.version
    assert len(v.project_rubric.parameters) == 5  # omitted: the default project rubric
    assert v.created_at.seconds > 0
    assert await repository.has_chunks(v.id), "reference chunks are embedded when the vacancy is created"
    replay = await mesh.vacancies().CreateVacancy(create_request(title.upper(), cv_rubric=cv_rubric()))
    assert not replay.created and replay.vacancy == v
    got = await mesh.vacancies().GetVacancy(vacancy_pb2.GetVacancyRequest(id=v.id))
    assert got.vacancy == v


async def test_new_content_is_a_new_vacancy_and_job_title_picks_the_newest(mesh: Mesh) -> None:
    title = f"Platform Engineer {uuid.uuid4().hex[:6]}"
    first = (await mesh.vacancies().CreateVacancy(create_request(title))).vacancy
    second = (await mesh.vacancies().CreateVacancy(create_request(title, cv_rubric=cv_rubric((0.6, 0.4))))).vacancy
    assert first.id != second.id and first.version != second.version
    listed = await mesh.vacancies().ListVacancies(vacancy_pb2.ListVacanciesRequest(title=title.lower()))
    assert [v.id for v in listed.vacancies] == [second.id, first.id]
    cv_id, project_id = await uploaded_pair(mesh, f" title {title}")
    queued = await mesh.jobs().Evaluate(
        job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id, job_title=f"  {title.upper()} ")
    )
    job = (await mesh.jobs().GetJob(job_pb2.GetJobRequest(id=queued.id))).job
    assert job.vacancy_id == second.id
    final = (await wait_result(mesh, queued.id))[-1]
    assert final.status == "completed", final
    assert final.result.provenance.vacancy_id == second.id
    cv_weights = {b.parameter: b.weight for b in final.result.breakdown if b.stage == "cv"}
    assert cv_weights == {"python_stack": 0.6, "years_of_experience": 0.4}


async def test_evaluate_with_vacancy_id(mesh: Mesh) -> None:
    title = f"ML Engineer {uuid.uuid4().hex[:6]}"
    v = (await mesh.vacancies().CreateVacancy(create_request(title, cv_rubric=cv_rubric()))).vacancy
    cv_id, project_id = await uploaded_pair(mesh, f" id {title}")
    queued = await mesh.jobs().Evaluate(job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id, vacancy_id=v.id))
    final = (await wait_result(mesh, queued.id))[-1]
    assert final.status == "completed", final
    assert final.result.provenance.vacancy_id == v.id
    assert f"cv:{v.cv_rubric.version}" in final.result.provenance.rubric_version


async def test_inline_texts_make_an_embedded_adhoc_vacancy(mesh: Mesh, repository: VacancyRepository) -> None:
    cv_id, project_id = await uploaded_pair(mesh, " adhoc")
    jd = f"Analytics Engineer {uuid.uuid4().hex[:6]}\nWe need dbt, SQL and Python."
    request = job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id, job_description=jd)
    queued = await mesh.jobs().Evaluate(request)
    job = (await mesh.jobs().GetJob(job_pb2.GetJobRequest(id=queued.id))).job
    assert job.vacancy_id.startswith("adhoc-")
    assert await repository.has_chunks(job.vacancy_id)
    again = await mesh.jobs().Evaluate(job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id, job_description=jd))
    assert (await mesh.jobs().GetJob(job_pb2.GetJobRequest(id=again.id))).job.vacancy_id == job.vacancy_id
    adhoc = (await mesh.vacancies().GetVacancy(vacancy_pb2.GetVacancyRequest(id=job.vacancy_id))).vacancy
    assert adhoc.title.startswith("Analytics Engineer") and len(adhoc.version) == 16
    for job_id in (queued.id, again.id):
        assert (await wait_result(mesh, job_id))[-1].status == "completed"


async def test_default_vacancy_is_installed_and_embedded_at_start_up(mesh: Mesh, repository: VacancyRepository) -> None:
    default = (await mesh.vacancies().GetVacancy(vacancy_pb2.GetVacancyRequest(id=DEFAULT_VACANCY_ID))).vacancy
    assert default.title and len(default.version) == 16
    for _ in range(100):  # embedded in the background after start-up
        if await repository.has_chunks(DEFAULT_VACANCY_ID):
            break
        await asyncio.sleep(0.1)
    assert await repository.has_chunks(DEFAULT_VACANCY_ID)


async def test_list_pages_without_duplicates(mesh: Mesh) -> None:
    tag = uuid.uuid4().hex[:6]
    ids = [
        (await mesh.vacancies().CreateVacancy(create_request(f"Paged {tag}", brief=f"{BRIEF} Variant {i}."))).vacancy.id
        for i in range(3)
    ]
    seen: list[str] = []
    token = ""
    while True:
        page = await mesh.vacancies().ListVacancies(vacancy_pb2.ListVacanciesRequest(page_size=2, page_token=token))
        assert len(page.vacancies) <= 2
        assert all(not v.job_description and v.version for v in page.vacancies)  # the basic view
        seen += [v.id for v in page.vacancies]
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen))
    assert set(ids) | {DEFAULT_VACANCY_ID} <= set(seen)
    assert seen.index(ids[2]) < seen.index(ids[1]) < seen.index(ids[0])


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        (create_request("Bad", cv_rubric=cv_rubric((0.5, 0.4))), "cv_rubric.parameters: weights must sum to 1"),
        (create_request(""), "title: must not be empty"),
        (create_request("Big", brief="x" * 100_001), "study_case_brief: must be at most 100000 characters"),
        (create_request("Empty rubric", project_rubric=vacancy_pb2.Rubric()), "project_rubric.parameters"),
    ],
)
async def test_invalid_vacancies_are_invalid_argument(
    mesh: Mesh, request_: vacancy_pb2.CreateVacancyRequest, words: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await mesh.vacancies().CreateVacancy(request_)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert words in (err.value.details() or "")


async def test_unknown_vacancies_are_not_found(mesh: Mesh) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await mesh.vacancies().GetVacancy(vacancy_pb2.GetVacancyRequest(id="vac-unknown"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    cv_id, project_id = await uploaded_pair(mesh, " unknown vacancy")
    for fields in ({"vacancy_id": "vac-unknown"}, {"job_title": f"No Such Role {uuid.uuid4()}"}):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await mesh.jobs().Evaluate(job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id, **fields))
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
