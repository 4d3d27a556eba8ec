"""gRPC servicer of VacancyService: translates messages and delegates to VacancyApplication."""

from __future__ import annotations

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from cveval.job.v1 import vacancy_pb2, vacancy_pb2_grpc
from cveval_job.scoring.model import Rubric
from cveval_job.vacancies.domain import ParameterDraft, RubricDraft, StoredVacancy, VacancyDraft
from cveval_job.vacancies.service import VacancyApplication
from cveval_kit.identity import current_identity


def rubric_draft(message: vacancy_pb2.Rubric) -> RubricDraft:
    return RubricDraft(
        stage=message.stage,
        version=message.version,
        parameters=tuple(
            ParameterDraft(
                key=p.key,
                label=p.label,
                weight=p.weight,
                guide=tuple((level.score, level.description) for level in p.guide),
            )
            for p in message.parameters
        ),
    )


def draft_from_request(request: vacancy_pb2.CreateVacancyRequest) -> VacancyDraft:
    # Message presence, not emptiness, tells an omitted rubric (the default) from an empty one (an error).
    return VacancyDraft(
        title=request.title,
        job_description=request.job_description,
        study_case_brief=request.study_case_brief,
        cv_rubric=rubric_draft(request.cv_rubric) if request.HasField("cv_rubric") else None,
        project_rubric=rubric_draft(request.project_rubric) if request.HasField("project_rubric") else None,
        # An optional field: omitted means allowed, which proto3's plain bool default (false) could not say.
        allow_degraded_scoring=(
            request.allow_degraded_scoring if request.HasField("allow_degraded_scoring") else True
        ),
        redact_personal_data=request.redact_personal_data if request.HasField("redact_personal_data") else True,
    )


def rubric_to_proto(rubric: Rubric, *, full: bool) -> vacancy_pb2.Rubric:
    parameters = [
        vacancy_pb2.RubricParameter(
            key=p.key,
            label=p.label,
            weight=p.weight,
            guide=[vacancy_pb2.GuideLevel(score=s, description=p.guide[s]) for s in sorted(p.guide)],
        )
        for p in rubric.parameters
    ]
    return vacancy_pb2.Rubric(stage=rubric.stage, version=rubric.version, parameters=parameters if full else [])


def vacancy_to_proto(stored: StoredVacancy, *, full: bool = True) -> vacancy_pb2.Vacancy:
    v = stored.vacancy
    created = Timestamp()
    created.FromDatetime(stored.created_at)
    return vacancy_pb2.Vacancy(
        id=v.id,
        title=v.title,
        job_description=v.job_description if full else "",
        study_case_brief=v.study_case_brief if full else "",
        cv_rubric=rubric_to_proto(v.cv_rubric, full=full),
        project_rubric=rubric_to_proto(v.project_rubric, full=full),
        version=v.version,
        created_at=created,
        allow_degraded_scoring=v.allow_degraded_scoring,
        redact_personal_data=v.redact_personal_data,
    )


class VacancyServicer(vacancy_pb2_grpc.VacancyServiceServicer):
    def __init__(self, app: VacancyApplication) -> None:
        self.app = app

    async def CreateVacancy(
        self, request: vacancy_pb2.CreateVacancyRequest, context: grpc.aio.ServicerContext
    ) -> vacancy_pb2.CreateVacancyResponse:
        stored, created = await self.app.create(current_identity(), draft_from_request(request))
        return vacancy_pb2.CreateVacancyResponse(vacancy=vacancy_to_proto(stored), created=created)

    async def GetVacancy(
        self, request: vacancy_pb2.GetVacancyRequest, context: grpc.aio.ServicerContext
    ) -> vacancy_pb2.GetVacancyResponse:
        stored = await self.app.get(current_identity().tenant, request.id)
        return vacancy_pb2.GetVacancyResponse(vacancy=vacancy_to_proto(stored))

    async def ListVacancies(
        self, request: vacancy_pb2.ListVacanciesRequest, context: grpc.aio.ServicerContext
    ) -> vacancy_pb2.ListVacanciesResponse:
        full = request.view == vacancy_pb2.VACANCY_VIEW_FULL
        page, token = await self.app.list(
            current_identity().tenant, request.title, request.page_size, request.page_token, full=full
        )
        return vacancy_pb2.ListVacanciesResponse(
            vacancies=[vacancy_to_proto(s, full=full) for s in page], next_page_token=token
        )
