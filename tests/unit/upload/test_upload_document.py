"""prepare_document: size, type, text and hash of an uploaded file in one step."""

from __future__ import annotations

import hashlib

import pytest

from cveval_upload.domain.document import prepare_document, sha256_hex
from cveval_upload.domain.errors import EmptyText, FileTooLarge, UnsupportedMediaType
from cveval_upload.domain.sniff import DOCX, PDF, TXT
from tests.fixtures.documents import SAMPLE_CV, SAMPLE_PROJECT_REPORT, make_docx, make_pdf, make_png, make_txt

MIB = 1024 * 1024


def test_sha256_is_stable_and_standard() -> None:
    data = make_pdf(SAMPLE_CV)
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()
    assert sha256_hex(make_pdf(SAMPLE_CV)) == sha256_hex(data)
    assert sha256_hex(make_docx(SAMPLE_CV)) == sha256_hex(make_docx(SAMPLE_CV))
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize(
    ("data", "media_type"),
    [(make_pdf(SAMPLE_CV), PDF), (make_docx(SAMPLE_CV), DOCX), (make_txt(SAMPLE_PROJECT_REPORT), TXT)],
)
def test_prepare_document(data: bytes, media_type: str) -> None:
    prepared = prepare_document(data, max_bytes=MIB)
    assert prepared.media_type == media_type
    assert prepared.size_bytes == len(data)
    assert prepared.sha256 == sha256_hex(data)
    assert prepared.char_count == len(prepared.text) > 500
    assert prepared.page_count >= 1


def test_zero_bytes_is_empty_text() -> None:
    with pytest.raises(EmptyText, match="the CV is empty"):
        prepare_document(b"", max_bytes=MIB, field="cv")


def test_over_max_is_file_too_large() -> None:
    with pytest.raises(FileTooLarge) as caught:
        prepare_document(make_txt(SAMPLE_CV), max_bytes=1000, field="project")
    assert "project report" in caught.value.message
    assert "1000 bytes" in caught.value.message
    assert caught.value.http_status == 413


def test_unsupported_content_is_rejected() -> None:
    with pytest.raises(UnsupportedMediaType):
        prepare_document(make_png(), max_bytes=MIB, field="cv")


def test_whitespace_only_text_is_empty_text() -> None:
    with pytest.raises(EmptyText):
        prepare_document(b"  \n\t\n ", max_bytes=MIB)
