"""From uploaded bytes to a document ready to store: size check, content sniffing, text extraction, hash.

The order is deliberate and cheapest-first: size (free), type by magic bytes (microseconds), then extraction
(the only expensive step). The hash is of the original bytes, so the same file uploaded twice maps to the
same stored document whatever its filename.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cveval_upload.domain.errors import EmptyText, FileTooLarge, describe_field, format_mib
from cveval_upload.domain.extract import DEFAULT_MAX_CHARS, DEFAULT_MAX_PAGES, extract_text
from cveval_upload.domain.sniff import detect_media_type


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    media_type: str
    sha256: str
    size_bytes: int
    text: str
    page_count: int
    char_count: int


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of the bytes: the document's identity for de-duplication."""
    return hashlib.sha256(data).hexdigest()


def prepare_document(
    data: bytes,
    *,
    max_bytes: int,
    field: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> PreparedDocument:
    """Validate and extract an uploaded file. `field` ("cv", "project") names the file in error messages."""
    label = describe_field(field)
    if not data:
        raise EmptyText(f"the {label} is empty (0 bytes)", field=field)
    if len(data) > max_bytes:
        raise FileTooLarge(f"the {label} is larger than the {format_mib(max_bytes)} limit", field=field)
    media_type = detect_media_type(data, field=field)
    extracted = extract_text(data, media_type, field=field, max_chars=max_chars, max_pages=max_pages)
    return PreparedDocument(
        media_type=media_type,
        sha256=sha256_hex(data),
        size_bytes=len(data),
        text=extracted.text,
        page_count=extracted.page_count,
        char_count=extracted.char_count,
    )
