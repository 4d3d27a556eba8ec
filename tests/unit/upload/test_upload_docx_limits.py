"""The streaming DOCX reader's limits: checked from the zip directory before inflating, and while parsing."""

from __future__ import annotations

import pytest

from cveval_upload.domain.docx_text import DocxLimitExceeded, DocxLimits, UnsafeDocx, docx_lines
from cveval_upload.domain.errors import CorruptDocument, FileTooLarge
from cveval_upload.domain.extract import extract_text
from cveval_upload.domain.sniff import DOCX
from tests.fixtures import hostile
from tests.fixtures.documents import SAMPLE_CV, make_docx


def _lines(data: bytes, **limits: int) -> list[str]:
    return docx_lines(data, lambda line: None, DocxLimits(**limits))


def test_streamed_text_matches_paragraphs_and_rows_in_order() -> None:
    data = make_docx("Maya Lindqvist\nExperience", table=[["2022 - now", "Senior Engineer"], ["2019", "Engineer"]])
    assert _lines(data) == ["Maya Lindqvist", "Experience", "2022 - now | Senior Engineer", "2019 | Engineer"]


def test_compression_ratio_is_checked_before_inflating() -> None:
    with pytest.raises(DocxLimitExceeded, match="inflates"):
        _lines(hostile._ratio_bomb_tiny_paragraphs())


def test_declared_total_size_is_checked_before_inflating() -> None:
    with pytest.raises(FileTooLarge, match="when unzipped"):
        extract_text(make_docx(SAMPLE_CV), DOCX, max_docx_unzipped_bytes=1024)


def test_element_budget_bounds_work_on_textless_xml() -> None:
    with pytest.raises(DocxLimitExceeded, match="XML elements"):
        _lines(hostile._docx_parts(hostile._body(b"<w:p/>" * 5_000)), max_elements=2_000)


def test_one_block_cannot_hold_more_than_its_element_budget() -> None:
    runs = "".join(f"<w:r><w:t>{i}</w:t></w:r>" for i in range(3_000))
    with pytest.raises(DocxLimitExceeded, match="paragraph or table row"):
        _lines(hostile._docx_parts(hostile._body(f"<w:p>{runs}</w:p>")), max_block_elements=1_000)


def test_many_small_blocks_stay_under_the_block_budget() -> None:
    # Each paragraph is freed once read, so 3,000 of them never hold more than one paragraph's elements.
    body = "".join(hostile._para(f"line {i}") for i in range(3_000))
    assert len(_lines(hostile._docx_parts(hostile._body(body)), max_block_elements=50)) == 3_000


def test_text_budget_stops_reading_early() -> None:
    taken: list[str] = []

    def take(line: str) -> None:
        taken.append(line)
        if len(taken) > 10:
            raise RuntimeError("over budget")

    body = "".join(hostile._para(f"line {i}") for i in range(1_000))
    with pytest.raises(RuntimeError):
        docx_lines(hostile._docx_parts(hostile._body(body)), take)
    assert len(taken) == 11


@pytest.mark.parametrize(
    "build",
    [hostile._billion_laughs, lambda: hostile._xxe("file:///etc/passwd"), hostile._dtd_in_rels, hostile._dtd_in_header],
    ids=["billion laughs", "external entity", "DTD in relationships", "DTD in a header"],
)
def test_any_dtd_is_refused(build: object) -> None:
    with pytest.raises(UnsafeDocx):
        _lines(build())  # type: ignore[operator]
    with pytest.raises(CorruptDocument, match="DTD"):
        extract_text(build(), DOCX)  # type: ignore[operator]


def test_nesting_past_the_parser_depth_limit_is_corrupt() -> None:
    with pytest.raises(CorruptDocument):
        extract_text(hostile._deep_nesting(10_000), DOCX)
    assert "deep" in extract_text(hostile._deep_nesting(200), DOCX).text


def test_headers_are_read_through_the_relationships() -> None:
    data = make_docx("Body line")
    assert _lines(data)[-1] == "Body line"
