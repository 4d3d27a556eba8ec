"""The upload use cases: check, extract and store documents; no gRPC here."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime

from cveval_kit import audit, errors
from cveval_kit.identity import Identity
from cveval_kit.tenancy import cache_owner, owner_filter
from cveval_upload.adapters.repository import DocumentRepository
from cveval_upload.admission import ByteBudget
from cveval_upload.domain.document import PreparedDocument
from cveval_upload.domain.errors import UploadError
from cveval_upload.domain.multipart_form import parse_multipart, require_fields
from cveval_upload.domain.ports import DocumentPreparer
from cveval_upload.model import KINDS, VACANCY_KINDS, Erased, StoredDocument
from cveval_upload.ports import CacheForgetter

_FORM_FIELDS = KINDS  # cv, project (optional), and a vacancy's job_description / case_study_brief


def present_fields(form: Mapping[str, object]) -> tuple[str, ...]:
    """The file fields the form carries. A `cv`, or a vacancy document, is required; a project report alone is
    refused (it belongs to a candidate), naming the missing CV as the form always has."""
    fields = tuple(f for f in _FORM_FIELDS if f in form)
    if "cv" not in fields and not any(f in fields for f in VACANCY_KINDS):
        return ("cv", *fields)  # require_fields then names the missing CV
    return fields


def to_service_error(exc: UploadError, field: str | None = None) -> errors.ServiceError:
    message = f"{field}: {exc}" if field else str(exc)
    mapped: type[errors.ServiceError] = {
        "UNSUPPORTED_MEDIA_TYPE": errors.UnsupportedMediaType,
        "FILE_TOO_LARGE": errors.PayloadTooLarge,
        "DOCUMENT_TOO_COMPLEX": DocumentTooComplex,
    }.get(exc.code, errors.InvalidArgument)
    return mapped(message, code=exc.code)


class DocumentTooComplex(errors.ServiceError):
    """422: gRPC has no such status, so INVALID_ARGUMENT carries the HTTP hint, as 413 and 415 do."""

    status = errors.InvalidArgument.status
    http_status = 422
    code = "DOCUMENT_TOO_COMPLEX"


class UploadService:
    def __init__(
        self,
        repository: DocumentRepository,
        preparer: DocumentPreparer,
        budget: ByteBudget,
        max_file_bytes: int,
        trail: audit.AuditTrail,
        caches: CacheForgetter,
    ) -> None:
        self.repository = repository
        self.preparer = preparer
        # Bytes held by in-flight requests; the servicer reserves a request's bytes before calling in here.
        self.budget = budget
        self.max_file_bytes = max_file_bytes
        self.trail = trail
        self.caches = caches

    async def _prepare(self, data: bytes, field: str | None) -> PreparedDocument:
        try:
            # In a sandboxed process with its own CPU and memory budget, off the event loop. The message names the
            # field through to_service_error.
            return await self.preparer.prepare(data)
        except UploadError as exc:
            raise to_service_error(exc, field) from exc

    async def upload(
        self, caller: Identity, kind: str, filename: str, data: bytes, *, field: str | None = None
    ) -> tuple[StoredDocument, bool]:
        if kind not in KINDS:
            raise errors.InvalidArgument(f"document kind must be one of {', '.join(KINDS)}")
        prepared = await self._prepare(data, field)
        return await self.repository.save(
            tenant=caller.tenant,
            owner=caller.principal,
            kind=kind,
            filename=_clean_filename(filename),
            media_type=prepared.media_type,
            sha256=prepared.sha256,
            size_bytes=prepared.size_bytes,
            page_count=prepared.page_count,
            char_count=prepared.char_count,
            text=prepared.text,
        )

    async def upload_form(self, caller: Identity, body: bytes, content_type: str) -> Mapping[str, StoredDocument]:
        try:
            form = parse_multipart(body, content_type, max_file_bytes=self.max_file_bytes)
            fields = present_fields(form)
            require_fields(form, fields)
        except UploadError as exc:
            raise to_service_error(exc) from exc
        # Check every file before storing any, so a bad project report does not leave an orphan CV.
        stored: dict[str, StoredDocument] = {}
        # The files are read at once (one extraction worker each), so the request's time is one file's budget.
        outcomes = await asyncio.gather(
            *(self._prepare(form[field].data, field) for field in fields), return_exceptions=True
        )
        prepared: dict[str, PreparedDocument] = {}
        for field, outcome in zip(fields, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                raise outcome  # the first field's error wins, as when the files were read one after the other
            prepared[field] = outcome
        for field in fields:
            p = prepared[field]
            document, _ = await self.repository.save(
                tenant=caller.tenant,
                owner=caller.principal,
                kind=field,
                filename=_clean_filename(form[field].filename),
                media_type=p.media_type,
                sha256=p.sha256,
                size_bytes=p.size_bytes,
                page_count=p.page_count,
                char_count=p.char_count,
                text=p.text,
            )
            stored[field] = document
        return stored

    async def get(self, caller: Identity, document_id: str, *, with_text: bool) -> StoredDocument:
        """The caller's tenant's document (a submitter's own only); another tenant's id is simply not found."""
        document = await self.read(caller.tenant, document_id, with_text=with_text, owner=owner_filter(caller))
        if with_text:
            await self.trail.record(
                audit.AuditEvent.about(
                    tenant=caller.tenant,
                    principal=caller.principal,
                    action=audit.READ_DOCUMENT_TEXT,
                    kind="document",
                    resource_id=document.id,
                    candidate_id=document.id if document.kind == "cv" else "",
                    service="upload",
                )
            )
        return document

    async def read(self, tenant: str, document_id: str, *, with_text: bool, owner: str | None = None) -> StoredDocument:
        document = await self.repository.get(tenant, document_id.strip(), with_text=with_text, owner=owner)
        if document is None:
            raise errors.NotFound(f"document {document_id!r} not found")
        return document

    async def delete(self, caller: Identity, document_id: str) -> None:
        document = await self.read(caller.tenant, document_id.strip(), with_text=False)
        await self.trail.record(
            audit.AuditEvent.about(
                tenant=caller.tenant,
                principal=caller.principal,
                action=audit.DELETE_DOCUMENT,
                kind="document",
                resource_id=document.id,
                candidate_id=document.id if document.kind == "cv" else "",
                service="upload",
            )
        )
        await self.erase(caller.tenant, [document.id])

    async def erase(
        self,
        tenant: str,
        ids: list[str],
        *,
        same_content: bool = False,
        created_before: datetime | None = None,
        dry_run: bool = False,
    ) -> Erased:
        """Have the gateway forget the cached entries derived from the documents' texts, then delete the documents
        (and the contents nothing else uses). In this order a failure leaves the documents in place, so the caller's
        retry finds them and completes the erasure."""
        targets = await self.repository.targets(tenant, ids, same_content=same_content, created_before=created_before)
        if dry_run:
            return Erased(tuple(targets), ())
        await self.caches.forget([cache_owner(tenant, i) for i in targets])
        return await self.repository.erase(tenant, targets)


def _clean_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in base if ch.isprintable())[:255] or "upload"
