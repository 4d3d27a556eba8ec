"""Errors the upload domain raises for bad input.

Each error's message is written for the person who uploaded the file: it names the problem and, where it can,
the form field, and it never carries a stack trace or a library's internal wording. The service layer maps
`code` and `http_status` onto its gRPC/HTTP error model; the domain stays free of gRPC so it can be tested alone.
"""

from __future__ import annotations

from typing import ClassVar

# Human names for the form fields of POST /v1/upload, so messages read "the CV", not "the cv".
_FIELD_LABELS = {
    "cv": "CV",
    "project": "project report",
    "job_description": "job description",
    "case_study_brief": "case-study brief",
}


def describe_field(field: str | None) -> str:
    """Return the noun phrase messages use for a field ("CV", "project report", or "document")."""
    if not field:
        return "document"
    return _FIELD_LABELS.get(field, f"'{field}' file")


def format_mib(n_bytes: int) -> str:
    """Format a byte limit in MiB, adding the exact byte count when the MiB figure is not whole."""
    mib = n_bytes / (1024 * 1024)
    if mib == int(mib):
        return f"{int(mib)} MiB"
    shown = f"{mib:.2f}".rstrip("0").rstrip(".") if mib >= 1 else f"{mib:.3g}"
    return f"{shown} MiB ({n_bytes} bytes)"


class UploadError(Exception):
    """Base class: an upload was rejected because of what the client sent."""

    code: ClassVar[str] = "UPLOAD_ERROR"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The form field at fault, when known; lets the API attach a field violation to the error.
        self.field = field

    def __str__(self) -> str:
        return self.message


class UnsupportedMediaType(UploadError):
    """The content is not PDF, DOCX or plain text (judged by the bytes, not by the name or claimed type)."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    http_status = 415


class FileTooLarge(UploadError):
    """A file, or the text it expands to, is above a configured limit."""

    code = "FILE_TOO_LARGE"
    http_status = 413


class EmptyText(UploadError):
    """The file is empty or holds no extractable text (e.g. a scanned image inside a PDF)."""

    code = "EMPTY_TEXT"
    http_status = 400


class CorruptDocument(UploadError):
    """The file claims a supported format by its content but cannot be read (truncated, damaged, encrypted)."""

    code = "CORRUPT_DOCUMENT"
    http_status = 400


class BadForm(UploadError):
    """The multipart form itself is wrong: not multipart, no boundary, malformed, or missing/duplicate fields."""

    code = "BAD_FORM"
    http_status = 400


class DocumentTooComplex(UploadError):
    """Reading the file needed more CPU time or memory than one upload may use (a PDF built to be slow to parse,
    a decompression bomb). 422: the request is well-formed and small enough, its content cannot be processed."""

    code = "DOCUMENT_TOO_COMPLEX"
    http_status = 422
