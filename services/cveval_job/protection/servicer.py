"""gRPC servicer of AdminService: translates messages and delegates to DataProtection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from cveval.job.v1 import admin_pb2, admin_pb2_grpc
from cveval_job.protection.service import DataProtection, Erasure
from cveval_kit import errors
from cveval_kit.identity import current_identity


def _event(row: Any) -> admin_pb2.AuditEvent:
    at = Timestamp()
    at.FromDatetime(row.occurred_at)
    return admin_pb2.AuditEvent(
        id=row.id,
        occurred_at=at,
        principal=row.principal,
        action=row.action,
        resource_kind=row.resource_kind,
        resource_ref=row.resource_ref,
        candidate_ref=row.candidate_ref,
        service=row.service,
    )


def erasure_counts(erasure: Erasure) -> dict[str, int]:
    return {
        "deleted_documents": erasure.documents,
        "deleted_jobs": erasure.jobs,
        "deleted_results": erasure.results,
    }


class AdminServicer(admin_pb2_grpc.AdminServiceServicer):
    def __init__(self, protection: DataProtection) -> None:
        self.protection = protection

    async def GetRetention(
        self, request: admin_pb2.GetRetentionRequest, context: grpc.aio.ServicerContext
    ) -> admin_pb2.GetRetentionResponse:
        return admin_pb2.GetRetentionResponse(retention_days=await self.protection.retention(current_identity()))

    async def SetRetention(
        self, request: admin_pb2.SetRetentionRequest, context: grpc.aio.ServicerContext
    ) -> admin_pb2.SetRetentionResponse:
        days = await self.protection.set_retention(current_identity(), request.retention_days)
        return admin_pb2.SetRetentionResponse(retention_days=days)

    async def ListAuditEvents(
        self, request: admin_pb2.ListAuditEventsRequest, context: grpc.aio.ServicerContext
    ) -> admin_pb2.ListAuditEventsResponse:
        page, token = await self.protection.audit_events(
            current_identity(),
            candidate_id=request.candidate_id,
            action=request.action,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return admin_pb2.ListAuditEventsResponse(events=[_event(r) for r in page], next_page_token=token)

    async def PurgeExpired(
        self, request: admin_pb2.PurgeExpiredRequest, context: grpc.aio.ServicerContext
    ) -> admin_pb2.PurgeExpiredResponse:
        if not request.tenant.strip():
            raise errors.InvalidArgument("tenant is required")
        as_of = request.as_of.ToDatetime(tzinfo=UTC) if request.HasField("as_of") else datetime.now(UTC)
        erasure = await self.protection.purge_expired(request.tenant, as_of)
        return admin_pb2.PurgeExpiredResponse(**erasure_counts(erasure))
