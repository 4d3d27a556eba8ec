"""Media type is decided by content: what the bytes are, not what the name or the client says."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from cveval_upload.domain.errors import CorruptDocument, UnsupportedMediaType
from cveval_upload.domain.sniff import DOCX, PDF, TXT, detect_media_type
from tests.fixtures.documents import SAMPLE_CV, make_docx, make_pdf, make_png, make_txt


def test_pdf_is_detected() -> None:
    assert detect_media_type(make_pdf("hello")) == PDF


def test_pdf_after_bom_and_blank_lines_is_detected() -> None:
    assert detect_media_type(b"\xef\xbb\xbf\r\n  " + make_pdf("hello")) == PDF


def test_docx_is_detected() -> None:
    assert detect_media_type(make_docx("hello")) == DOCX


def test_utf8_text_is_detected() -> None:
    assert detect_media_type(make_txt(SAMPLE_CV + "Café, naïve, Zürich, 東京")) == TXT


def test_utf16_text_with_bom_is_detected() -> None:
    data = make_txt(SAMPLE_CV, encoding="utf-16")
    assert data[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert detect_media_type(data) == TXT


def test_cp1252_text_is_detected() -> None:
    assert (
        detect_media_type(make_txt("Résumé of René, Senior Engineer \u2014 2019\u20132024", encoding="cp1252")) == TXT
    )


def test_text_starting_with_binary_signature_letters_is_still_text() -> None:
    # "BM" is the BMP signature and "MZ" the DOS executable one; plain text may start with them.
    assert detect_media_type(b"BMW Group, Munich: backend engineer 2019-2024\n") == TXT
    assert detect_media_type(b"MZ Consulting - Python developer\n") == TXT


def test_png_is_rejected_naming_its_type() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        detect_media_type(make_png(), field="cv")
    assert caught.value.http_status == 415
    assert caught.value.code == "UNSUPPORTED_MEDIA_TYPE"
    assert "image/png is not supported" in caught.value.message
    assert "CV" in caught.value.message
    assert caught.value.field == "cv"


def test_zip_that_is_not_docx_is_rejected() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a word document")
    with pytest.raises(UnsupportedMediaType, match="application/zip"):
        detect_media_type(buffer.getvalue())


def test_xlsx_like_zip_is_rejected_naming_excel() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnsupportedMediaType, match="Excel"):
        detect_media_type(buffer.getvalue())


def test_truncated_docx_is_reported_as_corrupt_not_unsupported() -> None:
    data = make_docx(SAMPLE_CV)
    with pytest.raises(CorruptDocument):
        detect_media_type(data[: len(data) // 2])


def test_legacy_doc_is_rejected() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    with pytest.raises(UnsupportedMediaType, match=r"legacy \.doc"):
        detect_media_type(ole)


def test_executable_is_rejected() -> None:
    with pytest.raises(UnsupportedMediaType, match="executable"):
        detect_media_type(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" * 8)


def test_rtf_is_rejected_although_it_is_ascii() -> None:
    with pytest.raises(UnsupportedMediaType, match="application/rtf"):
        detect_media_type(rb"{\rtf1\ansi\deff0 {\fonttbl {\f0 Times;}} Hello }")


def test_random_bytes_are_rejected() -> None:
    data = os.urandom(4096)
    with pytest.raises(UnsupportedMediaType, match="not supported; upload PDF, DOCX or plain text"):
        detect_media_type(b"\x00\x01" + data)


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_without_nul_are_rejected(seed: int) -> None:
    # Any byte string decodes as Latin-1, so the ASCII-share bar is what keeps noise out.
    data = bytes(b for b in os.urandom(8192) if b != 0)
    with pytest.raises(UnsupportedMediaType):
        detect_media_type(data)


def test_text_file_containing_pdf_bytes_is_a_pdf() -> None:
    # The client would call it "cv.txt" / text/plain; content wins because the name is never consulted.
    assert detect_media_type(make_pdf("this was uploaded as cv.txt")) == PDF
