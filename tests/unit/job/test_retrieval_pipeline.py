"""The worker's evaluation pipeline with in-memory fakes: retrieval per stage, provenance, RETRIEVAL_EMPTY."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from cveval_job.adapters.gateway_client import Embeddings
from cveval_job.domain.jobs import PROCESSING, Job
from cveval_job.domain.retrieval import EmbeddedChunk
from cveval_job.scoring.model import Evaluation, ScoringInput, Vacancy
from cveval_job.scoring.offline_scorer import OfflineScorer
from cveval_job.scoring.rubrics import default_vacancy
from cveval_job.worker.evaluate import Evaluator
from cveval_job.worker.result_mapping import to_result
from tests.fixtures.documents import SAMPLE_CV, SAMPLE_PROJECT_REPORT

NOW = datetime(2026, 11, 26, tzinfo=UTC)
VOCABULARY = ("python", "kubernetes", "postgresql", "retrieval", "queue", "llm", "tests", "readme", "rubric", "team")


def _vector(text: str) -> tuple[float, ...]:
    lower = text.lower()
    return tuple(float(lower.count(word)) for word in VOCABULARY)


@dataclass
class FakeGateway:
    calls: int = 0

    async def embed(self, texts: Sequence[str]) -> Embeddings:
        self.calls += 1
        return Embeddings([_vector(t) for t in texts], "fake-embed", sum(len(t.split()) for t in texts))


@dataclass
class FakeVacancies:
    vacancy: Vacancy
    stored: dict[tuple[str, str], list[EmbeddedChunk]] = field(default_factory=dict)

    async def get(self, vacancy_id: str) -> Vacancy | None:
        return self.vacancy if vacancy_id == self.vacancy.id else None

    async def chunks(self, vacancy_id: str, model: str) -> list[EmbeddedChunk]:
        return list(self.stored.get((vacancy_id, model), []))

    async def save_chunks(self, vacancy_id: str, model: str, chunks: Sequence[EmbeddedChunk]) -> None:
        self.stored[(vacancy_id, model)] = [replace(c, id=f"{c.id}@{model}") for c in chunks]


@dataclass
class FakeDocuments:
    texts: dict[str, tuple[str, str]]

    async def text_of(self, document_id: str) -> tuple[str, str, str] | None:
        found = self.texts.get(document_id)
        return None if found is None else (*found, f"{document_id}.pdf")


@dataclass
class TimedScorer:
    """The offline scorer, reporting chain steps the way the LLM scorer does."""

    async def score(self, inp: ScoringInput) -> Evaluation:
        evaluation = OfflineScorer(date(2026, 11, 15)).score_sync(inp)
        return replace(evaluation, step_ms=(("cv_profile", 12.5), ("summary", 3.0)))


def _evaluator(cv: str, scorer: object | None = None) -> tuple[Evaluator, FakeVacancies]:
    vacancies = FakeVacancies(default_vacancy())
    documents = FakeDocuments({"cv1": ("cv", cv), "pr1": ("project", SAMPLE_PROJECT_REPORT)})
    evaluator = Evaluator(
        documents, vacancies, FakeGateway(), scorer or OfflineScorer(date(2026, 11, 15))  # type: ignore[arg-type]
    )
    return evaluator, vacancies


def _job() -> Job:
    return Job("j1", PROCESSING, "cv1", "pr1", default_vacancy().id, 1, NOW, NOW)


async def test_each_stage_retrieves_from_its_own_sources_and_provenance_records_the_ids() -> None:
    evaluator, vacancies = _evaluator(SAMPLE_CV, TimedScorer())
    outcome = await evaluator.run(_job())
    by_stage = {s: [r for r in outcome.retrieved if r.chunk.source in srcs]
                for s, srcs in {"cv": ("job_description", "cv_rubric"),
                                "project": ("study_case_brief", "project_rubric")}.items()}
    assert by_stage["cv"] and by_stage["project"]
    assert len(by_stage["cv"]) + len(by_stage["project"]) == len(outcome.retrieved)
    assert {r.chunk.source for r in by_stage["cv"]} == {"job_description", "cv_rubric"}
    result = to_result(_job(), outcome, "0" * 32)
    p = result.provenance
    assert list(p.retrieved_chunk_ids) == [r.chunk.id for r in outcome.retrieved]
    assert all(i.endswith("@fake-embed") for i in p.retrieved_chunk_ids)  # the stored chunks were used
    assert {"fetch_documents", "embed_queries", "reference_chunks", "retrieve", "score"} <= set(p.step_latency_ms)
    assert p.step_latency_ms["score.cv_profile"] == 12.5 and p.step_latency_ms["score.summary"] == 3.0
    assert "fake-embed" in p.models
    # The second evaluation reads the chunks stored by the first instead of embedding them again.
    assert (default_vacancy().id, "fake-embed") in vacancies.stored
    again = await evaluator.run(_job())
    assert [r.chunk.id for r in again.retrieved] == [r.chunk.id for r in outcome.retrieved]


async def test_a_cv_that_matches_nothing_is_scored_low_not_failed() -> None:
    evaluator, _ = _evaluator("Baked sourdough every morning; decorated wedding cakes.")
    outcome = await evaluator.run(_job())
    assert outcome.retrieved
    assert outcome.evaluation.cv_match_rate <= 0.4


@dataclass
class RecordingScorer:
    inputs: list[ScoringInput] = field(default_factory=list)

    async def score(self, inp: ScoringInput) -> Evaluation:
        self.inputs.append(inp)
        return OfflineScorer(date(2026, 11, 15)).score_sync(inp)


async def test_a_cv_only_job_gives_the_scorer_no_report_and_retrieves_nothing_for_one() -> None:
    scorer = RecordingScorer()
    evaluator, _ = _evaluator(SAMPLE_CV, scorer)
    outcome = await evaluator.run(replace(_job(), project_id=""))
    (inp,) = scorer.inputs
    assert inp.cv_only and inp.project_text == "" and inp.project_context == ()
    assert outcome.cv_only and outcome.evaluation.project_score == 0.0
    assert {p.stage for p in outcome.evaluation.breakdown} == {"cv"}
    assert all(r.chunk.source in ("job_description", "cv_rubric") for r in outcome.retrieved)
    # The offline scorer scored the CV exactly as it does beside a report.
    with_report = await evaluator.run(_job())
    assert outcome.evaluation.cv_match_rate == with_report.evaluation.cv_match_rate
