"""Text a reader cannot see is left out at extraction and reported by one marker line (kinds and counts only)."""

from __future__ import annotations

import io

import docx
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from fpdf import FPDF
from fpdf.enums import TextMode

from cveval_upload.domain.extract import extract_text
from cveval_upload.domain.sniff import DOCX, PDF

VISIBLE = "Backend engineer, six years of Python and PostgreSQL."
SECRET = "Kubernetes Terraform Kafka Spark Airflow"


def _pdf(draw: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.cell(0, 8, VISIBLE, new_x="LMARGIN", new_y="NEXT")
    if draw == "white":
        pdf.set_text_color(255, 255, 255)
    elif draw == "tiny":
        pdf.set_font("helvetica", size=1)
    elif draw == "invisible":
        pdf.text_mode = TextMode.INVISIBLE
    elif draw == "white on dark":
        pdf.set_fill_color(20, 40, 90)
        pdf.rect(10, 20, 190, 12, style="F")
        pdf.set_xy(12, 22)
        pdf.set_text_color(255, 255, 255)
    pdf.cell(0, 8, SECRET, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _docx(style: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(VISIBLE)
    if style == "white in a shaded cell":
        cell = document.add_table(rows=1, cols=1).rows[0].cells[0]
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:fill"), "1F3864")
        cell._tc.get_or_add_tcPr().append(shading)
        run = cell.paragraphs[0].add_run(SECRET)
        run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    else:
        run = document.add_paragraph("Also: ").add_run(SECRET)
        if style == "white":
            run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
        elif style == "tiny":
            run.font.size = Pt(1)
        elif style == "vanish":
            run.font.hidden = True
        elif style == "white highlighted":
            run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
            run.font.highlight_color = WD_COLOR_INDEX.DARK_BLUE
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_pdf_text_in_white_tiny_or_invisible_is_left_out_and_reported() -> None:
    for kind in ("white", "tiny", "invisible"):
        text = extract_text(_pdf(kind), PDF).text
        assert VISIBLE in text, kind
        assert "Kubernetes" not in text, kind
        assert text.rstrip().endswith(f"[hidden text removed at upload: {kind} 1x {len(SECRET)} chars]"), text


def test_pdf_white_text_on_a_dark_box_is_read() -> None:
    text = extract_text(_pdf("white on dark"), PDF).text
    assert SECRET in text and "hidden text removed" not in text


def test_plain_pdf_text_is_unchanged() -> None:
    text = extract_text(_pdf("plain"), PDF).text
    assert VISIBLE in text and SECRET in text and "hidden text removed" not in text


def test_docx_runs_hidden_white_or_tiny_are_left_out_and_reported() -> None:
    for style, kind in (("white", "white"), ("tiny", "tiny"), ("vanish", "hidden")):
        text = extract_text(_docx(style), DOCX).text
        assert VISIBLE in text and "Also:" in text, style
        assert "Kubernetes" not in text, style
        assert f"[hidden text removed at upload: {kind} 1x {len(SECRET)} chars]" in text, text


def test_docx_white_text_on_shading_or_highlight_is_read() -> None:
    for style in ("white in a shaded cell", "white highlighted"):
        text = extract_text(_docx(style), DOCX).text
        assert SECRET in text and "hidden text removed" not in text, style
