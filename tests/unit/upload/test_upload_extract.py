"""Text extraction from PDF, DOCX and TXT, its normalisation, and its failure modes."""

from __future__ import annotations

import io

import docx
import docx.oxml
import pytest
from fpdf import FPDF
from fpdf.enums import EncryptionMethod

from cveval_upload.domain.errors import CorruptDocument, EmptyText, FileTooLarge
from cveval_upload.domain.extract import decode_text, extract_text
from cveval_upload.domain.normalize import normalize_text
from cveval_upload.domain.sniff import DOCX, PDF, TXT
from tests.fixtures.documents import SAMPLE_CV, SAMPLE_PROJECT_REPORT, make_docx, make_pdf, make_txt


def test_pdf_round_trip_keeps_the_words() -> None:
    extracted = extract_text(make_pdf(SAMPLE_CV, pages=2), PDF)
    for word in ("Lindqvist", "JetStream", "Kubernetes", "40,000", "Northwind", "KTH"):
        assert word in extracted.text
    assert extracted.page_count == 2
    assert extracted.char_count == len(extracted.text)


def test_docx_paragraphs_and_table_cells_in_order() -> None:
    data = make_docx("Maya Lindqvist\nExperience", table=[["2022 - now", "Senior Engineer"], ["2019", "Engineer"]])
    extracted = extract_text(data, DOCX)
    assert extracted.text.split("\n") == [
        "Maya Lindqvist",
        "Experience",
        "2022 - now | Senior Engineer",
        "2019 | Engineer",
    ]
    assert extracted.page_count == 1


_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _docx_with_body_xml(fragment: str) -> bytes:
    """A DOCX whose body starts with `fragment` (WordprocessingML using the w: and mc: prefixes)."""
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "maya@example.com"
    document.add_paragraph("Senior Backend Engineer")
    wrapper = docx.oxml.parse_xml(f'<root xmlns:w="{_W_NS}" xmlns:mc="{_MC_NS}">{fragment}</root>')
    for position, element in enumerate(list(wrapper)):
        document.element.body.insert(position, element)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_header_content_control_and_text_box_are_extracted_once() -> None:
    # python-docx's own paragraph API skips w:sdt content and text boxes; CV templates rely on both.
    fragment = (
        "<w:sdt><w:sdtContent><w:p><w:r><w:t>Maya Lindqvist</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        "<w:p><w:r><w:t>Skills</w:t></w:r><w:r><mc:AlternateContent>"
        "<mc:Choice Requires='wps'><w:txbxContent><w:p><w:r><w:t>Python, Go</w:t></w:r></w:p></w:txbxContent>"
        "</mc:Choice><mc:Fallback><w:txbxContent><w:p><w:r><w:t>Python, Go</w:t></w:r></w:p></w:txbxContent>"
        "</mc:Fallback></mc:AlternateContent></w:r></w:p>"
    )
    text = extract_text(_docx_with_body_xml(fragment), DOCX).text
    assert text.split("\n") == ["maya@example.com", "Maya Lindqvist", "Skills", "Python, Go", "Senior Backend Engineer"]


def test_password_protected_pdf_is_corrupt_with_a_clear_message() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica")
    pdf.cell(text="Secret CV")
    pdf.set_encryption(owner_password="owner", user_password="secret", encryption_method=EncryptionMethod.RC4)
    with pytest.raises(CorruptDocument, match="password-protected PDF"):
        extract_text(bytes(pdf.output()), PDF, field="cv")


def test_pdf_encrypted_with_empty_user_password_opens() -> None:
    # "Restrict editing" PDFs carry only an owner password; readers open them without asking, so must we.
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica")
    pdf.cell(text="Restricted but readable CV")
    pdf.set_encryption(owner_password="owner", user_password="", encryption_method=EncryptionMethod.RC4)
    assert extract_text(bytes(pdf.output()), PDF).text == "Restricted but readable CV"


def test_truncated_pdf_is_corrupt() -> None:
    data = make_pdf(SAMPLE_CV)
    with pytest.raises(CorruptDocument) as caught:
        extract_text(data[: len(data) // 3], PDF, field="cv")
    assert caught.value.code == "CORRUPT_DOCUMENT"
    assert "CV" in caught.value.message


def test_garbage_after_pdf_header_is_corrupt() -> None:
    with pytest.raises(CorruptDocument):
        extract_text(b"%PDF-1.7\n" + b"garbage " * 100, PDF)


def test_corrupt_docx_is_corrupt() -> None:
    data = make_docx(SAMPLE_CV)
    with pytest.raises(CorruptDocument, match="damaged DOCX"):
        extract_text(data[: len(data) // 2], DOCX)


def test_docx_with_broken_xml_is_corrupt() -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(make_docx("hello"))) as src, zipfile.ZipFile(buffer, "w") as dst:
        for info in src.infolist():
            payload = b"<w:document><unclosed>" if info.filename == "word/document.xml" else src.read(info)
            dst.writestr(info.filename, payload)
    with pytest.raises(CorruptDocument):
        extract_text(buffer.getvalue(), DOCX)


def test_cp1252_text_decodes() -> None:
    extracted = extract_text(make_txt("Résumé: René, café — naïve", encoding="cp1252"), TXT)
    assert extracted.text == "Résumé: René, café — naïve"


def test_utf16_text_decodes() -> None:
    assert extract_text(make_txt("Zürich engineer", encoding="utf-16"), TXT).text == "Zürich engineer"


def test_decode_text_never_raises() -> None:
    # 0x81 is undefined in cp1252 and invalid UTF-8: the Latin-1 fallback still decodes it.
    assert decode_text(b"abc\x81\xff") == "abc\x81\xff"
    assert decode_text(b"\xff\xfeA\x00\x00") == "A\ufffd"


def test_pdf_without_text_is_empty_text() -> None:
    with pytest.raises(EmptyText) as caught:
        extract_text(make_pdf(""), PDF, field="project")
    assert caught.value.code == "EMPTY_TEXT"
    assert "project report has no extractable text" in caught.value.message
    assert "scanned" in caught.value.message


def test_text_of_only_digits_and_punctuation_is_empty_text() -> None:
    with pytest.raises(EmptyText):
        extract_text(b" 123 - 456 \n\n ... ", TXT)


def test_hyphenation_across_lines_is_rejoined() -> None:
    extracted = extract_text(make_pdf("We improved the manage-\nment of queues and the Front-\nEnd team."), PDF)
    assert "management of queues" in extracted.text
    assert "Front-\nEnd" in extracted.text


def test_normalisation() -> None:
    raw = "Py\u200bthon  and\t\tGo\r\n\r\n\r\n\r\nﬁnance \x00\x07team\u00a0lead  \nexam\u00ad\nple"
    assert normalize_text(raw) == "Python and Go\n\nfinance team lead\nexample"


def test_paragraph_breaks_are_kept() -> None:
    assert extract_text(b"Summary\n\nExperience\nSkills", TXT).text == "Summary\n\nExperience\nSkills"


def test_page_cap() -> None:
    with pytest.raises(FileTooLarge, match="5 pages; the limit is 4") as caught:
        extract_text(make_pdf("one\ntwo\nthree\nfour\nfive", pages=5), PDF, max_pages=4)
    assert caught.value.http_status == 413


def test_char_cap() -> None:
    with pytest.raises(FileTooLarge, match="more than 1,000 characters"):
        extract_text(make_txt(SAMPLE_PROJECT_REPORT), TXT, max_chars=1_000)


def test_char_cap_stops_docx_early() -> None:
    with pytest.raises(FileTooLarge):
        extract_text(make_docx(SAMPLE_CV), DOCX, max_chars=200)


def test_docx_unzipped_size_cap() -> None:
    with pytest.raises(FileTooLarge, match="when unzipped"):
        extract_text(make_docx(SAMPLE_CV), DOCX, max_docx_unzipped_bytes=1024)
