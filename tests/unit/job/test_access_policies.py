"""The access policies against the contract: every RPC with an HTTP route is public and has allowed roles, the
client-streaming Upload is public over gRPC, and every other RPC is internal (never in a policy)."""

from __future__ import annotations

from google.api import annotations_pb2
from google.protobuf.descriptor import ServiceDescriptor

from cveval.aigateway.v1 import aigateway_pb2
from cveval.job.v1 import admin_pb2, job_pb2, vacancy_pb2
from cveval.result.v1 import result_pb2
from cveval.upload.v1 import upload_pb2
from cveval_job.access import POLICY as JOB_POLICY
from cveval_kit.identity import ADMIN, REVIEWER, ROLES, SUBMITTER
from cveval_result.access import POLICY as RESULT_POLICY
from cveval_upload.access import POLICY as UPLOAD_POLICY

PUBLIC_WITHOUT_ROUTE = {"/cveval.upload.v1.UploadService/Upload"}  # client streaming: gRPC callers only
INTERNAL = {
    "/cveval.upload.v1.UploadService/ReadDocument",
    "/cveval.upload.v1.UploadService/EraseDocuments",
    "/cveval.job.v1.JobService/GetTenantJob",
    "/cveval.job.v1.AdminService/PurgeExpired",
    "/cveval.result.v1.ResultService/StoreResult",
    "/cveval.result.v1.ResultService/DeleteResults",
}


def methods(service: ServiceDescriptor) -> dict[str, bool]:
    """Full method name → whether it has an HTTP route."""
    return {
        f"/{service.full_name}/{m.name}": m.GetOptions().HasExtension(annotations_pb2.http) for m in service.methods
    }


def test_policies_cover_exactly_the_public_methods() -> None:
    services = [
        upload_pb2.DESCRIPTOR.services_by_name["UploadService"],
        job_pb2.DESCRIPTOR.services_by_name["JobService"],
        vacancy_pb2.DESCRIPTOR.services_by_name["VacancyService"],
        admin_pb2.DESCRIPTOR.services_by_name["AdminService"],
        result_pb2.DESCRIPTOR.services_by_name["ResultService"],
    ]
    routed = {name for s in services for name, http in methods(s).items() if http}
    everything = {name for s in services for name in methods(s)}
    policies = {**UPLOAD_POLICY, **JOB_POLICY, **RESULT_POLICY}
    assert set(policies) == routed | PUBLIC_WITHOUT_ROUTE
    assert everything - set(policies) == INTERNAL
    assert all(roles and roles <= set(ROLES) for roles in policies.values())


def test_the_ai_gateway_is_wholly_internal() -> None:
    gateway = methods(aigateway_pb2.DESCRIPTOR.services_by_name["AiGatewayService"])
    assert not any(gateway.values())


def test_role_rules() -> None:
    policies = {**UPLOAD_POLICY, **JOB_POLICY, **RESULT_POLICY}
    # Deletion, retention and the audit log are admin-only (admins hold every role, so they are never listed apart).
    for name in ("UploadService/DeleteDocument", "JobService/DeleteCandidate", "AdminService/SetRetention",
                 "AdminService/GetRetention", "AdminService/ListAuditEvents"):
        (roles,) = [r for n, r in policies.items() if n.endswith(name)]
        assert roles == frozenset({ADMIN})
    # Reviewers read but never submit; submitters submit and read (their own, enforced by the services).
    assert REVIEWER not in policies["/cveval.job.v1.JobService/Evaluate"]
    assert REVIEWER not in policies["/cveval.upload.v1.UploadService/UploadForm"]
    assert {SUBMITTER, REVIEWER} <= policies["/cveval.result.v1.ResultService/GetResult"]
