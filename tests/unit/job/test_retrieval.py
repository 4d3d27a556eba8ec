"""Hybrid retrieval (cosine + BM25, fused by rank): what it prefers, what it records, and when it refuses."""

from __future__ import annotations

import pytest

from cveval_job.domain.retrieval import (
    EmbeddedChunk,
    RetrievalEmpty,
    lexical_tokens,
    query_windows,
    reference_chunks,
    retrieve,
)
from cveval_job.scoring.rubrics import default_vacancy

SAME = (1.0, 0.0, 0.0)  # every chunk gets the same vector: the dense ranking alone cannot tell them apart


def chunk(n: int, text: str, source: str = "job_description", vector: tuple[float, ...] = SAME) -> EmbeddedChunk:
    return EmbeddedChunk(f"v:{source}:{n}", source, text, vector)


def test_a_chunk_sharing_a_rare_term_beats_chunks_sharing_only_common_ones() -> None:
    chunks = [
        chunk(0, "Our team ships software together and the team reviews code."),
        chunk(1, "The team writes documentation for the team."),
        chunk(2, "The team operates Kubernetes clusters."),
        chunk(3, "The team plans work in sprints with the team lead."),
        chunk(4, "Scores follow the rubric guide.", source="cv_rubric"),
    ]
    hits = retrieve("cv", "I ran Kubernetes for my team.", [SAME], chunks, k=3)
    assert hits[0].chunk.id == "v:job_description:2"
    assert hits[0].lexical > max(h.lexical for h in hits[1:])


def test_dense_ranking_decides_when_the_words_do_not() -> None:
    chunks = [
        chunk(0, "alpha beta", vector=(0.0, 1.0, 0.0)),
        chunk(1, "alpha gamma", vector=(1.0, 0.1, 0.0)),
        chunk(2, "delta", source="cv_rubric", vector=(0.0, 0.0, 1.0)),
    ]
    hits = retrieve("cv", "alpha", [(1.0, 0.0, 0.0)], chunks, k=2)
    assert hits[0].chunk.id == "v:job_description:1"
    assert hits[0].cosine > 0.9


def test_aliases_meet_in_the_lexical_ranking() -> None:
    assert "skill:postgresql" in lexical_tokens("Five years of Postgres")
    assert "skill:kubernetes" in lexical_tokens("Deployed on k8s")
    chunks = [chunk(0, "We use MySQL."), chunk(1, "We use PostgreSQL."), chunk(2, "Guide.", source="cv_rubric")]
    hits = retrieve("cv", "Tuned Postgres queries", [SAME], chunks, k=1)
    assert hits[0].chunk.id == "v:job_description:1"


def test_each_stage_reads_only_its_sources_and_keeps_each_one() -> None:
    chunks = [chunk(i, f"Python backend services number {i}") for i in range(8)]
    chunks += [chunk(0, "Guide: backend skills match", source="cv_rubric", vector=(0.0, 1.0, 0.0))]
    chunks += [chunk(0, "Python backend brief", source="study_case_brief")]
    hits = retrieve("cv", "Python backend services", [SAME], chunks, k=4)
    assert len(hits) == 4
    assert {h.chunk.source for h in hits} == {"job_description", "cv_rubric"}  # the rubric kept its place
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_retrieval_is_deterministic() -> None:
    chunks = [chunk(i, f"Python and Go services {i % 3}") for i in range(10)] + [chunk(9, "x y", "cv_rubric")]
    first = retrieve("cv", "Go services in Python", [SAME], chunks, k=5)
    assert first == retrieve("cv", "Go services in Python", [SAME], chunks, k=5)


def test_a_stage_without_reference_text_is_an_error() -> None:
    with pytest.raises(RetrievalEmpty, match="study_case_brief or project_rubric"):
        retrieve("project", "A report", [SAME], [chunk(0, "Job text")], k=3)


def test_an_unrelated_document_still_gets_the_closest_context() -> None:
    # A poor fit is a finding to score, never an empty context and never a failed job.
    chunks = [chunk(0, "Kubernetes and Terraform", vector=(0.0, 1.0, 0.0)), chunk(1, "Go", vector=(0.0, 0.0, 1.0))]
    hits = retrieve("cv", "Baked sourdough bread", [(1.0, 0.0, 0.0)], chunks, k=3)
    assert [h.chunk.text for h in hits] == ["Kubernetes and Terraform", "Go"]


@pytest.mark.parametrize("text, vectors", [("   ", [SAME]), ("Python", [])])
def test_no_query_is_an_error(text: str, vectors: list[tuple[float, ...]]) -> None:
    with pytest.raises(RetrievalEmpty, match="no query"):
        retrieve("cv", text, vectors, [chunk(0, "Python")], k=3)


def test_vectors_of_another_model_are_refused() -> None:
    with pytest.raises(ValueError, match="dimensions"):
        retrieve("cv", "Python", [(1.0, 0.0)], [chunk(0, "Python")], k=3)


def test_query_windows_cover_the_whole_document() -> None:
    text = " ".join(f"word{i}" for i in range(5000))
    windows = query_windows(text)
    assert 1 < len(windows) <= 8
    assert windows[0].startswith("word0 ") and "word4" in windows[-1]


def test_reference_chunks_of_the_default_vacancy_cover_all_four_sources() -> None:
    sources = {c.source for c in reference_chunks(default_vacancy())}
    assert sources == {"job_description", "study_case_brief", "cv_rubric", "project_rubric"}
