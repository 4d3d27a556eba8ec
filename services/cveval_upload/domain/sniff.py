"""Decide a file's media type from its bytes alone.

The filename and the type the client claims are ignored on purpose: both are trivially wrong (a CV saved as
"cv.txt" that is really a PDF, a PNG renamed to .pdf) and trusting them would send bytes to the wrong parser.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile

from cveval_upload.domain.errors import CorruptDocument, UnsupportedMediaType, describe_field

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TXT = "text/plain"
SUPPORTED_MEDIA_TYPES = (PDF, DOCX, TXT)

# Readers (Acrobat included) accept "%PDF-" within the first KiB, after junk such as a BOM or blank lines.
_PDF_MAGIC = b"%PDF-"
_PDF_SEARCH_WINDOW = 1024
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# Known signatures of formats we refuse, so the message can say what the file actually is.
_KNOWN_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/msword (legacy .doc)"),
    (b"MZ", "application/x-msdownload (executable)"),
    (b"\x7fELF", "application/x-executable"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
)

# Real text is almost all printable; binary data decoded as text is not. 5% slack covers odd symbols.
_MIN_PRINTABLE_SHARE = 0.95
# A legacy 8-bit (cp1252/latin-1) file is accepted only when it is overwhelmingly ASCII, like real Western text;
# any byte string "decodes" as latin-1, so without this bar random bytes would pass as text.
_MIN_ASCII_SHARE_LEGACY = 0.75
_TEXT_WHITESPACE = frozenset("\t\n\r\f\v")
# The per-character check is Python-speed; a prefix is a fair sample (extraction strips stray controls anyway).
_TEXT_SAMPLE_CHARS = 256 * 1024
_ASCII_TEXT_BYTES = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F)])


def detect_media_type(data: bytes, *, field: str | None = None) -> str:
    """Return PDF, DOCX or TXT for supported content.

    Raises UnsupportedMediaType (naming the detected type when known) for anything else, and CorruptDocument for
    an archive that is recognisably a DOCX but damaged, since "unsupported" would mislead the user there.
    """
    if _looks_like_pdf(data):
        return PDF
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _classify_zip(data, field)
    if data.startswith(b"{\\rtf"):
        # RTF is technically ASCII text, but as "plain text" its control words would reach the model as noise.
        raise _unsupported("application/rtf", field)
    if _looks_like_text(data):
        return TXT
    # Only now match binary signatures: they exist to name the type in the message, and short ones such as
    # "BM" or "MZ" would otherwise reject text files that merely start with those letters.
    raise _unsupported(_binary_signature(data), field)


def _binary_signature(data: bytes) -> str | None:
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    for signature, name in _KNOWN_SIGNATURES:
        if data.startswith(signature):
            return name
    return None


def _unsupported(detected: str | None, field: str | None) -> UnsupportedMediaType:
    what = detected if detected else "this file type (not PDF, DOCX or text)"
    where = f" for the {describe_field(field)}" if field else ""
    return UnsupportedMediaType(f"{what} is not supported{where}; upload PDF, DOCX or plain text", field=field)


def _looks_like_pdf(data: bytes) -> bool:
    head = data[:_PDF_SEARCH_WINDOW]
    if head.startswith(_UTF8_BOM):
        head = head[len(_UTF8_BOM) :]
    return head.lstrip(b" \t\r\n\f\x00").startswith(_PDF_MAGIC)


def _classify_zip(data: bytes, field: str | None) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        # A truncated upload loses the central directory at the end; the local headers still say what it was.
        if b"word/document.xml" in data[: 1024 * 1024]:
            raise CorruptDocument(
                f"the {describe_field(field)} looks like a DOCX file but the archive is damaged or truncated",
                field=field,
            ) from None
        raise _unsupported("application/zip", field) from None
    if "word/document.xml" in names and "[Content_Types].xml" in names:
        return DOCX
    raise _unsupported(_zip_flavour(names), field)


def _zip_flavour(names: set[str]) -> str:
    if "xl/workbook.xml" in names:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (Excel)"
    if "ppt/presentation.xml" in names:
        return "application/vnd.openxmlformats-officedocument.presentationml.presentation (PowerPoint)"
    if "mimetype" in names and "content.xml" in names:
        return "an OpenDocument file (ODT/ODS)"
    return "application/zip"


def _looks_like_text(data: bytes) -> bool:
    text = _decode_for_sniffing(data)
    if text is None or not text.strip():
        # Whitespace-only text is still text: it is rejected later as EmptyText, which is the clearer message.
        return text is not None
    sample = text[:_TEXT_SAMPLE_CHARS]
    printable = sum(1 for ch in sample if ch in _TEXT_WHITESPACE or ch.isprintable() or _is_invisible_format(ch))
    return printable / len(sample) >= _MIN_PRINTABLE_SHARE


def _is_invisible_format(ch: str) -> bool:
    # Zero-width joiners, BOMs and bidi marks are legitimate in text but not "printable" to Python.
    return unicodedata.category(ch) == "Cf"


def _decode_for_sniffing(data: bytes) -> str | None:
    """Decode the way a text file plausibly was written, or return None when it is not text."""
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data:
        # NUL never occurs in UTF-8 or 8-bit text files; it is the hallmark of binary formats.
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    ascii_share = (len(data) - len(data.translate(None, _ASCII_TEXT_BYTES))) / len(data)
    if ascii_share < _MIN_ASCII_SHARE_LEGACY:
        return None
    return data.decode("cp1252", errors="replace")
