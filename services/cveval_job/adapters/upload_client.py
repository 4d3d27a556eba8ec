"""The upload service's internal methods, reached through its generated stub; every call names its tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from cveval.upload.v1 import upload_pb2, upload_pb2_grpc
from cveval_job.adapters.job_scope import current_scope
from cveval_kit import errors

_KINDS = {
    upload_pb2.DOCUMENT_KIND_CV: "cv",
    upload_pb2.DOCUMENT_KIND_PROJECT: "project",
    upload_pb2.DOCUMENT_KIND_JOB_DESCRIPTION: "job_description",
    upload_pb2.DOCUMENT_KIND_CASE_STUDY_BRIEF: "case_study_brief",
}


class UploadClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float = 10.0) -> None:
        self.stub = upload_pb2_grpc.UploadServiceStub(channel)
        self.timeout_s = timeout_s

    async def kind_of(self, tenant: str, document_id: str, owner: str | None = None) -> str | None:
        document = await self._read(tenant, document_id, include_text=False, owner=owner)
        return None if document is None else _KINDS.get(document.kind)

    async def kind_and_text(self, tenant: str, document_id: str, owner: str | None = None) -> tuple[str, str] | None:
        document = await self._read(tenant, document_id, include_text=True, owner=owner)
        return None if document is None else (_KINDS.get(document.kind, ""), document.text)

    async def text_of(self, document_id: str, tenant: str | None = None) -> tuple[str, str, str] | None:
        """(kind, text, file name) of a stored document, None when it does not exist. Without `tenant`, the tenant of
        the job being evaluated (adapters/job_scope.py)."""
        if tenant is None:
            scope = current_scope()
            if scope is None:
                raise RuntimeError("text_of outside a job scope needs an explicit tenant")
            tenant = scope.tenant
        document = await self._read(tenant, document_id, include_text=True)
        return None if document is None else (_KINDS.get(document.kind, ""), document.text, document.filename)

    async def erase(
        self,
        tenant: str,
        ids: Sequence[str],
        *,
        same_content: bool = False,
        created_before: datetime | None = None,
        dry_run: bool = False,
    ) -> list[str]:
        """Delete documents of the tenant (see EraseDocuments); the ids deleted (or, dry, that would be)."""
        request = upload_pb2.EraseDocumentsRequest(
            tenant=tenant, ids=list(ids), same_content=same_content, dry_run=dry_run
        )
        if created_before is not None:
            stamp = Timestamp()
            stamp.FromDatetime(created_before)
            request.created_before.CopyFrom(stamp)
        try:
            response = await self.stub.EraseDocuments(request, timeout=self.timeout_s * 3)
        except grpc.aio.AioRpcError as exc:
            raise errors.Unavailable("the upload service could not erase documents", code="UPSTREAM_UNAVAILABLE") \
                from exc
        return list(response.deleted_ids)

    async def _read(
        self, tenant: str, document_id: str, include_text: bool, owner: str | None = None
    ) -> upload_pb2.Document | None:
        request = upload_pb2.ReadDocumentRequest(
            tenant=tenant, id=document_id, include_text=include_text, owner=owner or ""
        )
        try:
            response = await self.stub.ReadDocument(request, timeout=self.timeout_s)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise errors.Unavailable("the upload service is unavailable", code="UPSTREAM_UNAVAILABLE") from exc
        return response.document
