"""Turn text pulled out of a PDF, DOCX or TXT file into one clean, comparable form.

Everything downstream (embeddings, prompts, hashing of texts, the UI) wants the same text for the same content,
whatever the source format produced: ligatures and full-width forms folded, layout spaces collapsed, page-break
hyphenation undone, invisible junk removed, paragraph structure kept.
"""

from __future__ import annotations

import re
import unicodedata

# Line and paragraph separators other than "\n" that extractors emit; a form feed is a page break.
_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n\n", "\x0b": "\n", "\x0c": "\n\n", "\x85": "\n"})
# Invisible characters that carry no meaning in a CV but break word matching ("Py\u200bthon").
_INVISIBLE = frozenset("\u00ad\u200b\u2060\ufeff\u180e")
# Kept categories: Cc is kept only for "\n" and "\t"; Cs (lone surrogates) cannot be encoded as UTF-8 for
# protobuf/PostgreSQL; Co (private use) is icon-font glyphs (phone, mail pictograms) meaningless outside their font.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})

# A word broken at a line end: "manage-\nment". Joined only when the next line starts in lower case, so
# "Front-\nEnd" or a list item after a dash keeps its line break.
_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])[-\u2010][ \t]*\n[ \t]*(?=[^\W\d_])")
# A soft hyphen is where a word processor *may* break a word; at a line end it is a broken word: always join.
_SOFT_HYPHEN_BREAK = re.compile(r"\u00ad[^\S\n]*\n[^\S\n]*")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")
_NEEDS_SCAN = re.compile(r"[^\x20-\x7e\n\t]")


def normalize_text(raw: str) -> str:
    """Return the normalised text (may be empty)."""
    text = unicodedata.normalize("NFKC", raw.replace("\r\n", "\n")).translate(_LINE_BREAKS)
    text = _drop_invisible(_SOFT_HYPHEN_BREAK.sub("", text))
    text = _HORIZONTAL_SPACE.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _HYPHEN_BREAK.sub(_join_hyphenated, text)
    return _MANY_BLANK_LINES.sub("\n\n", text).strip()


def has_letters(text: str) -> bool:
    """True when the text holds at least one letter: digits and punctuation alone are not a readable CV."""
    return any(ch.isalpha() for ch in text)


def _drop_invisible(text: str) -> str:
    # Fast path: most texts have nothing to drop, and the per-character scan below is Python-speed.
    if not _NEEDS_SCAN.search(text):
        return text
    return "".join(
        ch
        for ch in text
        if ch in "\n\t" or (ch not in _INVISIBLE and unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    )


def _join_hyphenated(match: re.Match[str]) -> str:
    # Lines are already stripped, so the match is exactly "-\n" and can be kept as is.
    return "" if match.string[match.end()].islower() else match.group(0)
