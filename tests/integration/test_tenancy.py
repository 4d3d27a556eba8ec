"""Tenants and roles through the services' public gRPC APIs, with signed identities: another tenant's ids answer
NOT_FOUND on every resource kind, submitters see only their own, the role matrix holds, and dedup and idempotency
keys are per tenant."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import grpc
import pytest

from cveval.job.v1 import admin_pb2, job_pb2, job_pb2_grpc, vacancy_pb2
from cveval.result.v1 import result_pb2
from cveval.upload.v1 import upload_pb2
from cveval_job.scoring.rubrics import DEFAULT_VACANCY_ID
from tests.support.flows import Team, code_of, evaluate, finished, new_team, stream_code_of, upload_pair
from tests.support.mesh import Mesh, Metadata

pytestmark = pytest.mark.integration

NOT_FOUND = grpc.StatusCode.NOT_FOUND
DENIED = grpc.StatusCode.PERMISSION_DENIED
OK = grpc.StatusCode.OK


async def completed_job(mesh: Mesh, team: Team, marker: str) -> tuple[str, str, str]:
    cv_id, project_id = await upload_pair(mesh, team.submitter(), marker)
    job_id = await evaluate(mesh, team.submitter(), cv_id, project_id)
    assert await finished(mesh, team.submitter(), job_id) == "completed"
    return cv_id, project_id, job_id


async def test_another_tenants_ids_are_not_found_on_every_resource_kind(mesh: Mesh) -> None:
    owner, other = new_team(), new_team()
    cv_id, project_id, job_id = await completed_job(mesh, owner, f"isolation {uuid.uuid4()}")
    vacancy = (
        await mesh.vacancies(owner.submitter()).CreateVacancy(
            vacancy_pb2.CreateVacancyRequest(title="Isolated", job_description="Python.", study_case_brief="Build.")
        )
    ).vacancy
    intruder = other.admin()  # the strongest role of the other tenant
    codes = {
        "document": await code_of(mesh.upload(intruder).GetDocument(upload_pb2.GetDocumentRequest(id=cv_id))),
        "document text": await code_of(
            mesh.upload(intruder).GetDocument(upload_pb2.GetDocumentRequest(id=cv_id, include_text=True))
        ),
        "job": await code_of(mesh.jobs(intruder).GetJob(job_pb2.GetJobRequest(id=job_id))),
        "result": await code_of(mesh.results(intruder).GetResult(result_pb2.GetResultRequest(id=job_id))),
        "watch": await stream_code_of(mesh.results(intruder).WatchResult(result_pb2.WatchResultRequest(id=job_id))),
        "vacancy": await code_of(mesh.vacancies(intruder).GetVacancy(vacancy_pb2.GetVacancyRequest(id=vacancy.id))),
        "evaluate": await code_of(
            mesh.jobs(other.submitter()).Evaluate(job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id))
        ),
        "evaluate vacancy": await code_of(
            mesh.jobs(other.submitter()).Evaluate(
                job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id, vacancy_id=vacancy.id)
            )
        ),
        "delete document": await code_of(
            mesh.upload(intruder).DeleteDocument(upload_pb2.DeleteDocumentRequest(id=project_id))
        ),
        "delete candidate": await code_of(
            mesh.jobs(intruder).DeleteCandidate(job_pb2.DeleteCandidateRequest(cv_id=cv_id))
        ),
    }
    assert codes == dict.fromkeys(codes, NOT_FOUND)
    listed = await mesh.jobs(intruder).ListJobs(job_pb2.ListJobsRequest(page_size=100))
    assert job_id not in {j.id for j in listed.jobs}
    vacancies = await mesh.vacancies(intruder).ListVacancies(vacancy_pb2.ListVacanciesRequest(page_size=100))
    ids = {v.id for v in vacancies.vacancies}
    assert vacancy.id not in ids and DEFAULT_VACANCY_ID in ids  # the shipped default is every tenant's
    # And the owner still has everything: the 404s above were about tenancy, not about the data being gone.
    assert await code_of(mesh.results(owner.reviewer()).GetResult(result_pb2.GetResultRequest(id=job_id))) == OK


async def test_submitters_see_only_their_own_and_reviewers_the_tenants(mesh: Mesh) -> None:
    team = new_team()
    cv_id, project_id, job_id = await completed_job(mesh, team, f"own {uuid.uuid4()}")
    bob = team.submitter("bob")
    assert await code_of(mesh.jobs(bob).GetJob(job_pb2.GetJobRequest(id=job_id))) == NOT_FOUND
    assert await code_of(mesh.results(bob).GetResult(result_pb2.GetResultRequest(id=job_id))) == NOT_FOUND
    assert await code_of(mesh.upload(bob).GetDocument(upload_pb2.GetDocumentRequest(id=cv_id))) == NOT_FOUND
    request = job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id)
    assert await code_of(mesh.jobs(bob).Evaluate(request)) == NOT_FOUND
    assert not (await mesh.jobs(bob).ListJobs(job_pb2.ListJobsRequest())).jobs
    reviewer = team.reviewer()
    job = (await mesh.jobs(reviewer).GetJob(job_pb2.GetJobRequest(id=job_id))).job
    assert job.submitted_by == "key:alice"
    listed = await mesh.jobs(reviewer).ListJobs(job_pb2.ListJobsRequest())
    assert [j.id for j in listed.jobs] == [job_id]
    text = await mesh.upload(reviewer).GetDocument(upload_pb2.GetDocumentRequest(id=cv_id, include_text=True))
    assert "own" in text.document.text


async def test_role_matrix(mesh: Mesh) -> None:
    team = new_team()
    cv_id, project_id, job_id = await completed_job(mesh, team, f"roles {uuid.uuid4()}")
    evaluate_request = job_pb2.EvaluateRequest(cv_id=cv_id, project_id=project_id)
    create_vacancy = vacancy_pb2.CreateVacancyRequest(title="Roles", job_description="Go.", study_case_brief="Do.")

    async def matrix(who: Callable[[], Metadata]) -> dict[str, grpc.StatusCode]:
        return {
            "evaluate": await code_of(mesh.jobs(who).Evaluate(evaluate_request)),
            "create vacancy": await code_of(mesh.vacancies(who).CreateVacancy(create_vacancy)),
            "read result": await code_of(
                mesh.results(who).GetResult(result_pb2.GetResultRequest(id=job_id))
            ),
            "list jobs": await code_of(mesh.jobs(who).ListJobs(job_pb2.ListJobsRequest())),
            "retention": await code_of(
                mesh.admin(who).GetRetention(admin_pb2.GetRetentionRequest())
            ),
            "audit": await code_of(
                mesh.admin(who).ListAuditEvents(admin_pb2.ListAuditEventsRequest())
            ),
            "delete document": await code_of(
                mesh.upload(who).DeleteDocument(
                    upload_pb2.DeleteDocumentRequest(id=str(uuid.uuid4()))
                )
            ),
        }

    assert await matrix(team.submitter()) == {
        "evaluate": OK, "create vacancy": OK, "read result": OK, "list jobs": OK,
        "retention": DENIED, "audit": DENIED, "delete document": DENIED,
    }
    assert await matrix(team.reviewer()) == {
        "evaluate": DENIED, "create vacancy": DENIED, "read result": OK, "list jobs": OK,
        "retention": DENIED, "audit": DENIED, "delete document": DENIED,
    }
    assert await matrix(team.admin()) == {
        "evaluate": OK, "create vacancy": OK, "read result": OK, "list jobs": OK,
        "retention": OK, "audit": OK, "delete document": NOT_FOUND,  # allowed; the random id does not exist
    }


async def test_no_or_forged_identity_is_unauthenticated(mesh: Mesh) -> None:
    forged = (("x-cveval-identity", "v1.eyJ0IjoiYSJ9.bm90LWEtbWFj"),)
    for metadata in ((), forged):
        async with grpc.aio.insecure_channel(mesh.settings.job_addr) as channel:
            stub = job_pb2_grpc.JobServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.ListJobs(job_pb2.ListJobsRequest(), metadata=metadata)
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_dedup_and_idempotency_keys_are_per_tenant(mesh: Mesh) -> None:
    first, second = new_team(), new_team()
    marker = f"shared bytes {uuid.uuid4()}"
    a_cv, a_project = await upload_pair(mesh, first.submitter(), marker)
    b_cv, b_project = await upload_pair(mesh, second.submitter(), marker)
    assert a_cv != b_cv and a_project != b_project  # same bytes, two tenants: two documents
    again_cv, _ = await upload_pair(mesh, first.submitter(), marker)
    assert again_cv == a_cv  # same bytes, same uploader: the same document
    key = (("idempotency-key", f"shared-key-{uuid.uuid4()}"),)
    a_job = await mesh.jobs(first.submitter()).Evaluate(
        job_pb2.EvaluateRequest(cv_id=a_cv, project_id=a_project), metadata=key
    )
    b_job = await mesh.jobs(second.submitter()).Evaluate(
        job_pb2.EvaluateRequest(cv_id=b_cv, project_id=b_project), metadata=key
    )
    assert a_job.id != b_job.id  # the same key in two tenants names two jobs, never a conflict
    for team, job_id in ((first, a_job.id), (second, b_job.id)):
        assert await finished(mesh, team.submitter(), job_id) == "completed"
