"""WordprocessingML blocks to text lines: one paragraph, or one table row with its cells joined.

Works on one block's subtree at a time (docx_text.py streams the part and hands each block here), walking the
elements itself because content controls (`w:sdt`), tracked insertions, field results and text boxes wrap the
text CV templates care about.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cveval_upload.domain.hidden_text import HiddenText, run_hidden, shading_is_dark

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"

P, TBL, TR, TC, T, R = f"{_W}p", f"{_W}tbl", f"{_W}tr", f"{_W}tc", f"{_W}t", f"{_W}r"
TXBX = f"{_W}txbxContent"
SECT_PR = f"{_W}sectPr"
HEADER_REFERENCE, FOOTER_REFERENCE = f"{_W}headerReference", f"{_W}footerReference"
_TABS = frozenset({f"{_W}tab", f"{_W}ptab"})
_BREAKS = frozenset({f"{_W}br", f"{_W}cr"})
_NO_BREAK_HYPHEN = f"{_W}noBreakHyphen"
# Subtrees with no visible text of their own. mc:Fallback repeats the mc:Choice content (a VML copy of a
# DrawingML text box), so reading both would print every text box twice.
SKIPPED = frozenset(
    {f"{_W}pPr", f"{_W}rPr", f"{_W}tblPr", f"{_W}trPr", f"{_W}tcPr", SECT_PR, f"{_W}del", f"{_MC}Fallback"}
)
_CELL_SEPARATOR = " | "


def paragraph_lines(p: Any, hidden: HiddenText) -> Iterator[str]:
    """The paragraph's own text, then the blocks of any text box anchored in it; runs a reader cannot see (hidden,
    white on an unshaded page, tiny) are left out and counted in `hidden`."""
    parts: list[str] = []
    boxes: list[Any] = []
    _inline_text(p, parts, boxes, _Runs(hidden, _shaded(p)))
    # Empty paragraphs are yielded too: in Word they are how authors separate sections, i.e. paragraph breaks.
    yield "".join(parts)
    for box in boxes:
        yield from _blocks(box, hidden)


def row_line(tr: Any, hidden: HiddenText) -> str:
    """One table row on one line ("2019-2023 | Senior Engineer | Acme"); empty cells are left out."""
    cells = [_cell_text(cell, hidden) for cell in _descendants(tr, TC)]
    return _CELL_SEPARATOR.join(cell for cell in cells if cell)


class _Runs:
    def __init__(self, hidden: HiddenText, shaded: bool) -> None:
        self.hidden = hidden
        self.shaded = shaded


def _shaded(p: Any) -> bool:
    """The paragraph or a table cell around it paints a background (white text there is a design, not a trick)."""
    element = p
    while element is not None:
        properties = element.find(f"{_W}pPr" if element.tag == P else f"{_W}tcPr")
        if element.tag in (P, TC) and properties is not None and shading_is_dark(properties.find(f"{_W}shd"), _W):
            return True
        element = element.getparent()
    return False


def _blocks(container: Any, hidden: HiddenText) -> Iterator[str]:
    """Yield the paragraphs and table rows found directly in a container, looking through wrappers like w:sdt."""
    for child in container:
        tag = child.tag
        if tag == P:
            yield from paragraph_lines(child, hidden)
        elif tag == TBL:
            yield from _table(child, hidden)
        elif isinstance(tag, str) and tag not in SKIPPED:
            yield from _blocks(child, hidden)


def _inline_text(element: Any, parts: list[str], boxes: list[Any], runs: _Runs) -> None:
    for child in element:
        tag = child.tag
        if tag == R:
            kind = run_hidden(child.find(f"{_W}rPr"), _W, runs.shaded)
            if kind is not None:
                runs.hidden.add(kind, "".join(t.text or "" for t in child.iter(T)))
                continue
        if tag == T:
            parts.append(child.text or "")
        elif tag in _TABS:
            parts.append("\t")
        elif tag in _BREAKS:
            parts.append("\n")
        elif tag == _NO_BREAK_HYPHEN:
            parts.append("-")
        elif tag == TXBX:
            # A text box anchored in this paragraph is its own block of text; read it after the paragraph.
            boxes.append(child)
        elif isinstance(tag, str) and tag not in SKIPPED:
            _inline_text(child, parts, boxes, runs)


def _table(tbl: Any, hidden: HiddenText) -> Iterator[str]:
    for row in _descendants(tbl, TR):
        line = row_line(row, hidden)
        if line:
            yield line


def _cell_text(tc: Any, hidden: HiddenText) -> str:
    # A cell's paragraphs are joined so that the row reads on one line.
    return " ".join(line.replace("\n", " ").strip() for line in _blocks(tc, hidden)).strip()


def _descendants(element: Any, tag: str) -> Iterator[Any]:
    """Children with `tag`, also when wrapped (w:sdt, w:customXml), without entering nested tables."""
    for child in element:
        if child.tag == tag:
            yield child
        elif isinstance(child.tag, str) and child.tag not in SKIPPED and child.tag != TBL:
            yield from _descendants(child, tag)
