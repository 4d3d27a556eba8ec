"""Extract normalised text from PDF, DOCX and plain-text bytes.

Every failure becomes an UploadError with a message for the uploader: library exceptions (pypdf, python-docx,
lxml, zipfile) are caught here because their text describes internals, not what the user should do.
Limits guard against small files that expand enormously (compressed PDF streams, zipped DOCX XML); the CPU
and memory a parser may use are bounded by the sandbox it runs in (adapters/extraction_pool.py).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import pypdf
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

from cveval_upload.domain.docx_text import DocxLimitExceeded, DocxLimits, UnsafeDocx, docx_lines
from cveval_upload.domain.errors import CorruptDocument, EmptyText, FileTooLarge, UploadError, describe_field
from cveval_upload.domain.hidden_text import HiddenText, PdfVisibility
from cveval_upload.domain.normalize import has_letters, normalize_text
from cveval_upload.domain.sniff import DOCX, PDF, TXT

DEFAULT_MAX_CHARS = 500_000
DEFAULT_MAX_PAGES = 200
# Uncompressed size of all DOCX parts together; real CVs are well under 5 MiB even with embedded photos.
DEFAULT_MAX_DOCX_UNZIPPED_BYTES = 64 * 1024 * 1024
# Raw text shrinks when normalised (layout spaces), so extraction aborts early only well past the final limit.
_RAW_SLACK = 2

_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"

# pypdf logs a warning for every recoverable defect; real-world CVs have many and the noise hides real problems.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class ExtractedText:
    text: str
    # Pages of a PDF; 1 for DOCX and TXT, which have no fixed pagination without a layout engine.
    page_count: int
    char_count: int


def extract_text(
    data: bytes,
    media_type: str,
    *,
    field: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    max_pages: int = DEFAULT_MAX_PAGES,
    max_docx_unzipped_bytes: int = DEFAULT_MAX_DOCX_UNZIPPED_BYTES,
) -> ExtractedText:
    """Extract and normalise text. `field` ("cv", "project") only shapes the error messages."""
    budget = _Budget(max_chars, field)
    if media_type == PDF:
        raw, pages = _pdf_text(data, field, max_pages, budget)
    elif media_type == DOCX:
        raw, pages = _docx_text(data, field, max_docx_unzipped_bytes, budget), 1
    elif media_type == TXT:
        raw, pages = decode_text(data), 1
        budget.take(raw)
    else:
        raise ValueError(f"extract_text called with unsupported media type {media_type!r}")
    text = normalize_text(raw)
    if not has_letters(text):
        raise EmptyText(
            f"the {describe_field(field)} has no extractable text; scanned images are not supported, "
            "upload a PDF with selectable text, a DOCX or a plain-text file",
            field=field,
        )
    if len(text) > max_chars:
        raise budget.too_large()
    return ExtractedText(text=text, page_count=pages, char_count=len(text))


def decode_text(data: bytes) -> str:
    """Decode a text file without ever raising: BOM first, then UTF-8, then Windows-1252, then Latin-1."""
    if data.startswith(_UTF32_BOMS):
        return data.decode("utf-32", errors="replace")
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    if data.startswith(_UTF8_BOM):
        return data[len(_UTF8_BOM) :].decode("utf-8", errors="replace")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    # cp1252 leaves five byte values undefined; Latin-1 maps every byte, so this cannot fail.
    return data.decode("latin-1")


class _Budget:
    """Counts raw extracted characters and stops extraction once it is clearly over the limit."""

    def __init__(self, max_chars: int, field: str | None) -> None:
        self.max_chars = max_chars
        self.field = field
        self.used = 0

    def take(self, chunk: str) -> None:
        self.used += len(chunk)
        if self.used > self.max_chars * _RAW_SLACK:
            raise self.too_large()

    def too_large(self) -> FileTooLarge:
        return FileTooLarge(
            f"the {describe_field(self.field)} holds more than {self.max_chars:,} characters of text; "
            "upload a shorter document",
            field=self.field,
        )


def _pdf_text(data: bytes, field: str | None, max_pages: int, budget: _Budget) -> tuple[str, int]:
    label = describe_field(field)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            raise CorruptDocument(
                f"the {label} is a password-protected PDF; upload a copy without a password", field=field
            )
        page_count = len(reader.pages)
        if page_count > max_pages:
            raise FileTooLarge(f"the {label} has {page_count} pages; the limit is {max_pages}", field=field)
        texts: list[str] = []
        hidden = HiddenText()
        for page in reader.pages:
            page_text = _visible_page_text(page, hidden)
            budget.take(page_text)
            texts.append(page_text)
        if hidden.pieces:
            texts.append(hidden.marker())
    except (UploadError, MemoryError):
        # MemoryError is the sandbox's memory limit (adapters/extraction_pool.py), not a damaged file.
        raise
    except LimitReachedError:
        # pypdf's own caps (inflated stream size, array and dictionary sizes, nesting): a bomb, not a damaged file.
        raise FileTooLarge(
            f"the {label} holds a stream or structure larger or deeper than a PDF may be here; re-export it and "
            "upload again",
            field=field,
        ) from None
    except (DependencyError, FileNotDecryptedError):
        # AES-encrypted PDFs need an optional crypto backend; either way the user's remedy is the same.
        raise CorruptDocument(
            f"the {label} is an encrypted PDF that cannot be opened; upload an unencrypted copy", field=field
        ) from None
    except Exception:
        # pypdf signals damage with many exception types (PdfReadError, KeyError, ValueError, ...), not one.
        raise CorruptDocument(
            f"the {label} is a damaged or truncated PDF that cannot be read; re-export it and upload again",
            field=field,
        ) from None
    # A blank line between pages keeps a paragraph break where the page broke.
    return "\n\n".join(texts), page_count


def _visible_page_text(page: pypdf.PageObject, hidden: HiddenText) -> str:
    """The page's text without what a reader cannot see (hidden_text.py), counted in `hidden`."""
    visibility = PdfVisibility(hidden)
    before = sum(hidden.pieces.values())
    text = page.extract_text(visitor_operand_before=visibility.before, visitor_text=visibility.text) or ""
    # pypdf's own output when nothing was hidden: the pieces it reports are the same text, this keeps it exact.
    return text if sum(hidden.pieces.values()) == before else visibility.visible


def _docx_text(data: bytes, field: str | None, max_unzipped: int, budget: _Budget) -> str:
    label = describe_field(field)
    try:
        # One paragraph per line, as a plain-text CV would have it.
        return "\n".join(docx_lines(data, budget.take, DocxLimits(max_unzipped_bytes=max_unzipped)))
    except (UploadError, MemoryError):
        raise
    except DocxLimitExceeded as exc:
        raise FileTooLarge(f"the {label} {exc}", field=field) from None
    except UnsafeDocx as exc:
        raise CorruptDocument(
            f"the {label} {exc}, which Word never writes; re-save it in Word and upload again", field=field
        ) from None
    except Exception:
        # BadZipFile, KeyError (missing part), lxml XMLSyntaxError (also past libxml2's depth limit), ...
        raise CorruptDocument(
            f"the {label} is a damaged DOCX file that cannot be read; re-save it in Word and upload again",
            field=field,
        ) from None
