"""The upload service, reached through its generated stub."""

from __future__ import annotations

import grpc

from cveval.upload.v1 import upload_pb2, upload_pb2_grpc
from cveval_kit import errors

_KINDS = {upload_pb2.DOCUMENT_KIND_CV: "cv", upload_pb2.DOCUMENT_KIND_PROJECT: "project"}


class UploadClient:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float = 10.0) -> None:
        self.stub = upload_pb2_grpc.UploadServiceStub(channel)
        self.timeout_s = timeout_s

    async def kind_of(self, document_id: str) -> str | None:
        document = await self._get(document_id, include_text=False)
        return None if document is None else _KINDS.get(document.kind)

    async def text_of(self, document_id: str) -> tuple[str, str] | None:
        """(kind, text) of a stored document, None when it does not exist."""
        document = await self._get(document_id, include_text=True)
        return None if document is None else (_KINDS.get(document.kind, ""), document.text)

    async def _get(self, document_id: str, include_text: bool) -> upload_pb2.Document | None:
        try:
            response = await self.stub.GetDocument(
                upload_pb2.GetDocumentRequest(id=document_id, include_text=include_text), timeout=self.timeout_s
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise errors.Unavailable("the upload service is unavailable", code="UPSTREAM_UNAVAILABLE") from exc
        return response.document
