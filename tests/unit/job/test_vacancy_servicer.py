"""VacancyService's translation between messages and the use cases."""

from __future__ import annotations

from typing import Any, cast

import grpc
import pytest

from cveval.job.v1 import vacancy_pb2
from cveval_job.scoring.rubrics import default_cv_rubric
from cveval_job.vacancies.servicer import VacancyServicer, draft_from_request, rubric_to_proto
from cveval_kit import identity
from tests.unit.job.test_vacancy_service import CALLER, make_app

CONTEXT = cast(grpc.aio.ServicerContext, None)  # the servicer never touches it
LEVELS = [vacancy_pb2.GuideLevel(score=s, description=f"level {s}") for s in range(1, 6)]


def request(**fields: Any) -> vacancy_pb2.CreateVacancyRequest:
    base: dict[str, Any] = {"title": "Data Engineer", "job_description": "Spark.", "study_case_brief": "Build."}
    return vacancy_pb2.CreateVacancyRequest(**{**base, **fields})


def test_omitted_rubric_is_none_and_empty_rubric_is_kept() -> None:
    assert draft_from_request(request()).cv_rubric is None
    empty = draft_from_request(request(cv_rubric=vacancy_pb2.Rubric()))
    assert empty.cv_rubric is not None and empty.cv_rubric.parameters == ()


def test_guide_levels_are_kept_as_sent() -> None:
    param = vacancy_pb2.RubricParameter(key="sql", label="SQL", weight=1, guide=[*LEVELS, LEVELS[0]])
    draft = draft_from_request(request(project_rubric=vacancy_pb2.Rubric(parameters=[param])))
    assert draft.project_rubric is not None
    assert draft.project_rubric.parameters[0].guide[-1] == (1, "level 1")


def test_rubric_to_proto_orders_levels() -> None:
    message = rubric_to_proto(default_cv_rubric(), full=True)
    assert message.stage == "cv" and message.version == default_cv_rubric().version
    assert [g.score for g in message.parameters[0].guide] == [1, 2, 3, 4, 5]
    assert sum(p.weight for p in message.parameters) == pytest.approx(1.0)
    assert not rubric_to_proto(default_cv_rubric(), full=False).parameters


@pytest.fixture
def as_caller() -> Any:
    """The identity the service interceptor binds for a public call."""
    token = identity.bind(CALLER)
    yield
    identity.unbind(token)


@pytest.mark.usefixtures("as_caller")
async def test_create_get_and_list_basic_view() -> None:
    app, _, _ = make_app()
    servicer = VacancyServicer(app)
    param = vacancy_pb2.RubricParameter(key="sql", label="SQL", weight=1.0, guide=LEVELS)
    created = await servicer.CreateVacancy(request(cv_rubric=vacancy_pb2.Rubric(parameters=[param])), CONTEXT)
    assert created.created and created.vacancy.id.startswith("vac-") and created.vacancy.version
    assert created.vacancy.cv_rubric.stage == "cv" and created.vacancy.cv_rubric.parameters[0].key == "sql"
    assert created.vacancy.project_rubric.parameters  # the default
    replay = await servicer.CreateVacancy(request(cv_rubric=vacancy_pb2.Rubric(parameters=[param])), CONTEXT)
    assert not replay.created and replay.vacancy == created.vacancy
    got = await servicer.GetVacancy(vacancy_pb2.GetVacancyRequest(id=created.vacancy.id), CONTEXT)
    assert got.vacancy == created.vacancy
    listed = await servicer.ListVacancies(vacancy_pb2.ListVacanciesRequest(), CONTEXT)
    (basic,) = listed.vacancies
    assert basic.id == created.vacancy.id and basic.version == created.vacancy.version
    assert not basic.job_description and not basic.cv_rubric.parameters and basic.cv_rubric.version
    full = await servicer.ListVacancies(vacancy_pb2.ListVacanciesRequest(view=vacancy_pb2.VACANCY_VIEW_FULL), CONTEXT)
    assert full.vacancies[0] == created.vacancy and not full.next_page_token


def test_degraded_scoring_defaults_to_allowed_when_omitted() -> None:
    assert draft_from_request(request()).allow_degraded_scoring is True
    assert draft_from_request(request(allow_degraded_scoring=False)).allow_degraded_scoring is False
    assert draft_from_request(request(allow_degraded_scoring=True)).allow_degraded_scoring is True


def test_redaction_defaults_to_on_when_omitted() -> None:
    assert draft_from_request(request()).redact_personal_data is True
    assert draft_from_request(request(redact_personal_data=False)).redact_personal_data is False
    assert draft_from_request(request(redact_personal_data=True)).redact_personal_data is True
