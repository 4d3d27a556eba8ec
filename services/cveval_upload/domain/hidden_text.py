"""Text a reader of the document cannot see: white text, text in a tiny font, invisible or hidden text.

A candidate can hide keywords or instructions in a CV so that a machine reads them and a person does not. Such text
is left out of the extracted text and reported by one marker line at its end, which names the kinds and counts and
never the text (HIDDEN_TEXT_MARKER; the job service's scorer removes the line and flags the evaluation).

PDF: pypdf reports the text it extracts in pieces (visitor_text) and every content-stream operator before it runs
(visitor_operand_before); this tracks the graphics state pypdf does not expose (fill colour, text render mode, the
font size as the matrices scale it, filled areas painted so far) and decides for each piece. White text is hidden
only where no darker filled rectangle lies beneath it: CV templates put white text on a coloured sidebar.
DOCX: docx_blocks.py asks run_hidden() about each run (w:vanish, a white colour without shading, a tiny size).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["HIDDEN_TEXT_MARKER", "HiddenText", "PdfVisibility"]

HIDDEN_TEXT_MARKER: Final = "[hidden text removed at upload: {kinds}]"
# Below this size (points, after scaling) a glyph is a dot: nobody reads 2-point text, footnotes are 6 or more.
TINY_POINTS: Final = 3.0
# A colour channel at least this bright (0..1) is white to the eye on a white page.
WHITE_LEVEL: Final = 0.95
_INVISIBLE_RENDER_MODES: Final = frozenset({3, 7})  # 3: neither fill nor stroke; 7: clip only
_TEXT_SHOWING: Final = frozenset({b"Tj", b"TJ", b"'", b'"'})
_FILLING: Final = frozenset({b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"})


@dataclass
class HiddenText:
    """What was left out, by kind ("white", "tiny", "invisible", "hidden") in characters and pieces."""

    chars: Counter[str] = field(default_factory=Counter)
    pieces: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str, text: str) -> None:
        if text.strip():
            self.chars[kind] += len(text.strip())
            self.pieces[kind] += 1

    def marker(self) -> str:
        """The line appended to the text ("" when nothing was hidden)."""
        if not self.pieces:
            return ""
        kinds = ", ".join(f"{kind} {self.pieces[kind]}x {self.chars[kind]} chars" for kind in sorted(self.pieces))
        return HIDDEN_TEXT_MARKER.format(kinds=kinds)


def _multiply(a: list[float], b: list[float]) -> list[float]:
    return [
        a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def _is_white(colour: tuple[float, ...]) -> bool:
    if len(colour) == 4:  # CMYK: no ink
        return all(c <= 1 - WHITE_LEVEL for c in colour)
    return bool(colour) and all(c >= WHITE_LEVEL for c in colour)


def _numbers(args: list[Any]) -> tuple[float, ...]:
    try:
        return tuple(float(a) for a in args)
    except (TypeError, ValueError):
        return ()


@dataclass
class _State:
    fill: tuple[float, ...] = (0.0,)
    render_mode: int = 0
    font_size: float = 12.0


class PdfVisibility:
    """Per page: feed pypdf's visitors, then read `visible` (the page's text without hidden pieces)."""

    def __init__(self, report: HiddenText) -> None:
        self.report = report
        self.state = _State()
        self.stack: list[_State] = []
        self.path: list[tuple[float, float, float, float]] = []
        self.dark_areas: list[tuple[float, float, float, float]] = []
        self.shown: list[str | None] = []  # the kind of each text-showing operator since the last piece (None: seen)
        self.parts: list[str] = []

    @property
    def visible(self) -> str:
        return "".join(self.parts)

    def before(self, op: bytes, args: list[Any], cm: list[float], tm: list[float]) -> None:
        if op in _TEXT_SHOWING:
            self.shown.append(self._kind(cm, tm))
        elif op == b"q":
            self.stack.append(_State(self.state.fill, self.state.render_mode, self.state.font_size))
        elif op == b"Q" and self.stack:
            self.state = self.stack.pop()
        elif op in (b"rg", b"g", b"k", b"sc", b"scn"):
            self.state.fill = _numbers(args) or self.state.fill
        elif op == b"cs":
            self.state.fill = (0.0,)  # a new colour space starts at black
        elif op == b"Tr":
            self.state.render_mode = int(_numbers(args)[0]) if _numbers(args) else 0
        elif op == b"Tf" and len(args) >= 2:
            size = _numbers(args[1:2])
            self.state.font_size = size[0] if size else self.state.font_size
        else:
            self._paths(op, args, cm)

    def _paths(self, op: bytes, args: list[Any], cm: list[float]) -> None:
        if op == b"re":
            box = _numbers(args)
            if len(box) == 4:
                x, y, w, h = box
                (x0, y0), (x1, y1) = _point(cm, x, y), _point(cm, x + w, y + h)
                self.path.append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
        elif op in _FILLING:
            if not _is_white(self.state.fill):
                self.dark_areas.extend(self.path)
            self.path = []
        elif op in (b"n", b"S", b"s"):
            self.path = []

    def _kind(self, cm: list[float], tm: list[float]) -> str | None:
        if self.state.render_mode in _INVISIBLE_RENDER_MODES:
            return "invisible"
        matrix = _multiply(tm, cm)
        scale = math.sqrt(abs(matrix[0] * matrix[3] - matrix[1] * matrix[2]))
        if 0 < abs(self.state.font_size) * scale < TINY_POINTS:
            return "tiny"
        if _is_white(self.state.fill) and not self._on_dark(matrix[4], matrix[5]):
            return "white"
        return None

    def _on_dark(self, x: float, y: float) -> bool:
        return any(x0 - 1 <= x <= x1 + 1 and y0 - 1 <= y <= y1 + 1 for x0, y0, x1, y1 in self.dark_areas)

    def text(self, text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        """A piece of extracted text: hidden when every operator that showed it drew hidden text."""
        kinds = self.shown
        self.shown = []
        if text.strip() and kinds and all(k is not None for k in kinds):
            self.report.add(str(kinds[0]), text)
            self.parts.append("\n" if text.endswith("\n") else " ")
            return
        self.parts.append(text)


def _point(cm: list[float], x: float, y: float) -> tuple[float, float]:
    return x * cm[0] + y * cm[2] + cm[4], x * cm[1] + y * cm[3] + cm[5]


def run_hidden(run_properties: Any, ns: str, shaded: bool) -> str | None:
    """The kind of hiding of a DOCX run from its w:rPr (None: visible); `shaded`: its paragraph or cell is shaded."""
    if run_properties is None:
        return None
    for tag in ("vanish", "specVanish", "webHidden"):
        element = run_properties.find(f"{ns}{tag}")
        if element is not None and element.get(f"{ns}val", "true").lower() not in ("false", "0", "off"):
            return "hidden"
    size = run_properties.find(f"{ns}sz")
    if size is not None:
        try:
            if int(size.get(f"{ns}val", "24")) / 2 < TINY_POINTS:  # half-points
                return "tiny"
        except ValueError:
            pass
    colour = run_properties.find(f"{ns}color")
    if colour is not None and not shaded and not _run_shaded(run_properties, ns):
        value = colour.get(f"{ns}val", "auto").lower()
        if len(value) == 6 and all(int(value[i : i + 2], 16) / 255 >= WHITE_LEVEL for i in (0, 2, 4)):
            return "white"
    return None


def _run_shaded(run_properties: Any, ns: str) -> bool:
    return shading_is_dark(run_properties.find(f"{ns}shd"), ns) or (
        run_properties.find(f"{ns}highlight") is not None
        and run_properties.find(f"{ns}highlight").get(f"{ns}val", "none") not in ("none", "white")
    )


def shading_is_dark(shd: Any, ns: str) -> bool:
    """A w:shd that paints a fill other than white or automatic."""
    if shd is None:
        return False
    fill = (shd.get(f"{ns}fill") or "auto").lower()
    return fill not in ("auto", "ffffff", "")
