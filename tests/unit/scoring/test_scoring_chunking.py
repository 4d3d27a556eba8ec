"""Chunking of reference documents for retrieval: bounded size, overlap, deterministic ids."""

from __future__ import annotations

import itertools

import pytest

from cveval_job.scoring.chunking import chunk_document, rubric_chunks, vacancy_chunks
from cveval_job.scoring.rubrics import default_cv_rubric, default_vacancy, vacancy_from_texts


def _long_text() -> str:
    paragraphs = []
    for p in range(8):
        sentences = [f"Paragraph {p} sentence {s} talks about queues, retries and embeddings." for s in range(6)]
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def test_chunks_are_deterministic_and_bounded() -> None:
    text = _long_text()
    first = chunk_document("job_description", text, "vac-1", max_chars=300, overlap=60)
    second = chunk_document("job_description", text, "vac-1", max_chars=300, overlap=60)
    assert first == second
    assert len(first) > 3
    assert [c.id for c in first] == [f"vac-1:job_description:{i}" for i in range(len(first))]
    assert all(len(c.text) <= 300 for c in first)
    assert all(c.source == "job_description" for c in first)


def test_chunks_cover_the_text_and_overlap() -> None:
    text = _long_text()
    chunks = chunk_document("study_case_brief", text, "v", max_chars=300, overlap=60)
    joined = " ".join(c.text for c in chunks)
    for p in range(8):
        assert f"Paragraph {p} sentence 5" in joined
    # Each chunk after the first begins with the tail of the previous one.
    for prev, cur in itertools.pairwise(chunks):
        head = cur.text.split("\n")[0].split(" ")[0]
        assert head in prev.text


def test_short_text_is_one_chunk_and_empty_text_none() -> None:
    assert [c.text for c in chunk_document("job_description", "Short.", "v")] == ["Short."]
    assert chunk_document("job_description", "  \n\n ", "v") == []


def test_unsplittable_run_is_cut_at_the_limit() -> None:
    chunks = chunk_document("job_description", "word " * 500, "v", max_chars=200, overlap=20)
    assert all(len(c.text) <= 200 for c in chunks)


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError):
        chunk_document("cv", "text", "v")
    with pytest.raises(ValueError):
        chunk_document("job_description", "text", "v", max_chars=100, overlap=90)


def test_rubric_chunks_render_each_parameter_with_its_guide() -> None:
    chunks = rubric_chunks(default_cv_rubric(), "vac")
    assert [c.id for c in chunks] == [f"vac:cv_rubric:{i}" for i in range(4)]
    assert "technical_skills" in chunks[0].text and "40%" in chunks[0].text
    assert all(f"{n}: " in chunks[0].text for n in range(1, 6))


def test_vacancy_chunks_include_every_source_and_notes() -> None:
    chunks = vacancy_chunks(default_vacancy())
    assert {c.source for c in chunks} == {"job_description", "study_case_brief", "cv_rubric", "project_rubric"}
    assert len({c.id for c in chunks}) == len(chunks)
    adhoc = vacancy_from_texts("Engineer\nPython.", "Build a thing.", "Prefer clean tests.")
    notes = [c for c in vacancy_chunks(adhoc) if "clean tests" in c.text]
    assert {c.source for c in notes} == {"cv_rubric", "project_rubric"}
    assert len({c.id for c in vacancy_chunks(adhoc)}) == len(vacancy_chunks(adhoc))
