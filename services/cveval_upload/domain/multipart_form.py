"""Parse the multipart/form-data body of POST /v1/upload with python-multipart's streaming parser.

Limits are enforced while parsing, not afterwards: the per-file cap is checked as each chunk of a part arrives,
so an oversized file is refused before the rest of the body is even looked at. Duplicate field names are
rejected rather than resolved "first wins" or "last wins", because either choice silently drops a file.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from cveval_upload.domain.errors import BadForm, FileTooLarge, format_mib

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

# RFC 2046 §5.1.1: a boundary is 1 to 70 characters.
_MAX_BOUNDARY_LENGTH = 70
# Feeding the parser in slices makes the per-file limit trip close to the offending bytes.
_FEED_CHUNK = 64 * 1024
_DEFAULT_PART_TYPE = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class FormFile:
    field: str
    # "" when the part was a plain form field (e.g. `curl -F cv=<cv.txt`), not a file.
    filename: str
    # As claimed by the client; informational only, the media type is decided by content (see sniff.py).
    content_type: str
    data: bytes


def parse_multipart(body: bytes, content_type: str, *, max_file_bytes: int, max_files: int = 4) -> dict[str, FormFile]:
    """Parse a whole multipart/form-data body into its parts, keyed by field name."""
    reader = MultipartFormReader(content_type, max_file_bytes=max_file_bytes, max_files=max_files)
    for start in range(0, len(body), _FEED_CHUNK):
        reader.feed(body[start : start + _FEED_CHUNK])
    return reader.finish()


def require_fields(form: dict[str, FormFile], fields: Iterable[str]) -> None:
    """Raise BadForm naming the first required field the form lacks."""
    for field in fields:
        if field not in form:
            raise BadForm(f"missing form field '{field}'", field=field)


class MultipartFormReader:
    """Incremental parser, for bodies that arrive in chunks (HttpBody streams, proxies)."""

    def __init__(self, content_type: str, *, max_file_bytes: int, max_files: int = 4) -> None:
        self._max_file_bytes = max_file_bytes
        self._max_files = max_files
        self._parts: dict[str, FormFile] = {}
        self._headers: dict[bytes, bytes] = {}
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._field = ""
        self._filename = ""
        self._part_type = _DEFAULT_PART_TYPE
        self._data = bytearray()
        self._ended = False
        callbacks: MultipartCallbacks = {
            "on_part_begin": self._on_part_begin,
            "on_header_field": lambda data, start, end: self._header_name.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_end": self._on_end,
        }
        self._parser = MultipartParser(_boundary(content_type), callbacks)

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except FormParserError:
            # The library's message cites parser states and offsets; the user needs to know the body is bad.
            raise BadForm("the multipart body is malformed or does not match its boundary") from None

    def finish(self) -> dict[str, FormFile]:
        if not self._ended:
            raise BadForm("the multipart body is incomplete: the closing boundary is missing")
        return dict(self._parts)

    def _on_part_begin(self) -> None:
        if len(self._parts) >= self._max_files:
            raise BadForm(f"the form has more than {self._max_files} parts")
        self._headers = {}
        self._data = bytearray()

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header_name).strip().lower()] = bytes(self._header_value).strip(b" \t")
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition"))
        name = options.get(b"name")
        if disposition != b"form-data" or not name:
            raise BadForm("a form part has no 'Content-Disposition: form-data' header with a field name")
        self._field = _decode_header_text(name)
        if self._field in self._parts:
            raise BadForm(
                f"form field '{self._field}' was sent more than once; send one file per field", field=self._field
            )
        encoding = self._headers.get(b"content-transfer-encoding", b"binary").lower()
        if encoding not in (b"binary", b"8bit", b"7bit"):
            # RFC 7578 §4.7 deprecates transfer encodings in forms; no browser or HTTP client sends them.
            raise BadForm(
                f"form field '{self._field}' uses an unsupported Content-Transfer-Encoding", field=self._field
            )
        filename = options.get(b"filename")
        self._filename = _safe_filename(_decode_header_text(filename)) if filename is not None else ""
        part_type = self._headers.get(b"content-type")
        self._part_type = part_type.decode("latin-1").strip() if part_type else _DEFAULT_PART_TYPE

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if len(self._data) + (end - start) > self._max_file_bytes:
            raise FileTooLarge(
                f"the file in form field '{self._field}' is larger than the {format_mib(self._max_file_bytes)} limit",
                field=self._field,
            )
        self._data.extend(data[start:end])

    def _on_part_end(self) -> None:
        self._parts[self._field] = FormFile(self._field, self._filename, self._part_type, bytes(self._data))
        self._data = bytearray()

    def _on_end(self) -> None:
        self._ended = True


def _boundary(content_type: str) -> bytes:
    media_type, params = parse_options_header(content_type)
    if media_type != b"multipart/form-data":
        shown = media_type.decode("latin-1") or "no content type"
        raise BadForm(f"expected a multipart/form-data request, got {shown}")
    boundary = params.get(b"boundary", b"")
    if not boundary:
        raise BadForm("the multipart/form-data content type has no boundary parameter")
    if len(boundary) > _MAX_BOUNDARY_LENGTH or boundary.endswith(b" "):
        raise BadForm("the multipart boundary is invalid (1-70 characters, not ending in a space)")
    return boundary


def _decode_header_text(raw: bytes) -> str:
    # Browsers send non-ASCII names and filenames as raw UTF-8 in the header; very old clients used Latin-1.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _safe_filename(name: str) -> str:
    # Keep only the last path component: a filename is metadata, never a path to trust.
    base = posixpath.basename(name.replace("\\", "/"))
    return "".join(ch for ch in base if ch.isprintable())[:255]
