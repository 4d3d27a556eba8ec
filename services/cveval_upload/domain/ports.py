"""Ports of the upload domain: what the service needs from the outside, as Protocols."""

from __future__ import annotations

from typing import Protocol

from cveval_upload.domain.document import PreparedDocument


class DocumentPreparer(Protocol):
    """Checks and extracts one uploaded file (domain.document.prepare_document) within a CPU and memory budget.

    Raises the domain's UploadError subclasses; DocumentTooComplex when the file broke the budget."""

    async def prepare(self, data: bytes, *, field: str | None = None) -> PreparedDocument: ...

    async def close(self) -> None: ...
