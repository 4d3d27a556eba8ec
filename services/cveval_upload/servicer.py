"""gRPC servicer: translates messages and delegates to UploadService."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from cveval.upload.v1 import upload_pb2, upload_pb2_grpc
from cveval_kit import errors
from cveval_kit.identity import current_identity
from cveval_upload.admission import Reservation, ServiceBusy
from cveval_upload.model import StoredDocument
from cveval_upload.service import UploadService

_KIND_FROM_PROTO = {
    upload_pb2.DOCUMENT_KIND_CV: "cv",
    upload_pb2.DOCUMENT_KIND_PROJECT: "project",
    upload_pb2.DOCUMENT_KIND_JOB_DESCRIPTION: "job_description",
    upload_pb2.DOCUMENT_KIND_CASE_STUDY_BRIEF: "case_study_brief",
}
_KIND_TO_PROTO = {v: k for k, v in _KIND_FROM_PROTO.items()}


def document_to_proto(doc: StoredDocument) -> upload_pb2.Document:
    created = Timestamp()
    created.FromDatetime(doc.created_at)
    return upload_pb2.Document(
        id=doc.id,
        kind=_KIND_TO_PROTO[doc.kind],
        filename=doc.filename,
        media_type=doc.media_type,
        size_bytes=doc.size_bytes,
        sha256=doc.sha256,
        page_count=doc.page_count,
        char_count=doc.char_count,
        text=doc.text,
        created_at=created,
    )


class UploadServicer(upload_pb2_grpc.UploadServiceServicer):
    def __init__(self, service: UploadService) -> None:
        self.service = service

    async def Upload(
        self, request_iterator: AsyncIterator[upload_pb2.UploadRequest], context: grpc.aio.ServicerContext
    ) -> upload_pb2.UploadResponse:
        try:
            with self.service.budget.reserve(0) as reservation:
                header, data = await self._receive(request_iterator, reservation)
                kind = _KIND_FROM_PROTO.get(header.kind)
                if kind is None:
                    raise errors.InvalidArgument("header.kind must be a DocumentKind other than UNSPECIFIED")
                document, dedup = await self.service.upload(current_identity(), kind, header.filename, data)
            return upload_pb2.UploadResponse(document=document_to_proto(document), deduplicated=dedup)
        except ServiceBusy as exc:
            await _abort_busy(context, exc)
            raise  # not reached: abort raises

    async def _receive(
        self, request_iterator: AsyncIterator[upload_pb2.UploadRequest], reservation: Reservation
    ) -> tuple[upload_pb2.UploadHeader, bytes]:
        header: upload_pb2.UploadHeader | None = None
        chunks: list[bytes] = []
        size = 0
        async for message in request_iterator:
            part = message.WhichOneof("part")
            if part == "header":
                if header is not None:
                    raise errors.InvalidArgument("the upload stream has more than one header")
                header = message.header
            elif part == "chunk":
                if header is None:
                    raise errors.InvalidArgument("the upload stream must start with a header")
                size += len(message.chunk)
                if size > self.service.max_file_bytes:
                    limit = self.service.max_file_bytes / (1024 * 1024)
                    raise errors.PayloadTooLarge(f"file exceeds the {limit:g} MiB limit")
                # Reserved as it arrives, so a stream is refused as soon as the service is at capacity.
                reservation.grow(len(message.chunk))
                chunks.append(message.chunk)
        if header is None:
            raise errors.InvalidArgument("the upload stream is empty")
        return header, b"".join(chunks)

    async def UploadForm(
        self, request: upload_pb2.UploadFormRequest, context: grpc.aio.ServicerContext
    ) -> upload_pb2.UploadFormResponse:
        try:
            # The body is already received whole (one gRPC message); holding it while both files are read is what
            # the budget counts. Envoy's circuit breaker bounds how many such messages arrive at once.
            with self.service.budget.reserve(len(request.form.data)):
                form = request.form
                stored = await self.service.upload_form(current_identity(), form.data, form.content_type)
            ids = {field: document.id for field, document in stored.items()}
            reply = upload_pb2.UploadFormResponse(cv_id=ids.get("cv", ""), project_id=ids.get("project", ""))
            if "job_description" in ids or "case_study_brief" in ids:
                reply.vacancy_documents.job_description_id = ids.get("job_description", "")
                reply.vacancy_documents.case_study_brief_id = ids.get("case_study_brief", "")
            return reply
        except ServiceBusy as exc:
            await _abort_busy(context, exc)
            raise  # not reached: abort raises

    async def GetDocument(
        self, request: upload_pb2.GetDocumentRequest, context: grpc.aio.ServicerContext
    ) -> upload_pb2.GetDocumentResponse:
        document = await self.service.get(current_identity(), request.id, with_text=request.include_text)
        return upload_pb2.GetDocumentResponse(document=document_to_proto(document))

    async def DeleteDocument(
        self, request: upload_pb2.DeleteDocumentRequest, context: grpc.aio.ServicerContext
    ) -> upload_pb2.DeleteDocumentResponse:
        await self.service.delete(current_identity(), request.id)
        return upload_pb2.DeleteDocumentResponse()

    async def ReadDocument(
        self, request: upload_pb2.ReadDocumentRequest, context: grpc.aio.ServicerContext
    ) -> upload_pb2.ReadDocumentResponse:
        document = await self.service.read(
            _tenant(request.tenant), request.id, with_text=request.include_text, owner=request.owner or None
        )
        return upload_pb2.ReadDocumentResponse(document=document_to_proto(document), owner=document.owner)

    async def EraseDocuments(
        self, request: upload_pb2.EraseDocumentsRequest, context: grpc.aio.ServicerContext
    ) -> upload_pb2.EraseDocumentsResponse:
        before = request.created_before.ToDatetime(tzinfo=UTC) if request.HasField("created_before") else None
        erased = await self.service.erase(
            _tenant(request.tenant),
            list(request.ids),
            same_content=request.same_content,
            created_before=before,
            dry_run=request.dry_run,
        )
        return upload_pb2.EraseDocumentsResponse(deleted_ids=erased.ids, deleted_sha256=erased.sha256)


def _tenant(tenant: str) -> str:
    """Internal calls name their tenant explicitly; none is never "every tenant"."""
    if not tenant.strip():
        raise errors.InvalidArgument("tenant is required")
    return tenant


async def _abort_busy(context: grpc.aio.ServicerContext, exc: ServiceBusy) -> None:
    # The kit's error mapping sets its own trailers; Retry-After must travel with them, so abort here.
    context.set_trailing_metadata(((errors.ERROR_CODE_METADATA_KEY, exc.code), ("retry-after", str(exc.retry_after_s))))
    await context.abort(exc.status, exc.message)
