"""Splitting of a vacancy's reference documents into retrieval chunks.

Ids are deterministic ("{vacancy_id}:{source}:{index}") so re-indexing the same vacancy overwrites the same points
in the vector store instead of adding duplicates.
"""

from __future__ import annotations

import re

from cveval_job.scoring.model import CHUNK_SOURCES, Chunk, Rubric, Vacancy
from cveval_job.scoring.text import collapse

__all__ = ["chunk_document", "rubric_chunks", "vacancy_chunks"]

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;:])\s+")
_LIST_ITEM = re.compile(r"\n(?=\s*(?:[-*•]|\d{1,2}[.)]|#{1,6})\s)")


def _hard_split(text: str, limit: int) -> list[str]:
    """Split a run without sentence breaks at word boundaries (at a character boundary only for huge tokens)."""
    pieces: list[str] = []
    current = ""
    for word in text.split(" "):
        while len(word) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:limit])
            word = word[limit:]
        if current and len(current) + 1 + len(word) > limit:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        pieces.append(current)
    return pieces


def _units(text: str, limit: int) -> list[tuple[str, bool]]:
    """(piece, starts_paragraph) pairs, each piece at most `limit` characters."""
    units: list[tuple[str, bool]] = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        blocks = [collapse(b) for b in _LIST_ITEM.split(paragraph)]
        for block in filter(None, blocks):
            first = True
            pieces = [block] if len(block) <= limit else _SENTENCE_BREAK.split(block)
            for piece in pieces:
                for part in [piece] if len(piece) <= limit else _hard_split(piece, limit):
                    units.append((part, first))
                    first = False
    return units


def _tail(text: str, overlap: int) -> str:
    """The last `overlap` characters, starting at a word boundary so a chunk never begins mid-word."""
    if overlap <= 0 or not text:
        return ""
    if len(text) <= overlap:
        return text
    tail = text[-overlap:]
    if text[-overlap - 1].isspace():
        return tail
    space = tail.find(" ")
    return tail[space + 1 :] if space >= 0 else ""


def chunk_document(source: str, text: str, vacancy_id: str, max_chars: int = 800, overlap: int = 120) -> list[Chunk]:
    """Split a document on paragraphs, then sentences, into chunks of at most max_chars characters.

    Each chunk after the first starts with up to `overlap` characters of the previous one, so a sentence cut at a
    chunk border is still retrievable with its context.
    """
    if source not in CHUNK_SOURCES:
        raise ValueError(f"chunk source must be one of {CHUNK_SOURCES}, got {source!r}")
    if max_chars < 50:
        raise ValueError("max_chars must be at least 50")
    if not 0 <= overlap <= max_chars // 2:
        raise ValueError("overlap must be between 0 and max_chars / 2")
    limit = max_chars - overlap - 1  # room for the overlap and its separator in front of any unit
    bodies: list[str] = []
    current = ""
    for unit, new_paragraph in _units(text.replace("\r\n", "\n"), limit):
        sep = "\n" if new_paragraph else " "
        if current and len(current) + len(sep) + len(unit) <= max_chars:
            current = f"{current}{sep}{unit}"
            continue
        if current:
            bodies.append(current)
            tail = _tail(current, overlap)
            current = f"{tail}{sep}{unit}" if tail else unit
        else:
            current = unit
    if current:
        bodies.append(current)
    return [Chunk(id=f"{vacancy_id}:{source}:{i}", source=source, text=body) for i, body in enumerate(bodies)]


def _render_parameter(rubric: Rubric, index: int) -> str:
    p = rubric.parameters[index]
    lines = [f"{rubric.stage.upper()} rubric parameter: {p.label} ({p.key}), weight {p.weight:.0%}"]
    lines += [f"{score}: {p.guide[score]}" for score in sorted(p.guide)]
    return "\n".join(lines)


def rubric_chunks(rubric: Rubric, vacancy_id: str) -> list[Chunk]:
    """One chunk per rubric parameter (label, weight and its 1..5 guide), so retrieval returns whole criteria."""
    source = f"{rubric.stage}_rubric"
    return [
        Chunk(id=f"{vacancy_id}:{source}:{i}", source=source, text=_render_parameter(rubric, i))
        for i in range(len(rubric.parameters))
    ]


def vacancy_chunks(vacancy: Vacancy, max_chars: int = 800, overlap: int = 120) -> list[Chunk]:
    """Every chunk a vacancy contributes to retrieval, in a stable order.

    Free-text scoring notes of an ad-hoc vacancy are appended to both rubric sources (indexes continue after the
    parameters), as context only: the weights still come from the structured rubric.
    """
    chunks = chunk_document("job_description", vacancy.job_description, vacancy.id, max_chars, overlap)
    chunks += chunk_document("study_case_brief", vacancy.study_case_brief, vacancy.id, max_chars, overlap)
    for rubric in (vacancy.cv_rubric, vacancy.project_rubric):
        own = rubric_chunks(rubric, vacancy.id)
        chunks += own
        if vacancy.scoring_notes:
            source = f"{rubric.stage}_rubric"
            notes = chunk_document(source, vacancy.scoring_notes, vacancy.id, max_chars, overlap)
            chunks += [Chunk(id=f"{vacancy.id}:{source}:{len(own) + i}", source=source, text=c.text)
                       for i, c in enumerate(notes)]
    return chunks
