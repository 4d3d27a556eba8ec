"""Text of a DOCX in reading order: headers, body (paragraphs, tables, text boxes, content controls), footers.

python-docx opens the package and finds the parts; the text itself is read by walking the WordprocessingML tree
because python-docx's `Paragraph.text` and `iter_inner_content()` skip content controls (`w:sdt`), tracked
insertions, field results and text boxes, which is exactly where CV templates keep names, contact details and
sidebars. The walk is a generator so the caller can stop a decompression bomb early.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import docx

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"

_P, _TBL, _TR, _TC, _T = f"{_W}p", f"{_W}tbl", f"{_W}tr", f"{_W}tc", f"{_W}t"
_TXBX = f"{_W}txbxContent"
_TABS = frozenset({f"{_W}tab", f"{_W}ptab"})
_BREAKS = frozenset({f"{_W}br", f"{_W}cr"})
_NO_BREAK_HYPHEN = f"{_W}noBreakHyphen"
# Subtrees with no visible text of their own. mc:Fallback repeats the mc:Choice content (a VML copy of a
# DrawingML text box), so reading both would print every text box twice.
_SKIPPED = frozenset(
    {f"{_W}pPr", f"{_W}rPr", f"{_W}tblPr", f"{_W}trPr", f"{_W}tcPr", f"{_W}sectPr", f"{_W}del", f"{_MC}Fallback"}
)
_CELL_SEPARATOR = " | "


def docx_lines(data: bytes) -> Iterator[str]:
    """Yield the document's text, one paragraph or table row per item. Raises whatever python-docx/lxml raise."""
    document = docx.Document(io.BytesIO(data))
    headers, footers = _header_footer_elements(document)
    seen: set[str] = set()
    for element in headers:
        yield from _unique(_blocks(element), seen)
    yield from _blocks(document.element.body)
    seen.clear()
    for element in footers:
        yield from _unique(_blocks(element), seen)


def _header_footer_elements(document: Any) -> tuple[list[Any], list[Any]]:
    headers: list[Any] = []
    footers: list[Any] = []
    for section in document.sections:
        for kind in ("header", "first_page_header", "even_page_header"):
            part = getattr(section, kind)
            # A linked header has no definition of its own; the previous section's copy was already read.
            if not part.is_linked_to_previous:
                headers.append(part._element)
        for kind in ("footer", "first_page_footer", "even_page_footer"):
            part = getattr(section, kind)
            if not part.is_linked_to_previous:
                footers.append(part._element)
    return headers, footers


def _unique(lines: Iterator[str], seen: set[str]) -> Iterator[str]:
    # Sections often repeat the same header (name, phone); it should appear once in the text.
    for line in lines:
        if line not in seen:
            seen.add(line)
            yield line


def _blocks(container: Any) -> Iterator[str]:
    """Yield the paragraphs and table rows found directly in a container, looking through wrappers like w:sdt."""
    for child in container:
        tag = child.tag
        if tag == _P:
            yield from _paragraph(child)
        elif tag == _TBL:
            yield from _table(child)
        elif isinstance(tag, str) and tag not in _SKIPPED:
            yield from _blocks(child)


def _paragraph(p: Any) -> Iterator[str]:
    parts: list[str] = []
    boxes: list[Any] = []
    _inline_text(p, parts, boxes)
    # Empty paragraphs are yielded too: in Word they are how authors separate sections, i.e. paragraph breaks.
    yield "".join(parts)
    for box in boxes:
        yield from _blocks(box)


def _inline_text(element: Any, parts: list[str], boxes: list[Any]) -> None:
    for child in element:
        tag = child.tag
        if tag == _T:
            parts.append(child.text or "")
        elif tag in _TABS:
            parts.append("\t")
        elif tag in _BREAKS:
            parts.append("\n")
        elif tag == _NO_BREAK_HYPHEN:
            parts.append("-")
        elif tag == _TXBX:
            # A text box anchored in this paragraph is its own block of text; read it after the paragraph.
            boxes.append(child)
        elif isinstance(tag, str) and tag not in _SKIPPED:
            _inline_text(child, parts, boxes)


def _table(tbl: Any) -> Iterator[str]:
    for row in _descendants(tbl, _TR):
        cells = [_cell_text(cell) for cell in _descendants(row, _TC)]
        line = _CELL_SEPARATOR.join(cell for cell in cells if cell)
        if line:
            yield line


def _cell_text(tc: Any) -> str:
    # One row reads best on one line ("2019-2023 | Senior Engineer | Acme"), so a cell's paragraphs are joined.
    return " ".join(line.replace("\n", " ").strip() for line in _blocks(tc)).strip()


def _descendants(element: Any, tag: str) -> Iterator[Any]:
    """Children with `tag`, also when wrapped (w:sdt, w:customXml), without entering nested tables."""
    for child in element:
        if child.tag == tag:
            yield child
        elif isinstance(child.tag, str) and child.tag not in _SKIPPED and child.tag != _TBL:
            yield from _descendants(child, tag)
