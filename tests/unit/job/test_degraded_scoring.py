"""Degraded scoring in the worker's pipeline: when the model provider stays unavailable on the last delivery and the
vacancy allows it, the offline scorer scores and provenance says so; otherwise the outage (or a bad answer) stands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import pytest

from cveval_job.adapters.gateway_client import Embeddings
from cveval_job.scoring.errors import ModelOutputInvalid
from cveval_job.scoring.model import Evaluation, ScoringInput
from cveval_job.scoring.offline_scorer import OfflineScorer
from cveval_job.scoring.rubrics import default_vacancy
from cveval_job.worker.evaluate import DEGRADED_FLAG, DEGRADED_REASON_PREFIX, Evaluator
from cveval_kit import errors
from tests.fixtures.documents import SAMPLE_CV, SAMPLE_PROJECT_REPORT
from tests.unit.job.test_retrieval_pipeline import FakeDocuments, FakeGateway, FakeVacancies, _job


class DownGateway:
    async def embed(self, texts: Sequence[str]) -> Embeddings:
        raise errors.Unavailable("ai-gateway embedding unavailable: connection refused", code="AI_UNAVAILABLE")


@dataclass
class FailingScorer:
    error: Exception

    async def score(self, inp: ScoringInput) -> Evaluation:
        raise self.error


def _evaluator(scorer: object, *, gateway: object | None = None, allow: bool = True) -> Evaluator:
    vacancy = replace(default_vacancy(), allow_degraded_scoring=allow)
    documents = FakeDocuments({"cv1": ("cv", SAMPLE_CV), "pr1": ("project", SAMPLE_PROJECT_REPORT)})
    return Evaluator(
        documents, FakeVacancies(vacancy), gateway or FakeGateway(), scorer,  # type: ignore[arg-type]
        OfflineScorer(date(2026, 11, 15)),
    )


CHAT_DOWN = errors.Unavailable("ai-gateway chat unavailable: the model provider did not answer", code="AI_UNAVAILABLE")


async def test_chat_outage_on_the_last_delivery_degrades_to_the_offline_scorer() -> None:
    outcome = await _evaluator(FailingScorer(CHAT_DOWN)).run(_job(), last_attempt=True)
    e = outcome.evaluation
    assert e.scorer == "offline" and len(e.breakdown) == 9
    assert DEGRADED_FLAG in e.flags
    assert f"{DEGRADED_REASON_PREFIX}AI_UNAVAILABLE: {CHAT_DOWN.message}" in e.flags
    assert outcome.embed_model == "fake-embed"  # the embeddings worked: retrieval was the usual hybrid one


async def test_embedding_outage_degrades_with_lexical_retrieval() -> None:
    outcome = await _evaluator(FailingScorer(CHAT_DOWN), gateway=DownGateway()).run(_job(), last_attempt=True)
    assert outcome.evaluation.scorer == "offline" and DEGRADED_FLAG in outcome.evaluation.flags
    assert outcome.embed_model == "" and outcome.retrieved
    assert "retrieve_lexical" in outcome.step_ms and "embed_queries" not in outcome.step_ms


async def test_an_outage_before_the_last_delivery_is_retried_not_degraded() -> None:
    with pytest.raises(errors.Unavailable):
        await _evaluator(FailingScorer(CHAT_DOWN)).run(_job(), last_attempt=False)


async def test_a_vacancy_that_forbids_degrading_keeps_the_outage() -> None:
    with pytest.raises(errors.Unavailable):
        await _evaluator(FailingScorer(CHAT_DOWN), allow=False).run(_job(), last_attempt=True)
    with pytest.raises(errors.Unavailable):
        await _evaluator(FailingScorer(CHAT_DOWN), gateway=DownGateway(), allow=False).run(_job(), last_attempt=True)


async def test_schema_invalid_answers_are_never_degraded() -> None:
    bad = ModelOutputInvalid("cv_scores: at $.scores: 'technical_skills' is a required property")
    with pytest.raises(ModelOutputInvalid):
        await _evaluator(FailingScorer(bad)).run(_job(), last_attempt=True)


async def test_without_a_fallback_nothing_degrades() -> None:
    documents = FakeDocuments({"cv1": ("cv", SAMPLE_CV), "pr1": ("project", SAMPLE_PROJECT_REPORT)})
    evaluator = Evaluator(
        documents, FakeVacancies(default_vacancy()), FakeGateway(), FailingScorer(CHAT_DOWN)  # type: ignore[arg-type]
    )
    with pytest.raises(errors.Unavailable):
        await evaluator.run(_job(), last_attempt=True)
